"""The repositories and outside services the fields and tags feature needs."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Protocol

from domain.customers.model import Customer
from domain.customers.queries import CustomerFilter
from domain.fields_and_tags.model import CustomField, ListSettings, Segment, Tag
from domain.shared.authz import Actor, Principal, Visibility
from domain.shared.paging import Page, PageRequest
from domain.shared.ports import UnitOfWork


class CustomFieldRepository(Protocol):
    async def list(self, entity: str) -> Sequence[CustomField]: ...
    async def get(self, field_id: uuid.UUID) -> CustomField | None: ...
    async def add(self, custom_field: CustomField) -> None: ...
    async def save(self, custom_field: CustomField) -> None: ...


class TagRepository(Protocol):
    async def list(self) -> Sequence[Tag]: ...
    async def get(self, tag_id: uuid.UUID) -> Tag | None: ...
    async def add(self, tag: Tag) -> None: ...
    async def save(self, tag: Tag, old_name: str) -> Sequence[uuid.UUID]:
        """Persists the tag; a rename is carried into every customer that bears it (answered)."""
        ...
    async def delete(self, tag: Tag) -> Sequence[uuid.UUID]:
        """Removes the tag from the catalogue and every customer; answers those customers."""
        ...
    async def ensure(self, names: Sequence[str]) -> None:
        """Catalogues names first met on a customer (category custom)."""
        ...


class SegmentRepository(Protocol):
    async def get(self, segment_id: uuid.UUID) -> Segment | None: ...
    async def add(self, segment: Segment) -> None: ...
    async def save(self, segment: Segment) -> None: ...
    async def delete(self, segment_id: uuid.UUID) -> None: ...
    async def list_for(self, user_id: uuid.UUID, department_ids: Sequence[uuid.UUID],
                       page: PageRequest, object: str | None = None) -> Page[Segment]:
        """The user's own and those shared with the departments; of one list, or of all."""
        ...


class ListSettingsRepository(Protocol):
    async def get(self, user_id: uuid.UUID, object: str) -> ListSettings | None: ...
    async def save(self, settings: ListSettings) -> None:
        """Writes them as version settings.version + 1 if the stored ones are still at
        settings.version (0: none stored yet); else StaleVersion."""
        ...


class Customers(Protocol):
    """What tagging and segments need of the customers feature: who sees which customers, and
    a page of them."""

    async def visibility(self, uow: UnitOfWork, p: Principal) -> Visibility: ...
    async def list(self, actor: Actor, flt: CustomerFilter, page: PageRequest
                   ) -> Page[Customer]: ...
