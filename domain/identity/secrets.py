"""Opaque bearer secrets (refresh tokens, API keys): random, shown once, stored as SHA-256.

They carry 256 bits of entropy, so a fast hash is the right tool (a slow password hash
buys nothing against brute force here and would slow every API-key request).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid

API_KEY_PREFIX = "crm_"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def matches(secret: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(secret), stored_digest)


def new_refresh_secret(token_id: uuid.UUID) -> tuple[str, str]:
    """(the token handed to the client, the secret part to digest)."""
    secret = secrets.token_urlsafe(32)
    return f"{token_id.hex}.{secret}", secret


def split_refresh_token(token: str) -> tuple[uuid.UUID, str] | None:
    head, _, secret = token.partition(".")
    try:
        return uuid.UUID(hex=head), secret
    except ValueError:
        return None


def new_api_key() -> tuple[str, str]:
    """(the whole key shown once, its lookup prefix)."""
    prefix = secrets.token_hex(6)
    return f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}", prefix


def api_key_prefix(key: str) -> str | None:
    if not key.startswith(API_KEY_PREFIX):
        return None
    prefix, sep, _ = key[len(API_KEY_PREFIX):].partition("_")
    return prefix if sep and len(prefix) == 12 else None
