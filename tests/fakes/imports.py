"""In-memory fakes of the imports ports (the import repository, the table reader) and of the
leads feature's capture as an import sees it; `ImportWorld` wires the import service to them
and to the bulk stand-ins (tests/fakes/bulk.py)."""

from __future__ import annotations

import copy
import csv
import io
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from domain.customers.model import Source
from domain.identity.model import Department, User
from domain.imports.commands import CreateImport
from domain.imports.model import Import, ImportStatus
from domain.imports.service import ImportService
from domain.leads.commands import CaptureLead
from domain.leads.model import Lead
from domain.shared.authz import Actor, Role
from domain.shared.errors import ValidationFailed
from domain.shared.ports import UnitOfWork
from tests.fakes.bulk import BulkUowFactory, FakeCustomerRules, FakeQueue
from tests.fakes.identity import actor_of, stored_user
from tests.fakes.shared import FakeClock, FakeUnitOfWork, Store, repository


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

    async def take(self, import_id: uuid.UUID) -> Import | None:
        return await self.get(import_id, lock=True)

    async def add(self, imp: Import, content: bytes) -> None:
        imp.created_at = imp.updated_at = self.uow.clock.now()  # type: ignore[attr-defined]
        self.records[imp.id] = copy.deepcopy(imp)
        self.files[imp.id] = ImportRows(content)
        self.uow.seen.append(imp)

    async def save(self, imp: Import) -> None:
        imp.updated_at = self.uow.clock.now()  # type: ignore[attr-defined]
        self.records[imp.id] = copy.deepcopy(imp)
        self.uow.seen.append(imp)

    async def content(self, import_id: uuid.UUID) -> bytes:
        content = self.files[import_id].content
        assert content is not None, "the file was purged"
        return content

    async def stage(self, import_id: uuid.UUID,
                    rows: Sequence[tuple[int, dict[str, str]]]) -> None:
        self.files[import_id].staged += rows

    async def unstage(self, import_id: uuid.UUID) -> None:
        self.files[import_id].staged = []

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


class FakeLeadCapture:
    """The leads feature's capture, as far as an import sees it: the lead is made from the
    fields given (refusing what the Lead refuses, e.g. a budget that is not money) and kept
    with the owner or routing asked for."""

    def __init__(self) -> None:
        self.captured: list[tuple[Lead, CaptureLead]] = []

    async def capture_in(self, uow: UnitOfWork, actor: Actor, command: CaptureLead) -> Lead:
        lead = Lead.capture(number=f"L{len(self.captured) + 1}", source=Source(command.source),
                            now=datetime(2026, 11, 1, tzinfo=UTC), created_by=actor.principal.id
                            if actor.principal else None, **command.lead_fields())
        self.captured.append((lead, command))
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
