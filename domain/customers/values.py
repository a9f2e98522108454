"""The vocabulary of a customer's fields and the checks their values pass: kinds, grades,
tiers, sizes and sources; legal names, amounts, instants, tags and custom values."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from domain.shared.errors import ValidationFailed


class CustomerKind(StrEnum):
    COMPANY = "company"
    PERSON = "person"


class Grade(StrEnum):
    """Lifecycle grade: potential → intent → closed → churned; churned → intent to reactivate."""

    POTENTIAL = "potential"
    INTENT = "intent"
    CLOSED = "closed"
    CHURNED = "churned"


GRADE_MOVES: dict[Grade, frozenset[Grade]] = {
    Grade.POTENTIAL: frozenset({Grade.INTENT}),
    Grade.INTENT: frozenset({Grade.CLOSED}),
    Grade.CLOSED: frozenset({Grade.CHURNED}),
    Grade.CHURNED: frozenset({Grade.INTENT}),
}


class Tier(StrEnum):
    STRATEGIC = "strategic"
    KEY = "key"
    NORMAL = "normal"


class Size(StrEnum):
    MICRO = "micro"
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"
    ENTERPRISE = "enterprise"


class Source(StrEnum):
    WEBSITE = "website"
    TRADE_SHOW = "trade_show"
    PHONE = "phone"
    REFERRAL = "referral"
    PARTNER = "partner"
    IMPORT = "import"
    API = "api"
    OTHER = "other"


@dataclass(frozen=True)
class TierPolicy:
    """Annual-purchase thresholds (in the organisation's currency) for the value tier."""

    strategic_from: Decimal = Decimal("1000000")
    key_from: Decimal = Decimal("100000")

    def tier_for(self, annual_purchase: Decimal | None) -> Tier:
        if annual_purchase is None:
            return Tier.NORMAL
        if annual_purchase >= self.strategic_from:
            return Tier.STRATEGIC
        if annual_purchase >= self.key_from:
            return Tier.KEY
        return Tier.NORMAL


_CUSTOM_KEY = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
_TAG = re.compile(r"^[^\s,][^,]{0,49}$")
MAX_TAGS = 50


def customer_number(now: datetime, sequence: int) -> str:
    """C + yyyymm + a six-digit (or longer) sequence, e.g. C202611000042."""
    return f"C{now:%Y%m}{sequence:06d}"


def check_legal_name(raw: str) -> str:
    name = re.sub(r"\s+", " ", raw.strip())
    if not 2 <= len(name) <= 200:
        raise ValidationFailed.of("name", "must be the full legal name, 2 to 200 characters")
    return name


# A company's full legal name ends in its legal form; a bare brand is an abbreviation.
_LEGAL_FORMS_ZH = ("公司", "集团", "厂", "店", "中心", "研究院", "研究所", "事务所", "合作社",
                   "医院", "学校", "大学", "学院", "银行", "协会", "商行", "工作室", "合伙)",
                   "合伙）", "基金会", "局", "委员会", "部", "站", "社")
_LEGAL_FORMS_EN = re.compile(
    r"\b(ltd|limited|inc|incorporated|llc|llp|lp|corp|corporation|co|company|gmbh|ag|sa|"
    r"s\.a|sas|bv|b\.v|nv|n\.v|plc|pty|kk|group|holdings|university|hospital|bank|"
    r"association|foundation|partners)\.?$", re.IGNORECASE)


def check_company_name(name: str) -> None:
    if not (name.endswith(_LEGAL_FORMS_ZH) or _LEGAL_FORMS_EN.search(name)):
        raise ValidationFailed.of(
            "name", "must be the company's full legal name (e.g. …有限公司 or … Ltd), "
            "not an abbreviation")


def normalised_name(name: str) -> str:
    """For duplicate detection: case, spaces and full-width brackets do not tell names apart."""
    n = name.lower().replace("（", "(").replace("）", ")")
    return re.sub(r"\s+", "", n)


def money(raw: Any, field_name: str) -> Decimal | None:
    if raw is None:
        return None
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise ValidationFailed.of(
            field_name, "must be a decimal amount such as 1250000.00") from None
    if not value.is_finite() or value < 0 or value > Decimal("9999999999999999.99"):
        raise ValidationFailed.of(field_name, "must be a non-negative amount")
    if value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValidationFailed.of(field_name, "has more than two decimal places")
    return value.quantize(Decimal("0.01"))


def aware(value: datetime | None, field_name: str) -> datetime | None:
    """Times are instants: one without a time zone is ambiguous, so it is refused."""
    if value is not None and value.tzinfo is None:
        raise ValidationFailed.of(field_name,
                                  "must carry a time zone, e.g. 2026-11-28T09:00:00+08:00")
    return value


def check_tags(tags: list[str]) -> list[str]:
    cleaned: list[str] = []
    for raw in tags:
        tag = raw.strip()
        if not _TAG.match(tag):
            raise ValidationFailed.of("tags", f"{raw!r} is not a tag (1-50 characters, no comma)")
        if tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise ValidationFailed.of("tags", f"at most {MAX_TAGS} tags")
    return cleaned


def check_custom(values: dict[str, Any]) -> dict[str, Any]:
    for key, value in values.items():
        if not _CUSTOM_KEY.fullmatch(key):
            raise ValidationFailed.of(f"custom.{key}", "is not a custom field key")
        if isinstance(value, list):
            if not all(isinstance(v, str) for v in value):
                raise ValidationFailed.of(f"custom.{key}", "a list may hold only text choices")
        elif value is not None and not isinstance(value, (str, int, float, bool)):
            raise ValidationFailed.of(f"custom.{key}", "must be text, a number, true/false or "
                                      "a list of choices")
        if isinstance(value, str) and len(value) > 2000:
            raise ValidationFailed.of(f"custom.{key}", "is longer than 2000 characters")
    return dict(values)
