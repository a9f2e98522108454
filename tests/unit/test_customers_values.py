"""What a customer's fields may hold: the value tier and money, tags and custom values."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest

from domain.customers.model import Customer
from domain.customers.values import (
    MAX_TAGS,
    CustomerKind,
    Tier,
    TierPolicy,
    check_custom,
    check_tags,
    money,
)
from domain.shared.errors import ValidationFailed

POLICY = TierPolicy()
OWNER = uuid.uuid4()


def new_customer(kind: CustomerKind = CustomerKind.COMPANY, **fields: Any) -> Customer:
    return Customer.create(number="C202611000001", name="上海示例科技有限公司", kind=kind,
                           owner_id=OWNER, owner_department_id=None, tier_policy=POLICY,
                           created_by=OWNER, **fields)


def problem_field(error: pytest.ExceptionInfo[ValidationFailed]) -> str:
    return error.value.problems[0].field


# ---- customer: tier and money --------------------------------------------------------------


@pytest.mark.parametrize(("amount", "tier"), [
    (None, Tier.NORMAL),
    ("0", Tier.NORMAL),
    ("99999.99", Tier.NORMAL),
    ("100000", Tier.KEY),
    ("100000.01", Tier.KEY),
    ("999999.99", Tier.KEY),
    ("1000000", Tier.STRATEGIC),
    ("1000000.00", Tier.STRATEGIC),
    ("1000000.01", Tier.STRATEGIC),
])
def test_the_tier_follows_the_annual_purchase_thresholds(amount: str | None, tier: Tier) -> None:
    assert POLICY.tier_for(None if amount is None else Decimal(amount)) == tier
    assert new_customer(annual_purchase=amount).tier == tier


def test_the_tier_is_recomputed_when_the_annual_purchase_changes() -> None:
    customer = new_customer(annual_purchase="50000")
    assert customer.tier == Tier.NORMAL
    customer.update({"annual_purchase": "1000000"}, POLICY)
    assert customer.tier == Tier.STRATEGIC
    assert customer.annual_purchase == Decimal("1000000.00")
    customer.update({"annual_purchase": "100000"}, POLICY)
    assert customer.tier == Tier.KEY
    customer.update({"annual_purchase": None}, POLICY)
    assert customer.tier == Tier.NORMAL


def test_the_tier_uses_the_organisations_own_thresholds() -> None:
    policy = TierPolicy(strategic_from=Decimal("500"), key_from=Decimal("100"))
    customer = new_customer()
    customer.update({"annual_purchase": "500"}, policy)
    assert customer.tier == Tier.STRATEGIC
    customer.update({"annual_purchase": "499.99"}, policy)
    assert customer.tier == Tier.KEY


@pytest.mark.parametrize(("raw", "expected"), [
    ("1250000", Decimal("1250000.00")),
    ("1250000.5", Decimal("1250000.50")),
    (100, Decimal("100.00")),
    (0.1, Decimal("0.10")),
    (Decimal("12.34"), Decimal("12.34")),
    (None, None),
])
def test_money_accepts_non_negative_amounts_to_the_cent(raw: Any, expected: Decimal) -> None:
    assert money(raw, "annual_purchase") == expected


@pytest.mark.parametrize("raw", [
    "-0.01", -1, "NaN", float("nan"), "Infinity", float("inf"), "1.234", 0.001,
    "abc", "", "12元", "10000000000000000",
])
def test_money_refuses_negatives_nan_too_many_decimals_and_text(raw: Any) -> None:
    with pytest.raises(ValidationFailed) as e:
        money(raw, "annual_purchase")
    assert problem_field(e) == "annual_purchase"


def test_a_bad_annual_purchase_is_refused_on_create() -> None:
    with pytest.raises(ValidationFailed) as e:
        new_customer(annual_purchase="-5")
    assert problem_field(e) == "annual_purchase"


# ---- customer: tags and custom fields ------------------------------------------------------


def test_tags_are_trimmed_and_deduplicated_in_order() -> None:
    assert check_tags([" VIP ", "制造", "VIP", "制造"]) == ["VIP", "制造"]
    assert check_tags(["x" * 50]) == ["x" * 50]


@pytest.mark.parametrize("tags", [["a,b"], [""], ["   "], ["x" * 51], [",a"]])
def test_malformed_tags_are_refused(tags: list[str]) -> None:
    with pytest.raises(ValidationFailed) as e:
        check_tags(tags)
    assert problem_field(e) == "tags"


def test_at_most_fifty_distinct_tags() -> None:
    assert len(check_tags([f"t{i}" for i in range(MAX_TAGS)])) == MAX_TAGS
    with pytest.raises(ValidationFailed):
        check_tags([f"t{i}" for i in range(MAX_TAGS + 1)])


def test_custom_fields_accept_text_numbers_booleans_and_lists_of_choices() -> None:
    values = {"erp_system": "SAP", "seats": 120, "ratio": 0.5, "listed": True,
              "channels": ["web", "phone"], "note": None}
    assert check_custom(values) == values


@pytest.mark.parametrize(("values", "field"), [
    ({"Bad-Key": "x"}, "custom.Bad-Key"),
    ({"1st": "x"}, "custom.1st"),
    ({"a" * 51: "x"}, "custom." + "a" * 51),
    ({"nested": {"a": 1}}, "custom.nested"),
    ({"choices": ["a", 1]}, "custom.choices"),
    ({"long": "x" * 2001}, "custom.long"),
])
def test_malformed_custom_fields_are_refused_on_their_key(values: dict[str, Any],
                                                          field: str) -> None:
    with pytest.raises(ValidationFailed) as e:
        check_custom(values)
    assert problem_field(e) == field


def test_a_custom_key_with_a_trailing_newline_is_not_a_custom_field_key() -> None:
    with pytest.raises(ValidationFailed) as e:
        check_custom({"erp\n": "SAP"})
    assert problem_field(e) == "custom.erp\n"
