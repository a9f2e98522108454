"""Finding a record by a phone number or an e-mail address (exact match on the blind index).

Answers show personal data masked (`137****7890`), and an exact-match search that says "found"
or "not found" would give the hidden digits back in at most 10,000 tries. So a look-up answers
within the caller's whole sight only for those who may reveal personal data anyway, and among
the caller's own records otherwise; it is counted per caller, and each one is written to the
audit log as a reveal is, whether it found anything or not.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.shared.authz import Actor, Principal, Scope, Visibility
from domain.shared.errors import RateLimited
from domain.shared.ports import RateLimiter


@dataclass
class ContactLookup:
    # None: look-ups are narrowed and audited but not counted.
    limiter: RateLimiter | None = None
    per_minute: int = 30

    async def admit(self, actor: Actor) -> None:
        """RateLimited when the caller has used up its look-ups for the minute."""
        p = actor.principal
        if self.limiter is None or p is None:
            return
        wait = await self.limiter.hit(f"lookup:{p.kind}:{p.id}", self.per_minute, 60)
        if wait:
            raise RateLimited("lookup.too_many", wait, wait=wait)

    @staticmethod
    def narrow(p: Principal, visibility: Visibility) -> Visibility:
        """Where a look-up may search: everything the caller sees with pii:reveal, else only
        what the caller owns (nothing, for an integration)."""
        if p.has(Scope.PII_REVEAL):
            return visibility
        return Visibility(owner_id=p.id)
