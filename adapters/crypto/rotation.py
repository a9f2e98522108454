"""Re-encrypt personal data under the keyring's current key, in small transactions, while the
system runs.

A rotation: put the new key first in CRM_FIELD_KEY with the old ones after it (they still
decrypt), restart the processes, run `crm keys rotate`, and once it reports nothing left under
an old key id, drop the old keys. Each chunk locks only its own rows, for one short
transaction: a concurrent write of one of them waits for that chunk, then writes values
encrypted under whatever key its process holds first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Column, Table, and_, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.crypto.fields import AesGcmFieldCipher
from adapters.db.tables import (
    contacts,
    customers,
    leads,
    notification_preferences,
    webhook_endpoints,
)

# Every column holding a value of AesGcmFieldCipher.encrypt, by table.
ENCRYPTED: list[tuple[Table, tuple[str, ...]]] = [
    (customers, ("id_card_enc",)),
    (contacts, ("mobile_enc", "landline_enc", "email_enc")),
    (leads, ("phone_enc", "email_enc")),
    (notification_preferences, ("mobile_enc",)),
    (webhook_endpoints, ("secret_enc", "previous_secret_enc")),
]


@dataclass
class Rotated:
    table: str
    rows: int = 0
    values: int = 0


def _stale(column: Column, kid: str):  # type: ignore[no-untyped-def]
    """A value not under the current key id (ids are letters and digits, then a colon)."""
    return and_(column.is_not(None), ~column.startswith(f"{kid}:", autoescape=True))


async def rotate_table(engine: AsyncEngine, cipher: AesGcmFieldCipher, table: Table,
                       names: tuple[str, ...], chunk: int = 500) -> Rotated:
    kid = cipher.current_key_id
    key = next(iter(table.primary_key.columns))
    columns = [table.c[name] for name in names]
    done = Rotated(table.name)
    last = None
    while True:
        async with engine.begin() as conn:
            # The customers' list documents hold masked values only, which re-encryption does
            # not change: their triggers would lock each document row for nothing (and, against
            # an edit locking the customer then its contacts, in the opposite order).
            await conn.execute(text("SET LOCAL crm.docs_later = 'on'"))
            query = (select(key, *columns).where(or_(*(_stale(c, kid) for c in columns)))
                     .order_by(key).limit(chunk).with_for_update())
            if last is not None:
                query = query.where(key > last)
            rows = (await conn.execute(query)).all()
            for row in rows:
                values = {name: cipher.encrypt(cipher.decrypt(getattr(row, name)))
                          for name in names
                          if getattr(row, name) is not None
                          and not getattr(row, name).startswith(f"{kid}:")}
                await conn.execute(update(table).where(key == row[0]).values(values))
                done.values += len(values)
            done.rows += len(rows)
        if len(rows) < chunk:
            return done
        last = rows[-1][0]


async def rotate_all(engine: AsyncEngine, cipher: AesGcmFieldCipher, chunk: int = 500,
                     progress: Callable[[Rotated], None] | None = None) -> list[Rotated]:
    results = []
    for table, names in ENCRYPTED:
        result = await rotate_table(engine, cipher, table, names, chunk)
        if progress:
            progress(result)
        results.append(result)
    return results


async def stale_values(engine: AsyncEngine, kid: str) -> int:
    """How many values are still under another key id than `kid`."""
    from sqlalchemy import func

    total = 0
    async with engine.connect() as conn:
        for table, names in ENCRYPTED:
            for name in names:
                total += await conn.scalar(
                    select(func.count()).select_from(table).where(_stale(table.c[name], kid))
                ) or 0
    return total
