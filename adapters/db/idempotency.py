"""Idempotency-Key records in PostgreSQL (per the IETF draft and Stripe's practice)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.db import tables
from domain.shared.ports import IdempotencyOutcome

KEY_TTL = timedelta(hours=24)


class SqlIdempotencyStore:
    def __init__(self, engine: AsyncEngine, ttl: timedelta = KEY_TTL) -> None:
        self._engine = engine
        self._ttl = ttl

    async def begin(self, caller: str, key: str, fingerprint: str) -> IdempotencyOutcome:
        keys = tables.idempotency_keys
        async with self._engine.begin() as conn:
            # An expired record no longer counts: take it over.
            await conn.execute(delete(keys).where(
                keys.c.caller == caller, keys.c.key == key, keys.c.expires_at < func.now()))
            inserted = await conn.execute(
                insert(keys).values(caller=caller, key=key, fingerprint=fingerprint,
                                    state="in_flight", expires_at=func.now() + self._ttl)
                .on_conflict_do_nothing().returning(keys.c.key))
            if inserted.first() is not None:
                return IdempotencyOutcome("new")
            row = (await conn.execute(
                select(keys).where(keys.c.caller == caller, keys.c.key == key))).one()
        if row.fingerprint != fingerprint:
            return IdempotencyOutcome("mismatch")
        if row.state != "done":
            return IdempotencyOutcome("in_flight")
        return IdempotencyOutcome("replay", row.status, [tuple(h) for h in row.headers], row.body)

    async def complete(self, caller: str, key: str, status: int, headers: list[tuple[str, str]],
                       body: bytes) -> None:
        keys = tables.idempotency_keys
        async with self._engine.begin() as conn:
            await conn.execute(update(keys).where(
                and_(keys.c.caller == caller, keys.c.key == key)).values(
                state="done", status=status, headers=[list(h) for h in headers], body=body))

    async def abandon(self, caller: str, key: str) -> None:
        keys = tables.idempotency_keys
        async with self._engine.begin() as conn:
            await conn.execute(delete(keys).where(keys.c.caller == caller, keys.c.key == key))

    async def purge_expired(self) -> int:
        keys = tables.idempotency_keys
        async with self._engine.begin() as conn:
            result = await conn.execute(delete(keys).where(keys.c.expires_at < func.now()))
            return result.rowcount
