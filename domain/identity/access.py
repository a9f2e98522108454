"""Who is calling and whether they may: the principal of a user or an API key, the scope
check and the version check every use case makes, and the actor of scheduled work.

Other features reach these through `domain.identity.service`, the feature's public face.
"""

from __future__ import annotations

import uuid

from domain.audit.model import Actor
from domain.identity.model import ApiKey, Principal, Role, Scope, User
from domain.shared.errors import PermissionDenied, StaleVersion


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


def check_version(kind: str, current: int, expected: int | None) -> None:
    if expected is not None and expected != current:
        raise StaleVersion(kind, expected, current)


def system_actor(label: str = "system") -> Actor:
    """The operator at the command line or a scheduled job: acts with every permission."""
    return Actor(principal=Principal(kind="system", id=uuid.UUID(int=0), label=label,
                                     scopes=frozenset(Scope), role=Role.ADMIN))
