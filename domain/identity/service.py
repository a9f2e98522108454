"""Identity use cases: log-in, tokens, users, departments and API keys."""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from domain.audit.model import Actor, AuditEntry, field_diff
from domain.audit.ports import AuditFilter
from domain.identity import secrets as bearer
from domain.identity.model import (
    ROLE_SCOPES,
    ApiKey,
    Department,
    Principal,
    RefreshToken,
    Role,
    Scope,
    User,
    check_password_strength,
    normalise_email,
)
from domain.identity.ports import PasswordHasher, TokenIssuer, UserFilter
from domain.shared.errors import (
    AccountLocked,
    AuthenticationFailed,
    Conflict,
    NotFound,
    PermissionDenied,
    StaleVersion,
    ValidationFailed,
)
from domain.shared.paging import Page, PageRequest
from domain.shared.ports import Clock, UnitOfWork, UnitOfWorkFactory

# Verified against when the e-mail is unknown, so a miss costs as long as a hit.
_DUMMY_PASSWORD = "not-a-real-password-0"


@dataclass
class SubtreeCache:
    """Departments' subtrees, remembered per process for `ttl` seconds (0: not at all), for
    the reads that scope a manager's records on every request. Department changes through
    IdentityService forget them at once in this process; other processes (web workers) notice
    within `ttl` seconds, as they notice a changed user (caller_ttl)."""

    ttl: float = 0.0
    _trees: dict[uuid.UUID, tuple[float, tuple[uuid.UUID, ...]]] = dataclasses.field(
        default_factory=dict, init=False, repr=False)

    def recall(self, department_id: uuid.UUID) -> tuple[uuid.UUID, ...] | None:
        hit = self._trees.get(department_id)
        if hit is None or hit[0] <= time.monotonic():
            return None
        return hit[1]

    def remember(self, department_id: uuid.UUID, subtree: Sequence[uuid.UUID]) -> None:
        if self.ttl > 0:
            self._trees[department_id] = (time.monotonic() + self.ttl, tuple(subtree))

    def forget(self) -> None:
        self._trees.clear()


@dataclass(frozen=True)
class IdentityPolicy:
    max_failed_logins: int = 5
    lockout: timedelta = timedelta(minutes=15)
    refresh_ttl: timedelta = timedelta(days=30)


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


def require(actor: Actor, scope: Scope) -> Principal:
    p = actor.principal
    if p is None or not p.has(scope):
        raise PermissionDenied(f"This needs the '{scope.value}' permission", scope=scope.value)
    return p


def principal_of(user: User) -> Principal:
    return Principal(kind="user", id=user.id, label=user.email, scopes=user.scopes,
                     role=user.role, department_id=user.department_id)


def principal_of_key(key: ApiKey) -> Principal:
    return Principal(kind="api_key", id=key.id, label=f"api-key:{key.name}", scopes=key.scopes)


def user_snapshot(user: User) -> dict[str, Any]:
    return {
        "email": user.email, "name": user.name, "role": user.role,
        "department_id": user.department_id, "is_active": user.is_active,
    }


def check_version(kind: str, current: int, expected: int | None) -> None:
    if expected is not None and expected != current:
        raise StaleVersion(kind, expected, current)


