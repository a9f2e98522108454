"""`crm keys`: fresh secrets for a deployment's environment."""

from __future__ import annotations

import argparse
import base64
import secrets
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from adapters.bootstrap import Container


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


def generate() -> None:
    print("# Made by `crm keys generate`. Keep these secret, and keep them: data encrypted with")
    print("# the field key, and backups made with the backup key, cannot be read without them.")
    for name, value in generated_env().items():
        print(f"{name}={value}")


async def verified(container: Container) -> Container:
    """The container, once its keys are known to match the database's; otherwise one line
    naming the setting, and exit status 2 (as for any setting refused at start)."""
    from adapters.crypto.key_check import KeyMismatch, verify_keys

    try:
        await verify_keys(container.engine, container.cipher)
    except KeyMismatch as e:
        await container.close()
        print(f"crm: Refusing to start: {e}", file=sys.stderr)
        raise SystemExit(2) from None
    except BaseException:
        await container.close()
        raise
    return container
