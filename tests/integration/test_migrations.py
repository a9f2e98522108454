"""Alembic only: upgrade → downgrade → upgrade works, and the migrations match the tables."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from adapters.db.engine import build_engine
from adapters.db.migrate import downgrade, upgrade
from adapters.db.tables import metadata
from adapters.db.tables.audit import include_name
from tests.services import create_database, drop_database


@pytest.fixture
async def scratch_db(admin_url: str) -> AsyncIterator[str]:
    url = await create_database(admin_url, prefix="crm_migr")
    yield url
    await drop_database(admin_url, url)


def _diff(sync_conn) -> list:  # type: ignore[no-untyped-def, type-arg]
    return compare_metadata(MigrationContext.configure(
        sync_conn, opts={"include_name": include_name}), metadata)


async def test_upgrade_downgrade_upgrade_and_models_agree(scratch_db: str) -> None:
    await upgrade(scratch_db)
    await downgrade(scratch_db, "base")
    engine = build_engine(scratch_db, pool_size=1)
    try:
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
            assert set(tables) <= {"alembic_version"}, "downgrade leaves nothing behind"
        await upgrade(scratch_db)
        async with engine.connect() as conn:
            assert await conn.run_sync(_diff) == []
            triggers = set((await conn.execute(text(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_log'::regclass"))).scalars())
            assert triggers == {"audit_log_append_only", "audit_log_no_truncate"}
    finally:
        await engine.dispose()


async def test_0014_gives_existing_contacts_their_masked_forms(scratch_db: str) -> None:
    """Rows written before 0014 get the masked forms the list's JSON is built from, with the
    application's key (as the environment gives it)."""
    import uuid

    from adapters.crypto.fields import AesGcmFieldCipher
    from adapters.settings import Settings

    s = Settings()
    cipher = AesGcmFieldCipher(s.field_key, s.blind_index_key)
    await upgrade(scratch_db, "0013")
    engine = build_engine(scratch_db, pool_size=1)
    ids = [uuid.uuid4() for _ in range(3)]
    try:
        async with engine.begin() as conn:
            user, dept = uuid.uuid4(), uuid.uuid4()
            await conn.execute(text("INSERT INTO departments (id, name) VALUES (:d, 'HQ')"),
                               {"d": dept})
            await conn.execute(text(
                "INSERT INTO users (id, email, name, password_hash, role, department_id) "
                "VALUES (:u, 'a@b.c', 'A', 'x', 'admin', :d)"), {"u": user, "d": dept})
            await conn.execute(text(
                "INSERT INTO customers (id, number, name, name_normalised, kind, grade, tier, "
                "owner_id, id_card_enc) VALUES (:c, 'C1', '王小明', '王小明', 'person', "
                "'potential', 'normal', :u, :card)"),
                {"c": ids[0], "u": user, "card": cipher.encrypt("110101199003071233")})
            for i, (mobile, email) in enumerate([("13812345678", "zhang@example.com"),
                                                 (None, None)]):
                await conn.execute(text(
                    "INSERT INTO contacts (id, customer_id, name, mobile_enc, email_enc) "
                    "VALUES (:k, :c, 'x', :m, :e)"),
                    {"k": ids[1 + i], "c": ids[0], "m": mobile and cipher.encrypt(mobile),
                     "e": email and cipher.encrypt(email)})
        await upgrade(scratch_db)
        async with engine.connect() as conn:
            rows = (await conn.execute(text(
                "SELECT mobile_masked, landline_masked, email_masked FROM contacts "
                "ORDER BY mobile_masked NULLS LAST"))).all()
            assert [tuple(r) for r in rows] == [("138****5678", None, "z***@example.com"),
                                                (None, None, None)]
            assert await conn.scalar(text("SELECT id_card_masked FROM customers")) == \
                "110101********1233"
    finally:
        await engine.dispose()
