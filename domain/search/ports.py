"""What global search needs: an index over every kind of record, and the owner rule."""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

from domain.search.model import RecordKind, SearchHit
from domain.shared.authz import Principal, Visibility
from domain.shared.ports import UnitOfWork


class SearchIndex(Protocol):
    async def find(self, q: str, kinds: Collection[RecordKind], visibility: Visibility,
                   limit: int) -> list[SearchHit]:
        """Up to `limit` records of each kind whose search key contains `q` (lower-case),
        among those `visibility` allows, the closest matches first."""
        ...

    async def by_phone_tail(self, digits: str, visibility: Visibility, limit: int
                            ) -> list[SearchHit]:
        """Contacts whose mobile or landline ends in these four digits, among the customers
        `visibility` allows."""
        ...


class Sight(Protocol):
    """The owner rule every sales record shares (customers' visibility)."""

    async def visibility(self, uow: UnitOfWork, p: Principal, *, read: bool = False
                         ) -> Visibility: ...
