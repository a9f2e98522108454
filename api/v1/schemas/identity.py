"""Request and response shapes of auth, /me, users, departments, API keys, the audit log
and the inbox."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, Field

from api.schemas import NOT_BLANK, Bool, DateTime, Input, sent
from domain.audit.model import AuditEntry
from domain.identity.commands import UpdateDepartment, UpdateUser
from domain.identity.model import MIN_PASSWORD_LENGTH, ApiKey, Department, User
from domain.notifications.model import Notification
from domain.shared.authz import Principal, Role, Scope


class TokenResponse(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires",
                            examples=[900])


class RefreshRequest(Input):
    refresh_token: str = Field(min_length=10, max_length=500)


class UserOut(BaseModel):
    id: uuid.UUID
    email: str
    name: str
    role: Role
    department_id: uuid.UUID | None
    is_active: Bool
    last_login_at: DateTime | None
    created_at: DateTime | None
    updated_at: DateTime | None
    version: int

    @classmethod
    def of(cls, u: User) -> UserOut:
        return cls(id=u.id, email=u.email, name=u.name, role=u.role,
                   department_id=u.department_id, is_active=u.is_active,
                   last_login_at=u.last_login_at, created_at=u.created_at,
                   updated_at=u.updated_at, version=u.version)


class RoleOut(BaseModel):
    role: Role
    scopes: list[Scope] = Field(description="What the role may do, in the API's own terms")


class DirectoryEntry(BaseModel):
    """Who a user id is: enough to show a name, nothing personal."""

    id: uuid.UUID
    name: str
    role: Role
    department_id: uuid.UUID | None
    is_active: Bool

    @classmethod
    def of(cls, u: User) -> DirectoryEntry:
        return cls(id=u.id, name=u.name, role=u.role, department_id=u.department_id,
                   is_active=u.is_active)


class MeOut(BaseModel):
    kind: str = Field(description="'user' or 'api_key'")
    id: uuid.UUID
    name: str
    email: str | None = None
    role: Role | None = None
    department_id: uuid.UUID | None = None
    scopes: list[Scope]

    @classmethod
    def of(cls, p: Principal, user: User | None) -> MeOut:
        return cls(kind=p.kind, id=p.id, name=user.name if user else p.label,
                   email=user.email if user else None, role=p.role,
                   department_id=p.department_id, scopes=sorted(p.scopes))


class UserCreate(Input):
    email: str = Field(max_length=254, examples=["li.lei@example.com"])
    name: str = Field(max_length=200, pattern=NOT_BLANK, examples=["李雷"])
    role: Role = Field(examples=["sales_rep"])
    department_id: uuid.UUID | None = None
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=256,
                          examples=["a-long-passphrase"])


class UserUpdate(Input):
    name: str | None = Field(None, max_length=200, pattern=NOT_BLANK)
    role: Role | None = None
    department_id: uuid.UUID | None = None
    is_active: Bool | None = None

    def command(self) -> UpdateUser:
        return UpdateUser(
            name=self.name, role=self.role, is_active=self.is_active,
            department_id=sent(self, "department_id"))


class PasswordChange(Input):
    current_password: str = Field(max_length=256)
    new_password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=256,
                              examples=["another-long-passphrase"])


class PasswordReset(Input):
    new_password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=256,
                              examples=["another-long-passphrase"])


class DepartmentOut(BaseModel):
    id: uuid.UUID
    name: str
    parent_id: uuid.UUID | None
    version: int
    created_at: DateTime | None
    updated_at: DateTime | None

    @classmethod
    def of(cls, d: Department) -> DepartmentOut:
        return cls(id=d.id, name=d.name, parent_id=d.parent_id, version=d.version,
                   created_at=d.created_at, updated_at=d.updated_at)


class DepartmentCreate(Input):
    name: str = Field(max_length=200, pattern=NOT_BLANK, examples=["华东销售部"])
    parent_id: uuid.UUID | None = None


class DepartmentUpdate(Input):
    name: str | None = Field(None, max_length=200, pattern=NOT_BLANK)
    parent_id: uuid.UUID | None = None

    def command(self) -> UpdateDepartment:
        return UpdateDepartment(
            name=self.name,
            parent_id=sent(self, "parent_id"))


class ApiKeyOut(BaseModel):
    id: uuid.UUID
    name: str
    prefix: str
    scopes: list[Scope]
    created_at: DateTime | None
    revoked_at: DateTime | None

    @classmethod
    def of(cls, k: ApiKey) -> ApiKeyOut:
        return cls(id=k.id, name=k.name, prefix=k.prefix, scopes=sorted(k.scopes),
                   created_at=k.created_at, revoked_at=k.revoked_at)


class ApiKeyCreated(ApiKeyOut):
    secret: str = Field(description="The whole key. It is shown this once and never again.")


class ApiKeyCreate(Input):
    name: str = Field(max_length=100, pattern=NOT_BLANK, examples=["ERP sync"])
    scopes: list[Scope] = Field(min_length=1, max_length=50,
                                examples=[["customers:read", "leads:write"]])


class AuditEntryOut(BaseModel):
    id: int
    at: DateTime
    actor_type: str
    actor_id: uuid.UUID | None
    actor_label: str
    ip: str | None
    request_id: str | None
    action: str
    target_type: str | None
    target_id: str | None
    diff: dict[str, object]

    @classmethod
    def of(cls, e: AuditEntry) -> AuditEntryOut:
        assert e.id is not None and e.at is not None
        return cls(id=e.id, at=e.at, actor_type=e.actor_type, actor_id=e.actor_id,
                   actor_label=e.actor_label, ip=e.ip, request_id=e.request_id, action=e.action,
                   target_type=e.target_type, target_id=e.target_id, diff=e.diff)


class NotificationOut(BaseModel):
    id: uuid.UUID
    kind: str
    title: str
    body: str
    created_at: DateTime | None
    read_at: DateTime | None
    updated_at: DateTime | None = Field(None, description="When it was created or last read")
    data: dict[str, Any] = Field(default_factory=dict, description=(
        "What the message was made from, e.g. the record's type and id to link to"))

    @classmethod
    def of(cls, n: Notification) -> NotificationOut:
        return cls(id=n.id, kind=n.kind, title=n.title, body=n.body, created_at=n.created_at,
                   read_at=n.read_at, updated_at=n.updated_at, data=n.data)


class UnreadCount(BaseModel):
    unread: int
