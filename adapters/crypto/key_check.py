"""The keys a process starts with are the keys the database's data was written with.

Each field key's encryption of a known constant (under its key id) and the blind-index key's
HMAC of it are stored in `key_checks` the first time a process starts with that key; every start
after checks them. A wrong CRM_FIELD_KEY would otherwise start normally and answer 500 at the
first reveal; a wrong CRM_BLIND_INDEX_KEY would quietly find nobody by phone or e-mail.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.crypto.fields import AesGcmFieldCipher
from adapters.db.tables import key_checks

KNOWN_CONSTANT = "crm key check v1"
FIELD, BLIND_INDEX = "field", "blind_index"
# The blind-index key has no id of its own (it never rotates): one row, under this name.
BLIND_INDEX_KEY_ID = "bidx"


class KeyMismatch(RuntimeError):
    """The configured keys cannot read what the database holds; the message names the setting."""


def fresh_checks(cipher: AesGcmFieldCipher) -> list[dict[str, str]]:
    rows = [{"purpose": FIELD, "key_id": kid,
             "check_value": cipher.encrypt_with(kid, KNOWN_CONSTANT)}
            for kid in cipher.key_ids]
    rows.append({"purpose": BLIND_INDEX, "key_id": BLIND_INDEX_KEY_ID,
                 "check_value": cipher.blind_index("key-check", KNOWN_CONSTANT)})
    return rows


def mismatch(cipher: AesGcmFieldCipher, stored: dict[tuple[str, str], str]) -> str | None:
    """What is wrong with the configured keys against the stored checks, or None."""
    for kid in cipher.key_ids:
        value = stored.get((FIELD, kid))
        if value is None:
            continue
        try:
            matches = cipher.decrypt(value) == KNOWN_CONSTANT
        except ValueError:
            matches = False
        if not matches:
            return (f"CRM_FIELD_KEY: key {kid!r} differs from the key {kid!r} that encrypted "
                    "this database's personal data; set the original key")
    known = sorted(kid for purpose, kid in stored if purpose == FIELD)
    if known and not any((FIELD, kid) in stored for kid in cipher.key_ids):
        return ("CRM_FIELD_KEY holds none of the keys this database's personal data was "
                f"encrypted with (key ids {', '.join(known)}); keep them in the keyring "
                "after the new key while data is re-encrypted")
    value = stored.get((BLIND_INDEX, BLIND_INDEX_KEY_ID))
    if value is not None and value != cipher.blind_index("key-check", KNOWN_CONSTANT):
        return ("CRM_BLIND_INDEX_KEY is not the key this database's look-ups were indexed "
                "with; set the original key (it cannot be changed)")
    return None


async def verify_keys(engine: AsyncEngine, cipher: AesGcmFieldCipher) -> None:
    """Raise KeyMismatch when the keys do not match the database; record checks for new keys.

    Processes starting together (API replicas, workers) may both record a key: the first one
    wins, and each verifies what was stored."""
    async with engine.begin() as conn:
        rows = (await conn.execute(select(key_checks.c.purpose, key_checks.c.key_id,
                                          key_checks.c.check_value))).all()
        stored = {(row.purpose, row.key_id): row.check_value for row in rows}
        if problem := mismatch(cipher, stored):
            raise KeyMismatch(problem)
        missing = [row for row in fresh_checks(cipher)
                   if (row["purpose"], row["key_id"]) not in stored]
        if not missing:
            return
        if problem := await _unreadable_data(conn, cipher, stored):
            raise KeyMismatch(problem)
        await conn.execute(insert(key_checks).values(missing).on_conflict_do_nothing())
        rows = (await conn.execute(select(key_checks.c.purpose, key_checks.c.key_id,
                                          key_checks.c.check_value))).all()
    if problem := mismatch(cipher, {(row.purpose, row.key_id): row.check_value for row in rows}):
        raise KeyMismatch(problem)


async def _unreadable_data(conn: AsyncConnection, cipher: AesGcmFieldCipher,
                           stored: dict[tuple[str, str], str]) -> str | None:
    """A database written before key checks existed has none: before the configured keys are
    recorded as its own, one stored value under each new key id must decrypt with them."""
    from adapters.crypto.rotation import ENCRYPTED

    unchecked = [kid for kid in cipher.key_ids if (FIELD, kid) not in stored]
    for table, names in ENCRYPTED:
        for name in names:
            column = table.c[name]
            for kid in unchecked:
                sample = await conn.scalar(select(column).where(
                    column.startswith(f"{kid}:", autoescape=True)).limit(1))
                if sample is None:
                    continue
                try:
                    cipher.decrypt(sample)
                except ValueError:
                    return (f"CRM_FIELD_KEY: key {kid!r} differs from the key {kid!r} that "
                            "encrypted this database's personal data; set the original key")
    return None
