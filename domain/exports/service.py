"""Exports of any list (customers, a segment, leads, opportunities, contracts), honouring
visibility and masking, written in the requester's language: headers and coded values as labels.

A job writes the file in chunks of rows, each committed with the export's cursor, so memory
stays flat whatever the size and a killed worker resumes where it stopped. The download
streams the chunks back one by one. Cleartext personal data only for `pii:reveal`, audited.
"""

from __future__ import annotations

import builtins
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from domain.audit.model import AuditEntry
from domain.customers.model import Customer
from domain.customers.personal import mask_email, mask_id_card, mask_phone
from domain.customers.queries import (
    CustomerFilter,
    check_custom_keys,
    filter_from_dict,
    filter_to_dict,
    resolve,
)
from domain.exports.commands import CreateExport
from domain.exports.labels import Locale, header, label
from domain.exports.model import (
    MAX_ACTIVE_PER_USER,
    XLSX_MAX_ROWS,
    Export,
    ExportFormat,
    ExportStatus,
)
from domain.exports.ports import CustomerVisibility, SegmentFilters, SheetEncoder
from domain.exports.sources import FILTERS, READ_SCOPE, ROWS, ExportObject, RowContext
from domain.fields_and_tags.model import CustomField
from domain.identity.service import principal_of
from domain.shared.authz import Actor, Principal, Scope, require
from domain.shared.errors import (
    InvalidTransition,
    PermissionDenied,
    RateLimited,
    ValidationFailed,
)
from domain.shared.events import DomainEvent
from domain.shared.paging import Page, PageRequest
from domain.shared.ports import (
    Clock,
    JobName,
    JobQueue,
    UnitOfWork,
    UnitOfWorkFactory,
    queue_stalled,
    queue_step,
)
from domain.shared.visibility import own_or_404

log = logging.getLogger("crm.exports")

ROWS_PER_CHUNK = 2000
COLUMNS = ["number", "name", "kind", "industry", "region", "grade", "tier", "annual_purchase",
           "currency", "owner", "tags", "contact", "title", "mobile", "landline", "email",
           "id_card_number", "last_followup_at", "next_followup_at", "created_at"]

# One page of a lead, opportunity or contract list as the caller of its use case sees it: the
# export reads through the same use case as the list, so the same visibility and masking hold.
ListReader = Callable[[Actor, Any, PageRequest], Awaitable[Page[Any]]]


def export_row(c: Customer, ctx: RowContext, fields: builtins.list[CustomField]) -> list[Any]:
    reveal, locale = ctx.reveal, ctx.locale

    def m(value: str | None, mask: Any) -> str:
        return "" if value is None else (value if reveal else mask(value))

    x = c.primary_contact
    return [safe(v) for v in [
        c.number, c.name, label("customer_kind", c.kind.value, locale), c.industry or "",
        c.region or "", label("customer_grade", c.grade.value, locale),
        label("customer_tier", c.tier.value, locale),
        "" if c.annual_purchase is None else f"{c.annual_purchase:.2f}",
        c.currency, ctx.name(c.owner_id), ",".join(c.tags), x.name if x else "",
        (x.title or "") if x else "", m(x.mobile if x else None, mask_phone),
        m(x.landline if x else None, mask_phone), m(x.email if x else None, mask_email),
        m(c.id_card_number, mask_id_card),
        c.last_followup_at.isoformat() if c.last_followup_at else "",
        c.next_followup_at.isoformat() if c.next_followup_at else "",
        c.created_at.isoformat() if c.created_at else "",
        *[_cell(c.custom.get(f.key)) for f in fields],
    ]]


_CONTROL = dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32)])


def safe(value: Any) -> Any:
    """A cell a spreadsheet shows, never runs: no formulas (=, +, -, @), no control characters."""
    if not isinstance(value, str):
        return value
    value = value.translate(_CONTROL)
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return "" if value is None else value


