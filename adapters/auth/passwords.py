"""Password hashing with passlib + argon2 (never passlib's bcrypt: it breaks on bcrypt >= 4.1)."""

from __future__ import annotations

import asyncio

from passlib.context import CryptContext


class Argon2PasswordHasher:
    def __init__(self) -> None:
        self._ctx = CryptContext(schemes=["argon2"], deprecated="auto")

    async def hash(self, password: str) -> str:
        # argon2 is deliberately slow: keep it off the event loop.
        return await asyncio.to_thread(self._ctx.hash, password)

    async def verify(self, password: str, hashed: str) -> bool:
        try:
            return await asyncio.to_thread(self._ctx.verify, password, hashed)
        except (ValueError, TypeError):
            return False