@dataclass
class IdentityService:
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
    # Shared with the services that scope a manager's reads by its department's subtree.
    subtrees: SubtreeCache = dataclasses.field(default_factory=SubtreeCache)
    _callers: dict[str, tuple[float, Any]] = dataclasses.field(
        default_factory=dict, init=False, repr=False)

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

    # ---- authentication -------------------------------------------------------------------

    async def login(self, email: str, password: str, actor: Actor) -> TokenPair:
        now = self.clock.now()
        try:
            email = normalise_email(email)
        except ValidationFailed:
            email = email.strip().lower()[:254]
        async with self.uow() as uow:
            user = await uow.users.get_by_email(email)
            if user is None:
                await self.hasher.verify(password, await self._dummy_hash())
                await uow.audit.record(AuditEntry.of(
                    dataclasses.replace(actor, claimed=email), "auth.login_failed",
                    diff={"reason": "unknown e-mail"}))
                await uow.commit()
                raise AuthenticationFailed("Incorrect e-mail or password")
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
                raise AuthenticationFailed("Incorrect e-mail or password")
            user.record_login(now)
            await uow.users.save(user)
            pair = await self._issue(uow, user, family_id=uuid.uuid4())
            await uow.audit.record(AuditEntry.of(
                Actor(principal_of(user), actor.ip, actor.request_id), "auth.login", "user",
                user.id))
            await uow.commit()
            return pair

    _dummy: str | None = dataclasses.field(default=None, init=False, repr=False)

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
            raise AuthenticationFailed("Invalid refresh token")
        token_id, secret = parsed
        async with self.uow() as uow:
            stored = await uow.refresh_tokens.get(token_id)
            if stored is None or not bearer.matches(secret, stored.secret_hash):
                raise AuthenticationFailed("Invalid refresh token")
            if stored.revoked_at is not None or not await uow.refresh_tokens.mark_used(
                stored.id, now
            ):
                await uow.refresh_tokens.revoke_family(stored.family_id, now)
                await uow.audit.record(AuditEntry.of(
                    actor, "auth.refresh_reused", "user", stored.user_id,
                    {"family_id": str(stored.family_id)}))
                await uow.commit()
                raise AuthenticationFailed("This refresh token was already used; sign in again")
            user = await uow.users.get(stored.user_id)
            if (
                user is None or not user.is_active or stored.expires_at <= now
                or stored.token_version != user.token_version
            ):
                raise AuthenticationFailed("The session has ended; sign in again")
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
            raise AuthenticationFailed("The token is no longer valid")
        self._remember(token, user)
        return user

    async def principal_for_api_key(self, key: str) -> Principal:
        known = self._recall(key)
        if known is not None:
            return known  # type: ignore[no-any-return]
        prefix = bearer.api_key_prefix(key)
        if prefix is None:
            raise AuthenticationFailed("Invalid API key")
        async with (self.reader or self.uow)() as uow:
            stored = await uow.api_keys.get_by_prefix(prefix)
        if stored is None or stored.revoked_at is not None or not bearer.matches(
            key, stored.secret_hash
        ):
            raise AuthenticationFailed("Invalid API key")
        principal = principal_of_key(stored)
        self._remember(key, principal)
        return principal

    # ---- users ------------------------------------------------------------------------------

    async def _visible_departments(self, uow: UnitOfWork, p: Principal
                                   ) -> Sequence[uuid.UUID] | None:
        """None means every department; a manager sees its own subtree."""
        if p.role == Role.MANAGER:
            if p.department_id is None:
                return []
            return await uow.departments.subtree(p.department_id)
        return None

    async def _get_visible_user(self, uow: UnitOfWork, p: Principal, user_id: uuid.UUID) -> User:
        user = await uow.users.get(user_id)
        if user is None:
            raise NotFound("user", user_id)
        visible = await self._visible_departments(uow, p)
        if visible is not None and user.department_id not in visible:
            raise NotFound("user", user_id)
        return user

    async def _check_department(self, uow: UnitOfWork, department_id: uuid.UUID | None) -> None:
        if department_id is not None and await uow.departments.get(department_id) is None:
            raise ValidationFailed.of("department_id", "no such department")

    async def create_user(
        self, actor: Actor, *, email: str, name: str, role: Role,
        department_id: uuid.UUID | None, password: str,
    ) -> User:
        require(actor, Scope.USERS_WRITE)
        check_password_strength(password)
        password_hash = await self.hasher.hash(password)
        async with self.uow() as uow:
            await self._check_department(uow, department_id)
            user = User.register(email=email, name=name, role=role,
                                 department_id=department_id, password_hash=password_hash)
            if await uow.users.get_by_email(user.email) is not None:
                raise Conflict(f"A user with e-mail {user.email} already exists")
            await uow.users.add(user)
            await uow.audit.record(AuditEntry.of(
                actor, "user.created", "user", user.id, field_diff(None, user_snapshot(user))))
            await uow.commit()
            return user

    async def get_user(self, actor: Actor, user_id: uuid.UUID) -> User:
        p = require(actor, Scope.USERS_READ)
        async with self.uow() as uow:
            return await self._get_visible_user(uow, p, user_id)

    async def list_users(self, actor: Actor, flt: UserFilter, page: PageRequest) -> Page[User]:
        p = require(actor, Scope.USERS_READ)
        async with self.uow() as uow:
            visible = await self._visible_departments(uow, p)
            if visible is not None:
                wanted = visible if flt.department_ids is None else [
                    d for d in flt.department_ids if d in visible]
                flt = dataclasses.replace(flt, department_ids=wanted)
            return await uow.users.list(flt, page)

    def roles(self, actor: Actor) -> dict[Role, frozenset[Scope]]:
        """What each role may do (fixed: the roles are the product's, not configurable)."""
        require(actor, Scope.USERS_READ)
        return dict(ROLE_SCOPES)

    async def directory(self, actor: Actor, page: PageRequest) -> Page[User]:
        """Every user's name, role and department, so anyone can see who owns, is assigned or
        decided what (a rep's view of a contract's approvers, a manager's of finance). Any
        signed-in user; an integration needs users:read. The API shows no e-mail addresses."""
        p = actor.principal
        if p is None or p.kind != "user":
            require(actor, Scope.USERS_READ)
        async with (self.reader or self.uow)() as uow:
            return await uow.users.list(UserFilter(), page)

    async def update_user(
        self, actor: Actor, user_id: uuid.UUID, *, expected_version: int | None,
        changes: dict[str, Any],
    ) -> User:
        p = require(actor, Scope.USERS_WRITE)
        async with self.uow() as uow:
            user = await self._get_visible_user(uow, p, user_id)
            check_version("user", user.version, expected_version)
            before = user_snapshot(user)
            if "department_id" in changes:
                await self._check_department(uow, changes["department_id"])
            if user.id == p.id and changes.get("role") not in (None, Role.ADMIN):
                raise ValidationFailed.of("role", "you cannot take the admin role from yourself")
            user.update(name=changes.get("name"), role=changes.get("role"),
                        department_id=changes.get("department_id"),
                        set_department="department_id" in changes)
            if changes.get("is_active") is False and user.is_active:
                if user.id == p.id:
                    raise ValidationFailed.of("is_active", "you cannot disable yourself")
                user.disable()
                await uow.refresh_tokens.revoke_all_for_user(user.id, self.clock.now())
            elif changes.get("is_active") is True and not user.is_active:
                user.enable()
            await uow.users.save(user)
            await uow.audit.record(AuditEntry.of(
                actor, "user.updated", "user", user.id, field_diff(before, user_snapshot(user))))
            await uow.commit()
            self.forget_callers()
            return user

    async def change_own_password(self, actor: Actor, current_password: str,
                                  new_password: str) -> None:
        p = actor.principal
        if p is None or p.user_id is None:
            raise PermissionDenied("Only users have a password")
        await self._set_password(actor, p.user_id, new_password, current_password)

    async def reset_password(self, actor: Actor, user_id: uuid.UUID, new_password: str) -> None:
        """An administrator sets someone's password (their own included, without the old one)."""
        require(actor, Scope.USERS_WRITE)
        await self._set_password(actor, user_id, new_password, None)

    async def _set_password(self, actor: Actor, user_id: uuid.UUID, new_password: str,
                            current_password: str | None) -> None:
        """Ends every session of the user."""
        assert actor.principal is not None
        check_password_strength(new_password)
        new_hash = await self.hasher.hash(new_password)
        async with self.uow() as uow:
            own = await uow.users.get(user_id) if user_id == actor.principal.id else None
            user = own or await self._get_visible_user(uow, actor.principal, user_id)
            if current_password is not None and not await self.hasher.verify(
                current_password, user.password_hash
            ):
                raise ValidationFailed.of("current_password", "is not correct")
            user.change_password(new_hash)
            await uow.users.save(user)
            await uow.refresh_tokens.revoke_all_for_user(user.id, self.clock.now())
            await uow.audit.record(AuditEntry.of(
                actor, "user.password_changed", "user", user.id))
            await uow.commit()
            self.forget_callers()

    # ---- departments ------------------------------------------------------------------------

    async def create_department(
        self, actor: Actor, name: str, parent_id: uuid.UUID | None
    ) -> Department:
        require(actor, Scope.DEPARTMENTS_WRITE)
        async with self.uow() as uow:
            if parent_id is not None and await uow.departments.get(parent_id) is None:
                raise ValidationFailed.of("parent_id", "no such department")
            dept = Department.create(name, parent_id)
            await uow.departments.add(dept)
            await uow.audit.record(AuditEntry.of(
                actor, "department.created", "department", dept.id,
                field_diff(None, {"name": dept.name, "parent_id": parent_id})))
            await uow.commit()
            self.subtrees.forget()
            return dept

    async def get_department(self, actor: Actor, department_id: uuid.UUID) -> Department:
        require(actor, Scope.DEPARTMENTS_READ)
        async with self.uow() as uow:
            dept = await uow.departments.get(department_id)
        if dept is None:
            raise NotFound("department", department_id)
        return dept

    async def list_departments(self, actor: Actor, page: PageRequest) -> Page[Department]:
        require(actor, Scope.DEPARTMENTS_READ)
        async with self.uow() as uow:
            return await uow.departments.list(page)

    async def update_department(
        self, actor: Actor, department_id: uuid.UUID, *, expected_version: int | None,
        changes: dict[str, Any],
    ) -> Department:
        require(actor, Scope.DEPARTMENTS_WRITE)
        async with self.uow() as uow:
            dept = await uow.departments.get(department_id)
            if dept is None:
                raise NotFound("department", department_id)
            check_version("department", dept.version, expected_version)
            before = {"name": dept.name, "parent_id": dept.parent_id}
            if changes.get("name") is not None:
                dept.rename(changes["name"])
            if "parent_id" in changes:
                parent_id = changes["parent_id"]
                if parent_id is not None and await uow.departments.get(parent_id) is None:
                    raise ValidationFailed.of("parent_id", "no such department")
                above = await uow.departments.ancestors(parent_id) if parent_id else []
                dept.move_under(parent_id, above)
            await uow.departments.save(dept)
            await uow.audit.record(AuditEntry.of(
                actor, "department.updated", "department", dept.id,
                field_diff(before, {"name": dept.name, "parent_id": dept.parent_id})))
            await uow.commit()
            self.subtrees.forget()
            return dept

    async def delete_department(self, actor: Actor, department_id: uuid.UUID) -> None:
        require(actor, Scope.DEPARTMENTS_WRITE)
        async with self.uow() as uow:
            dept = await uow.departments.get(department_id)
            if dept is None:
                raise NotFound("department", department_id)
            if await uow.departments.has_members_or_children(department_id):
                raise Conflict("The department still has users or sub-departments")
            await uow.departments.delete(department_id)
            await uow.audit.record(AuditEntry.of(
                actor, "department.deleted", "department", department_id,
                field_diff({"name": dept.name, "parent_id": dept.parent_id}, None)))
            await uow.commit()
            self.subtrees.forget()

    # ---- API keys ---------------------------------------------------------------------------

    async def create_api_key(
        self, actor: Actor, name: str, scopes: set[Scope]
    ) -> tuple[ApiKey, str]:
        p = require(actor, Scope.API_KEYS_WRITE)
        name = name.strip()
        if not 1 <= len(name) <= 100:
            raise ValidationFailed.of("name", "must be 1 to 100 characters long")
        if not scopes:
            raise ValidationFailed.of("scopes", "must name at least one scope")
        beyond = sorted(s.value for s in scopes - p.scopes)
        if beyond:
            raise ValidationFailed.of("scopes", f"you cannot grant what you lack: {beyond}")
        whole, prefix = bearer.new_api_key()
        key = ApiKey(id=uuid.uuid4(), name=name, prefix=prefix,
                     secret_hash=bearer.digest(whole), scopes=frozenset(scopes),
                     created_by=p.user_id)
        async with self.uow() as uow:
            await uow.api_keys.add(key)
            await uow.audit.record(AuditEntry.of(
                actor, "api_key.created", "api_key", key.id,
                {"name": [None, name], "scopes": [None, sorted(s.value for s in scopes)]}))
            await uow.commit()
        return key, whole

    async def list_api_keys(self, actor: Actor, page: PageRequest) -> Page[ApiKey]:
        require(actor, Scope.API_KEYS_WRITE)
        async with self.uow() as uow:
            return await uow.api_keys.list(page)

    async def revoke_api_key(self, actor: Actor, key_id: uuid.UUID) -> ApiKey:
        require(actor, Scope.API_KEYS_WRITE)
        async with self.uow() as uow:
            key = await uow.api_keys.get(key_id)
            if key is None:
                raise NotFound("api key", key_id)
            key.revoke(self.clock.now())
            await uow.api_keys.save(key)
            await uow.audit.record(AuditEntry.of(actor, "api_key.revoked", "api_key", key.id))
            await uow.commit()
            self.forget_callers()
            return key

    # ---- audit ------------------------------------------------------------------------------

    async def list_audit(self, actor: Actor, flt: AuditFilter, page: PageRequest
                         ) -> Page[AuditEntry]:
        require(actor, Scope.AUDIT_READ)
        async with self.uow() as uow:
            return await uow.audit.list(flt, page)

    async def record_denial(self, actor: Actor, detail: str, target: str | None) -> None:
        """Permission failures are audited in their own transaction (the request's rolled back)."""
        async with self.uow() as uow:
            await uow.audit.record(AuditEntry.of(
                actor, "permission.denied", "route", target, {"detail": detail}))
            await uow.commit()


def system_actor(label: str = "system") -> Actor:
    """The operator at the command line or a scheduled job: acts with every permission."""
    return Actor(principal=Principal(kind="system", id=uuid.UUID(int=0), label=label,
                                     scopes=frozenset(Scope), role=Role.ADMIN))
