"""Identity: users, departments, roles, scopes and API keys."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.shared.authz import ROLE_SCOPES, Role, Scope
from domain.shared.errors import AccountLocked, InvalidTransition, ValidationFailed
from domain.shared.events import DomainEvent


class EventType:
    USER_CREATED = "user.created"
    USER_UPDATED = "user.updated"
    USER_DISABLED = "user.disabled"







_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 10


def normalise_email(raw: str) -> str:
    email = raw.strip().lower()
    if not _EMAIL.match(email) or len(email) > 254:
        raise ValidationFailed.of("email", "invalid_email")
    return email


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed.of(
            "password", f"must be at least {MIN_PASSWORD_LENGTH} characters long"
        )
    if len(password) > 256:
        raise ValidationFailed.of("password", "must be at most 256 characters long")


def _check_name(name: str, field_name: str = "name") -> str:
    name = name.strip()
    if not 1 <= len(name) <= 200:
        raise ValidationFailed.of(field_name, "must be 1 to 200 characters long")
    return name


@dataclass
class Department:
    id: uuid.UUID
    name: str
    parent_id: uuid.UUID | None
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def create(cls, name: str, parent_id: uuid.UUID | None) -> Department:
        return cls(id=uuid.uuid4(), name=_check_name(name), parent_id=parent_id)

    def rename(self, name: str) -> None:
        self.name = _check_name(name)
        self.version += 1

    def move_under(self, parent_id: uuid.UUID | None,
                   ancestors_of_parent: Sequence[uuid.UUID]) -> None:
        """ancestors_of_parent: the parent itself and every department above it."""
        if parent_id == self.id or self.id in ancestors_of_parent:
            raise ValidationFailed.of("parent_id", "would make the department tree a cycle")
        self.parent_id = parent_id
        self.version += 1


@dataclass
class User:
    id: uuid.UUID
    email: str
    name: str
    role: Role
    department_id: uuid.UUID | None
    password_hash: str
    is_active: bool = True
    # Bumped whenever every issued token must stop working (password change, disable).
    token_version: int = 1
    failed_logins: int = 0
    locked_until: datetime | None = None
    last_login_at: datetime | None = None
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None
    # The language the user chose, or None to follow the browser (read with the user by id).
    locale: str | None = None
    events: list[DomainEvent] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def register(
        cls, *, email: str, name: str, role: Role, department_id: uuid.UUID | None,
        password_hash: str,
    ) -> User:
        user = cls(
            id=uuid.uuid4(), email=normalise_email(email), name=_check_name(name), role=role,
            department_id=department_id, password_hash=password_hash,
        )
        user.events.append(DomainEvent(
            EventType.USER_CREATED, "user", str(user.id),
            {"user_id": str(user.id), "email": user.email, "name": user.name, "role": role.value},
        ))
        return user

    @property
    def scopes(self) -> frozenset[Scope]:
        return ROLE_SCOPES[self.role]

    def ensure_can_log_in(self, now: datetime) -> None:
        if self.locked_until is not None and self.locked_until > now:
            raise AccountLocked(max(1, int((self.locked_until - now).total_seconds()) + 1))

    def record_failed_login(self, now: datetime, max_failures: int, lock_for: timedelta) -> None:
        self.failed_logins += 1
        if self.failed_logins >= max_failures:
            self.locked_until = now + lock_for
            self.failed_logins = 0

    def record_login(self, now: datetime) -> None:
        self.failed_logins = 0
        self.locked_until = None
        self.last_login_at = now

    def end_sessions(self) -> None:
        """Every access token issued so far stops working."""
        self.token_version += 1

    def change_password(self, password_hash: str) -> None:
        self.password_hash = password_hash
        self.token_version += 1
        self.version += 1

    def update(self, *, name: str | None = None, role: Role | None = None,
               department_id: uuid.UUID | None = None, set_department: bool = False) -> None:
        if name is not None:
            self.name = _check_name(name)
        if role is not None:
            self.role = role
            self.token_version += 1  # a new role must not ride on old tokens
        if set_department:
            self.department_id = department_id
        self.version += 1
        self.events.append(DomainEvent(
            EventType.USER_UPDATED, "user", str(self.id),
            {"user_id": str(self.id), "role": self.role.value},
        ))

    def disable(self) -> None:
        if not self.is_active:
            raise InvalidTransition("The user is already disabled")
        self.is_active = False
        self.token_version += 1
        self.version += 1
        self.events.append(DomainEvent(
            EventType.USER_DISABLED, "user", str(self.id), {"user_id": str(self.id)},
        ))

    def enable(self) -> None:
        if self.is_active:
            raise InvalidTransition("The user is already active")
        self.is_active = True
        self.failed_logins = 0
        self.locked_until = None
        self.version += 1


@dataclass
class ApiKey:
    id: uuid.UUID
    name: str
    prefix: str
    secret_hash: str
    scopes: frozenset[Scope]
    created_by: uuid.UUID | None
    created_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    version: int = 1

    def revoke(self, now: datetime) -> None:
        if self.revoked_at is not None:
            raise InvalidTransition("The API key is already revoked")
        self.revoked_at = now
        self.version += 1


@dataclass
class RefreshToken:
    """One link of a rotating refresh-token family; the secret itself is never stored."""

    id: uuid.UUID
    family_id: uuid.UUID
    user_id: uuid.UUID
    secret_hash: str
    token_version: int
    expires_at: datetime
    used_at: datetime | None = None
    revoked_at: datetime | None = None


