"""Who may give a sales record to whom, and where a record's owner sits: shared by customers,
leads and opportunities."""

from __future__ import annotations

import uuid

from domain.shared.authz import Principal, Role
from domain.shared.errors import PermissionDenied, ValidationFailed
from domain.shared.ports import UnitOfWork
from domain.shared.text import Label

TEAM_LEADS = frozenset({Role.ADMIN, Role.MANAGER})


def is_team_lead(p: Principal) -> bool:
    """Admins and managers reassign; integrations act for the organisation."""
    return p.kind != "user" or p.role in TEAM_LEADS


async def check_owner(uow: UnitOfWork, p: Principal, owner_id: uuid.UUID, what: str
                      ) -> tuple[uuid.UUID, uuid.UUID | None]:
    """Checks the caller may give the record to this owner; answers (owner, department)."""
    owner = await uow.users.get(owner_id)
    if owner is None or not owner.is_active:
        raise ValidationFailed.of("owner_id", "owner.not_active")
    if not is_team_lead(p) and owner.id != p.id:
        raise PermissionDenied("owner.team_leads_only", records=Label("records", what))
    if p.kind == "user" and p.role == Role.MANAGER and owner.id != p.id:
        team = await uow.departments.subtree(p.department_id) if p.department_id else []
        if owner.department_id not in team:
            raise ValidationFailed.of("owner_id", "owner.outside_team")
    return owner.id, owner.department_id


async def manager_above(uow: UnitOfWork, department_id: uuid.UUID | None,
                        exclude: uuid.UUID | None = None) -> uuid.UUID | None:
    """The nearest active manager: the department's own, else up the tree."""
    seen: set[uuid.UUID] = set()
    while department_id is not None and department_id not in seen:
        seen.add(department_id)
        manager = await uow.reps.manager_of(department_id)
        if manager is not None and manager != exclude:
            return manager
        dept = await uow.departments.get(department_id)
        department_id = dept.parent_id if dept else None
    return None


async def active_user(uow: UnitOfWork, user_id: uuid.UUID
                      ) -> tuple[uuid.UUID, uuid.UUID | None] | None:
    """(user, department) when the user exists and is active."""
    user = await uow.users.get(user_id)
    return (user.id, user.department_id) if user is not None and user.is_active else None
