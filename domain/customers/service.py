"""Customer 360 use cases: customers and contacts, follow-ups, tasks, the timeline, reveal."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from domain.audit.model import Actor, AuditEntry, field_diff
from domain.customers.activity import (
    ActivityEntry,
    FollowUp,
    FollowUpMethod,
    FollowUpStatus,
    GeoCheckIn,
    Task,
    TaskStatus,
)
from domain.customers.model import Customer, CustomerKind, TierPolicy, customer_number
from domain.customers.personal import mask_email, mask_id_card, mask_phone
from domain.customers.ports import FollowUpFilter, TaskFilter
from domain.customers.queries import CustomerFilter, Visibility, resolve
from domain.fields_and_tags.model import validate_custom
from domain.identity.model import Principal, Role, Scope
from domain.identity.service import SubtreeCache, check_version, require
from domain.shared.errors import (
    Conflict,
    HiddenRecord,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from domain.shared.paging import Page, PageRequest
from domain.shared.ports import Clock, UnitOfWork, UnitOfWorkFactory

SEE_ALL_ROLES = frozenset({Role.ADMIN, Role.EXECUTIVE, Role.FINANCE, Role.LEGAL,
                           Role.SERVICE_AGENT})
TEAM_LEADS = frozenset({Role.ADMIN, Role.MANAGER})
MERGEABLE = frozenset({"name", "kind", "industry", "region", "size", "source", "grade",
                       "annual_purchase", "currency", "owner_id", "key_needs",
                       "next_followup_plan", "next_followup_at", "custom"})


def _own_contact_ids(contacts: list[Any], own: set[uuid.UUID]) -> list[Any]:
    """A client may keep the ids of the customer's own contacts, once each; any other id is
    dropped (a new one is made)."""
    seen: set[uuid.UUID] = set()
    out = []
    for contact in contacts:
        if isinstance(contact, dict) and contact.get("id") is not None:
            cid = contact["id"]
            if cid not in own or cid in seen:
                contact = {**contact, "id": None}
            else:
                seen.add(cid)
        out.append(contact)
    return out


def masked_snapshot(c: Customer) -> dict[str, Any]:
    """The customer as the audit log keeps it: personal data masked."""
    return {
        "name": c.name, "kind": c.kind, "industry": c.industry, "region": c.region,
        "size": c.size, "source": c.source, "grade": c.grade, "tier": c.tier,
        "annual_purchase": str(c.annual_purchase) if c.annual_purchase is not None else None,
        "currency": c.currency, "owner_id": c.owner_id,
        "first_contact_date": str(c.first_contact_date) if c.first_contact_date else None,
        "next_followup_at": c.next_followup_at, "next_followup_plan": c.next_followup_plan,
        "key_needs": c.key_needs, "tags": list(c.tags), "custom": dict(c.custom),
        "id_card_number": mask_id_card(c.id_card_number) if c.id_card_number else None,
        "contacts": [{
            "name": x.name, "title": x.title,
            "mobile": mask_phone(x.mobile) if x.mobile else None,
            "landline": mask_phone(x.landline) if x.landline else None,
            "email": mask_email(x.email) if x.email else None, "primary": x.is_primary,
        } for x in c.contacts],
    }


@dataclass
class CustomerService:
    uow: UnitOfWorkFactory
    clock: Clock
    tier_policy: TierPolicy = field(default_factory=TierPolicy)
    # Reads that change nothing: each statement on its own, no BEGIN/ROLLBACK round trips.
    reader: UnitOfWorkFactory | None = None
    # A manager's department subtree for reads (get and lists), shared with IdentityService.
    subtrees: SubtreeCache = field(default_factory=SubtreeCache)

    # ---- who sees what ----------------------------------------------------------------------

    async def visibility(self, uow: UnitOfWork, p: Principal, *, read: bool = False
                         ) -> Visibility:
        """Who sees what. For a read (`read=True`) a manager's department subtree may be up to
        `subtrees.ttl` old; writes always walk it."""
        if p.kind != "user" or p.role in SEE_ALL_ROLES:
            return Visibility(everything=True)
        if p.role == Role.MANAGER and p.department_id is not None:
            tree = self.subtrees.recall(p.department_id) if read else None
            if tree is None:
                tree = tuple(await uow.departments.subtree(p.department_id))
                self.subtrees.remember(p.department_id, tree)
            return Visibility(owner_id=p.id, department_ids=tree)
        return Visibility(owner_id=p.id)

    async def _load(self, uow: UnitOfWork, vis: Visibility, customer_id: uuid.UUID, *,
                    include_deleted: bool = False, lock: bool = False) -> Customer:
        c = await uow.customers.get(customer_id, vis, include_deleted=include_deleted, lock=lock)
        if c is not None:
            return c
        if await uow.customers.exists(customer_id):
            raise HiddenRecord("customer", customer_id)
        raise NotFound("customer", customer_id)

    async def referenced(self, uow: UnitOfWork, p: Principal, customer_id: uuid.UUID
                         ) -> Customer:
        """The customer a new deal or contract names: out of sight is a 404 (audited), unknown
        a 422 on customer_id."""
        c = await uow.customers.get(customer_id, await self.visibility(uow, p))
        if c is not None:
            return c
        if await uow.customers.exists(customer_id):
            raise HiddenRecord("customer", customer_id)
        raise ValidationFailed.of("customer_id", "no such customer")

    async def _check_picklists(self, uow: UnitOfWork, data: dict[str, Any]) -> None:
        for name in ("industry", "region"):
            value = data.get(name)
            if value and value not in await uow.picklists.values(name):
                raise ValidationFailed.of(name, f"{value!r} is not in the {name} list")

    async def _owner(self, uow: UnitOfWork, p: Principal, owner_id: uuid.UUID
                     ) -> tuple[uuid.UUID, uuid.UUID | None]:
        """Checks the caller may give the record to this owner; answers (owner, department)."""
        owner = await uow.users.get(owner_id)
        if owner is None or not owner.is_active:
            raise ValidationFailed.of("owner_id", "is not an active user")
        if p.kind == "user" and p.role not in (Role.ADMIN, Role.MANAGER) and owner.id != p.id:
            raise PermissionDenied("Only managers and admins give customers to someone else")
        if p.role == Role.MANAGER:
            team = await uow.departments.subtree(p.department_id) if p.department_id else []
            if owner.id != p.id and owner.department_id not in team:
                raise ValidationFailed.of("owner_id", "is outside your team")
        return owner.id, owner.department_id

    async def _audit(self, uow: UnitOfWork, actor: Actor, action: str, c: Customer,
                     diff: dict[str, Any] | None = None) -> None:
        await uow.audit.record(AuditEntry.of(actor, action, "customer", c.id, diff))

    async def _activity(self, uow: UnitOfWork, actor: Actor, customer_id: uuid.UUID, kind: str,
                        summary: str, ref_type: str | None = None,
                        ref_id: uuid.UUID | None = None, **data: Any) -> None:
        p = actor.principal
        await uow.activity.add(ActivityEntry(
            customer_id=customer_id, kind=kind, summary=summary[:500],
            actor_id=p.id if p else None, actor_label=actor.label, ref_type=ref_type,
            ref_id=ref_id, data=data))

    # ---- customers --------------------------------------------------------------------------

    async def create(self, actor: Actor, data: dict[str, Any], *,
                     allow_duplicate: bool = False) -> Customer:
        require(actor, Scope.CUSTOMERS_WRITE)
        async with self.uow() as uow:
            c = await self.add_customer(uow, actor, data, allow_duplicate=allow_duplicate)
            await uow.commit()
            return c

    async def add_customer(self, uow: UnitOfWork, actor: Actor, data: dict[str, Any], *,
                           allow_duplicate: bool = True) -> Customer:
        """Creates a customer inside the caller's transaction (lead conversion uses it too,
        having matched duplicates itself)."""
        p = require(actor, Scope.CUSTOMERS_WRITE)
        data = dict(data)
        data["custom"] = validate_custom(
            data.get("custom") or {}, list(await uow.custom_fields.list("customer")),
            creating=True)
        owner_ref = data.pop("owner_id", None) or p.user_id
        if owner_ref is None:
            raise ValidationFailed.of("owner_id", "is required when an integration creates")
        owner_id, department_id = await self._owner(uow, p, owner_ref)
        await self._check_picklists(uow, data)
        if data.get("contacts"):
            data["contacts"] = _own_contact_ids(data["contacts"], set())
        number = customer_number(self.clock.now(), await uow.customers.next_sequence())
        c = Customer.create(
            number=number, name=data.pop("name"), kind=CustomerKind(data.pop("kind")),
            owner_id=owner_id, owner_department_id=department_id,
            tier_policy=self.tier_policy, created_by=p.id, **data)
        if not allow_duplicate:
            await self._refuse_duplicate_phone(uow, p, c)
        await uow.customers.add(c)
        await uow.tags.ensure(c.tags)
        await self._audit(uow, actor, "customer.created", c,
                          field_diff(None, masked_snapshot(c)))
        await self._activity(uow, actor, c.id, "created", f"Customer {c.number} created")
        return c

    async def _refuse_duplicate_phone(self, uow: UnitOfWork, p: Principal, c: Customer) -> None:
        phones = [n for x in c.contacts for n in (x.mobile, x.landline) if n]
        if not phones:
            return
        for existing in await uow.customers.with_phones(phones):
            if existing.id == c.id:
                continue
            vis = await self.visibility(uow, p)
            if vis.allows(existing.owner_id, existing.owner_department_id):
                raise Conflict(f"{existing.name} ({existing.number}) has this phone number "
                               "already; merge, or send ?allow_duplicate=true",
                               existing_id=existing.id)
            raise Conflict("A customer with this phone number exists (owned by someone else); "
                           "ask its owner or a manager, or send ?allow_duplicate=true")

    async def get(self, actor: Actor, customer_id: uuid.UUID) -> Customer:
        p = require(actor, Scope.CUSTOMERS_READ)
        async with (self.reader or self.uow)() as uow:
            return await self._load(uow, await self.visibility(uow, p, read=True), customer_id)

    async def list(self, actor: Actor, flt: CustomerFilter, page: PageRequest) -> Page[Customer]:
        p = require(actor, Scope.CUSTOMERS_READ)
        async with (self.reader or self.uow)() as uow:
            vis = await self._list_visibility(uow, p, flt)
            return await uow.customers.list(resolve(flt, self.clock.now()), vis, page)

    async def list_documents(self, actor: Actor, flt: CustomerFilter, page: PageRequest,
                             fields: frozenset[str] | None = None) -> Page[str]:
        """The same page as `list`, each item the customer's JSON document (masked)."""
        p = require(actor, Scope.CUSTOMERS_READ)
        async with (self.reader or self.uow)() as uow:
            vis = await self._list_visibility(uow, p, flt)
            return await uow.customers.list_documents(resolve(flt, self.clock.now()), vis,
                                                      page, fields)

    async def _list_visibility(self, uow: UnitOfWork, p: Principal, flt: CustomerFilter
                               ) -> Visibility:
        vis = await self.visibility(uow, p, read=True)
        if flt.deleted and not (p.kind == "user" and p.role in TEAM_LEADS):
            raise PermissionDenied("Only managers and admins open the recycle bin")
        return vis

    async def update(self, actor: Actor, customer_id: uuid.UUID, changes: dict[str, Any],
                     expected_version: int | None) -> Customer:
        p = require(actor, Scope.CUSTOMERS_WRITE)
        changes = dict(changes)
        async with self.uow() as uow:
            c = await self._load(uow, await self.visibility(uow, p), customer_id, lock=True)
            check_version("customer", c.version, expected_version)
            before = masked_snapshot(c)
            await self._check_picklists(uow, changes)
            if "custom" in changes:
                changes["custom"] = validate_custom(
                    changes["custom"] or {}, list(await uow.custom_fields.list("customer")),
                    creating=False)
            new_owner = changes.pop("owner_id", None)
            if changes.get("contacts"):
                changes["contacts"] = _own_contact_ids(changes["contacts"],
                                                       {x.id for x in c.contacts})
            if changes:
                c.update(changes, self.tier_policy)
            if new_owner is not None and new_owner != c.owner_id:
                await self._reassign(uow, actor, p, c, new_owner)
            await uow.customers.save(c)
            await uow.tags.ensure(c.tags)
            await self._audit(uow, actor, "customer.updated", c,
                              field_diff(before, masked_snapshot(c)))
            await uow.commit()
            return c

    async def _reassign(self, uow: UnitOfWork, actor: Actor, p: Principal, c: Customer,
                        owner_ref: uuid.UUID) -> None:
        if p.kind == "user" and p.role not in TEAM_LEADS:
            raise PermissionDenied("Only managers and admins reassign customers")
        previous = c.owner_id
        owner_id, department_id = await self._owner(uow, p, owner_ref)
        c.reassign(owner_id, department_id, by=p.id)
        await self._activity(uow, actor, c.id, "owner_changed", "Owner changed",
                             from_owner_id=str(previous), to_owner_id=str(owner_id))
        await uow.audit.record(AuditEntry.of(actor, "customer.reassigned", "customer", c.id,
                                             {"owner_id": [str(previous), str(owner_id)]}))

    async def delete(self, actor: Actor, customer_id: uuid.UUID) -> None:
        p = self._team_lead(actor)
        async with self.uow() as uow:
            c = await self._load(uow, await self.visibility(uow, p), customer_id, lock=True)
            c.delete(self.clock.now())
            await uow.customers.save(c)
            await self._audit(uow, actor, "customer.deleted", c)
            await self._activity(uow, actor, c.id, "deleted", "Customer moved to the recycle bin")
            await uow.commit()

    async def restore(self, actor: Actor, customer_id: uuid.UUID) -> Customer:
        p = self._team_lead(actor)
        async with self.uow() as uow:
            vis = await self.visibility(uow, p)
            c = await uow.customers.get(customer_id, vis, include_deleted=True, lock=True)
            if c is None:
                raise NotFound("customer", customer_id)
            c.restore()
            await uow.customers.save(c)
            await self._audit(uow, actor, "customer.restored", c)
            await self._activity(uow, actor, c.id, "restored", "Customer restored")
            await uow.commit()
            return c

    def _team_lead(self, actor: Actor) -> Principal:
        p = require(actor, Scope.CUSTOMERS_WRITE)
        if p.kind != "user" or p.role not in TEAM_LEADS:
            raise PermissionDenied("Only managers and admins delete or restore customers")
        return p

    async def reveal(self, actor: Actor, customer_id: uuid.UUID) -> Customer:
        """Cleartext personal data, for those who may see it, always audited."""
        p = require(actor, Scope.CUSTOMERS_READ)
        async with self.uow() as uow:
            c = await self._load(uow, await self.visibility(uow, p), customer_id)
            require(actor, Scope.PII_REVEAL)
            fields = ["contacts"] + (["id_card_number"] if c.id_card_number else [])
            await self._audit(uow, actor, "customer.revealed", c, {"revealed": fields})
            await uow.commit()
            return c

    async def duplicates(self, actor: Actor, customer_id: uuid.UUID
                         ) -> builtins.list[tuple[Customer, builtins.list[str], float]]:
        """Likely duplicates the caller can see, with the reasons and a score."""
        p = require(actor, Scope.CUSTOMERS_READ)
        async with self.uow() as uow:
            vis = await self.visibility(uow, p)
            c = await self._load(uow, vis, customer_id)
            found = await uow.customers.duplicates_of(c, vis)
        weights = {"same phone": 0.9, "same name": 0.8, "same email": 0.7}
        scored = []
        for other, reasons in found:
            miss = 1.0
            for r in reasons:
                miss *= 1 - weights.get(r, 0.5)
            scored.append((other, reasons, round(1 - miss, 2)))
        return sorted(scored, key=lambda x: -x[2])

    async def merge(self, actor: Actor, survivor_id: uuid.UUID,
                    loser_ids: builtins.list[uuid.UUID], field_choices: dict[str, uuid.UUID]
                    ) -> Customer:
        """Folds the losers into the survivor: contacts, tags, follow-ups, tasks and history
        move over, chosen fields take the chosen record's value, the losers become tombstones
        pointing at the survivor."""
        p = require(actor, Scope.CUSTOMERS_WRITE)
        if not loser_ids or survivor_id in loser_ids or len(set(loser_ids)) != len(loser_ids):
            raise ValidationFailed.of("from", "name other customers to merge, each once")
        async with self.uow() as uow:
            vis = await self.visibility(uow, p)
            # rows are locked in one global order, so two opposite merges cannot deadlock
            loaded = {i: await self._load(uow, vis, i, lock=True)
                      for i in sorted([survivor_id, *loser_ids])}
            survivor = loaded[survivor_id]
            losers = [loaded[i] for i in loser_ids]
            if p.kind == "user" and p.role not in TEAM_LEADS and any(
                x.owner_id != p.id for x in [survivor, *losers]
            ):
                raise PermissionDenied("Only managers and admins merge others' customers")
            before = masked_snapshot(survivor)
            by_id = {x.id: x for x in [survivor, *losers]}
            chosen: dict[str, Any] = {}
            for name, source_id in field_choices.items():
                if name not in MERGEABLE:
                    raise ValidationFailed.of(f"field_choices.{name}", "cannot be chosen")
                if source_id not in by_id:
                    raise ValidationFailed.of(f"field_choices.{name}",
                                              "must name one of the merged customers")
                chosen[name] = getattr(by_id[source_id], name)
                if name == "owner_id":
                    chosen["owner_department_id"] = by_id[source_id].owner_department_id
            survivor.absorb(losers, chosen, self.tier_policy)
            for loser in losers:
                loser.fold_into(survivor.id, self.clock.now())
                await uow.customers.save(loser)
                await self._audit(uow, actor, "customer.merged_away", loser,
                                  {"merged_into": [None, str(survivor.id)]})
            await uow.customers.save(survivor)
            await uow.customers.fold_into(survivor.id, loser_ids)
            await uow.tags.ensure(survivor.tags)
            await self._activity(uow, actor, survivor.id, "merged",
                                 f"Merged {', '.join(x.number for x in losers)} into this record",
                                 merged=[str(x.id) for x in losers])
            await self._audit(uow, actor, "customer.merged", survivor,
                              {**field_diff(before, masked_snapshot(survivor)),
                               "merged": [None, [str(x.id) for x in losers]]})
            await uow.commit()
            return survivor

    async def close_deal(self, uow: UnitOfWork, actor: Actor, customer_id: uuid.UUID) -> None:
        """A contract's payment arrived: the customer's grade becomes closed (inside the
        caller's transaction; the caller has already checked it may act on the contract)."""
        c = await uow.customers.get(customer_id, Visibility(everything=True), lock=True)
        if c is None:
            return
        before = masked_snapshot(c)
        if not c.close_deal():
            return
        await uow.customers.save(c)
        await self._activity(uow, actor, c.id, "grade_changed",
                             f"Grade {before['grade']} → closed (contract paid)",
                             grade="closed")
        await self._audit(uow, actor, "customer.updated", c,
                          field_diff(before, masked_snapshot(c)))

    async def timeline(self, actor: Actor, customer_id: uuid.UUID, page: PageRequest
                       ) -> Page[ActivityEntry]:
        p = require(actor, Scope.CUSTOMERS_READ)
        async with self.uow() as uow:
            await self._load(uow, await self.visibility(uow, p), customer_id)
            return await uow.activity.list(customer_id, page)

    # ---- picklists (industry, region) -------------------------------------------------------

    PICKLISTS = ("industry", "region")

    async def picklist(self, actor: Actor, name: str) -> builtins.list[str]:
        require(actor, Scope.CUSTOMERS_READ)
        if name not in self.PICKLISTS:
            raise NotFound("picklist", name)
        async with self.uow() as uow:
            return sorted(await uow.picklists.values(name))

    async def add_picklist_value(self, actor: Actor, name: str, value: str, label: str) -> None:
        require(actor, Scope.SETTINGS_WRITE)
        if name not in self.PICKLISTS:
            raise NotFound("picklist", name)
        async with self.uow() as uow:
            await uow.picklists.add(name, value, label)
            await uow.audit.record(AuditEntry.of(actor, "picklist.value_added", "picklist", name,
                                                 {"value": [None, value], "label": [None, label]}))
            await uow.commit()

    # ---- follow-ups -------------------------------------------------------------------------

    async def add_followup(self, actor: Actor, customer_id: uuid.UUID, data: dict[str, Any]
                           ) -> FollowUp:
        p = require(actor, Scope.CUSTOMERS_WRITE)
        async with self.uow() as uow:
            c = await self._load(uow, await self.visibility(uow, p), customer_id, lock=True)
            check_in = data.get("check_in")
            f = FollowUp.create(
                customer_id=c.id, owner_id=p.user_id or c.owner_id,
                method=FollowUpMethod(data["method"]),
                occurred_at=data.get("occurred_at") or self.clock.now(),
                summary=data["summary"], feedback=data.get("feedback"),
                next_action=data.get("next_action"),
                next_followup_at=data.get("next_followup_at"),
                status=FollowUpStatus(data.get("status") or FollowUpStatus.DONE),
                check_in=GeoCheckIn(**check_in) if check_in else None)
            if f.status == FollowUpStatus.DONE:
                c.record_followup(f.occurred_at, f.next_followup_at, f.next_action)
                await uow.customers.save(c)
            await uow.followups.add(f)
            await self._activity(uow, actor, c.id, "followup",
                                 f"{f.method.value}: {f.summary}", "followup", f.id,
                                 method=f.method.value, status=f.status.value)
            await uow.audit.record(AuditEntry.of(actor, "followup.created", "followup", f.id,
                                                 {"customer_id": [None, str(c.id)],
                                                  "method": [None, f.method.value]}))
            await uow.commit()
            return f

    async def get_followup(self, actor: Actor, followup_id: uuid.UUID) -> FollowUp:
        p = require(actor, Scope.CUSTOMERS_READ)
        async with self.uow() as uow:
            f = await uow.followups.get(followup_id, await self.visibility(uow, p))
        if f is None:
            raise NotFound("follow-up", followup_id)
        return f

    async def list_followups(self, actor: Actor, flt: FollowUpFilter, page: PageRequest
                             ) -> Page[FollowUp]:
        p = require(actor, Scope.CUSTOMERS_READ)
        async with self.uow() as uow:
            vis = await self.visibility(uow, p)
            if flt.customer_id is not None:
                await self._load(uow, vis, flt.customer_id)
            return await uow.followups.list(flt, vis, page)

    async def update_followup(self, actor: Actor, followup_id: uuid.UUID,
                              changes: dict[str, Any], expected_version: int | None
                              ) -> FollowUp:
        p = require(actor, Scope.CUSTOMERS_WRITE)
        async with self.uow() as uow:
            f = await uow.followups.get(followup_id, await self.visibility(uow, p))
            if f is None:
                raise NotFound("follow-up", followup_id)
            if p.kind == "user" and p.role not in TEAM_LEADS and f.owner_id != p.id:
                raise PermissionDenied("Only the author or a manager edits a follow-up")
            check_version("follow-up", f.version, expected_version)
            before = {k: getattr(f, k) for k in changes}
            f.update(changes)
            await uow.followups.save(f)
            await uow.audit.record(AuditEntry.of(
                actor, "followup.updated", "followup", f.id,
                field_diff(before, {k: getattr(f, k) for k in changes})))
            await uow.commit()
            return f

    # ---- tasks ------------------------------------------------------------------------------

    async def _task_scope(self, uow: UnitOfWork, p: Principal) -> TaskFilter:
        if p.kind != "user" or p.role in (Role.ADMIN, Role.EXECUTIVE):
            return TaskFilter()
        if p.role == Role.MANAGER and p.department_id is not None:
            return TaskFilter(assignee_departments=await uow.departments.subtree(p.department_id))
        return TaskFilter(assignees=[p.id])

    async def _task_visible(self, uow: UnitOfWork, p: Principal, task: Task) -> bool:
        scope = await self._task_scope(uow, p)
        if task.created_by == p.id or task.assignee_id == p.id:
            return True
        if scope.assignees is None and scope.assignee_departments is None:
            return True
        if scope.assignee_departments is not None:
            assignee = await uow.users.get(task.assignee_id)
            return assignee is not None and assignee.department_id in scope.assignee_departments
        return False

    async def create_task(self, actor: Actor, data: dict[str, Any]) -> Task:
        p = require(actor, Scope.CUSTOMERS_WRITE)
        async with self.uow() as uow:
            assignee = data.get("assignee_id") or p.user_id
            if assignee is None:
                raise ValidationFailed.of("assignee_id", "is required when an integration creates")
            await self._owner(uow, p, assignee)  # the same rule as giving a customer away
            related_id = data.get("related_id")
            if related_id is not None:
                if data.get("related_type", "customer") != "customer":
                    raise ValidationFailed.of("related_type", "only customers so far")
                await self._load(uow, await self.visibility(uow, p), related_id)
            task = Task.create(title=data["title"], assignee_id=assignee, created_by=p.id,
                               due_at=data.get("due_at"),
                               related_type="customer" if related_id else None,
                               related_id=related_id, notes=data.get("notes"))
            await uow.tasks.add(task)
            if related_id is not None:
                await self._activity(uow, actor, related_id, "task", f"Task: {task.title}",
                                     "task", task.id, status=task.status.value)
            await uow.audit.record(AuditEntry.of(actor, "task.created", "task", task.id,
                                                 {"title": [None, task.title]}))
            await uow.commit()
            return task

    async def get_task(self, actor: Actor, task_id: uuid.UUID) -> Task:
        p = require(actor, Scope.CUSTOMERS_READ)
        async with self.uow() as uow:
            task = await uow.tasks.get(task_id)
            if task is None or not await self._task_visible(uow, p, task):
                raise NotFound("task", task_id)
            return task

    async def list_tasks(self, actor: Actor, *, assignee: uuid.UUID | None,
                         status: TaskStatus | None, due_before: datetime | None,
                         related_id: uuid.UUID | None, page: PageRequest) -> Page[Task]:
        p = require(actor, Scope.CUSTOMERS_READ)
        async with self.uow() as uow:
            flt = await self._task_scope(uow, p)
            if assignee is not None:
                allowed: Sequence[uuid.UUID] | None = flt.assignees
                if allowed is not None and assignee not in allowed:
                    return Page([], None)
                flt = replace(flt, assignees=[assignee])
            flt = replace(flt, status=status.value if status else None, due_before=due_before,
                          related_id=related_id)
            return await uow.tasks.list(flt, page)

    async def update_task(self, actor: Actor, task_id: uuid.UUID, changes: dict[str, Any],
                          expected_version: int | None) -> Task:
        p = require(actor, Scope.CUSTOMERS_WRITE)
        async with self.uow() as uow:
            task = await uow.tasks.get(task_id)
            if task is None or not await self._task_visible(uow, p, task):
                raise NotFound("task", task_id)
            check_version("task", task.version, expected_version)
            if changes.get("assignee_id") not in (None, task.assignee_id):
                await self._owner(uow, p, changes["assignee_id"])
            before = {k: getattr(task, k) for k in changes}
            was = task.status
            task.update(changes, self.clock.now())
            await uow.tasks.save(task)
            if task.related_id is not None and task.status != was:
                await self._activity(uow, actor, task.related_id, "task",
                                     f"Task {task.status.value}: {task.title}", "task", task.id,
                                     status=task.status.value)
            await uow.audit.record(AuditEntry.of(
                actor, "task.updated", "task", task.id,
                field_diff(before, {k: getattr(task, k) for k in changes})))
            await uow.commit()
            return task
