"""Shared steps of the lead and pipeline tests."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select

from adapters.bootstrap import Container
from adapters.db import tables
from api.v1.schemas.leads import LeadCreate
from domain.leads.commands import CaptureLead
from domain.shared.authz import Role, Scope, system_actor
from tests.conftest import World

MOBILE = "13912345678"


def new_lead(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "王小明", "company": "苏州精工自动化设备有限公司", "title": "采购经理",
        "phone": "+86 139 1234 5678", "email": "Wang.XM@Example.com",
        "industry": "manufacturing", "region": "east", "company_size": "large",
        "budget": "500000.00", "message": "想了解二期产线的报价", "source": "website",
        "campaign": "2026 expo",
    }
    body.update(over)
    return body


def capture_command(**over: Any) -> CaptureLead:
    """new_lead's body as the command the capture endpoint makes of it."""
    return LeadCreate.model_validate(new_lead(**over)).command()


async def capture(client: httpx.AsyncClient, headers: dict[str, str], **over: Any
                  ) -> dict[str, Any]:
    r = await client.post("/api/v1/leads", json=new_lead(**over), headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


async def api_key(c: Container, *scopes: Scope) -> dict[str, str]:
    _, secret = await c.identity.create_api_key(system_actor("test"), "website sync",
                                                set(scopes) or {Scope.LEADS_WRITE,
                                                                Scope.LEADS_READ})
    return {"X-API-Key": secret}


async def route(client: httpx.AsyncClient, world: World, rules: list[dict[str, Any]],
                **extra: Any) -> dict[str, Any]:
    r = await client.put("/api/v1/lead-routing", json={"rules": rules, **extra},
                         headers=world.auth("admin"))
    assert r.status_code == 200, r.text
    return r.json()


def east_rule(world: World, method: str = "round_robin", **over: Any) -> dict[str, Any]:
    rule = {"name": "East China", "department_id": str(world.departments["east"].id),
            "regions": ["east"], "method": method}
    rule.update(over)
    return rule


async def more_reps(world: World, n: int, dept: str = "east") -> list[str]:
    keys = []
    for i in range(n):
        key = f"{dept}_rep_{i}"
        world.users[key] = await world.user(key, Role.SALES_REP, world.departments[dept])
        keys.append(key)
    return keys


async def count(c: Container, table: Any, *where: Any) -> int:
    async with c.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table).where(*where))
                   or 0)


async def notifications(c: Container, user_id: Any, kind: str | None = None) -> list[Any]:
    n = tables.notifications
    stmt = select(n).where(n.c.user_id == user_id)
    if kind:
        stmt = stmt.where(n.c.kind == kind)
    async with c.engine.connect() as conn:
        return list((await conn.execute(stmt)).all())
