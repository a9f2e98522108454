"""A contract's line items: what is sold, how many, at what unit price and discount. The
contract's amount is their sum, never a number a client sends."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from domain.customers.model import money
from domain.shared.errors import ValidationFailed

CENT = Decimal("0.01")
MAX_LINES = 200
MAX_QUANTITY = Decimal("1000000000")


def clean_text(raw: Any, name: str, limit: int, required: bool = False) -> str | None:
    """Trimmed text, None when blank; refused when required and blank, or too long."""
    text = (str(raw) if raw is not None else "").strip() or None
    if text is None and required:
        raise ValidationFailed.of(name, "required")
    if text is not None and len(text) > limit:
        raise ValidationFailed.of(name, "too_long", max=limit)
    return text


def _decimal(raw: Any, name: str) -> Decimal:
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise ValidationFailed.of(name, "contract.not_a_decimal") from None
    if not value.is_finite():
        raise ValidationFailed.of(name, "contract.not_a_decimal")
    return value


@dataclass(frozen=True)
class LineSpec:
    """A line as the client sends it, before it is checked."""

    product: str
    quantity: Decimal
    unit_price: Decimal
    discount: Decimal = Decimal("0")  # per cent off the line


@dataclass(frozen=True)
class LineItem:
    product: str
    quantity: Decimal
    unit_price: Decimal
    discount: Decimal = Decimal("0")  # per cent off the line

    @property
    def total(self) -> Decimal:
        gross = self.quantity * self.unit_price
        return (gross * (100 - self.discount) / 100).quantize(CENT, rounding=ROUND_HALF_UP)

    @classmethod
    def parse(cls, spec: LineSpec, at: str) -> LineItem:
        product = clean_text(spec.product, f"{at}.product", 200, required=True) or ""
        quantity = _decimal(spec.quantity, f"{at}.quantity")
        if quantity <= 0 or quantity > MAX_QUANTITY:
            raise ValidationFailed.of(f"{at}.quantity", "contract.quantity_range")
        if quantity.as_tuple().exponent < -3:  # type: ignore[operator]
            raise ValidationFailed.of(f"{at}.quantity", "contract.quantity_places")
        unit_price = money(spec.unit_price, f"{at}.unit_price")
        assert unit_price is not None
        discount = _decimal(spec.discount or 0, f"{at}.discount")
        if not Decimal(0) <= discount <= Decimal(100):
            raise ValidationFailed.of(f"{at}.discount", "contract.discount_range")
        if discount.as_tuple().exponent < -2:  # type: ignore[operator]
            raise ValidationFailed.of(f"{at}.discount", "contract.discount_places")
        return cls(product=product, quantity=quantity, unit_price=unit_price, discount=discount)

    def to_doc(self) -> dict[str, str]:
        return {"product": self.product, "quantity": str(self.quantity),
                "unit_price": str(self.unit_price), "discount": str(self.discount)}

    @classmethod
    def from_doc(cls, doc: dict[str, str]) -> LineItem:
        return cls(product=doc["product"], quantity=Decimal(doc["quantity"]),
                   unit_price=Decimal(doc["unit_price"]), discount=Decimal(doc["discount"]))


def parse_lines(specs: Sequence[LineSpec]) -> list[LineItem]:
    if not specs:
        raise ValidationFailed.of("lines", "contract.no_lines")
    if len(specs) > MAX_LINES:
        raise ValidationFailed.of("lines", "contract.too_many_lines", max=MAX_LINES)
    return [LineItem.parse(spec, f"lines.{i}") for i, spec in enumerate(specs)]


def total(lines: Sequence[LineItem]) -> Decimal:
    return sum((line.total for line in lines), Decimal("0.00")).quantize(CENT)
