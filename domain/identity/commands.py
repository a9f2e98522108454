"""What the identity use cases are asked to change: partial updates of users and departments.

A field left at None keeps its value (an edit cannot blank a name or a role); where None is a
value of its own (no department, a top-level department) "not given" is UNSET.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from domain.shared.authz import Role
from domain.shared.commands import UNSET, Unset


@dataclass(frozen=True)
class UpdateUser:
    name: str | None = None
    role: Role | None = None
    department_id: uuid.UUID | Unset | None = UNSET  # None: in no department
    is_active: bool | None = None


@dataclass(frozen=True)
class UpdateDepartment:
    name: str | None = None
    parent_id: uuid.UUID | Unset | None = UNSET  # None: a top-level department
