"""Global search: what the caller typed, over every kind of record the caller may read.

Each kind is searched under the owner rule of the sales records (a rep its own, a manager its
department subtree's, the other roles everything), in one statement. Four digits are also
the end of a contact's phone number: the masked form shows those digits to anyone who sees
the record, so such a look-up follows the phone look-up rule (domain/shared/lookup.py):
within the caller's whole sight only with pii:reveal, else among the caller's own customers;
counted per caller and written to the audit log, found or not.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from domain.audit.model import AuditEntry
from domain.search.model import (
    MAX_PER_GROUP,
    MAX_QUERY,
    MIN_QUERY,
    READ_SCOPE,
    RecordKind,
    SearchHit,
    SearchResults,
    phone_tail_query,
)
from domain.search.ports import SearchIndex, Sight
from domain.shared.authz import Actor, Principal
from domain.shared.errors import PermissionDenied, ValidationFailed
from domain.shared.lookup import ContactLookup
from domain.shared.ports import UnitOfWorkFactory


def normalised_query(raw: str) -> str:
    """What is matched: the full-width letters and digits a Chinese keyboard may type made
    ASCII, spaces trimmed and collapsed, lower case as the keys are."""
    q = " ".join(unicodedata.normalize("NFKC", raw).split()).lower()
    if len(q) < MIN_QUERY:
        raise ValidationFailed.of("q", f"must have at least {MIN_QUERY} characters")
    if len(q) > MAX_QUERY:
        raise ValidationFailed.of("q", f"must have at most {MAX_QUERY} characters")
    return q


def readable_kinds(p: Principal) -> list[RecordKind]:
    kinds = [kind for kind in RecordKind if p.has(READ_SCOPE[kind])]
    if not kinds:
        raise PermissionDenied("Searching needs permission to read customers, leads, "
                               "opportunities or contracts")
    return kinds


@dataclass
class SearchService:
    uow: UnitOfWorkFactory
    index: SearchIndex
    sight: Sight
    # Reads that change nothing: each statement on its own (see CustomerAccess.reader).
    reader: UnitOfWorkFactory | None = None
    lookup: ContactLookup = field(default_factory=ContactLookup)

    async def search(self, actor: Actor, raw_query: str, limit: int = 5) -> SearchResults:
        if not 1 <= limit <= MAX_PER_GROUP:
            raise ValidationFailed.of("limit", f"must be from 1 to {MAX_PER_GROUP}")
        q = normalised_query(raw_query)
        p = actor.principal
        if p is None:
            raise PermissionDenied()
        kinds = readable_kinds(p)
        tail = phone_tail_query(q) if RecordKind.CONTACT in kinds else None
        if tail is not None:
            await self.lookup.admit(actor)
        async with (self.reader or self.uow)() as uow:
            vis = await self.sight.visibility(uow, p, read=True)
        hits = await self.index.find(q, kinds, vis, limit)
        results = SearchResults(q, {kind: [] for kind in kinds})
        for hit in hits:
            results.groups[hit.kind].append(hit)
        if tail is not None:
            by_phone = await self.index.by_phone_tail(tail, self.lookup.narrow(p, vis), limit)
            await self._audit_phone_lookup(actor, tail, by_phone)
            results.groups[RecordKind.CONTACT] = _merged(by_phone, results.groups[
                RecordKind.CONTACT], limit)
        return results

    async def _audit_phone_lookup(self, actor: Actor, tail: str, found: list[SearchHit]
                                  ) -> None:
        """Written like the list's look-up by phone: a walk through tails shows in the log."""
        async with self.uow() as uow:
            await uow.audit.record(AuditEntry.of(actor, "customer.looked_up", "customer", None, {
                "phone": f"****{tail}",
                "found": sorted({str(hit.customer_id) for hit in found})}))
            await uow.commit()


def _merged(first: list[SearchHit], then: list[SearchHit], limit: int) -> list[SearchHit]:
    seen = {hit.id for hit in first}
    return [*first, *(hit for hit in then if hit.id not in seen)][:limit]