@dataclass
class ExportService:
    uow: UnitOfWorkFactory
    clock: Clock
    customers: CustomerVisibility
    catalog: SegmentFilters
    encoder: SheetEncoder
    queue: JobQueue
    readers: Mapping[ExportObject, ListReader] = field(default_factory=dict)

    async def create(self, actor: Actor, command: CreateExport) -> Export:
        kind = command.object
        p = require(actor, READ_SCOPE[kind])
        if p.user_id is None:
            raise PermissionDenied("Exports run on behalf of a user")
        if command.reveal:
            require(actor, Scope.PII_REVEAL)
        flt: CustomerFilter | None = None
        if kind == ExportObject.CUSTOMER:
            flt = (await self.catalog.segment_filter(actor, command.segment_id)
                   if command.segment_id else command.filter or CustomerFilter())
            stored = filter_to_dict(flt)
        elif command.segment_id is not None:
            raise ValidationFailed.of("segment_id", "only a customer export takes a segment")
        else:
            FILTERS[kind].parse(command.list_filter)  # refused here, not in the job
            stored = {k: v for k, v in command.list_filter.items() if v is not None}
        fmt, reveal = command.format, command.reveal
        export = Export(id=uuid.uuid4(), created_by=p.user_id, format=fmt, filter=stored,
                        reveal=reveal, object=kind.value, locale=command.locale.value)
        export.queue()
        async with self.uow() as uow:
            if flt is not None and flt.custom:
                check_custom_keys(flt.custom, [f.key for f in
                                               await uow.custom_fields.list("customer")])
            if await uow.exports.active_for(p.user_id) >= MAX_ACTIVE_PER_USER:
                raise RateLimited(f"You have {MAX_ACTIVE_PER_USER} exports waiting or running, "
                                  f"the most one user may have at once; download or wait for "
                                  "one to finish first", retry_after_seconds=10)
            await uow.exports.add(export)
            await uow.audit.record(AuditEntry.of(actor, "export.created", "export", export.id, {
                "object": [None, kind.value], "format": [None, fmt.value],
                "filter": [None, export.filter], "reveal": [None, reveal],
                "locale": [None, export.locale]}))
            await uow.commit()
        return export

    async def run_for_event(self, _uow: UnitOfWork, event: DomainEvent) -> None:
        """The reaction to a queued export: its first stretch of work goes to the job queue
        (once, however often the event is delivered)."""
        await self.kick(uuid.UUID(event.payload["export_id"]))

    async def kick(self, export_id: uuid.UUID, step: int = 0) -> None:
        await queue_step(self.queue, JobName.RUN_EXPORT, "export", export_id, step)

    async def get(self, actor: Actor, export_id: uuid.UUID) -> Export:
        """One's own export, while one may still read what it lists."""
        if actor.principal is None:
            raise PermissionDenied("Exports belong to the user who asked for them")
        async with self.uow() as uow:
            export = await own_or_404(uow.exports.get(export_id), actor.principal, "export",
                                      export_id)
        require(actor, READ_SCOPE[ExportObject(export.object)])
        return export

    async def download(self, actor: Actor, export_id: uuid.UUID
                       ) -> tuple[Export, AsyncIterator[bytes]]:
        export = await self.get(actor, export_id)
        if export.status != ExportStatus.DONE:
            raise InvalidTransition(f"The export is {export.status.value}, not ready")
        if export.reveal:  # the right to see cleartext may have been lost since
            require(actor, Scope.PII_REVEAL)
        async with self.uow() as uow:
            await uow.audit.record(AuditEntry.of(actor, "export.downloaded", "export",
                                                 export.id, {"reveal": [None, export.reveal]}))
            await uow.commit()

        async def chunks() -> AsyncIterator[bytes]:
            for seq in range(export.chunks):  # one short read per chunk: memory stays flat
                async with self.uow() as uow:
                    data = await uow.exports.chunk(export.id, seq)
                if data:
                    yield data

        return export, chunks()

    async def sweep_stale(self, idle: timedelta = timedelta(seconds=10)) -> int:
        """Re-queues stalled exports; deletes files older than a day."""
        async with self.uow() as uow:
            ids = await uow.exports.stale(self.clock.now() - idle)
            await uow.exports.expire(self.clock.now() - timedelta(days=1))
            await uow.commit()
        return await queue_stalled(self.queue, JobName.RUN_EXPORT, "export", ids)

    async def run(self, export_id: uuid.UUID, budget_seconds: float = 20.0) -> bool:
        """Writes chunks until done or the budget is spent; True when more remains. A chunk
        starts only when one as long as the last still fits in the budget."""
        deadline = time.monotonic() + budget_seconds
        try:
            last = 0.0
            while time.monotonic() + last < deadline:
                started = time.monotonic()
                if not await self._step(export_id):
                    return False
                last = time.monotonic() - started
            return True
        except Exception as e:  # end the export rather than retry it forever
            log.exception("export %s failed", export_id)
            async with self.uow() as uow:
                export = await uow.exports.get(export_id, lock=True)
                if export is not None:
                    export.status = ExportStatus.FAILED
                    export.error = f"the export could not be written ({type(e).__name__})"
                    await uow.exports.save(export)
                    await uow.commit()
            return False

    async def _step(self, export_id: uuid.UUID) -> bool:
        now = self.clock.now()
        async with self.uow() as uow:
            export = await uow.exports.get(export_id, lock=True)
            if export is None or export.status in (ExportStatus.DONE, ExportStatus.FAILED):
                return False
            user = await uow.users.get(export.created_by)
            if user is None or not user.is_active:
                export.status, export.error = ExportStatus.FAILED, "the user is no longer active"
                await uow.exports.save(export)
                await uow.commit()
                return False
            p = principal_of(user)
            if export.reveal and Scope.PII_REVEAL not in p.scopes:
                export.reveal = False  # the right was lost since: mask after all
            export.status = ExportStatus.RUNNING
            if await self._customers_over_cap(uow, export, p):
                self._refuse_as_xlsx(export)  # counted first: refused before any row is written
            else:
                if export.object == ExportObject.CUSTOMER:
                    header_row, rows, cursor = await self._customers(uow, export, p)
                else:
                    header_row, rows, cursor = await self._records(uow, export, p)
                # other lists have no count to ask first: the cap is met as rows are written
                if (export.format == ExportFormat.XLSX
                        and export.rows_written + len(rows) > XLSX_MAX_ROWS):
                    self._refuse_as_xlsx(export)
                else:
                    data = await self._encode(uow, export, header_row, rows, cursor is None)
                    await uow.exports.add_chunk(export.id, export.chunks, data)
                    export.chunks += 1
                    export.bytes += len(data)
                    export.rows_written += len(rows)
                    export.cursor = cursor
                    if cursor is None:
                        export.status, export.finished_at = ExportStatus.DONE, now
            await uow.exports.save(export)
            await uow.commit()
            return export.status == ExportStatus.RUNNING

    @staticmethod
    def _refuse_as_xlsx(export: Export) -> None:
        export.status = ExportStatus.FAILED
        export.error = f"more than {XLSX_MAX_ROWS} rows: export as CSV instead"

    async def _customers_over_cap(self, uow: UnitOfWork, export: Export, p: Principal
                                  ) -> bool:
        """Whether a customer XLSX would pass the cap, asked once before its first chunk."""
        if (export.format != ExportFormat.XLSX or export.chunks != 0
                or export.object != ExportObject.CUSTOMER):
            return False
        flt = resolve(filter_from_dict(export.filter), self.clock.now())
        vis = await self.customers.visibility(uow, p)
        return await uow.customers.count(flt, vis) > XLSX_MAX_ROWS

    def _page(self, export: Export) -> PageRequest:
        return PageRequest(limit=ROWS_PER_CHUNK, cursor=export.cursor, max_limit=ROWS_PER_CHUNK)

    async def _customers(self, uow: UnitOfWork, export: Export, p: Principal
                         ) -> tuple[builtins.list[str], builtins.list[builtins.list[Any]],
                                    str | None]:
        """The next chunk of a customer export: its header, rows and the cursor after them."""
        locale = Locale(export.locale)
        vis = await self.customers.visibility(uow, p)
        flt = resolve(filter_from_dict(export.filter), self.clock.now())
        fields = [f for f in await uow.custom_fields.list("customer") if f.active]
        header_row = [*(header("customer", c, locale) for c in COLUMNS),
                      *(f.label for f in fields)]
        page = await uow.customers.list(flt, vis, self._page(export))
        ctx = RowContext(locale, export.reveal,
                         await self._names(uow, [c.owner_id for c in page.items], []))
        return header_row, [export_row(c, ctx, fields) for c in page.items], page.next_cursor

    async def _records(self, uow: UnitOfWork, export: Export, p: Principal
                       ) -> tuple[builtins.list[str], builtins.list[builtins.list[Any]],
                                  str | None]:
        """The next chunk of a lead, opportunity or contract export, read through the list's
        use case as the user who asked for it."""
        kind, locale = ExportObject(export.object), Locale(export.locale)
        source = ROWS[kind]
        page = await self.readers[kind](Actor(p), FILTERS[kind].parse(export.filter),
                                        self._page(export))
        names = await self._names(uow, [u for r in page.items for u in source.users(r)],
                                  [x for r in page.items for x in source.pipelines(r)])
        ctx = RowContext(locale, export.reveal, names)
        return ([header(kind.value, c, locale) for c in source.columns],
                [[safe(v) for v in source.row(r, ctx)] for r in page.items], page.next_cursor)

    async def _names(self, uow: UnitOfWork, users: builtins.list[uuid.UUID | None],
                     pipelines: builtins.list[uuid.UUID]) -> dict[uuid.UUID, str]:
        """The names a chunk shows instead of ids: its owners' and its stages' (a chunk has a
        few distinct ones, read once each)."""
        names: dict[uuid.UUID, str] = {}
        for user_id in {u for u in users if u is not None}:
            user = await uow.users.get(user_id)
            names[user_id] = user.name if user else ""
        for pipeline_id in set(pipelines):
            pipeline = await uow.pipelines.get(pipeline_id)
            for stage in pipeline.stages if pipeline else []:
                names[stage.id] = stage.name
        return names

    async def _encode(self, uow: UnitOfWork, export: Export, header_row: builtins.list[str],
                      rows: builtins.list[builtins.list[Any]], last: bool) -> bytes:
        """The next chunk of the file: the header goes in the first, and the last of an XLSX
        closes the workbook, whose end records what was written before (read back here)."""
        first = export.chunks == 0
        if export.format != ExportFormat.XLSX:
            data = self.encoder.csv([header_row, *rows] if first else rows)
            return "\ufeff".encode() + data if first else data  # Excel reads UTF-8 with a BOM
        data = self.encoder.xlsx_head(header_row) if first else b""
        data += self.encoder.xlsx_rows(rows, first_row=export.rows_written + 2)
        if last:
            tally = self.encoder.xlsx_tally()
            for seq in range(export.chunks):  # one chunk in memory at a time
                written = await uow.exports.chunk(export.id, seq)
                if written is None:
                    raise LookupError(f"chunk {seq} of export {export.id} is missing")
                tally.feed(written)
            tally.feed(data)
            data += tally.tail()
        return data
