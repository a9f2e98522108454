"""In-memory fakes of the imports ports (the import repository, the table reader, the queue)
and stand-ins for what an import writes through: the customers, their custom fields,
picklists, tags and timeline, and the leads feature's capture.

The stand-ins of other features' repositories are set on each unit of work by
`BulkUowFactory` rather than registered, so that they never take the place of those
features' own fakes; the exports fakes use them too.
"""

from __future__ import annotations

import builtins
import copy
import csv
import io
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from domain.audit.model import Actor, AuditEntry
from domain.audit.ports import AuditFilter
from domain.customers.activity import ActivityEntry
from domain.customers.model import (
    Customer,
    CustomerKind,
    Source,
    TierPolicy,
    normalised_name,
)
from domain.customers.queries import CustomerFilter, Visibility
from domain.fields_and_tags.model import CustomField, FieldType
from domain.identity.model import Department, Principal, Role, User
from domain.imports.commands import CreateImport
from domain.imports.model import Import, ImportStatus
from domain.imports.service import ImportService
from domain.leads.model import Lead
from domain.shared.errors import ValidationFailed
from domain.shared.paging import Page, PageRequest
from domain.shared.ports import JobName, QueueUnavailable, UnitOfWork
from tests.fakes.identity import actor_of, stored_user
from tests.fakes.shared import (
    FakeClock,
    FakeUnitOfWork,
    FakeUowFactory,
    Store,
    page_of,
    repository,
)

# ---- the imports feature's own ports ---------------------------------------------------------


@dataclass
class ImportRows:
    """What the store keeps of one import besides the record: the file, its staged rows,
    the duplicate keys met so far and the rows rejected or skipped."""

    content: bytes | None
    staged: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    keys: dict[str, uuid.UUID | None] = field(default_factory=dict)
    errors: list[tuple[int, str, str, str]] = field(default_factory=list)


@repository("imports")
class FakeImports:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow
        self.records: dict[uuid.UUID, Import] = uow.state.table("imports")
        self.files: dict[uuid.UUID, ImportRows] = uow.state.table("import_rows")

    async def get(self, import_id: uuid.UUID, lock: bool = False) -> Import | None:
        found = self.records.get(import_id)
        return copy.deepcopy(found) if found else None

    async def add(self, imp: Import, content: bytes) -> None:
        imp.created_at = imp.updated_at = self.uow.clock.now()  # type: ignore[attr-defined]
        self.records[imp.id] = copy.deepcopy(imp)
        self.files[imp.id] = ImportRows(content)

    async def save(self, imp: Import) -> None:
        imp.updated_at = self.uow.clock.now()  # type: ignore[attr-defined]
        self.records[imp.id] = copy.deepcopy(imp)

    async def content(self, import_id: uuid.UUID) -> bytes:
        content = self.files[import_id].content
        assert content is not None, "the file was purged"
        return content

    async def stage(self, import_id: uuid.UUID,
                    rows: Iterable[tuple[int, dict[str, str]]]) -> int:
        self.files[import_id].staged = list(rows)
        return len(self.files[import_id].staged)

    async def rows(self, import_id: uuid.UUID, after: int, limit: int
                   ) -> list[tuple[int, dict[str, str]]]:
        return [r for r in self.files[import_id].staged if r[0] > after][:limit]

    async def add_errors(self, import_id: uuid.UUID,
                         errors: Sequence[tuple[int, str, str, str]]) -> None:
        self.files[import_id].errors += errors

    async def errors(self, import_id: uuid.UUID) -> AsyncIterator[tuple[int, str, str, str]]:
        for e in sorted(self.files[import_id].errors):
            yield e

    async def seen_keys(self, import_id: uuid.UUID, keys: Sequence[str]
                        ) -> dict[str, uuid.UUID | None]:
        known = self.files[import_id].keys
        return {k: known[k] for k in keys if k in known}

    async def remember_keys(self, import_id: uuid.UUID,
                            keys: Sequence[tuple[str, uuid.UUID | None]]) -> None:
        for k, customer_id in keys:
            self.files[import_id].keys.setdefault(k, customer_id)

    async def reset(self, import_id: uuid.UUID) -> None:
        self.files[import_id].keys.clear()
        self.files[import_id].errors.clear()

    async def stale(self, older_than: datetime) -> list[uuid.UUID]:
        return [i.id for i in self.records.values()
                if i.status in (ImportStatus.PENDING, ImportStatus.RUNNING)
                and i.updated_at is not None and i.updated_at < older_than]

    async def purge_content(self, import_id: uuid.UUID) -> None:
        self.files[import_id].content = None
        self.files[import_id].staged = []

    async def purge_previews(self, older_than: datetime) -> int:
        expired = [i for i in self.records.values() if i.status == ImportStatus.PREVIEWED
                   and i.finished_at is not None and i.finished_at < older_than]
        for imp in expired:
            imp.status, imp.error = ImportStatus.FAILED, "the preview expired"
            await self.purge_content(imp.id)
        return len(expired)


