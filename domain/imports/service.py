"""Bulk import of customers (or leads) from CSV/XLSX: the upload, its progress, and the job
that works through it in resumable chunks.

The file is parsed once into staged rows. Each chunk of rows is handed to the row writer of
the import's target (customer_rows.py, lead_rows.py) and committed together with the import's
progress: a worker killed half way resumes at the last committed row and never leaves a chunk
half-applied.
"""

from __future__ import annotations

import asyncio
import builtins
import hashlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from itertools import islice

from domain.audit.model import AuditEntry
from domain.identity.service import principal_of
from domain.imports.commands import CreateImport
from domain.imports.customer_rows import CustomerRows, Row, RowError
from domain.imports.lead_rows import LeadRows
from domain.imports.model import (
    Import,
    ImportStatus,
    Target,
    check_mapping,
    guess_mapping,
)
from domain.imports.ports import CustomerRules, LeadCapture, TableReader
from domain.shared.authz import Actor, Scope, require
from domain.shared.errors import PermissionDenied, ValidationFailed
from domain.shared.events import DomainEvent
from domain.shared.ports import (
    Clock,
    JobName,
    JobQueue,
    UnitOfWork,
    UnitOfWorkFactory,
    queue_stalled,
    queue_step,
)
from domain.shared.text import Text, current_locale, speaking, text
from domain.shared.visibility import own_or_404

log = logging.getLogger("crm.imports")

FORMATS = {"csv": "csv", "xlsx": "xlsx"}
# Rows parsed and staged per batch: a few hundred milliseconds of inserts on a busy machine.
STAGE_BATCH = 2000
MIN_CHUNK = 250


class Staging(StrEnum):
    STAGED = "staged"  # every row staged: on to the chunks
    LATER = "later"  # the stretch ran out of time: the next goes on
    STOP = "stop"  # nothing (more) to do: gone, finished or failed


async def parsed_in_thread(rows: Iterator[Row]) -> AsyncIterator[builtins.list[Row]]:
    """The parser's rows in batches, each batch parsed in a worker thread."""
    while batch := await asyncio.to_thread(lambda: builtins.list(islice(rows, STAGE_BATCH))):
        yield batch


