"""Who owns a lead: the owner named, the customer's or the open duplicate's owner, the user
who typed it in, else the territory rules (routing.py decides among the reps) with their
fallbacks, so that a lead is never left without an owner."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

from domain.leads.model import CustomerMatch, Lead, LeadStatus
from domain.leads.routing import (
    AssignedBy,
    Assignment,
    Method,
    RepState,
    RoutingRule,
    RoutingSettings,
    in_turn,
    pick,
    why_skipped,
)
from domain.shared.authz import Actor, Principal
from domain.shared.errors import ValidationFailed
from domain.shared.ownership import active_user, check_owner, manager_above
from domain.shared.ports import Clock, UnitOfWork
from domain.shared.text import Label, Text, text

Owner = tuple[uuid.UUID, uuid.UUID | None, Assignment]  # (user, their department, why)


@dataclass
class LeadRouter:
    clock: Clock

    async def first_owner(self, uow: UnitOfWork, actor: Actor, p: Principal, lead: Lead,
                          routing: RoutingSettings, owner_ref: uuid.UUID | None, auto: bool,
                          original: Lead | None, customer: CustomerMatch | None) -> Owner:
        """The owner of a lead being captured."""
        if owner_ref is not None:
            owner, dept = await check_owner(uow, p, owner_ref, "leads")
            return owner, dept, Assignment(
                AssignedBy.MANUAL, text("lead.assignment.named_at_capture", by=actor.shown_name),
                assigned_by_user=p.user_id)
        if customer is not None and (o := await active_user(uow, customer.owner_id)):
            return o[0], o[1], Assignment(
                AssignedBy.CUSTOMER_OWNER,
                # Which customer is told by the flag, to those who may see it; the reason is
                # shown to whoever entered the lead too.
                text("lead.assignment.customer_owner"))
        if original is not None and original.owner_id and (
                o := await active_user(uow, original.owner_id)):
            return o[0], o[1], Assignment(
                AssignedBy.DUPLICATE_OWNER,
                text("lead.assignment.duplicate_owner"))
        if lead.status == LeadStatus.DISQUALIFIED:
            return await self._fallback(uow, routing, None, text("lead.assignment.spam"))
        if not auto and p.user_id is not None:
            return p.user_id, p.department_id, Assignment(
                AssignedBy.CREATOR, text("lead.assignment.creator", by=actor.shown_name))
        return await self.route(uow, lead, routing)

    async def route(self, uow: UnitOfWork, lead: Lead, routing: RoutingSettings) -> Owner:
        """Territory rule → a rep of its department (round-robin or least-loaded), else the
        department's manager, else the queue.

        Round-robin draws the department's next turn number, which no other capture can draw,
        and holds nothing until commit: simultaneous captures do not wait for each other (a
        capture that fails after drawing leaves its rep's turn unused). Least-loaded must see
        the leads of every capture before it, so the department stays locked until the
        capture commits and captures take turns one after the other.
        """
        rule = routing.match(lead.region, lead.industry)
        if rule is None:
            return await self._fallback(
                uow, routing, None, text("lead.assignment.no_rule", region=lead.region or "-",
                                         industry=lead.industry or "-"))
        ticket, members = (await uow.reps.next_turn(rule.department_id, self.clock.now())
                           if rule.method == Method.ROUND_ROBIN else (None, []))
        if ticket is not None:
            members, rep_id = await self._by_ticket(uow, rule, ticket, members)
        else:
            last = await uow.rotation.lock(rule.department_id)
            members = await uow.reps.members(rule.department_id, self.clock.now(),
                                             loads=rule.method == Method.LEAST_LOADED)
            rep = pick(members, last, rule.method)
            rep_id = rep.user_id if rep else None
            if rep_id is not None:
                await uow.rotation.advance(rule.department_id, rep_id)
        if rep_id is not None:
            how = (AssignedBy.ROUND_ROBIN if rule.method == Method.ROUND_ROBIN
                   else AssignedBy.LEAST_LOADED)
            return rep_id, rule.department_id, _by_rule(
                rule, how, text("lead.assignment.by_rule", rule=rule.name,
                                method=Label("routing_method", rule.method.value)))
        skipped = Counter(why_skipped(m) for m in members if m.is_rep or m.in_rotation)
        why = [text("lead.assignment.skipped", count=n, why=Label("rep_skipped", reason))
               for reason, n in sorted(skipped.items())] or [text("lead.assignment.no_reps")]
        manager = await uow.reps.manager_of(rule.department_id)
        if manager is not None:
            return manager, rule.department_id, _by_rule(
                rule, AssignedBy.DEPARTMENT_MANAGER,
                text("lead.assignment.parked_with_manager", rule=rule.name, why=why))
        return await self._fallback(uow, routing, rule,
                                    text("lead.assignment.no_rep_no_manager", rule=rule.name,
                                         why=why))

    async def _by_ticket(self, uow: UnitOfWork, rule: RoutingRule, ticket: int,
                         members: list[RepState]) -> tuple[list[RepState], uuid.UUID | None]:
        """The rep the ticket names. A capacity is checked under the rep's lock, counting the
        leads of the captures before; a rep found full is left out and a new ticket drawn, so
        what overflows goes round the others too. Each round leaves out one more rep."""
        for _ in range(len(members)):
            rep = in_turn(members, ticket)
            if rep is None:
                break
            if rep.capacity is None or await uow.reps.hold(rep.user_id) < rep.capacity:
                return members, rep.user_id
            drawn, members = await uow.reps.next_turn(rule.department_id, self.clock.now())
            ticket = drawn or 0
        return members, None

    async def _fallback(self, uow: UnitOfWork, routing: RoutingSettings,
                        rule: RoutingRule | None, reason: Text) -> Owner:
        """Never unowned: the queue, else a manager further up, else an administrator."""
        extra: dict[str, Any] = {"rule_id": rule.id, "rule_name": rule.name,
                                 "department_id": rule.department_id} if rule else {}
        if routing.queue_user_id and (q := await active_user(uow, routing.queue_user_id)):
            return q[0], q[1], Assignment(AssignedBy.QUEUE, text("lead.assignment.sent_to_queue",
                                                                    reason=reason),
                                          **extra)
        if rule is not None:
            dept = await uow.departments.get(rule.department_id)
            manager = await manager_above(uow, dept.parent_id if dept else None)
            if manager is not None and (m := await active_user(uow, manager)):
                return m[0], m[1], Assignment(AssignedBy.DEPARTMENT_MANAGER,
                                              text("lead.assignment.parked_above",
                                                   reason=reason), **extra)
        admin = await uow.reps.any_admin()
        if admin is None or (a := await active_user(uow, admin)) is None:
            raise ValidationFailed.of("owner_id", "lead.no_owner_possible")
        return a[0], a[1], Assignment(AssignedBy.ADMIN_FALLBACK,
                                      text("lead.assignment.given_to_admin", reason=reason),
                                      **extra)


def _by_rule(rule: RoutingRule, by: AssignedBy, reason: Text) -> Assignment:
    return Assignment(by, reason, rule_id=rule.id, rule_name=rule.name,
                      department_id=rule.department_id)
