"""Duplicate customers: finding the likely ones, with reasons and a score, and merging them
into one record that keeps all their history."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from domain.audit.model import field_diff
from domain.customers.access import CustomerAccess, masked_snapshot
from domain.customers.model import Customer
from domain.shared.authz import Actor, Scope, require
from domain.shared.errors import PermissionDenied, ValidationFailed
from domain.shared.ownership import is_team_lead
from domain.shared.text import text

MERGEABLE = frozenset({"name", "kind", "industry", "region", "size", "source", "grade",
                       "annual_purchase", "currency", "owner_id", "key_needs",
                       "next_followup_plan", "next_followup_at", "custom"})
# How strongly each reason alone points at the same customer; reasons add up as independent.
WEIGHTS = {"same phone": 0.9, "same name": 0.8, "same email": 0.7}


@dataclass
class DuplicateService:
    access: CustomerAccess

    async def find(self, actor: Actor, customer_id: uuid.UUID
                   ) -> list[tuple[Customer, list[str], float]]:
        """Likely duplicates the caller can see, with the reasons and a score, likeliest
        first."""
        p = require(actor, Scope.CUSTOMERS_READ)
        access = self.access
        async with access.uow() as uow:
            vis = await access.visibility(uow, p)
            c = await access.load(uow, vis, customer_id)
            found = await uow.customers.duplicates_of(c, vis)
        scored = []
        for other, reasons in found:
            miss = 1.0
            for r in reasons:
                miss *= 1 - WEIGHTS.get(r, 0.5)
            scored.append((other, reasons, round(1 - miss, 2)))
        return sorted(scored, key=lambda x: -x[2])

    async def merge(self, actor: Actor, survivor_id: uuid.UUID, loser_ids: Sequence[uuid.UUID],
                    field_choices: Mapping[str, uuid.UUID]) -> Customer:
        """Folds the losers into the survivor: contacts, tags, follow-ups, tasks and history
        move over, chosen fields take the chosen record's value, the losers become tombstones
        pointing at the survivor. A rep merges only its own customers."""
        p = require(actor, Scope.CUSTOMERS_WRITE)
        if not loser_ids or survivor_id in loser_ids or len(set(loser_ids)) != len(loser_ids):
            raise ValidationFailed.of("from", "customer.merge_others")
        access = self.access
        async with access.uow() as uow:
            vis = await access.visibility(uow, p)
            # rows are locked in one global order, so two opposite merges cannot deadlock
            loaded = {i: await access.load(uow, vis, i, lock=True)
                      for i in sorted([survivor_id, *loser_ids])}
            survivor = loaded[survivor_id]
            losers = [loaded[i] for i in loser_ids]
            if not is_team_lead(p) and any(x.owner_id != p.id for x in [survivor, *losers]):
                raise PermissionDenied("customer.merge_forbidden")
            before = masked_snapshot(survivor)
            survivor.absorb(losers, _chosen(field_choices, [survivor, *losers]),
                            access.tier_policy)
            for loser in losers:
                loser.fold_into(survivor.id, access.clock.now())
                await uow.customers.save(loser)
                await access.audit(uow, actor, "customer.merged_away", loser,
                                   {"merged_into": [None, str(survivor.id)]})
            await uow.customers.save(survivor)
            await uow.customers.fold_into(survivor.id, loser_ids)
            await uow.tags.ensure(survivor.tags)
            await access.note(uow, actor, survivor.id, "merged",
                              text("customer.line.merged", numbers=[x.number for x in losers]),
                              merged=[str(x.id) for x in losers])
            await access.audit(uow, actor, "customer.merged", survivor,
                               {**field_diff(before, masked_snapshot(survivor)),
                                "merged": [None, [str(x.id) for x in losers]]})
            await uow.commit()
            return survivor


def _chosen(field_choices: Mapping[str, uuid.UUID], merged: list[Customer]) -> dict[str, Any]:
    """field → the value of the record chosen for it (the owner brings its department)."""
    by_id = {x.id: x for x in merged}
    chosen: dict[str, Any] = {}
    for name, source_id in field_choices.items():
        if name not in MERGEABLE:
            raise ValidationFailed.of(f"field_choices.{name}", "customer.not_mergeable_field")
        if source_id not in by_id:
            raise ValidationFailed.of(f"field_choices.{name}", "customer.merge_choice_unknown")
        chosen[name] = getattr(by_id[source_id], name)
        if name == "owner_id":
            chosen["owner_department_id"] = by_id[source_id].owner_department_id
    return chosen
