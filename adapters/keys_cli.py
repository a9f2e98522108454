"""`crm keys`: fresh secrets for a deployment's environment, re-encryption under a new field
key, and the check at start that the keys are the database's."""

from __future__ import annotations

import argparse
import base64
import secrets
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from adapters.bootstrap import Container
    from adapters.crypto.fields import AesGcmFieldCipher
    from adapters.settings import Settings


def new_key() -> str:
    """The base64 of 32 random bytes: what the field, blind-index and backup keys are."""
    return base64.b64encode(secrets.token_bytes(32)).decode()


def new_field_key_id(now: datetime | None = None) -> str:
    """Letters and digits (the keyring's rule), dated so that a rotated keyring reads in order,
    with a random tail so that two keys made the same day differ."""
    day = (now or datetime.now(UTC)).strftime("%Y%m%d")
    return f"k{day}{secrets.token_hex(2)}"


def generated_env() -> dict[str, str]:
    return {
        # Signs access tokens; any 32+ characters. 48 random bytes, URL-safe.
        "CRM_SECRET_KEY": secrets.token_urlsafe(48),
        "CRM_FIELD_KEY": f"{new_field_key_id()}:{new_key()}",
        "CRM_BLIND_INDEX_KEY": new_key(),
        "CRM_BACKUP_KEY": new_key(),
    }


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    keys = sub.add_parser("keys", help="generate secrets")
    ks = keys.add_subparsers(dest="keys_command", required=True)
    ks.add_parser("generate", help="print fresh CRM_SECRET_KEY, CRM_FIELD_KEY, "
                  "CRM_BLIND_INDEX_KEY and CRM_BACKUP_KEY in .env format")
    r = ks.add_parser("rotate", help="re-encrypt personal data under CRM_FIELD_KEY's first key "
                      "(the old keys listed after it), in chunks, while the system runs")
    r.add_argument("--chunk", type=int, default=500, metavar="N",
                   help="rows per transaction (default 500)")


def generate() -> None:
    print("# Made by `crm keys generate`. Keep these secret, and keep them: data encrypted with")
    print("# the field key, and backups made with the backup key, cannot be read without them.")
    for name, value in generated_env().items():
        print(f"{name}={value}")


async def rotate(settings: Settings, chunk: int) -> None:
    from adapters.bootstrap import resolve_services
    from adapters.crypto.fields import AesGcmFieldCipher
    from adapters.crypto.rotation import Rotated, rotate_all, stale_values
    from adapters.db.engine import build_engine

    settings = resolve_services(settings)
    assert settings.database_url
    cipher = AesGcmFieldCipher(settings.field_key, settings.blind_index_key)
    engine = build_engine(settings.database_url, pool_size=1)

    def progress(done: Rotated) -> None:
        print(f"{done.table}: {done.values} values in {done.rows} rows re-encrypted", flush=True)

    try:
        await verified_keys(engine, cipher)
        await rotate_all(engine, cipher, max(1, chunk), progress)
        left = await stale_values(engine, cipher.current_key_id)
    finally:
        await engine.dispose()
    if left:
        print(f"crm: {left} values are still under an older key (written meanwhile by a process "
              "with the old keyring first?); run `crm keys rotate` again", file=sys.stderr)
        raise SystemExit(1)
    print(f"every value is under key {cipher.current_key_id!r}: the older keys in "
          "CRM_FIELD_KEY may be removed")


async def verified_keys(engine: AsyncEngine, cipher: AesGcmFieldCipher) -> None:
    from adapters.crypto.key_check import KeyMismatch, verify_keys

    try:
        await verify_keys(engine, cipher)
    except KeyMismatch as e:
        print(f"crm: Refusing to start: {e}", file=sys.stderr)
        raise SystemExit(2) from None


async def verified(container: Container) -> Container:
    """The container, once its keys are known to match the database's; otherwise one line
    naming the setting, and exit status 2 (as for any setting refused at start)."""
    try:
        await verified_keys(container.engine, container.cipher)
    except BaseException:
        await container.close()
        raise
    return container
