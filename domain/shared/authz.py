"""Who is calling and what they may do: roles, scopes, the principal behind a request, the
actor the audit log names, and record visibility (the WHERE clause a repository applies).

Every feature asks here; the one "load it or 404" rule is in visibility.py beside it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from domain.shared.errors import PermissionDenied
from domain.shared.text import Label


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    SALES_REP = "sales_rep"
    FINANCE = "finance"
    EXECUTIVE = "executive"
    LEGAL = "legal"
    SERVICE_AGENT = "service_agent"


class Scope(StrEnum):
    USERS_READ = "users:read"
    USERS_WRITE = "users:write"
    DEPARTMENTS_READ = "departments:read"
    DEPARTMENTS_WRITE = "departments:write"
    API_KEYS_WRITE = "api_keys:write"
    AUDIT_READ = "audit:read"
    CUSTOMERS_READ = "customers:read"
    CUSTOMERS_WRITE = "customers:write"
    LEADS_READ = "leads:read"
    LEADS_WRITE = "leads:write"
    OPPORTUNITIES_READ = "opportunities:read"
    OPPORTUNITIES_WRITE = "opportunities:write"
    CONTRACTS_READ = "contracts:read"
    CONTRACTS_WRITE = "contracts:write"
    CONTRACTS_APPROVE = "contracts:approve"
    CONTRACTS_PAYMENTS = "contracts:payments"  # confirm a contract's payment arrived
    TICKETS_READ = "tickets:read"
    TICKETS_WRITE = "tickets:write"
    REPORTS_READ = "reports:read"
    PII_REVEAL = "pii:reveal"
    NOTIFICATIONS_READ = "notifications:read"
    SETTINGS_READ = "settings:read"
    SETTINGS_WRITE = "settings:write"


_SALES = {
    Scope.CUSTOMERS_READ, Scope.CUSTOMERS_WRITE, Scope.LEADS_READ, Scope.LEADS_WRITE,
    Scope.OPPORTUNITIES_READ, Scope.OPPORTUNITIES_WRITE, Scope.CONTRACTS_READ,
    Scope.CONTRACTS_WRITE, Scope.NOTIFICATIONS_READ,
}


ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.ADMIN: frozenset(Scope),
    Role.MANAGER: frozenset(
        _SALES | {Scope.USERS_READ, Scope.DEPARTMENTS_READ, Scope.CONTRACTS_APPROVE,
                  Scope.CONTRACTS_PAYMENTS, Scope.REPORTS_READ, Scope.PII_REVEAL,
                  Scope.TICKETS_READ}
    ),
    Role.SALES_REP: frozenset(_SALES),
    Role.FINANCE: frozenset(
        {Scope.CUSTOMERS_READ, Scope.CONTRACTS_READ, Scope.CONTRACTS_APPROVE,
         Scope.CONTRACTS_PAYMENTS, Scope.REPORTS_READ, Scope.OPPORTUNITIES_READ,
         Scope.NOTIFICATIONS_READ}
    ),
    Role.EXECUTIVE: frozenset(
        {Scope.USERS_READ, Scope.DEPARTMENTS_READ, Scope.CUSTOMERS_READ, Scope.LEADS_READ,
         Scope.OPPORTUNITIES_READ, Scope.CONTRACTS_READ, Scope.CONTRACTS_APPROVE,
         Scope.REPORTS_READ, Scope.TICKETS_READ, Scope.NOTIFICATIONS_READ}
    ),
    Role.LEGAL: frozenset(
        {Scope.CUSTOMERS_READ, Scope.CONTRACTS_READ, Scope.NOTIFICATIONS_READ}
    ),
    Role.SERVICE_AGENT: frozenset(
        {Scope.CUSTOMERS_READ, Scope.TICKETS_READ, Scope.TICKETS_WRITE, Scope.NOTIFICATIONS_READ}
    ),
}


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user, or an integration acting through an API key."""

    kind: str  # "user" or "api_key"
    id: uuid.UUID
    label: str
    scopes: frozenset[Scope]
    role: Role | None = None
    department_id: uuid.UUID | None = None
    # What other people are shown (a user's name); the label (a user's e-mail) is for the
    # audit log and those who administer users.
    name: str | None = None

    def has(self, scope: Scope) -> bool:
        return scope in self.scopes

    @property
    def user_id(self) -> uuid.UUID | None:
        return self.id if self.kind == "user" else None


@dataclass(frozen=True)
class Actor:
    """The principal behind a request plus where it came from."""

    principal: Principal | None
    ip: str | None = None
    request_id: str | None = None
    # For anonymous calls (a failed log-in) what the caller claimed to be.
    claimed: str | None = None

    @property
    def label(self) -> str:
        if self.principal is not None:
            return self.principal.label
        return self.claimed or "anonymous"

    @property
    def shown_name(self) -> str:
        """Who did it, as a timeline or a routing reason shows it to other people."""
        if self.principal is not None:
            return self.principal.name or self.principal.label
        return self.claimed or "anonymous"


SYSTEM = Actor(principal=None, claimed="system")


def require(actor: Actor, scope: Scope) -> Principal:
    p = actor.principal
    if p is None or not p.has(scope):
        raise PermissionDenied("scope_needed", scope=scope.value,
                               needed=Label("scope", scope.value))
    return p


def acting_user(actor: Actor, refusal: str) -> uuid.UUID:
    """The user behind the call, for what only users have (an inbox, a password);
    PermissionDenied(refusal) for an API key, the system or nobody."""
    p = actor.principal
    if p is None or p.user_id is None:
        raise PermissionDenied(refusal)
    return p.user_id


def system_actor(label: str = "system") -> Actor:
    """The operator at the command line or a scheduled job: acts with every permission."""
    return Actor(principal=Principal(kind="system", id=uuid.UUID(int=0), label=label,
                                     scopes=frozenset(Scope), role=Role.ADMIN))


@dataclass(frozen=True)
class Visibility:
    """Record-level permission as data, turned into WHERE clauses by the repository."""

    everything: bool = False
    owner_id: uuid.UUID | None = None
    department_ids: Sequence[uuid.UUID] | None = None

    def allows(self, owner_id: uuid.UUID, owner_department_id: uuid.UUID | None) -> bool:
        if self.everything:
            return True
        if self.owner_id is not None and owner_id == self.owner_id:
            return True
        return self.department_ids is not None and owner_department_id in self.department_ids


NOTHING = Visibility()
