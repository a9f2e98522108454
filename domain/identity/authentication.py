"""Log-in and tokens: password sign-in with lockout, rotating refresh tokens, and who stands
behind an access token or an API key on every request (remembered for a short while).

`IdentityService` (service.py) extends this with the administration of users, departments
and API keys, so that one object is wired and a change there forgets remembered callers here.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, NoReturn

from domain.audit.model import AuditEntry
from domain.identity import secrets as bearer
from domain.identity.access import principal_of, principal_of_key
from domain.identity.model import RefreshToken, User, normalise_email
from domain.identity.ports import PasswordHasher, TokenIssuer
from domain.shared.authz import Actor, Principal
from domain.shared.errors import (
    AccountLocked,
    AuthenticationFailed,
    RateLimited,
    ValidationFailed,
)
from domain.shared.ports import Clock, RateLimiter, UnitOfWork, UnitOfWorkFactory

# Verified against when the e-mail is unknown, so a miss costs as long as a hit.
_DUMMY_PASSWORD = "not-a-real-password-0"


@dataclass(frozen=True)
class IdentityPolicy:
    max_failed_logins: int = 5
    lockout: timedelta = timedelta(minutes=15)
    refresh_ttl: timedelta = timedelta(days=30)
    # Log-in attempts one address may make in a minute, whichever accounts it tries.
    logins_per_address_per_minute: int = 20


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


@dataclass
class AuthenticationService:
    uow: UnitOfWorkFactory
    hasher: PasswordHasher
    tokens: TokenIssuer
    clock: Clock
    policy: IdentityPolicy = IdentityPolicy()
    # For one-statement lookups on every request; defaults to the ordinary unit of work.
    reader: UnitOfWorkFactory | None = None
    # Who is calling, remembered per token or API key for this many seconds (0: not at all).
    # A user disabled, demoted, renamed or signed out everywhere, or a key revoked, through
    # this service is forgotten at once in this process; other processes (web workers) notice
    # within caller_ttl seconds, and an access token is accepted at most that long after it
    # expires.
    caller_ttl: float = 0.0
    # Counts log-ins per address and failures of unknown e-mails (None: neither is counted).
    limiter: RateLimiter | None = None
    _callers: dict[str, tuple[float, Any]] = dataclasses.field(
        default_factory=dict, init=False, repr=False)
    _dummy: str | None = dataclasses.field(default=None, init=False, repr=False)

    MAX_REMEMBERED_CALLERS = 10_000

    def _recall(self, credential: str) -> Any:
        hit = self._callers.get(credential)
        if hit is None:
            return None
        if hit[0] <= time.monotonic():
            self._callers.pop(credential, None)
            return None
        return hit[1]

    def _remember(self, credential: str, caller: Any) -> None:
        if self.caller_ttl <= 0:
            return
        now = time.monotonic()
        if len(self._callers) >= self.MAX_REMEMBERED_CALLERS:
            self._callers = {k: v for k, v in self._callers.items() if v[0] > now}
            if len(self._callers) >= self.MAX_REMEMBERED_CALLERS:
                self._callers.clear()
        self._callers[credential] = (now + self.caller_ttl, caller)

    def forget_callers(self) -> None:
        """After any change to users or API keys: the next request looks its caller up."""
        self._callers.clear()

    async def login(self, email: str, password: str, actor: Actor) -> TokenPair:
        now = self.clock.now()
        try:
            email = normalise_email(email)
        except ValidationFailed:
            email = email.strip().lower()[:254]
        await self._throttle_address(actor)
        async with self.uow() as uow:
            user = await uow.users.get_by_email(email)
            if user is None:
                await self._fail_unknown(uow, email, password, actor)
            try:
                user.ensure_can_log_in(now)
            except AccountLocked:
                await uow.audit.record(AuditEntry.of(dataclasses.replace(
                    actor, claimed=email), "auth.login_locked", "user", user.id))
                await uow.commit()
                raise
            if not await self.hasher.verify(password, user.password_hash) or not user.is_active:
                reason = "wrong password" if user.is_active else "user disabled"
                user.record_failed_login(now, self.policy.max_failed_logins, self.policy.lockout)
                await uow.users.save(user)
                await uow.audit.record(AuditEntry.of(
                    dataclasses.replace(actor, claimed=email), "auth.login_failed", "user",
                    user.id, {"reason": reason}))
                await uow.commit()
                if user.locked_until is not None:
                    raise AccountLocked(int(self.policy.lockout.total_seconds()))
                raise AuthenticationFailed("identity.wrong_credentials")
            user.record_login(now)
            await uow.users.save(user)
            pair = await self._issue(uow, user, family_id=uuid.uuid4())
            await uow.audit.record(AuditEntry.of(
                Actor(principal_of(user), actor.ip, actor.request_id), "auth.login", "user",
                user.id))
            await uow.commit()
            return pair

    async def _throttle_address(self, actor: Actor) -> None:
        if self.limiter is None or not actor.ip:
            return
        wait = await self.limiter.hit(f"login:address:{actor.ip}",
                                      self.policy.logins_per_address_per_minute, 60)
        if wait:
            raise RateLimited("identity.too_many_logins", wait, wait=wait)

    async def _fail_unknown(self, uow: UnitOfWork, email: str, password: str,
                            actor: Actor) -> NoReturn:
        """An unknown e-mail fails and then locks exactly as a known account does, so that
        neither the status nor Retry-After tells whether the account exists."""
        claimed = dataclasses.replace(actor, claimed=email)
        wait = 0
        if self.limiter is not None:
            wait = await self.limiter.hit(
                f"login:unknown:{bearer.digest(email)}", self.policy.max_failed_logins - 1,
                int(self.policy.lockout.total_seconds()))
        if wait:
            await uow.audit.record(AuditEntry.of(claimed, "auth.login_locked"))
            await uow.commit()
            raise AccountLocked(wait)
        await self.hasher.verify(password, await self._dummy_hash())
        await uow.audit.record(AuditEntry.of(claimed, "auth.login_failed",
                                             diff={"reason": "unknown e-mail"}))
        await uow.commit()
        raise AuthenticationFailed("identity.wrong_credentials")

    async def _dummy_hash(self) -> str:
        if self._dummy is None:
            self._dummy = await self.hasher.hash(_DUMMY_PASSWORD)
        return self._dummy

    async def _issue(self, uow: UnitOfWork, user: User, family_id: uuid.UUID) -> TokenPair:
        now = self.clock.now()
        access, expires_in = self.tokens.issue_access(user, now)
        token_id = uuid.uuid4()
        refresh, secret = bearer.new_refresh_secret(token_id)
        await uow.refresh_tokens.add(RefreshToken(
            id=token_id, family_id=family_id, user_id=user.id, secret_hash=bearer.digest(secret),
            token_version=user.token_version, expires_at=now + self.policy.refresh_ttl,
        ))
        return TokenPair(access, refresh, expires_in)

    async def refresh(self, refresh_token: str, actor: Actor) -> TokenPair:
        """Rotates the refresh token. A token used twice revokes its whole family."""
        now = self.clock.now()
        parsed = bearer.split_refresh_token(refresh_token)
        if parsed is None:
            raise AuthenticationFailed("identity.invalid_refresh_token")
        token_id, secret = parsed
        async with self.uow() as uow:
            stored = await uow.refresh_tokens.get(token_id)
            if stored is None or not bearer.matches(secret, stored.secret_hash):
                raise AuthenticationFailed("identity.invalid_refresh_token")
            if stored.revoked_at is not None or not await uow.refresh_tokens.mark_used(
                stored.id, now
            ):
                await uow.refresh_tokens.revoke_family(stored.family_id, now)
                # A replay means a copy of the token is in other hands, and which access
                # tokens came from it cannot be told apart: all of the user's stop now.
                owner = await uow.users.get(stored.user_id)
                if owner is not None:
                    owner.end_sessions()
                    await uow.users.save(owner)
                await uow.audit.record(AuditEntry.of(
                    actor, "auth.refresh_reused", "user", stored.user_id,
                    {"family_id": str(stored.family_id)}))
                await uow.commit()
                self.forget_callers()
                raise AuthenticationFailed("identity.refresh_token_reused")
            user = await uow.users.get(stored.user_id)
            if (
                user is None or not user.is_active or stored.expires_at <= now
                or stored.token_version != user.token_version
            ):
                raise AuthenticationFailed("identity.session_ended")
            pair = await self._issue(uow, user, stored.family_id)
            await uow.commit()
            return pair

    async def user_for_access_token(self, token: str) -> User:
        """The user behind a bearer token: still active, and the token not invalidated since."""
        known = self._recall(token)
        if known is not None:
            return known  # type: ignore[no-any-return]
        claims = self.tokens.decode_access(token)
        async with (self.reader or self.uow)() as uow:
            user = await uow.users.get(claims.user_id)
        if user is None or not user.is_active or user.token_version != claims.token_version:
            raise AuthenticationFailed("identity.token_revoked")
        self._remember(token, user)
        return user

    async def principal_for_api_key(self, key: str) -> Principal:
        known = self._recall(key)
        if known is not None:
            return known  # type: ignore[no-any-return]
        prefix = bearer.api_key_prefix(key)
        if prefix is None:
            raise AuthenticationFailed("identity.invalid_api_key")
        async with (self.reader or self.uow)() as uow:
            stored = await uow.api_keys.get_by_prefix(prefix)
        if stored is None or stored.revoked_at is not None or not bearer.matches(
            key, stored.secret_hash
        ):
            raise AuthenticationFailed("identity.invalid_api_key")
        principal = principal_of_key(stored)
        self._remember(key, principal)
        return principal
