"""Bulk import of customers from CSV/XLSX, in resumable chunks.

The file is parsed once into staged rows. Each chunk of rows is validated with the same rules
as the API, checked for duplicates (inside the file and against existing customers, by phone
blind index and normalised name), applied by the chosen policy, and committed together with
the import's progress: a worker killed half way resumes at the last committed row and never
leaves a chunk half-applied.
"""

from __future__ import annotations

import builtins
import contextlib
import hashlib
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from domain.audit.model import Actor, AuditEntry
from domain.customers.activity import ActivityEntry
from domain.customers.model import Customer, CustomerKind, customer_number
from domain.customers.model import Source as LeadSource
from domain.customers.service import CustomerService
from domain.fields_and_tags.model import validate_custom
from domain.identity.model import Principal, Role, Scope
from domain.identity.service import principal_of, require
from domain.imports.model import (
    Import,
    ImportStatus,
    Outcome,
    Policy,
    RowValues,
    Target,
    check_mapping,
    guess_mapping,
    map_row,
)
from domain.imports.ports import TableReader
from domain.leads.commands import CaptureLead
from domain.leads.model import Lead
from domain.leads.service import LeadService
from domain.shared.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from domain.shared.ports import (
    Clock,
    JobName,
    JobQueue,
    QueueUnavailable,
    UnitOfWork,
    UnitOfWorkFactory,
)

log = logging.getLogger("crm.imports")

FORMATS = {"csv": "csv", "xlsx": "xlsx"}
# (kind is not here: the mapper defaults it, and a default must not turn persons into companies)
UPDATABLE = ("industry", "region", "size", "source", "annual_purchase", "key_needs")


@dataclass
class ImportService:
    uow: UnitOfWorkFactory
    clock: Clock
    customers: CustomerService
    reader: TableReader
    queue: JobQueue
    leads: LeadService | None = None
    chunk_size: int = 2000

    # ---- requests ---------------------------------------------------------------------------

    async def create(self, actor: Actor, *, filename: str, content: bytes, policy: Policy,
                     dry_run: bool, mapping: dict[str, str] | None,
                     encoding: str | None, target: Target = Target.CUSTOMERS) -> Import:
        p = require(actor, Scope.LEADS_WRITE if target == Target.LEADS
                    else Scope.CUSTOMERS_WRITE)
        if p.user_id is None:
            raise PermissionDenied("Imports run on behalf of a user")
        fmt = FORMATS.get(filename.rsplit(".", 1)[-1].lower()) if "." in filename else None
        if fmt is None:
            raise ValidationFailed.of("file", "must be a .csv or .xlsx file")
        if not content:
            raise ValidationFailed.of("file", "is empty")
        imp = Import(id=uuid.uuid4(), created_by=p.user_id, filename=filename[:200], format=fmt,
                     sha256=hashlib.sha256(content).hexdigest(), policy=policy,
                     dry_run=dry_run, encoding=encoding, mapping=mapping or {},
                     target=target)
        async with self.uow() as uow:
            await uow.imports.add(imp, content)
            await uow.audit.record(AuditEntry.of(actor, "import.created", "import", imp.id, {
                "filename": [None, imp.filename], "policy": [None, policy.value],
                "dry_run": [None, dry_run], "bytes": [None, len(content)]}))
            await uow.commit()
        await self.kick(imp.id)
        return imp

    async def kick(self, import_id: uuid.UUID, after_row: int = 0) -> None:
        """Queues the next stretch of work. If the queue is down the stale-import sweep
        picks the import up later: the import record, not the queue, holds the state."""
        with contextlib.suppress(QueueUnavailable):
            await self.queue.enqueue(JobName.RUN_IMPORT, str(import_id),
                                     job_id=f"import:{import_id}:{after_row}")

    async def get(self, actor: Actor, import_id: uuid.UUID) -> Import:
        p = require(actor, Scope.CUSTOMERS_WRITE)
        async with self.uow() as uow:
            imp = await uow.imports.get(import_id)
        if imp is None or (imp.created_by != p.id and p.role != Role.ADMIN):
            raise NotFound("import", import_id)
        return imp

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
        await self.kick(import_id, after_row=-1)
        return imp

    async def error_rows(self, actor: Actor, import_id: uuid.UUID
                         ) -> builtins.list[tuple[int, str, str, str]]:
        await self.get(actor, import_id)
        async with self.uow() as uow:
            return [e async for e in uow.imports.errors(import_id)]

    # ---- the job ----------------------------------------------------------------------------

    async def run(self, import_id: uuid.UUID, budget_seconds: float = 20.0) -> bool:
        """Works until done or the budget is spent; True when more work remains."""
        deadline = time.monotonic() + budget_seconds
        try:
            if not await self._stage(import_id):
                return False
            while time.monotonic() < deadline:
                if not await self._chunk(import_id):
                    return False
            return True
        except Exception as e:  # a file we cannot read must end the import, not loop it
            log.exception("import %s failed", import_id)
            await self._fail(import_id, f"the file could not be processed ({type(e).__name__})")
            return False

    async def sweep_stale(self, idle: timedelta = timedelta(seconds=10)) -> int:
        """Re-queues stalled imports; forgets the files of dry runs nobody started in a day."""
        async with self.uow() as uow:
            ids = await uow.imports.stale(self.clock.now() - idle)
            await uow.imports.purge_previews(self.clock.now() - timedelta(days=1))
            await uow.commit()
        for i in ids:
            await self.kick(i, after_row=int(time.time() * 1000))
        return len(ids)

    async def _fail(self, import_id: uuid.UUID, reason: str) -> None:
        async with self.uow() as uow:
            imp = await uow.imports.get(import_id, lock=True)
            if imp is not None:
                imp.fail(reason, self.clock.now())
                await uow.imports.save(imp)
                await uow.imports.purge_content(import_id)
                await uow.commit()

    async def _stage(self, import_id: uuid.UUID) -> bool:
        try:
            async with self.uow() as uow:
                imp = await uow.imports.get(import_id, lock=True)
                if imp is None or imp.status in (ImportStatus.DONE, ImportStatus.PREVIEWED,
                                                 ImportStatus.FAILED):
                    return False
                if imp.status == ImportStatus.RUNNING:
                    return True
                defs = await uow.custom_fields.list("customer")
                headers, rows, used = self.reader(await uow.imports.content(import_id),
                                                  imp.format, imp.encoding)
                mapping = imp.mapping or guess_mapping(headers, {d.key: d.label for d in defs})
                check_mapping(mapping, headers, {d.key for d in defs})
                imp.rows_total = await uow.imports.stage(import_id, rows)
                imp.mapping, imp.encoding = mapping, used
                imp.status, imp.next_row = ImportStatus.RUNNING, 0
                await uow.imports.save(imp)
                await uow.commit()
                return True
        except ValidationFailed as e:
            await self._fail(import_id, e.detail)
            return False

    async def _chunk(self, import_id: uuid.UUID) -> bool:
        now = self.clock.now()
        async with self.uow() as uow:
            imp = await uow.imports.get(import_id, lock=True)
            if imp is None or imp.status != ImportStatus.RUNNING:
                return False
            user = await uow.users.get(imp.created_by)
            if user is None or not user.is_active:
                imp.fail("the user who started the import is no longer active", now)
                await uow.imports.save(imp)
                await uow.commit()
                return False
            actor = Actor(principal_of(user), request_id=f"import:{import_id}")
            rows = await uow.imports.rows(import_id, imp.next_row, self.chunk_size)
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
            if imp.target == Target.LEADS:
                await _LeadChunk(self, uow, imp, actor).apply(rows)
            else:
                await _Chunk(self, uow, imp, actor).apply(rows)
            imp.next_row = rows[-1][0]
            await uow.imports.save(imp)
            await uow.commit()
            return True


