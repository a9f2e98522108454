"""Rows that become customers: each chunk of rows, inside the chunk's transaction, is mapped
and validated with the API's rules, checked for duplicates (inside the file and against the
customers the importing user sees, by phone blind index and normalised name), and applied by
the import's policy: created, skipped, updated or merged.
"""

from __future__ import annotations

import asyncio
import copy
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from domain.audit.model import AuditEntry
from domain.customers.activity import ActivityEntry
from domain.customers.model import (
    Customer,
    CustomerKind,
    EventType,
    customer_number,
    updated_event,
)
from domain.fields_and_tags.model import CustomField, validate_custom
from domain.imports.model import Import, Outcome, Policy, RowValues, map_row
from domain.imports.ports import CustomerRules
from domain.shared.authz import Actor, Principal, Visibility
from domain.shared.catalogue import render
from domain.shared.errors import DomainError, PermissionDenied, ValidationFailed
from domain.shared.ownership import check_owner
from domain.shared.ports import Clock, UnitOfWork
from domain.shared.text import Text, text

# What an UPDATE takes from the file. Not the kind: the mapper defaults it, and a default must
# not turn persons into companies.
UPDATABLE = ("industry", "region", "size", "source", "annual_purchase", "key_needs")
# What folding a row into a customer may change: its updated event names those that did.
FOLDED = (*UPDATABLE, "next_followup_plan", "custom", "tags", "contacts", "tier")

Row = tuple[int, dict[str, str]]
# Rows drafted in one go (in a thread) while the rows before them are written.
DRAFT_PIECE = 500
# (row number, file column, reason, outcome) of a row rejected or skipped
RowError = tuple[int, str, str, str]


def row_problems(error: DomainError | ValueError) -> list[tuple[str, str]]:
    """(field, message) of each thing wrong with a row."""
    if isinstance(error, ValidationFailed):
        return [(p.field, render(p.text)) for p in error.problems]
    return [("", error.detail if isinstance(error, DomainError) else str(error))]


async def owner_named(uow: UnitOfWork, spec: str) -> uuid.UUID | None:
    """The user a file names as owner, by e-mail or by a name only one user has."""
    user = (await uow.users.get_by_email(spec.lower()) if "@" in spec
            else await uow.users.get_by_name(spec))
    return user.id if user is not None else None


@dataclass
class CustomerRows:
    customers: CustomerRules
    clock: Clock

    async def write(self, uow: UnitOfWork, imp: Import, actor: Actor, rows: Sequence[Row]
                    ) -> None:
        await _CustomerChunk(self, uow, imp, actor).apply(rows)


