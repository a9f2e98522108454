"""The principal a signed-in user or an API key acts as (the scope check and the principal
itself are shared: domain/shared/authz.py)."""

from __future__ import annotations

from domain.identity.model import ApiKey, User
from domain.shared.authz import Principal


def principal_of(user: User) -> Principal:
    return Principal(kind="user", id=user.id, label=user.email, scopes=user.scopes,
                     role=user.role, department_id=user.department_id, name=user.name)


def principal_of_key(key: ApiKey) -> Principal:
    return Principal(kind="api_key", id=key.id, label=f"api-key:{key.name}", scopes=key.scopes)




