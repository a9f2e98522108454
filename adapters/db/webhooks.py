"""Webhook endpoints (secrets encrypted at rest) and their deliveries."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, delete, func, select, text
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.db import tables
from adapters.db.base import SqlRepository, columns_of, loaded
from adapters.db.keyset import fetch_page
from domain.shared.paging import Page, PageRequest
from domain.shared.ports import FieldCipher
from domain.webhooks.model import Delivery, DeliveryStatus, WebhookEndpoint

# The delivery worker LISTENs here; a fan-out or redelivery NOTIFYs on commit.
CHANNEL = "crm_webhooks"


class SqlWebhooks(SqlRepository):
    def __init__(self, conn: AsyncConnection, seen: list[Any], cipher: FieldCipher) -> None:
        super().__init__(conn, seen)
        self.cipher = cipher

    def _endpoint(self, row: Row) -> WebhookEndpoint:
        m = dict(row._mapping)
        m.pop("from_seq")
        m["secret"] = self.cipher.decrypt(m.pop("secret_enc"))
        previous = m.pop("previous_secret_enc")
        m["previous_secret"] = self.cipher.decrypt(previous) if previous else None
        m["event_types"] = list(m["event_types"])
        return loaded(WebhookEndpoint(**m))

    def _values(self, endpoint: WebhookEndpoint) -> dict[str, Any]:
        values = columns_of(endpoint, tables.webhook_endpoints)
        values.pop("created_at"), values.pop("updated_at")
        values["secret_enc"] = self.cipher.encrypt(endpoint.secret)
        values["previous_secret_enc"] = (self.cipher.encrypt(endpoint.previous_secret)
                                         if endpoint.previous_secret else None)
        return values

    async def get(self, endpoint_id: uuid.UUID, lock: bool = False) -> WebhookEndpoint | None:
        endpoints = tables.webhook_endpoints
        return await self._one(endpoints, self._endpoint, endpoints.c.id == endpoint_id, lock=lock)

    async def add(self, endpoint: WebhookEndpoint) -> None:
        endpoints = tables.webhook_endpoints
        from_seq = select(func.coalesce(func.max(tables.outbox.c.seq), 0)).scalar_subquery()
        await self._insert_stamped(endpoints, endpoint,
                                   {**self._values(endpoint), "from_seq": from_seq})

    async def save(self, endpoint: WebhookEndpoint) -> None:
        endpoint.updated_at = await self._update_versioned(
            tables.webhook_endpoints, endpoint, "webhook", self._values(endpoint))
        loaded(endpoint)
        if endpoint.active:  # turned back on: its waiting deliveries are due
            await self.conn.execute(_NOTIFY)

    async def delete(self, endpoint_id: uuid.UUID) -> None:
        endpoints = tables.webhook_endpoints
        await self.conn.execute(delete(endpoints).where(endpoints.c.id == endpoint_id))

    async def list(self, page: PageRequest) -> Page[WebhookEndpoint]:
        endpoints = tables.webhook_endpoints
        return await fetch_page(self.conn, select(endpoints),
                                [endpoints.c.created_at, endpoints.c.id], page, self._endpoint)


def _delivery(row: Row) -> Delivery:
    m = dict(row._mapping)
    m["status"] = DeliveryStatus(m["status"])
    return Delivery(**m)


_MUTABLE = ("attempts", "round_attempts", "response_status", "latency_ms", "last_error",
            "next_attempt_at", "last_attempt_at", "delivered_at")
_UPDATE_DELIVERY = tables.webhook_deliveries.update().where(
    tables.webhook_deliveries.c.id == bindparam("_id")).values(
    status=bindparam("status"), **{k: bindparam(k) for k in _MUTABLE})
_NOTIFY = text(f"NOTIFY {CHANNEL}")


class SqlWebhookDeliveries(SqlRepository):
    async def get(self, delivery_id: uuid.UUID, lock: bool = False) -> Delivery | None:
        deliveries = tables.webhook_deliveries
        return await self._one(deliveries, _delivery, deliveries.c.id == delivery_id, lock=lock)

    async def get_many(self, delivery_ids: Sequence[uuid.UUID]) -> list[Delivery]:
        deliveries = tables.webhook_deliveries
        rows = (await self.conn.execute(
            select(deliveries).where(deliveries.c.id.in_(delivery_ids))
            .order_by(deliveries.c.id).with_for_update())).all()
        return [_delivery(r) for r in rows]

    async def save(self, delivery: Delivery) -> None:
        await self.save_many([delivery])

    async def save_many(self, deliveries: Sequence[Delivery]) -> None:
        if not deliveries:
            return
        await self.conn.execute(_UPDATE_DELIVERY, [
            {"_id": d.id, **{k: getattr(d, k) for k in _MUTABLE}, "status": d.status.value}
            for d in deliveries])
        if any(d.status == DeliveryStatus.PENDING for d in deliveries):
            await self.conn.execute(_NOTIFY)

    async def list(self, endpoint_id: uuid.UUID, status: DeliveryStatus | None,
                   page: PageRequest) -> Page[Delivery]:
        deliveries = tables.webhook_deliveries
        stmt = select(deliveries).where(deliveries.c.endpoint_id == endpoint_id)
        if status is not None:
            stmt = stmt.where(deliveries.c.status == status.value)
        # newest event first, by outbox position
        return await fetch_page(self.conn, stmt, [deliveries.c.sequence, deliveries.c.id], page,
                                _delivery, descending=True)
