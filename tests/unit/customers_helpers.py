"""The organisation the customer and catalogue use-case tests run in, on the in-memory fakes,
and what they look at afterwards: the committed events and audit entries, a refusal's field."""

from __future__ import annotations

import dataclasses
import uuid
from typing import ClassVar

from domain.audit.model import AuditEntry
from domain.customers.commands import NewCustomer
from domain.customers.model import CustomerKind
from domain.identity.model import Department, User
from domain.identity.service import principal_of
from domain.shared.authz import Actor, Principal, Role, Scope
from domain.shared.errors import ValidationFailed
from domain.shared.events import DomainEvent
from tests.fakes.shared import FakeUowFactory

MOBILE = "13812345678"
CARD = "11010519491231002X"


@dataclasses.dataclass
class Org:
    """A small organisation in a fake store: HQ, with East sales (and Shanghai under it) and
    North sales beneath it, and one user of each kind; `actor("rep")` acts as one of them."""

    uow: FakeUowFactory
    departments: dict[str, Department]
    users: dict[str, User]

    PEOPLE: ClassVar[dict[str, tuple[Role, str]]] = {
        "admin": (Role.ADMIN, "hq"), "manager": (Role.MANAGER, "east"),
        "rep": (Role.SALES_REP, "east"), "rep2": (Role.SALES_REP, "east"),
        "shanghai_rep": (Role.SALES_REP, "shanghai"),
        "north_rep": (Role.SALES_REP, "north"), "north_manager": (Role.MANAGER, "north"),
        "finance": (Role.FINANCE, "hq"), "executive": (Role.EXECUTIVE, "hq"),
    }

    @classmethod
    def build(cls, uow: FakeUowFactory) -> Org:
        hq = Department.create("HQ", None)
        east = Department.create("East sales", hq.id)
        departments = {"hq": hq, "east": east, "shanghai": Department.create("Shanghai", east.id),
                       "north": Department.create("North sales", hq.id)}
        for d in departments.values():
            uow.state.departments[d.id] = d
        users = {}
        for key, (role, dept) in cls.PEOPLE.items():
            user = User.register(email=f"{key}@example.com", name=key.replace("_", " "),
                                 role=role, department_id=departments[dept].id,
                                 password_hash="-")
            user.events.clear()
            uow.state.users[user.id] = users[key] = user
        return cls(uow, departments, users)

    def actor(self, key: str) -> Actor:
        return Actor(principal_of(self.users[key]), ip="198.51.100.7")

    def integration(self, *scopes: Scope) -> Actor:
        """An API key's caller: no user, no role."""
        return Actor(Principal(kind="api_key", id=uuid.uuid4(), label="ERP sync",
                               scopes=frozenset(scopes or (Scope.CUSTOMERS_READ,
                                                           Scope.CUSTOMERS_WRITE))))

    def add_user(self, key: str, role: Role, dept: str, *, active: bool = True) -> User:
        user = User.register(email=f"{key}@example.com", name=key, role=role,
                             department_id=self.departments[dept].id, password_hash="-")
        user.events.clear()
        user.is_active = active
        self.uow.state.users[user.id] = self.users[key] = user
        return user


def company(name: str = "上海明远精密机械制造有限公司", **fields: object) -> NewCustomer:
    """A new company customer, by default a Shanghai machine-maker."""
    return NewCustomer(name=name, kind=CustomerKind.COMPANY, **fields)  # type: ignore[arg-type]


def failed_field(error: ValidationFailed) -> str:
    """The field a validation error names first."""
    return error.problems[0].field


def events(uow: FakeUowFactory, kind: str | None = None) -> list[DomainEvent]:
    """The committed events (of one type), oldest first."""
    return [e for e in uow.state.outbox.values() if kind in (None, e.type)]


def audit(uow: FakeUowFactory, action: str) -> list[AuditEntry]:
    return [e for e in uow.state.audit if e.action == action]
