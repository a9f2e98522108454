"""Identity use cases: users, departments and API keys, on top of log-in and tokens
(authentication.py); the audit log's reading.

This module is the feature's public face: other features take `require`, `principal_of`,
`check_version`, `system_actor` and `SubtreeCache` from here.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from domain.audit.model import AuditEntry, field_diff
from domain.audit.ports import AuditFilter
from domain.identity import secrets as bearer
from domain.identity.access import principal_of, principal_of_key
from domain.identity.authentication import AuthenticationService, IdentityPolicy, TokenPair
from domain.identity.commands import UpdateDepartment, UpdateUser
from domain.identity.model import ApiKey, Department, User, check_password_strength
from domain.identity.ports import UserFilter
from domain.shared.authz import (
    ROLE_SCOPES,
    Actor,
    Principal,
    Role,
    Scope,
    acting_user,
    require,
    system_actor,
)
from domain.shared.commands import UNSET
from domain.shared.errors import (
    AccountLocked,
    Conflict,
    NotFound,
    ValidationFailed,
    check_version,
)
from domain.shared.paging import Page, PageRequest
from domain.shared.ports import UnitOfWork
from domain.shared.text import Label
from domain.shared.visibility import found_or_404

__all__ = [
    "IdentityPolicy", "IdentityService", "SubtreeCache", "TokenPair", "check_version",
    "principal_of", "principal_of_key", "require", "system_actor", "user_snapshot",
]


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


def user_snapshot(user: User) -> dict[str, Any]:
    return {
        "email": user.email, "name": user.name, "role": user.role,
        "department_id": user.department_id, "is_active": user.is_active,
    }


@dataclass
class IdentityService(AuthenticationService):
    # Shared with the services that scope a manager's reads by its department's subtree.
    subtrees: SubtreeCache = dataclasses.field(default_factory=SubtreeCache)

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
            raise ValidationFailed.of("department_id", "identity.no_such_department")

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
                raise Conflict("identity.email_taken", email=user.email)
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

    async def update_user(self, actor: Actor, user_id: uuid.UUID, command: UpdateUser, *,
                          expected_version: int | None) -> User:
        p = require(actor, Scope.USERS_WRITE)
        async with self.uow() as uow:
            user = await self._get_visible_user(uow, p, user_id)
            check_version("user", user.version, expected_version)
            before = user_snapshot(user)
            moving = command.department_id is not UNSET
            department_id = None if command.department_id is UNSET else command.department_id
            if moving:
                await self._check_department(uow, department_id)
            if user.id == p.id and command.role not in (None, Role.ADMIN):
                raise ValidationFailed.of("role", "identity.cannot_demote_yourself")
            user.update(name=command.name, role=command.role, department_id=department_id,
                        set_department=moving)
            if command.is_active is False and user.is_active:
                if user.id == p.id:
                    raise ValidationFailed.of("is_active", "identity.cannot_disable_yourself")
                user.disable()
                await uow.refresh_tokens.revoke_all_for_user(user.id, self.clock.now())
            elif command.is_active is True and not user.is_active:
                user.enable()
            await uow.users.save(user)
            await uow.audit.record(AuditEntry.of(
                actor, "user.updated", "user", user.id, field_diff(before, user_snapshot(user))))
            await uow.commit()
            self.forget_callers()
            return user

    async def change_own_password(self, actor: Actor, current_password: str,
                                  new_password: str) -> None:
        user_id = acting_user(actor, "identity.users_only_password")
        await self._set_password(actor, user_id, new_password, current_password)

    async def reset_password(self, actor: Actor, user_id: uuid.UUID, new_password: str) -> None:
        """An administrator sets someone's password (their own included, without the old one)."""
        require(actor, Scope.USERS_WRITE)
        await self._set_password(actor, user_id, new_password, None)

    async def _check_current_password(self, uow: UnitOfWork, actor: Actor, user: User,
                                      password: str) -> None:
        """The same lockout as log-in: a stolen session must not become a password oracle."""
        now = self.clock.now()
        user.ensure_can_log_in(now)
        if await self.hasher.verify(password, user.password_hash):
            return
        user.record_failed_login(now, self.policy.max_failed_logins, self.policy.lockout)
        await uow.users.save(user)
        await uow.audit.record(AuditEntry.of(actor, "auth.password_check_failed", "user",
                                             user.id))
        await uow.commit()
        if user.locked_until is not None:
            raise AccountLocked(int(self.policy.lockout.total_seconds()))
        raise ValidationFailed.of("current_password", "identity.password_incorrect")

    async def _set_password(self, actor: Actor, user_id: uuid.UUID, new_password: str,
                            current_password: str | None) -> None:
        """Ends every session of the user."""
        assert actor.principal is not None
        check_password_strength(new_password)
        new_hash = await self.hasher.hash(new_password)
        async with self.uow() as uow:
            own = await uow.users.get(user_id) if user_id == actor.principal.id else None
            user = own or await self._get_visible_user(uow, actor.principal, user_id)
            if current_password is not None:
                await self._check_current_password(uow, actor, user, current_password)
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
                raise ValidationFailed.of("parent_id", "identity.no_such_department")
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
            return await found_or_404(uow.departments.get(department_id), "department",
                                      department_id)

    async def list_departments(self, actor: Actor, page: PageRequest) -> Page[Department]:
        require(actor, Scope.DEPARTMENTS_READ)
        async with self.uow() as uow:
            return await uow.departments.list(page)

    async def update_department(self, actor: Actor, department_id: uuid.UUID,
                                command: UpdateDepartment, *,
                                expected_version: int | None) -> Department:
        require(actor, Scope.DEPARTMENTS_WRITE)
        async with self.uow() as uow:
            dept = await found_or_404(uow.departments.get(department_id), "department",
                                      department_id)
            check_version("department", dept.version, expected_version)
            before = {"name": dept.name, "parent_id": dept.parent_id}
            if command.name is not None:
                dept.rename(command.name)
            if command.parent_id is not UNSET:
                parent_id = command.parent_id
                if parent_id is not None and await uow.departments.get(parent_id) is None:
                    raise ValidationFailed.of("parent_id", "identity.no_such_department")
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
            dept = await found_or_404(uow.departments.get(department_id), "department",
                                      department_id)
            if await uow.departments.has_members_or_children(department_id):
                raise Conflict("identity.department_not_empty")
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
            raise ValidationFailed.of("name", "length_between", min=1, max=100)
        if not scopes:
            raise ValidationFailed.of("scopes", "identity.scope_required")
        beyond = sorted(s.value for s in scopes - p.scopes)
        if beyond:
            raise ValidationFailed.of("scopes", "identity.cannot_grant_lacking",
                                      scopes=[Label("scope", scope) for scope in beyond])
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
            key = await found_or_404(uow.api_keys.get(key_id), "api key", key_id)
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