class _Chunk:
    """One chunk of rows inside one transaction."""

    def __init__(self, svc: ImportService, uow: UnitOfWork, imp: Import, actor: Actor) -> None:
        self.svc, self.uow, self.imp, self.actor = svc, uow, imp, actor
        assert actor.principal is not None
        self.p: Principal = actor.principal
        self.errors: builtins.list[tuple[int, str, str, str]] = []
        self.owners: dict[str, tuple[uuid.UUID, uuid.UUID | None] | ValidationFailed] = {}

    async def apply(self, rows: builtins.list[tuple[int, dict[str, str]]]
                    | Any) -> None:
        uow, imp = self.uow, self.imp
        vis = await self.svc.customers.visibility(uow, self.p)
        defs = builtins.list(await uow.custom_fields.list("customer"))
        picklists = {n: await uow.picklists.labels(n) for n in ("industry", "region")}
        drafts: builtins.list[tuple[int, Customer, builtins.list[str]]] = []
        for row_no, values in rows:
            rv: RowValues | None = None
            try:
                rv = map_row(values, imp.mapping, picklists)
                drafts.append((row_no, await self._draft(rv, defs), []))
            except (DomainError, ValueError) as e:
                problems = ([(x.field, x.message) for x in e.problems]
                            if isinstance(e, ValidationFailed)
                            else [("", e.detail if isinstance(e, DomainError) else str(e))])
                for where, message in problems:
                    column = rv.column_for(where) if rv is not None else where
                    self.errors.append((row_no, column, message, Outcome.REJECTED.value))
                imp.count(Outcome.REJECTED)
        drafts = [(n, c, uow.customers.match_keys(c)) for n, c, _ in drafts]
        keys = builtins.list(dict.fromkeys(k for _, _, ks in drafts for k in ks))
        earlier = await uow.imports.seen_keys(imp.id, keys)
        existing = await uow.customers.find_by_keys(keys) if imp.policy != Policy.CREATE else {}
        in_chunk: dict[str, Customer] = {}
        creates: builtins.list[tuple[int, Customer]] = []
        for row_no, c, ks in drafts:
            dup_file = next((k for k in ks if k in earlier or k in in_chunk), None)
            dup_db = None if dup_file else next((k for k in ks if k in existing), None)
            if imp.policy == Policy.CREATE or (dup_file is None and dup_db is None):
                creates.append((row_no, c))
                for k in ks:
                    in_chunk.setdefault(k, c)
                continue
            if dup_file is not None:
                reason = "duplicates an earlier row of the file"
                target: Customer | uuid.UUID | None = in_chunk.get(dup_file) or earlier.get(
                    dup_file)
            else:
                assert dup_db is not None
                seen = [m for m in existing[dup_db] if vis.allows(m[1], m[2])]
                if not seen:
                    self._skip(row_no, "duplicates a customer owned by someone else")
                    continue
                reason, target = "duplicates an existing customer", seen[0][0]
            if imp.policy == Policy.SKIP or target is None:
                self._skip(row_no, f"{reason} ({dup_file or dup_db})".split(" (")[0])
                continue
            outcome = Outcome.UPDATED if imp.policy == Policy.UPDATE else Outcome.MERGED
            if not imp.dry_run:
                await self._fold(row_no, c, target, vis)
            imp.count(outcome)
        await self._create(creates)
        await uow.imports.remember_keys(imp.id, [
            (k, None if imp.dry_run else c.id) for k, c in in_chunk.items()])
        await uow.imports.add_errors(imp.id, self.errors)

    def _skip(self, row_no: int, reason: str) -> None:
        self.errors.append((row_no, "", reason, Outcome.SKIPPED.value))
        self.imp.count(Outcome.SKIPPED)

    async def _draft(self, rv: RowValues, defs: builtins.list[Any]) -> Customer:
        owner_id, department_id = await self._owner(rv.owner)
        data = dict(rv.customer)
        data["custom"] = validate_custom(data.get("custom") or {}, defs, creating=True)
        if rv.contact:
            data["contacts"] = [rv.contact]
        if "name" not in data:
            raise ValidationFailed.of("name", "is required")
        return Customer.create(
            number="", name=data.pop("name"), kind=CustomerKind(data.pop("kind")),
            owner_id=owner_id, owner_department_id=department_id,
            tier_policy=self.svc.customers.tier_policy, created_by=self.p.id, **data)

    async def _owner(self, spec: str | None) -> tuple[uuid.UUID, uuid.UUID | None]:
        if spec is None:
            return self.p.id, self.p.department_id
        if spec not in self.owners:
            user = (await self.uow.users.get_by_email(spec.lower()) if "@" in spec
                    else await self.uow.users.get_by_name(spec))
            try:
                if user is None:
                    raise ValidationFailed.of("owner", f"no single user is called {spec!r}")
                self.owners[spec] = await self.svc.customers.check_owner(self.uow, self.p, user.id)
            except PermissionDenied as e:
                self.owners[spec] = ValidationFailed.of("owner", e.detail)
            except ValidationFailed as e:
                self.owners[spec] = ValidationFailed.of(
                    "owner", e.problems[0].message if e.problems[0].field == "owner_id"
                    else e.detail)
        found = self.owners[spec]
        if isinstance(found, ValidationFailed):
            raise found
        return found

    async def _fold(self, row_no: int, row: Customer, target: Customer | uuid.UUID,
                    vis: Any) -> None:
        """UPDATE: the file's non-empty values win. MERGE: only gaps are filled. Both add the
        row's tags and new contacts."""
        chosen = {}
        if self.imp.policy == Policy.UPDATE:
            chosen = {f: getattr(row, f) for f in UPDATABLE
                      if getattr(row, f) not in (None, "", [], {})}
            if row.custom:
                chosen["custom"] = {**(target.custom if isinstance(target, Customer) else {}),
                                    **row.custom}
        try:
            if isinstance(target, Customer):  # created earlier in this very chunk
                target.absorb([row], chosen, self.svc.customers.tier_policy)
                return
            existing = await self.uow.customers.get(target, vis, lock=True)
            if existing is None:
                self._skip(row_no, "duplicates a customer that is gone")
                return
            if "custom" in chosen:
                chosen["custom"] = {**existing.custom, **row.custom}
            existing.absorb([row], chosen, self.svc.customers.tier_policy)
        except DomainError as e:
            self.errors.append((row_no, "", e.detail, Outcome.REJECTED.value))
            return
        await self.uow.customers.save(existing)
        await self.uow.audit.record(AuditEntry.of(
            self.actor, f"customer.{'updated' if self.imp.policy == Policy.UPDATE else 'merged'}",
            "customer", existing.id, {"import": [None, str(self.imp.id)], "row": [None, row_no]}))

    async def _create(self, creates: builtins.list[tuple[int, Customer]]) -> None:
        if not creates:
            return
        for _ in creates:
            self.imp.count(Outcome.CREATED)
        if self.imp.dry_run:
            return
        now = self.svc.clock.now()
        numbers = await self.uow.customers.next_sequences(len(creates))
        for (_, c), n in zip(creates, numbers, strict=True):
            c.number = customer_number(now, n)
        customers = [c for _, c in creates]
        await self.uow.customers.add_many(customers)
        await self.uow.tags.ensure(builtins.list(dict.fromkeys(
            t for c in customers for t in c.tags)))
        label = self.actor.label
        await self.uow.audit.record_many([AuditEntry.of(
            self.actor, "customer.created", "customer", c.id,
            {"import": [None, str(self.imp.id)], "row": [None, row_no]})
            for row_no, c in creates])
        await self.uow.activity.add_many([ActivityEntry(
            customer_id=c.id, kind="created",
            summary=f"Imported from {self.imp.filename}, row {row_no}",
            actor_id=self.p.id, actor_label=label, ref_type="import", ref_id=self.imp.id)
            for row_no, c in creates])


