"""GET /customers/{id} serialises a customer from plain values (CustomerOut.plain); these must be
byte for byte what the response models produce, masks included."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pydantic_core import to_json

from api.v1.schemas.customers import CustomerOut, CustomerRevealed
from domain.customers.model import (
    Contact,
    Customer,
    CustomerKind,
    Grade,
    Size,
    Source,
    Tier,
)

FULL = Customer(
    id=uuid.uuid4(), number="C202611000042", name="上海明远精密机械制造有限公司",
    kind=CustomerKind.PERSON, owner_id=uuid.uuid4(), owner_department_id=uuid.uuid4(),
    grade=Grade.INTENT, tier=Tier.STRATEGIC, industry="manufacturing", region="east",
    size=Size.LARGE, source=Source.TRADE_SHOW, annual_purchase=Decimal("1250000.5"), currency="USD",
    first_contact_date=date(2026, 3, 1),
    last_followup_at=datetime(2026, 11, 2, 8, 30, 15, 123456, tzinfo=UTC),
    next_followup_at=datetime(2026, 12, 1, tzinfo=UTC), next_followup_plan="报价",
    key_needs="二期产线 \"quoted\" \\ 换行\n", tags=["VIP", "账期客户"],
    custom={"erp_code": "A-1", "n": 3, "nested": {"x": [1, 2.5, None]}},
    id_card_number="11010519491231002X",
    contacts=[Contact(id=uuid.uuid4(), name="张三", title="采购经理", mobile="13812345678",
                      landline="010-12345678", email="zhang.san@example.com",
                      is_primary=True),
              Contact(id=uuid.uuid4(), name="Li", title=None, mobile="+4915112345678",
                      landline=None, email=None, is_primary=False)],
    version=7, created_at=datetime(2026, 1, 1, tzinfo=UTC),
    updated_at=datetime(2026, 11, 28, 23, 59, 59, 1, tzinfo=UTC))

BARE = Customer(id=uuid.uuid4(), number="C1", name="A", kind=CustomerKind.COMPANY,
                owner_id=uuid.uuid4(), owner_department_id=None)


@pytest.mark.parametrize("customer", [FULL, BARE], ids=["every-field", "bare"])
def test_plain_serialises_exactly_like_the_response_model(customer: Customer) -> None:
    plain = to_json(CustomerOut.plain(customer))
    assert plain == CustomerOut.of(customer).model_dump_json().encode()
    assert list(CustomerOut.plain(customer)) == list(CustomerOut.model_fields)


def test_plain_masks_personal_data() -> None:
    body = CustomerOut.plain(FULL)
    assert body["id_card_number"] == "110105********002X"
    assert body["contacts"][0]["mobile"] == "138****5678"
    assert body["contacts"][0]["email"] == "z***@example.com"
    assert "13812345678" not in to_json(body).decode()
    assert "zhang.san@" not in to_json(body).decode()


def test_revealed_personal_data_is_in_clear_in_the_same_shape() -> None:
    shown = CustomerRevealed.of(FULL)
    assert shown.id_card_number == "11010519491231002X"
    assert [c.mobile for c in shown.contacts] == ["13812345678", "+4915112345678"]
    assert shown.contacts[0].model_dump() == {
        **CustomerOut.of(FULL).contacts[0].model_dump(), "mobile": "13812345678",
        "landline": "010-12345678", "email": "zhang.san@example.com"}