def read_csv(content: bytes, fmt: str, encoding: str | None
             ) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]], str | None]:
    """A TableReader for UTF-8 CSV: the first row is the header, blank rows are passed over,
    rows are numbered as a spreadsheet shows them."""
    if fmt != "csv":
        raise ValidationFailed.of("file", "the fake reads CSV only")
    lines = list(csv.reader(io.StringIO(content.decode(encoding or "utf-8"))))
    headers = lines[0]
    rows = ((n, dict(zip(headers, line, strict=False)))
            for n, line in enumerate(lines[1:], start=2) if any(c.strip() for c in line))
    return headers, rows, encoding or "utf-8"


def csv_file(*rows: Sequence[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


class FakeQueue:
    """Remembers what was queued (each job id once, as arq does); `down` refuses all."""

    def __init__(self) -> None:
        self.jobs: dict[str, tuple[JobName, tuple[Any, ...]]] = {}
        self.down = False

    async def enqueue(self, job: JobName, *args: Any, job_id: str) -> None:
        if self.down:
            raise QueueUnavailable()
        self.jobs.setdefault(job_id, (job, args))

    async def enqueue_many(self, job: JobName,
                           jobs: Sequence[tuple[tuple[Any, ...], str]]) -> None:
        for args, job_id in jobs:
            await self.enqueue(job, *args, job_id=job_id)


# ---- stand-ins for the features an import or export goes through -------------------------------

INDUSTRIES = {"manufacturing": "manufacturing", "制造业": "manufacturing",
              "retail": "retail", "零售": "retail"}
REGIONS = {"east": "east", "华东": "east", "north": "north", "华北": "north"}


# a customer carrying a duplicate key: (id, owner_id, owner_department_id)
Holder = tuple[uuid.UUID, uuid.UUID, uuid.UUID | None]


class CustomersStandIn:
    """The customer repository as the bulk use cases use it. Duplicate keys are the phone
    numbers and the normalised name (the real one blind-indexes the phones)."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow
        self.rows: dict[uuid.UUID, Customer] = uow.state.table("customers")

    def _visible(self, flt: CustomerFilter, vis: Visibility) -> builtins.list[Customer]:
        return [c for c in self.rows.values()
                if c.deleted_at is None and vis.allows(c.owner_id, c.owner_department_id)
                and flt.industry in (None, c.industry) and flt.region in (None, c.region)
                and (not flt.tags_any or set(flt.tags_any) & set(c.tags))]

    async def get(self, customer_id: uuid.UUID, visibility: Visibility, *,
                  include_deleted: bool = False, lock: bool = False) -> Customer | None:
        found = self.rows.get(customer_id)
        if found is None or not visibility.allows(found.owner_id, found.owner_department_id):
            return None
        return copy.deepcopy(found)

    async def exists(self, customer_id: uuid.UUID) -> bool:
        return customer_id in self.rows

    async def save(self, customer: Customer) -> None:
        self.rows[customer.id] = copy.deepcopy(customer)
        self.uow.seen.append(customer)

    async def list(self, flt: CustomerFilter, visibility: Visibility,
                   page: PageRequest) -> Page[Customer]:
        return page_of(self._visible(flt, visibility), page, lambda c: c.number)

    async def count(self, flt: CustomerFilter, visibility: Visibility) -> int:
        return len(self._visible(flt, visibility))

    async def next_sequences(self, n: int) -> builtins.list[int]:
        start = len(self.rows) + 1
        return builtins.list(range(start, start + n))

    async def add_many(self, customers: Sequence[Customer]) -> None:
        for c in customers:
            c.events.clear()  # the import emits one event of its own, not one per row
            self.rows[c.id] = copy.deepcopy(c)

    def match_keys(self, customer: Customer) -> builtins.list[str]:
        keys = [f"phone:{n}" for x in customer.contacts for n in (x.mobile, x.landline) if n]
        return [*dict.fromkeys(keys), f"name:{normalised_name(customer.name)}"]

    async def find_by_keys(self, keys: Sequence[str]) -> dict[str, builtins.list[Holder]]:
        out: dict[str, builtins.list[Holder]] = {}
        for c in self.rows.values():
            if c.deleted_at is None:
                for k in set(self.match_keys(c)) & set(keys):
                    out.setdefault(k, []).append((c.id, c.owner_id, c.owner_department_id))
        return out


class CustomFieldsStandIn:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.rows: dict[uuid.UUID, CustomField] = uow.state.table("custom_fields")

    async def list(self, entity: str) -> list[CustomField]:
        return [f for f in self.rows.values() if f.entity == entity]


class PicklistsStandIn:
    async def labels(self, name: str) -> dict[str, str]:
        return dict(INDUSTRIES if name == "industry" else REGIONS)


class TagsStandIn:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.names: dict[str, bool] = uow.state.table("tags")

    async def ensure(self, names: Sequence[str]) -> None:
        for n in names:
            self.names[n] = True


class ActivityStandIn:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.entries: dict[int, ActivityEntry] = uow.state.table("activity")

    async def add_many(self, entries: Sequence[ActivityEntry]) -> None:
        for e in entries:
            self.entries[len(self.entries)] = e


class AuditStandIn:
    """The audit log with the bulk write an import makes (lands on commit, as the log does)."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def record(self, entry: AuditEntry) -> None:
        self.uow.pending_audit.append(entry)

    async def record_many(self, entries: Sequence[AuditEntry]) -> None:
        self.uow.pending_audit.extend(entries)

    async def list(self, flt: AuditFilter, page: PageRequest) -> Page[AuditEntry]:
        items = [e for e in self.uow.state.audit if flt.action in (None, e.action)]
        return Page(items[: page.limit], None)


class BulkUowFactory(FakeUowFactory):
    """Units of work whose records are stamped by `clock` (as the database stamps them)."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock

    def __call__(self) -> FakeUnitOfWork:
        uow = super().__call__()
        uow.clock = self.clock  # type: ignore[attr-defined]
        uow.customers = CustomersStandIn(uow)  # type: ignore[attr-defined]
        uow.custom_fields = CustomFieldsStandIn(uow)  # type: ignore[attr-defined]
        uow.picklists = PicklistsStandIn()  # type: ignore[attr-defined]
        uow.tags = TagsStandIn(uow)  # type: ignore[attr-defined]
        uow.activity = ActivityStandIn(uow)  # type: ignore[attr-defined]
        uow.audit = AuditStandIn(uow)  # type: ignore[assignment]
        return uow


def custom_field(uow: BulkUowFactory, key: str, label: str, type: FieldType = FieldType.TEXT,
                 required: bool = False) -> CustomField:
    definition = CustomField.define(entity="customer", key=key, label=label, type=type,
                                    required=required)
    uow.state.table("custom_fields")[definition.id] = definition
    return definition


def stored_customer(uow: BulkUowFactory, name: str, owner: Principal, *,
                    mobile: str | None = None, industry: str | None = None,
                    id_card_number: str | None = None, email: str | None = None,
                    tags: Sequence[str] = ()) -> Customer:
    """A customer already in the CRM (as if created earlier)."""
    rows = uow.state.table("customers")
    kind = CustomerKind.PERSON if id_card_number else CustomerKind.COMPANY
    contacts = [{"name": "张三", "title": "采购经理", "mobile": mobile, "email": email}] \
        if mobile or email else []
    c = Customer.create(number=f"C20261100{len(rows) + 1:04d}", name=name, kind=kind,
                        owner_id=owner.id, owner_department_id=owner.department_id,
                        tier_policy=TierPolicy(), created_by=owner.id, industry=industry,
                        id_card_number=id_card_number, contacts=contacts, tags=list(tags))
    c.events.clear()
    rows[c.id] = c
    return c


SEE_ALL = frozenset({Role.ADMIN, Role.EXECUTIVE, Role.FINANCE, Role.LEGAL, Role.SERVICE_AGENT})


@dataclass
class FakeCustomerRules:
    """Who sees which customers, as the customers feature decides it: everything for the
    roles that see all and for integrations, a manager its department subtree, a rep its own."""

    tier_policy: TierPolicy = field(default_factory=TierPolicy)

    async def visibility(self, uow: UnitOfWork, p: Principal) -> Visibility:
        if p.kind != "user" or p.role in SEE_ALL:
            return Visibility(everything=True)
        if p.role == Role.MANAGER and p.department_id is not None:
            return Visibility(owner_id=p.id,
                              department_ids=tuple(await uow.departments.subtree(p.department_id)))
        return Visibility(owner_id=p.id)


class FakeLeadCapture:
    """The leads feature's capture, as far as an import sees it: the lead is made from the
    fields given (refusing what the Lead refuses, e.g. a budget that is not money) and kept
    with the owner or routing asked for."""

    def __init__(self) -> None:
        self.captured: list[tuple[Lead, dict[str, Any]]] = []

    async def capture_in(self, uow: UnitOfWork, actor: Actor, data: Mapping[str, Any]) -> Lead:
        fields = {k: v for k, v in data.items() if k not in ("source", "owner_id", "auto_assign")}
        lead = Lead.capture(number=f"L{len(self.captured) + 1}", source=Source(data["source"]),
                            now=datetime(2026, 11, 1, tzinfo=UTC), created_by=actor.principal.id
                            if actor.principal else None, **fields)
        self.captured.append((lead, dict(data)))
        return lead


# ---- a small organisation with the import service wired to these fakes -----------------------

HEADER = ("客户名称", "联系人", "手机", "邮箱", "所属行业", "负责销售", "标签")


class ImportWorld:
    """An admin, a manager of the east team with a rep, a rep of the north team and a finance
    user; the import service wired to the fakes above."""

    def __init__(self, chunk_size: int = 2000) -> None:
        self.clock = FakeClock()
        self.uow = BulkUowFactory(self.clock)
        self.queue = FakeQueue()
        self.leads = FakeLeadCapture()
        self.svc = ImportService(self.uow, self.clock, FakeCustomerRules(),  # type: ignore[arg-type]
                                 read_csv, self.queue, self.leads, chunk_size=chunk_size)
        hq = Department.create("HQ", None)
        east, north = Department.create("East", hq.id), Department.create("North", hq.id)
        for d in (hq, east, north):
            self.store.departments[d.id] = d
        self.admin = stored_user(self.store, Role.ADMIN, "admin@example.com")
        self.manager = stored_user(self.store, Role.MANAGER, "manager@example.com", east.id)
        self.rep = stored_user(self.store, Role.SALES_REP, "rep@example.com", east.id)
        self.north_rep = stored_user(self.store, Role.SALES_REP, "north@example.com", north.id)
        self.finance = stored_user(self.store, Role.FINANCE, "finance@example.com")

    @property
    def store(self) -> Store:
        return self.uow.state

    async def upload(self, who: User, *rows: tuple[str, ...], header: tuple[str, ...] = HEADER,
                     filename: str = "客户名单.csv", **command: Any) -> Import:
        return await self.svc.create(actor_of(who), CreateImport(
            filename=filename, content=csv_file(header, *rows), **command))

    async def imported(self, who: User, *rows: tuple[str, ...], **command: Any) -> Import:
        """Uploaded and run to the end."""
        created = await self.upload(who, *rows, **command)
        assert await self.svc.run(created.id) is False
        return self.record(created.id)

    def record(self, import_id: uuid.UUID) -> Import:
        return self.store.table("imports")[import_id]  # type: ignore[no-any-return]

    def file(self, import_id: uuid.UUID) -> ImportRows:
        return self.store.table("import_rows")[import_id]  # type: ignore[no-any-return]

    async def errors(self, who: User, import_id: uuid.UUID) -> set[tuple[int, str, str]]:
        """(row, column, outcome) of the rows rejected or skipped."""
        return {(row, column, outcome) for row, column, _, outcome
                in await self.svc.error_rows(actor_of(who), import_id)}

    async def reasons(self, import_id: uuid.UUID) -> dict[int, str]:
        return {row: reason for row, _, reason, _
                in await self.svc.error_rows(actor_of(self.admin), import_id)}

    def customers(self) -> dict[str, Any]:
        return {c.name: c for c in self.store.table("customers").values()}

    def actor(self, who: User) -> Actor:
        return actor_of(who)
