"""The repositories and outside services the webhooks feature needs."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Sequence
from typing import Protocol

from domain.shared.paging import Page, PageRequest
from domain.webhooks.model import Delivery, DeliveryStatus, WebhookEndpoint


class WebhookRepository(Protocol):
    async def get(self, endpoint_id: uuid.UUID, lock: bool = False) -> WebhookEndpoint | None: ...
    async def add(self, endpoint: WebhookEndpoint) -> None:
        """The endpoint receives events committed from now on, not older ones."""
        ...
    async def save(self, endpoint: WebhookEndpoint) -> None:
        """Raises StaleVersion if someone else saved it first."""
        ...
    async def delete(self, endpoint_id: uuid.UUID) -> None: ...
    async def list(self, page: PageRequest) -> Page[WebhookEndpoint]: ...


class WebhookDeliveries(Protocol):
    async def get(self, delivery_id: uuid.UUID, lock: bool = False) -> Delivery | None: ...
    async def get_many(self, delivery_ids: Sequence[uuid.UUID]) -> builtins.list[Delivery]:
        """Locked for update, in id order."""
        ...
    async def save(self, delivery: Delivery) -> None: ...
    async def save_many(self, deliveries: Sequence[Delivery]) -> None: ...
    async def list(self, endpoint_id: uuid.UUID, status: DeliveryStatus | None,
                   page: PageRequest) -> Page[Delivery]: ...


class HostResolver(Protocol):
    async def resolve(self, host: str, port: int) -> builtins.list[str]:
        """The IP addresses of a host name; empty when it does not resolve."""
        ...

