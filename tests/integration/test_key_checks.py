"""Key checks on a database that holds personal data from before they existed: the first start
with a wrong key is refused too, instead of recording the wrong key as the database's own."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from adapters.bootstrap import Container
from adapters.crypto.fields import AesGcmFieldCipher
from adapters.crypto.key_check import KeyMismatch, verify_keys
from adapters.db import tables
from adapters.keys_cli import new_key
from adapters.settings import DEV_BLIND_INDEX_KEY, DEV_FIELD_KEY
from tests.conftest import World
from tests.integration.customers_helpers import create


async def _checks(container: Container) -> int:
    async with container.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(tables.key_checks)) or 0)


async def test_a_wrong_key_is_refused_on_data_written_before_key_checks(
        client: httpx.AsyncClient, world: World, container: Container) -> None:
    await create(client, world)
    assert await _checks(container) == 0
    wrong = AesGcmFieldCipher(f"k1:{new_key()}", DEV_BLIND_INDEX_KEY)
    with pytest.raises(KeyMismatch, match=r"^CRM_FIELD_KEY: key 'k1' differs"):
        await verify_keys(container.engine, wrong)
    assert await _checks(container) == 0
    right = AesGcmFieldCipher(DEV_FIELD_KEY, DEV_BLIND_INDEX_KEY)
    await verify_keys(container.engine, right)
    assert await _checks(container) == 2  # the field key k1 and the blind-index key
    with pytest.raises(KeyMismatch, match="CRM_BLIND_INDEX_KEY"):
        await verify_keys(container.engine, AesGcmFieldCipher(DEV_FIELD_KEY, new_key()))
    await verify_keys(container.engine, right)  # again: matches what it recorded
