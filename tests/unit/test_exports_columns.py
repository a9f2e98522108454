"""An export's columns are a flat view of the customer the API shows (CustomerOut): every
column names one of its fields (or one of the primary contact's), and holds what the API
shows there, masked the same way unless revealed. The domain cannot derive the columns from
the response model (it imports no pydantic), so this test holds the two together: a field
renamed or masked differently in one fails here until the other follows."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from api.v1.schemas.customers import ContactOut, CustomerOut
from domain.customers.model import Contact, Customer, CustomerKind, Grade, Size, Source, Tier
from domain.exports.labels import Locale, label
from domain.exports.service import COLUMNS, export_row
from domain.exports.sources import RowContext

# column → the CustomerOut field it shows; a contact column names the primary contact's field
CONTACT_COLUMNS = {"contact": "name", "title": "title", "mobile": "mobile",
                   "landline": "landline", "email": "email"}
JOINED = {"tags"}  # a list, written as one cell joined by commas
# a code the API shows, written as its label (domain/exports/labels.py)
LABELLED = {"kind": "customer_kind", "grade": "customer_grade", "tier": "customer_tier"}
OWNER = "owner"  # the owner_id the API shows, written as the owner's name

FULL = Customer(
    id=uuid.uuid4(), number="C202611000042", name="王小明", kind=CustomerKind.PERSON,
    owner_id=uuid.uuid4(), owner_department_id=uuid.uuid4(), grade=Grade.INTENT,
    tier=Tier.STRATEGIC, industry="manufacturing", region="east", size=Size.LARGE,
    source=Source.TRADE_SHOW, annual_purchase=Decimal("1250000.5"), currency="USD",
    first_contact_date=date(2026, 3, 1),
    last_followup_at=datetime(2026, 11, 2, 8, 30, 15, 123456, tzinfo=UTC),
    next_followup_at=datetime(2026, 12, 1, tzinfo=UTC), tags=["VIP", "账期客户"],
    id_card_number="11010519491231002X",
    contacts=[Contact(id=uuid.uuid4(), name="Li", title=None, mobile="+4915112345678",
                      is_primary=False),
              Contact(id=uuid.uuid4(), name="张三", title="采购经理", mobile="13812345678",
                      landline="010-12345678", email="zhang.san@example.com",
                      is_primary=True)],
    created_at=datetime(2026, 1, 1, tzinfo=UTC))

BARE = Customer(id=uuid.uuid4(), number="C1", name="A", kind=CustomerKind.COMPANY,
                owner_id=uuid.uuid4(), owner_department_id=None)


def shown(value: Any) -> Any:
    """A JSON value as an export cell holds it."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return value


def as_time(cell: str) -> datetime | str:
    return datetime.fromisoformat(cell.replace("Z", "+00:00")) if cell else cell


def test_every_column_names_a_field_of_the_customer_the_api_shows() -> None:
    for column in COLUMNS:
        if column in CONTACT_COLUMNS:
            assert CONTACT_COLUMNS[column] in ContactOut.model_fields, column
        elif column == OWNER:
            assert "owner_id" in CustomerOut.model_fields
        else:
            assert column in CustomerOut.model_fields, column


@pytest.mark.parametrize("reveal", [False, True], ids=["masked", "revealed"])
@pytest.mark.parametrize("customer", [FULL, BARE], ids=["every-field", "bare"])
def test_each_cell_holds_what_the_api_shows(customer: Customer, reveal: bool) -> None:
    api = CustomerOut.of(customer, reveal).model_dump(mode="json")
    primary = next((x for x in api["contacts"] if x["is_primary"]), None)
    ctx = RowContext(Locale.ZH_CN, reveal, {customer.owner_id: "李经理"})
    row = dict(zip(COLUMNS, export_row(customer, ctx, []), strict=True))
    for column, cell in row.items():
        if column in CONTACT_COLUMNS:
            expected = shown(primary[CONTACT_COLUMNS[column]]) if primary else ""
        elif column == OWNER:
            expected = "李经理"
        elif column in LABELLED:
            expected = label(LABELLED[column], api[column], Locale.ZH_CN)
            assert expected != api[column], column
        else:
            expected = shown(api[column])
        if column.endswith("_at"):
            assert as_time(cell) == as_time(expected), column
        else:
            assert cell == expected, column


def test_the_masked_file_holds_no_personal_data_in_clear() -> None:
    cells = [str(c) for c in export_row(FULL, RowContext(Locale.EN, False, {}), [])]
    for secret in ("13812345678", "010-12345678", "zhang.san@example.com", "11010519491231002X"):
        assert secret not in cells