class _CustomerChunk:
    """One chunk of rows: what it has found so far (errors, owners named) and its writes."""

    def __init__(self, writer: CustomerRows, uow: UnitOfWork, imp: Import, actor: Actor
                 ) -> None:
        self.rules, self.clock = writer.customers, writer.clock
        self.uow, self.imp, self.actor = uow, imp, actor
        assert actor.principal is not None
        self.p: Principal = actor.principal
        self.errors: list[RowError] = []
        self.owners: dict[str, tuple[uuid.UUID, uuid.UUID | None] | ValidationFailed] = {}

    async def apply(self, rows: Sequence[Row]) -> None:
        uow, imp = self.uow, self.imp
        vis = await self.rules.visibility(uow, self.p)
        defs = list(await uow.custom_fields.list("customer"))
        picklists = {n: await uow.picklists.labels(n) for n in ("industry", "region")}
        mapped: list[tuple[int, RowValues]] = []
        for row_no, values in rows:
            try:
                mapped.append((row_no, map_row(values, imp.mapping, picklists)))
            except (DomainError, ValueError) as e:
                self._reject(row_no, None, e)
        for spec in dict.fromkeys(rv.owner for _, rv in mapped if rv.owner is not None):
            await self._owner(spec)  # the only lookups a draft needs: done before drafting
        # Drafting (the domain's checks, a customer per row) is pure CPU; the writes of a
        # piece wait on PostgreSQL. A piece is drafted in a thread while the one before it is
        # written, so that on two cores the two overlap; the pieces are applied in order.
        pieces = [mapped[i:i + DRAFT_PIECE] for i in range(0, len(mapped), DRAFT_PIECE)]
        in_chunk: dict[str, Customer] = {}
        drafting = asyncio.ensure_future(asyncio.to_thread(self._drafts, pieces[0], defs)) \
            if pieces else None
        for place in range(len(pieces)):
            assert drafting is not None
            drafts, rejected = await drafting
            drafting = asyncio.ensure_future(asyncio.to_thread(
                self._drafts, pieces[place + 1], defs)) if place + 1 < len(pieces) else None
            try:
                for row_no, rv, error in rejected:
                    self._reject(row_no, rv, error)
                await self._apply_drafts(drafts, vis, in_chunk)
            except BaseException:
                if drafting is not None:  # no thread left drafting for a chunk given up
                    await asyncio.gather(drafting, return_exceptions=True)
                raise
        await uow.imports.remember_keys(imp.id, [
            (k, None if imp.dry_run else c.id) for k, c in in_chunk.items()])
        await uow.imports.add_errors(imp.id, self.errors)

    def _drafts(self, mapped: list[tuple[int, RowValues]], defs: list[CustomField]
                ) -> tuple[list[tuple[int, Customer, list[str]]],
                           list[tuple[int, RowValues, DomainError | ValueError]]]:
        """(row number, customer, match keys) of each row that makes one, and the rows
        refused. Runs in a thread: touches nothing shared but what it answers."""
        drafts: list[tuple[int, Customer, list[str]]] = []
        rejected: list[tuple[int, RowValues, DomainError | ValueError]] = []
        for row_no, rv in mapped:
            try:
                c = self._draft(rv, defs)
                drafts.append((row_no, c, self.uow.customers.match_keys(c)))
            except (DomainError, ValueError) as e:
                rejected.append((row_no, rv, e))
        return drafts, rejected

    def _reject(self, row_no: int, rv: RowValues | None, error: DomainError | ValueError
                ) -> None:
        for where, message in row_problems(error):
            column = rv.column_for(where) if rv is not None else where
            self.errors.append((row_no, column, message, Outcome.REJECTED.value))
        self.imp.count(Outcome.REJECTED)

    async def _apply_drafts(self, keyed: list[tuple[int, Customer, list[str]]],
                            vis: Visibility, in_chunk: dict[str, Customer]) -> None:
        """Each draft by the import's policy: created, skipped, updated or merged. Rows of
        the chunk before these are in `in_chunk` (their keys), not yet in the import's keys."""
        uow, imp = self.uow, self.imp
        keys = list(dict.fromkeys(k for _, _, ks in keyed for k in ks))
        earlier = await uow.imports.seen_keys(imp.id, keys)
        existing = await uow.customers.find_by_keys(keys) if imp.policy != Policy.CREATE else {}
        creates: list[tuple[int, Customer]] = []
        for row_no, c, ks in keyed:
            dup_file = next((k for k in ks if k in earlier or k in in_chunk), None)
            dup_db = None if dup_file else next((k for k in ks if k in existing), None)
            if imp.policy == Policy.CREATE or (dup_file is None and dup_db is None):
                creates.append((row_no, c))
                for k in ks:
                    in_chunk.setdefault(k, c)
                continue
            if dup_file is not None:
                reason = text("import.duplicate_in_file")
                target: Customer | uuid.UUID | None = in_chunk.get(dup_file) or earlier.get(
                    dup_file)
            else:
                assert dup_db is not None
                seen = [m for m in existing[dup_db] if vis.allows(m[1], m[2])]
                if not seen:
                    self._skip(row_no, text("import.duplicate_hidden"))
                    continue
                reason, target = text("import.duplicate_existing"), seen[0][0]
            if imp.policy == Policy.SKIP or target is None:
                self._skip(row_no, reason)
                continue
            outcome = Outcome.UPDATED if imp.policy == Policy.UPDATE else Outcome.MERGED
            if not imp.dry_run:
                await self._fold(row_no, c, target, vis)
            imp.count(outcome)
        await self._create(creates)

    def _skip(self, row_no: int, reason: Text) -> None:
        self.errors.append((row_no, "", render(reason), Outcome.SKIPPED.value))
        self.imp.count(Outcome.SKIPPED)

    def _draft(self, rv: RowValues, defs: list[CustomField]) -> Customer:
        owner_id, department_id = self._owner_found(rv.owner)
        data = dict(rv.customer)
        data["custom"] = validate_custom(data.get("custom") or {}, defs, creating=True)
        if rv.contact:
            data["contacts"] = [rv.contact]
        if "name" not in data:
            raise ValidationFailed.of("name", "required")
        return Customer.create(
            number="", name=data.pop("name"), kind=CustomerKind(data.pop("kind")),
            owner_id=owner_id, owner_department_id=department_id,
            tier_policy=self.rules.tier_policy, created_by=self.p.id, **data)

    async def _owner(self, spec: str) -> None:
        """Looks up the owner a row names, under the rule of who may give a customer to
        whom; the answer (or the refusal) is kept for the chunk's rows naming that person."""
        if spec in self.owners:
            return
        try:
            user_id = await owner_named(self.uow, spec)
            if user_id is None:
                raise ValidationFailed.of("owner", "import.no_such_owner", name=spec)
            self.owners[spec] = await check_owner(self.uow, self.p, user_id, "customers")
        except PermissionDenied as e:
            self.owners[spec] = ValidationFailed.of("owner", e.text)
        except ValidationFailed as e:
            self.owners[spec] = ValidationFailed.of(
                "owner", e.problems[0].text if e.problems[0].field == "owner_id"
                else e.text)

    def _owner_found(self, spec: str | None) -> tuple[uuid.UUID, uuid.UUID | None]:
        """The owner of a row: the importing user when it names none."""
        if spec is None:
            return self.p.id, self.p.department_id
        found = self.owners[spec]
        if isinstance(found, ValidationFailed):
            raise found
        return found

    async def _fold(self, row_no: int, row: Customer, target: Customer | uuid.UUID,
                    vis: Visibility) -> None:
        """UPDATE: the file's non-empty values win. MERGE: only gaps are filled. Both add the
        row's tags and new contacts."""
        chosen: dict[str, Any] = {}
        if self.imp.policy == Policy.UPDATE:
            chosen = {f: getattr(row, f) for f in UPDATABLE
                      if getattr(row, f) not in (None, "", [], {})}
            if row.custom:
                chosen["custom"] = {**(target.custom if isinstance(target, Customer) else {}),
                                    **row.custom}
        try:
            if isinstance(target, Customer):  # created earlier in this very chunk
                target.absorb([row], chosen, self.rules.tier_policy)
                # its created event, written with it, already tells what it holds
                target.events[:] = [e for e in target.events if e.type != EventType.MERGED]
                return
            existing = await self.uow.customers.get(target, vis, lock=True)
            if existing is None:
                self._skip(row_no, text("import.duplicate_gone"))
                return
            if "custom" in chosen:
                chosen["custom"] = {**existing.custom, **row.custom}
            before = {f: copy.deepcopy(getattr(existing, f)) for f in FOLDED}
            existing.absorb([row], chosen, self.rules.tier_policy)
            # A row is no customer of its own: nothing was merged away, and subscribers of
            # customer.merged look for the tombstones it names. The customer was edited.
            existing.events[:] = [e for e in existing.events if e.type != EventType.MERGED]
            existing.events.append(updated_event(existing.id, [
                f for f in FOLDED if getattr(existing, f) != before[f]]))
        except DomainError as e:
            self.errors.append((row_no, "", e.detail, Outcome.REJECTED.value))
            return
        await self.uow.customers.save(existing)
        await self.uow.audit.record(AuditEntry.of(
            self.actor, f"customer.{'updated' if self.imp.policy == Policy.UPDATE else 'merged'}",
            "customer", existing.id, {"import": [None, str(self.imp.id)], "row": [None, row_no]}))

    async def _create(self, creates: list[tuple[int, Customer]]) -> None:
        if not creates:
            return
        for _ in creates:
            self.imp.count(Outcome.CREATED)
        if self.imp.dry_run:
            return
        now = self.clock.now()
        numbers = await self.uow.customers.next_sequences(len(creates))
        for (_, c), n in zip(creates, numbers, strict=True):
            c.assign_number(customer_number(now, n))
        customers = [c for _, c in creates]
        await self.uow.customers.add_many(customers)
        await self.uow.tags.ensure(list(dict.fromkeys(t for c in customers for t in c.tags)))
        label = self.actor.shown_name
        await self.uow.audit.record_many([AuditEntry.of(
            self.actor, "customer.created", "customer", c.id,
            {"import": [None, str(self.imp.id)], "row": [None, row_no]})
            for row_no, c in creates])
        await self.uow.activity.add_many([ActivityEntry(
            customer_id=c.id, kind="created",
            summary=text("import.line.created", filename=self.imp.filename, row=row_no),
            actor_id=self.p.id, actor_label=label, ref_type="import", ref_id=self.imp.id)
            for row_no, c in creates])
