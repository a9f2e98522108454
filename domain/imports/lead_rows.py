"""Rows that become leads (a trade-show list and the like): each row is captured through the
leads feature's own use case (validation flags, duplicate detection, scoring, routing), in
the chunk's transaction. A dry run only checks that each row would make a lead.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from domain.customers.model import Source
from domain.imports.customer_rows import Row, RowError, owner_named, row_problems
from domain.imports.model import Import, Outcome, RowValues, map_row
from domain.imports.ports import LeadCapture
from domain.leads.commands import CaptureLead
from domain.leads.model import Lead
from domain.shared.authz import Actor, Principal
from domain.shared.errors import DomainError, ValidationFailed
from domain.shared.ports import Clock, UnitOfWork

# lead field → the import field whose column it came from (for error reports)
_LEAD_FIELDS = {"company": "name", "name": "contact", "phone": "mobile", "budget":
                "annual_purchase", "message": "key_needs", "owner_id": "owner"}


@dataclass
class LeadRows:
    leads: LeadCapture
    clock: Clock

    async def write(self, uow: UnitOfWork, imp: Import, actor: Actor, rows: Sequence[Row]
                    ) -> None:
        await _LeadChunk(self, uow, imp, actor).apply(rows)


class _LeadChunk:
    def __init__(self, writer: LeadRows, uow: UnitOfWork, imp: Import, actor: Actor) -> None:
        self.leads, self.clock = writer.leads, writer.clock
        self.uow, self.imp, self.actor = uow, imp, actor
        assert actor.principal is not None
        self.p: Principal = actor.principal
        self.owners: dict[str, uuid.UUID] = {}

    async def apply(self, rows: Sequence[Row]) -> None:
        errors: list[RowError] = []
        picklists = {n: await self.uow.picklists.labels(n) for n in ("industry", "region")}
        for row_no, values in rows:
            rv: RowValues | None = None
            try:
                rv = map_row(values, self.imp.mapping, picklists)
                data = await self._lead_data(rv)
                if self.imp.dry_run:
                    data.pop("owner_id", None), data.pop("auto_assign", None)
                    Lead.capture(number="", source=Source(data.pop("source")),
                                 now=self.clock.now(), created_by=self.p.id, **data)
                else:
                    await self.leads.capture_in(self.uow, self.actor, CaptureLead(**data))
                self.imp.count(Outcome.CREATED)
            except (DomainError, ValueError) as e:
                for where, message in row_problems(e):
                    column = rv.column_for(_LEAD_FIELDS.get(where, where)) if rv else where
                    errors.append((row_no, column, message, Outcome.REJECTED.value))
                self.imp.count(Outcome.REJECTED)
        await self.uow.imports.add_errors(self.imp.id, errors)

    async def _lead_data(self, rv: RowValues) -> dict[str, Any]:
        """The capture's fields from the row's customer and contact columns; empty ones left
        out, so that the lead's own defaults apply."""
        c, x = rv.customer, rv.contact or {}
        data: dict[str, Any] = {
            "company": c.get("name"), "name": x.get("name"), "title": x.get("title"),
            "phone": x.get("mobile") or x.get("landline"), "email": x.get("email"),
            "industry": c.get("industry"), "region": c.get("region"),
            "message": c.get("key_needs"), "budget": c.get("annual_purchase"),
            "source": c.get("source") or Source.IMPORT.value,
            "campaign": self.imp.filename[:100], "auto_assign": rv.owner is None,
        }
        if rv.owner is not None:  # the lead use case applies its own rules to the owner
            data["owner_id"] = await self._owner(rv.owner)
        return {k: v for k, v in data.items() if v not in (None, "")}

    async def _owner(self, spec: str) -> uuid.UUID:
        if spec not in self.owners:
            user_id = await owner_named(self.uow, spec)
            if user_id is None:
                raise ValidationFailed.of("owner", "import.no_such_owner", name=spec)
            self.owners[spec] = user_id
        return self.owners[spec]