class _LeadChunk:
    """Rows of a trade-show list, each captured as a lead through the same use case as the
    API (validation flags, duplicate detection, scoring, routing), in the chunk's transaction."""

    def __init__(self, svc: ImportService, uow: UnitOfWork, imp: Import, actor: Actor) -> None:
        self.svc, self.uow, self.imp, self.actor = svc, uow, imp, actor
        assert actor.principal is not None and svc.leads is not None
        self.p: Principal = actor.principal
        self.leads = svc.leads
        self.owners: dict[str, uuid.UUID] = {}

    async def apply(self, rows: Any) -> None:
        errors: builtins.list[tuple[int, str, str, str]] = []
        picklists = {n: await self.uow.picklists.labels(n) for n in ("industry", "region")}
        for row_no, values in rows:
            rv: RowValues | None = None
            try:
                rv = map_row(values, self.imp.mapping, picklists)
                data = await self._lead_data(rv)
                if self.imp.dry_run:
                    data.pop("owner_id", None), data.pop("auto_assign", None)
                    Lead.capture(number="", source=LeadSource(data.pop("source")),
                                 now=self.svc.clock.now(), created_by=self.p.id, **data)
                else:
                    await self.leads.capture_in(self.uow, self.actor, CaptureLead(**data))
                self.imp.count(Outcome.CREATED)
            except (DomainError, ValueError) as e:
                problems = ([(x.field, x.message) for x in e.problems]
                            if isinstance(e, ValidationFailed)
                            else [("", e.detail if isinstance(e, DomainError) else str(e))])
                for where, message in problems:
                    column = rv.column_for(_LEAD_FIELDS.get(where, where)) if rv else where
                    errors.append((row_no, column, message, Outcome.REJECTED.value))
                self.imp.count(Outcome.REJECTED)
        await self.uow.imports.add_errors(self.imp.id, errors)

    async def _lead_data(self, rv: RowValues) -> dict[str, Any]:
        c, x = rv.customer, rv.contact or {}
        data: dict[str, Any] = {
            "company": c.get("name"), "name": x.get("name"), "title": x.get("title"),
            "phone": x.get("mobile") or x.get("landline"), "email": x.get("email"),
            "industry": c.get("industry"), "region": c.get("region"),
            "message": c.get("key_needs"), "budget": c.get("annual_purchase"),
            "source": c.get("source") or LeadSource.IMPORT.value,
            "campaign": self.imp.filename[:100], "auto_assign": rv.owner is None,
        }
        if rv.owner is not None:  # the lead use case applies its own rules to the owner
            data["owner_id"] = await self._owner(rv.owner)
        return {k: v for k, v in data.items() if v not in (None, "")}

    async def _owner(self, spec: str) -> uuid.UUID:
        if spec not in self.owners:
            user = (await self.uow.users.get_by_email(spec.lower()) if "@" in spec
                    else await self.uow.users.get_by_name(spec))
            if user is None:
                raise ValidationFailed.of("owner", f"no single user is called {spec!r}")
            self.owners[spec] = user.id
        return self.owners[spec]


# lead field → the import field whose column it came from (for error reports)
_LEAD_FIELDS = {"company": "name", "name": "contact", "phone": "mobile", "budget":
                "annual_purchase", "message": "key_needs", "owner_id": "owner"}