@dataclass
class ImportService:
    uow: UnitOfWorkFactory
    clock: Clock
    customers: CustomerRules
    reader: TableReader
    queue: JobQueue
    leads: LeadCapture | None = None
    chunk_size: int = 2000

    # ---- requests ---------------------------------------------------------------------------

    async def create(self, actor: Actor, command: CreateImport) -> Import:
        p = require(actor, Scope.LEADS_WRITE if command.target == Target.LEADS
                    else Scope.CUSTOMERS_WRITE)
        if p.user_id is None:
            raise PermissionDenied("import.users_only")
        filename, content = command.filename, command.content
        fmt = FORMATS.get(filename.rsplit(".", 1)[-1].lower()) if "." in filename else None
        if fmt is None:
            raise ValidationFailed.of("file", "import.file_format")
        if not content:
            raise ValidationFailed.of("file", "import.file_empty")
        imp = Import(id=uuid.uuid4(), created_by=p.user_id, filename=filename[:200], format=fmt,
                     sha256=hashlib.sha256(content).hexdigest(), policy=command.policy,
                     dry_run=command.dry_run, encoding=command.encoding,
                     mapping=dict(command.mapping or {}), target=command.target,
                     locale=current_locale())
        imp.queue()
        async with self.uow() as uow:
            await uow.imports.add(imp, content)
            await uow.audit.record(AuditEntry.of(actor, "import.created", "import", imp.id, {
                "filename": [None, imp.filename], "policy": [None, imp.policy.value],
                "dry_run": [None, imp.dry_run], "bytes": [None, len(content)]}))
            await uow.commit()
        return imp

    async def run_for_event(self, _uow: UnitOfWork, event: DomainEvent) -> None:
        """The reaction to a queued import: its first stretch of work goes to the job queue
        (once per queuing, however often the event is delivered)."""
        await self.kick(uuid.UUID(event.payload["import_id"]), f"v{event.payload['version']}")

    async def kick(self, import_id: uuid.UUID, stretch: int | str) -> None:
        await queue_step(self.queue, JobName.RUN_IMPORT, "import", import_id, stretch)

    async def get(self, actor: Actor, import_id: uuid.UUID) -> Import:
        p = require(actor, Scope.CUSTOMERS_WRITE)
        async with self.uow() as uow:
            return await own_or_404(uow.imports.get(import_id), p, "import", import_id)

    async def start(self, actor: Actor, import_id: uuid.UUID) -> Import:
        await self.get(actor, import_id)
        async with self.uow() as uow:
            imp = await uow.imports.get(import_id, lock=True)
            assert imp is not None
            imp.start_for_real()
            await uow.imports.reset(import_id)
            await uow.imports.save(imp)
            await uow.audit.record(AuditEntry.of(actor, "import.started", "import", imp.id))
            await uow.commit()
        return imp

    async def error_rows(self, actor: Actor, import_id: uuid.UUID) -> builtins.list[RowError]:
        """(row number, file column, reason, outcome) of each row rejected or skipped."""
        await self.get(actor, import_id)
        async with self.uow() as uow:
            return [e async for e in uow.imports.errors(import_id)]

    # ---- the job ----------------------------------------------------------------------------

    async def run(self, import_id: uuid.UUID, budget_seconds: float = 20.0) -> bool:
        """Works until done or the budget is spent; True when more work remains. A chunk
        starts only when one as long as the last still fits in the budget, so a stretch ends
        within its budget however slow the machine is (the job's timeout is twice that)."""
        deadline = time.monotonic() + budget_seconds
        try:
            staging = await self._stage(import_id, deadline)
            if staging != Staging.STAGED:
                return staging == Staging.LATER
            size = self.chunk_size
            while time.monotonic() < deadline:
                started = time.monotonic()
                if not await self._chunk(import_id, size):
                    return False
                took = time.monotonic() - started
                # A chunk cancelled by the job's timeout is lost work: on a slow machine,
                # smaller chunks, and none begun that would end past the stretch's budget.
                # A moment of load must not leave the rest of the stretch in small chunks,
                # each paying its fixed statements and commit: quick ones grow back.
                if took > budget_seconds / 4:
                    size = max(MIN_CHUNK, size // 2)
                elif took < budget_seconds / 8:
                    size = min(self.chunk_size, size * 2)
                if time.monotonic() + took > deadline:
                    return True
            return True
        except Exception as e:  # a file we cannot read must end the import, not loop it
            log.exception("import %s failed", import_id)
            await self._fail(import_id, text("import.unreadable", reason=type(e).__name__))
            return False

    async def sweep_stale(self, idle: timedelta = timedelta(seconds=10)) -> int:
        """Re-queues stalled imports; forgets the files of dry runs nobody started in a day."""
        async with self.uow() as uow:
            ids = await uow.imports.stale(self.clock.now() - idle)
            await uow.imports.purge_previews(self.clock.now() - timedelta(days=1))
            await uow.commit()
        return await queue_stalled(self.queue, JobName.RUN_IMPORT, "import", ids)

    async def _fail(self, import_id: uuid.UUID, reason: Text) -> None:
        async with self.uow() as uow:
            imp = await uow.imports.get(import_id, lock=True)
            if imp is not None:
                imp.fail(reason, self.clock.now())
                await uow.imports.save(imp)
                await uow.imports.purge_content(import_id)
                await uow.commit()

    async def _stage(self, import_id: uuid.UUID, deadline: float) -> Staging:
        """Parses the file (in threads) and stages its rows, a batch per transaction, so that
        no transaction outlasts a short job timeout; a stretch out of time leaves the rest to
        the next, which parses again and skips the rows already staged."""
        async with self.uow() as uow:
            imp = await uow.imports.get(import_id)
            if imp is None or imp.status in (ImportStatus.DONE, ImportStatus.PREVIEWED,
                                             ImportStatus.FAILED):
                return Staging.STOP
            if imp.status == ImportStatus.RUNNING:
                return Staging.STAGED
            content = await uow.imports.content(import_id)
            defs = await uow.custom_fields.list("customer")
        try:
            # Parsing is CPU work: in threads, so that the event loop (the API's too, inside
            # `crm serve`) keeps answering meanwhile.
            headers, rows, used = await asyncio.to_thread(self.reader, content, imp.format,
                                                          imp.encoding)
            mapping = imp.mapping or guess_mapping(headers, {d.key: d.label for d in defs})
            check_mapping(mapping, headers, {d.key for d in defs})
            staged_some = False
            async for batch in parsed_in_thread(rows):
                if staged_some and time.monotonic() >= deadline:  # each stretch stages some
                    return Staging.LATER
                staged = await self._stage_batch(import_id, batch)
                if staged is None:
                    return Staging.STOP
                staged_some = staged_some or staged > 0
        except ValidationFailed as e:
            await self._fail(import_id, e.text)
            return Staging.STOP
        async with self.uow() as uow:
            imp = await uow.imports.get(import_id, lock=True)
            if imp is None or imp.status != ImportStatus.PENDING:
                return Staging.STAGED if imp and imp.status == ImportStatus.RUNNING \
                    else Staging.STOP
            if imp.next_row == 0:  # a file of no rows: nor any a dry run staged
                await uow.imports.unstage(import_id)
                imp.rows_total = 0
            imp.mapping, imp.encoding = mapping, used
            imp.status, imp.next_row = ImportStatus.RUNNING, 0
            await uow.imports.save(imp)
            await uow.commit()
            return Staging.STAGED

    async def _stage_batch(self, import_id: uuid.UUID, batch: builtins.list[Row]
                           ) -> int | None:
        """Stages the rows of the batch not staged yet (by an earlier stretch, or a second
        worker at it at once) and answers how many; None when the import is no longer
        pending. While pending, `next_row` is the last row staged."""
        async with self.uow() as uow:
            imp = await uow.imports.get(import_id, lock=True)
            if imp is None or imp.status != ImportStatus.PENDING:
                return None
            if imp.next_row == 0:  # a first stretch: rows a dry run staged go
                await uow.imports.unstage(import_id)
                imp.rows_total = 0
            fresh = [row for row in batch if row[0] > imp.next_row]
            if fresh:
                await uow.imports.stage(import_id, fresh)
                imp.rows_total += len(fresh)
                imp.next_row = fresh[-1][0]
                await uow.imports.save(imp)
            await uow.commit()
            return len(fresh)

    async def _chunk(self, import_id: uuid.UUID, size: int) -> bool:
        now = self.clock.now()
        async with self.uow() as uow:
            imp = await uow.imports.take(import_id)
            if imp is None or imp.status != ImportStatus.RUNNING:
                return False
            user = await uow.users.get(imp.created_by)
            if user is None or not user.is_active:
                imp.fail(text("import.requester_inactive"), now)
                await uow.imports.save(imp)
                await uow.commit()
                return False
            actor = Actor(principal_of(user), request_id=f"import:{import_id}")
            rows = await uow.imports.rows(import_id, imp.next_row, size)
            if not rows:
                imp.finish(now)
                await uow.imports.save(imp)
                if not imp.dry_run:  # the file holds personal data in clear: keep it no longer
                    await uow.imports.purge_content(import_id)
                await uow.audit.record(AuditEntry.of(actor, "import.finished", "import", imp.id, {
                    "created": [None, imp.created], "updated": [None, imp.updated],
                    "merged": [None, imp.merged], "skipped": [None, imp.skipped],
                    "rejected": [None, imp.rejected]}))
                await uow.commit()
                return False
            with speaking(imp.locale):  # row reasons are stored as words, in the reader's
                await self._writer(imp.target).write(uow, imp, actor, rows)
            imp.next_row = rows[-1][0]
            await uow.imports.save(imp)
            await uow.commit()
            return True

    def _writer(self, target: Target) -> CustomerRows | LeadRows:
        if target == Target.LEADS:
            assert self.leads is not None, "lead imports need the leads feature"
            return LeadRows(self.leads, self.clock)
        return CustomerRows(self.customers, self.clock)
