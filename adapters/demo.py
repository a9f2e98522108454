"""The demo organisation `make run` creates on first start."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from adapters.bootstrap import Container
from domain.identity.model import Role
from domain.services.identity import system_actor

DEMO_PASSWORD = "demo-pass-2026"


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    role: Role
    department: str


DEPARTMENTS = [  # (name, parent)
    ("总部 Head office", None),
    ("华东销售部 East sales", "总部 Head office"),
    ("华北销售部 North sales", "总部 Head office"),
    ("财务部 Finance", "总部 Head office"),
    ("法务部 Legal", "总部 Head office"),
    ("客服部 Service", "总部 Head office"),
]

USERS = [
    DemoUser("admin@demo.crm", "系统管理员 Admin", Role.ADMIN, "总部 Head office"),
    DemoUser("manager@demo.crm", "王经理 Wang (East sales manager)", Role.MANAGER,
             "华东销售部 East sales"),
    DemoUser("rep@demo.crm", "李销售 Li (East sales rep)", Role.SALES_REP, "华东销售部 East sales"),
    DemoUser("rep2@demo.crm", "张销售 Zhang (East sales rep)", Role.SALES_REP,
             "华东销售部 East sales"),
    DemoUser("north.rep@demo.crm", "赵销售 Zhao (North sales rep)", Role.SALES_REP,
             "华北销售部 North sales"),
    DemoUser("finance@demo.crm", "钱财务 Qian (Finance)", Role.FINANCE, "财务部 Finance"),
    DemoUser("ceo@demo.crm", "孙总 Sun (Executive)", Role.EXECUTIVE, "总部 Head office"),
    DemoUser("legal@demo.crm", "周法务 Zhou (Legal)", Role.LEGAL, "法务部 Legal"),
    DemoUser("service@demo.crm", "吴客服 Wu (Service)", Role.SERVICE_AGENT, "客服部 Service"),
]


async def seed_demo(container: Container) -> bool:
    """Creates the demo organisation unless the database already has users."""
    async with container.uow() as uow:
        if await uow.users.count() > 0:
            return False
    actor = system_actor("demo")
    ids: dict[str, uuid.UUID] = {}
    for name, parent in DEPARTMENTS:
        dept = await container.identity.create_department(
            actor, name, ids[parent] if parent else None)
        ids[name] = dept.id
    for u in USERS:
        await container.identity.create_user(
            actor, email=u.email, name=u.name, role=u.role, department_id=ids[u.department],
            password=DEMO_PASSWORD)
    return True


def demo_logins() -> list[str]:
    return [f"  {u.role.value:<14} {u.email:<22} password: {DEMO_PASSWORD}" for u in USERS]
