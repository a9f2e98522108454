"""In-memory fakes of the webhooks ports: endpoints, the delivery log and the host resolver.

The one outside read the webhook use cases make, "any admin" (who hears of a disabled
endpoint without an owner), is set on each unit of work by `WebhookUowFactory` rather than
registered, so that it does not stand in for the leads feature's own fake of that port.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Sequence

from domain.shared.authz import Role
from domain.shared.paging import Page, PageRequest
from domain.webhooks.model import Delivery, DeliveryStatus, WebhookEndpoint
from tests.fakes.shared import FakeUnitOfWork, FakeUowFactory, page_of, repository


class FakeResolver:
    """Host name → addresses; a name it does not know does not resolve."""

    def __init__(self, hosts: dict[str, list[str]] | None = None) -> None:
        self.hosts = dict(hosts or {})
        self.asked: list[tuple[str, int]] = []

    async def resolve(self, host: str, port: int) -> list[str]:
        self.asked.append((host, port))
        return list(self.hosts.get(host, []))


@repository("webhooks")
class FakeWebhooks:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow
        self.rows: dict[uuid.UUID, WebhookEndpoint] = uow.state.table("webhooks")

    async def get(self, endpoint_id: uuid.UUID, lock: bool = False) -> WebhookEndpoint | None:
        found = self.rows.get(endpoint_id)
        return copy.deepcopy(found) if found else None

    async def add(self, endpoint: WebhookEndpoint) -> None:
        self.rows[endpoint.id] = copy.deepcopy(endpoint)

    async def save(self, endpoint: WebhookEndpoint) -> None:
        self.rows[endpoint.id] = copy.deepcopy(endpoint)

    async def delete(self, endpoint_id: uuid.UUID) -> None:
        self.rows.pop(endpoint_id, None)
        deliveries = self.uow.state.table("webhook_deliveries")
        for d in [d for d in deliveries.values() if d.endpoint_id == endpoint_id]:
            del deliveries[d.id]

    async def list(self, page: PageRequest) -> Page[WebhookEndpoint]:
        return page_of([copy.deepcopy(e) for e in self.rows.values()], page, lambda e: str(e.id))


@repository("webhook_deliveries")
class FakeWebhookDeliveries:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.rows: dict[uuid.UUID, Delivery] = uow.state.table("webhook_deliveries")

    async def get(self, delivery_id: uuid.UUID, lock: bool = False) -> Delivery | None:
        found = self.rows.get(delivery_id)
        return copy.deepcopy(found) if found else None

    async def get_many(self, delivery_ids: Sequence[uuid.UUID]) -> list[Delivery]:
        return [copy.deepcopy(self.rows[i]) for i in sorted(delivery_ids) if i in self.rows]

    async def save(self, delivery: Delivery) -> None:
        self.rows[delivery.id] = copy.deepcopy(delivery)

    async def save_many(self, deliveries: Sequence[Delivery]) -> None:
        for d in deliveries:
            await self.save(d)

    async def list(self, endpoint_id: uuid.UUID, status: DeliveryStatus | None,
                   page: PageRequest) -> Page[Delivery]:
        items = [copy.deepcopy(d) for d in self.rows.values() if d.endpoint_id == endpoint_id
                 and status in (None, d.status)]
        return page_of(items, page, lambda d: str(d.id))


class _Admins:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def any_admin(self) -> uuid.UUID | None:
        admins = sorted((u for u in self.uow.state.users.values()
                         if u.role == Role.ADMIN and u.is_active), key=lambda u: u.email)
        return admins[0].id if admins else None


class WebhookUowFactory(FakeUowFactory):
    def __call__(self) -> FakeUnitOfWork:
        uow = super().__call__()
        uow.reps = _Admins(uow)  # type: ignore[attr-defined]
        return uow
