"""Exports of any customer list or segment, honouring visibility and masking.

A job writes the file in chunks of rows, each committed with the export's cursor, so memory
stays flat whatever the size and a killed worker resumes where it stopped. The download
streams the chunks back one by one. Cleartext personal data only for `pii:reveal`, audited.
"""

from __future__ import annotations

import builtins
import logging
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
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
from domain.exports.model import (
    MAX_ACTIVE_PER_USER,
    XLSX_MAX_ROWS,
    Export,
    ExportFormat,
    ExportStatus,
)
from domain.exports.ports import CustomerVisibility, SegmentFilters, SheetEncoder
from domain.fields_and_tags.model import CustomField
from domain.identity.service import principal_of
from domain.shared.authz import Actor, Scope, require
from domain.shared.errors import InvalidTransition, PermissionDenied, RateLimited
from domain.shared.events import DomainEvent
from domain.shared.paging import PageRequest
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
           "currency", "owner_id", "tags", "contact", "title", "mobile", "landline", "email",
           "id_card_number", "last_followup_at", "next_followup_at", "created_at"]


def export_row(c: Customer, reveal: bool, fields: builtins.list[CustomField]) -> list[Any]:
    def m(value: str | None, mask: Any) -> str:
        return "" if value is None else (value if reveal else mask(value))

    x = c.primary_contact
    return [safe(v) for v in [
        c.number, c.name, c.kind.value, c.industry or "", c.region or "", c.grade.value,
        c.tier.value, "" if c.annual_purchase is None else f"{c.annual_purchase:.2f}",
        c.currency, str(c.owner_id), ",".join(c.tags), x.name if x else "",
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

    async def create(self, actor: Actor, command: CreateExport) -> Export:
        p = require(actor, Scope.CUSTOMERS_READ)
        if p.user_id is None:
            raise PermissionDenied("Exports run on behalf of a user")
        if command.reveal:
            require(actor, Scope.PII_REVEAL)
        flt = (await self.catalog.segment_filter(actor, command.segment_id) if command.segment_id
               else command.filter or CustomerFilter())
        fmt, reveal = command.format, command.reveal
        export = Export(id=uuid.uuid4(), created_by=p.user_id, format=fmt,
                        filter=filter_to_dict(flt), reveal=reveal)
        export.queue()
        async with self.uow() as uow:
            if flt.custom:
                check_custom_keys(flt.custom, [f.key for f in
                                               await uow.custom_fields.list("customer")])
            if await uow.exports.active_for(p.user_id) >= MAX_ACTIVE_PER_USER:
                raise RateLimited(f"You have {MAX_ACTIVE_PER_USER} exports waiting or running, "
                                  f"the most one user may have at once; download or wait for "
                                  "one to finish first", retry_after_seconds=10)
            await uow.exports.add(export)
            await uow.audit.record(AuditEntry.of(actor, "export.created", "export", export.id, {
                "format": [None, fmt.value], "filter": [None, export.filter],
                "reveal": [None, reveal]}))
            await uow.commit()
        return export

    async def run_for_event(self, _uow: UnitOfWork, event: DomainEvent) -> None:
        """The reaction to a queued export: its first stretch of work goes to the job queue
        (once, however often the event is delivered)."""
        await self.kick(uuid.UUID(event.payload["export_id"]))

    async def kick(self, export_id: uuid.UUID, step: int = 0) -> None:
        await queue_step(self.queue, JobName.RUN_EXPORT, "export", export_id, step)

    async def get(self, actor: Actor, export_id: uuid.UUID) -> Export:
        p = require(actor, Scope.CUSTOMERS_READ)
        async with self.uow() as uow:
            return await own_or_404(uow.exports.get(export_id), p, "export", export_id)

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
            vis = await self.customers.visibility(uow, p)
            flt = resolve(filter_from_dict(export.filter), now)
            fields = [f for f in await uow.custom_fields.list("customer") if f.active]
            header = [*COLUMNS, *[f"custom.{f.key}" for f in fields]]
            export.status = ExportStatus.RUNNING
            if (export.format == ExportFormat.XLSX and export.chunks == 0
                    and await uow.customers.count(flt, vis) > XLSX_MAX_ROWS):
                export.status = ExportStatus.FAILED
                export.error = f"more than {XLSX_MAX_ROWS} rows: export as CSV instead"
            else:
                page = await uow.customers.list(flt, vis, PageRequest(
                    limit=ROWS_PER_CHUNK, cursor=export.cursor, max_limit=ROWS_PER_CHUNK))
                rows = [export_row(c, export.reveal, fields) for c in page.items]
                data = await self._encode(uow, export, header, rows, page.next_cursor is None)
                await uow.exports.add_chunk(export.id, export.chunks, data)
                export.chunks += 1
                export.bytes += len(data)
                export.rows_written += len(rows)
                export.cursor = page.next_cursor
                if page.next_cursor is None:
                    export.status, export.finished_at = ExportStatus.DONE, now
            await uow.exports.save(export)
            await uow.commit()
            return export.status == ExportStatus.RUNNING

    async def _encode(self, uow: UnitOfWork, export: Export, header: builtins.list[str],
                      rows: builtins.list[builtins.list[Any]], last: bool) -> bytes:
        """The next chunk of the file: the header goes in the first, and the last of an XLSX
        closes the workbook, whose end records what was written before (read back here)."""
        first = export.chunks == 0
        if export.format != ExportFormat.XLSX:
            data = self.encoder.csv([header, *rows] if first else rows)
            return "\ufeff".encode() + data if first else data  # Excel reads UTF-8 with a BOM
        data = self.encoder.xlsx_head(header) if first else b""
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
