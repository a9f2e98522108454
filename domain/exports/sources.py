"""What an export of leads, opportunities or contracts reads: the filter it may be given (the
list's own filters, each key checked by name), the columns it writes and how a record becomes a
row of labels. Customers have their own richer filter language (domain/customers/queries.py)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from domain.contracts.model import Contract, ContractStatus
from domain.contracts.queries import ContractFilter
from domain.customers.personal import mask_email, mask_phone
from domain.customers.values import Source
from domain.exports.labels import Locale, label
from domain.leads.model import Lead, LeadGrade, LeadStatus
from domain.leads.queries import LeadFilter
from domain.pipeline.model import Opportunity, OpportunityStatus
from domain.pipeline.queries import OpportunityFilter
from domain.shared.authz import Scope
from domain.shared.errors import ValidationFailed


class ExportObject(StrEnum):
    CUSTOMER = "customer"
    LEAD = "lead"
    OPPORTUNITY = "opportunity"
    CONTRACT = "contract"


MAX_TEXT = 100  # as the lists' own text filters


# ---- the filter values, each parsed from its stored (JSON) form --------------------------------

def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
        raise ValueError(f"must be a text of 1 to {MAX_TEXT} characters")
    return value.strip()


def _id(value: Any) -> uuid.UUID:
    return uuid.UUID(str(value))


def _time(value: Any) -> datetime:
    parsed = datetime.fromisoformat(str(value))
    if parsed.tzinfo is None:
        raise ValueError("must have a time zone")
    return parsed


def _day(value: Any) -> date:
    return date.fromisoformat(str(value))


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def _one_of(enum: type[StrEnum]) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        return enum(value).value
    return parse


@dataclass(frozen=True)
class FilterSpec:
    """The keys a stored filter of one kind of record may hold, and the list filter it means."""

    keys: Mapping[str, Callable[[Any], Any]]
    build: Callable[..., Any]

    def parse(self, raw: Any, where: str = "filter") -> Any:
        """The list filter of a stored or posted one, naming the key that is wrong."""
        if not isinstance(raw, dict):
            raise ValidationFailed.of(where, "must be an object")
        values: dict[str, Any] = {}
        for key, value in raw.items():
            parse = self.keys.get(key)
            if parse is None:
                raise ValidationFailed.of(f"{where}.{str(key)[:MAX_TEXT]}",
                                          f"is not a filter; the filters are "
                                          f"{', '.join(sorted(self.keys))}")
            if value is None:
                continue
            try:
                values[key] = parse(value)
            except (ValueError, TypeError) as e:
                raise ValidationFailed.of(f"{where}.{key}", f"is not valid ({e})") from None
        return self.build(**values)


FILTERS: dict[ExportObject, FilterSpec] = {
    ExportObject.LEAD: FilterSpec({
        "status": _one_of(LeadStatus), "open_only": _flag, "grade": _one_of(LeadGrade),
        "source": _one_of(Source), "campaign": _text, "owner_id": _id, "department_id": _id,
        "customer_id": _id, "q": _text, "created_from": _time, "created_to": _time,
    }, LeadFilter),
    ExportObject.OPPORTUNITY: FilterSpec({
        "pipeline_id": _id, "stage_id": _id, "status": _one_of(OpportunityStatus),
        "owner_id": _id, "department_id": _id, "customer_id": _id, "close_from": _day,
        "close_to": _day,
    }, OpportunityFilter),
    ExportObject.CONTRACT: FilterSpec({
        "status": lambda v: ContractStatus(v), "customer_id": _id, "owner_id": _id,
        "opportunity_id": _id, "q": _text,
    }, ContractFilter),
}

READ_SCOPE = {
    ExportObject.CUSTOMER: Scope.CUSTOMERS_READ, ExportObject.LEAD: Scope.LEADS_READ,
    ExportObject.OPPORTUNITY: Scope.OPPORTUNITIES_READ,
    ExportObject.CONTRACT: Scope.CONTRACTS_READ,
}


# ---- rows --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RowContext:
    """What a row needs besides its record: the language, whether personal data is shown in
    clear, and the names of the people and stages the records point at."""

    locale: Locale
    reveal: bool
    names: Mapping[uuid.UUID, str]

    def name(self, ref: uuid.UUID | None) -> str:
        return "" if ref is None else self.names.get(ref, "")


def _money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _when(value: datetime | date | None) -> str:
    return "" if value is None else value.isoformat()


def lead_row(lead: Lead, ctx: RowContext) -> list[Any]:
    def personal(value: str | None, mask: Callable[[str], str]) -> str:
        return "" if value is None else (value if ctx.reveal else mask(value))

    return [
        lead.number, lead.name or "", lead.company or "", lead.title or "",
        personal(lead.phone, mask_phone), personal(lead.email, mask_email),
        lead.industry or "", lead.region or "",
        label("size", lead.company_size.value if lead.company_size else None, ctx.locale),
        _money(lead.budget), lead.currency, label("source", lead.source.value, ctx.locale),
        lead.campaign or "", label("lead_status", lead.status.value, ctx.locale), lead.score,
        label("lead_grade", lead.grade.value, ctx.locale), ctx.name(lead.owner_id),
        _when(lead.next_followup_at), _when(lead.created_at),
    ]


def opportunity_row(o: Opportunity, ctx: RowContext) -> list[Any]:
    return [
        o.number, o.name, ctx.name(o.stage_id),
        label("opportunity_status", o.status.value, ctx.locale), o.probability,
        _money(o.amount), o.currency, _when(o.expected_close_date), ctx.name(o.owner_id),
        o.lost_reason or "", _when(o.created_at),
    ]


def contract_row(c: Contract, ctx: RowContext) -> list[Any]:
    return [
        c.number, c.title, c.customer_name, label("contract_status", c.status.value, ctx.locale),
        _money(c.amount), c.currency, _when(c.start_date), _when(c.end_date),
        c.payment_terms or "", ctx.name(c.owner_id), _when(c.signed_at), _when(c.created_at),
    ]


@dataclass(frozen=True)
class RowSource:
    columns: tuple[str, ...]  # keys of labels.HEADERS[object]
    row: Callable[[Any, RowContext], list[Any]]
    users: Callable[[Any], list[uuid.UUID | None]]  # whose names the row shows
    pipelines: Callable[[Any], list[uuid.UUID]] = lambda _: []  # whose stage names it shows


ROWS: dict[ExportObject, RowSource] = {
    ExportObject.LEAD: RowSource(
        ("number", "name", "company", "title", "phone", "email", "industry", "region",
         "company_size", "budget", "currency", "source", "campaign", "status", "score", "grade",
         "owner", "next_followup_at", "created_at"),
        lead_row, lambda lead: [lead.owner_id]),
    ExportObject.OPPORTUNITY: RowSource(
        ("number", "name", "stage", "status", "probability", "amount", "currency",
         "expected_close_date", "owner", "lost_reason", "created_at"),
        opportunity_row, lambda o: [o.owner_id], lambda o: [o.pipeline_id]),
    ExportObject.CONTRACT: RowSource(
        ("number", "title", "customer", "status", "amount", "currency", "start_date",
         "end_date", "payment_terms", "owner", "signed_at", "created_at"),
        contract_row, lambda c: [c.owner_id]),
}
