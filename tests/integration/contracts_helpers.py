"""Shared steps of the contract tests over HTTP: the two amounts either side of the executive
threshold, a customer, a draft contract for it, and a POST as someone."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import World

BIG = "1200000.00"   # at or above the default threshold: manager → finance → executive
SMALL = "80000.00"   # below: manager → finance


async def customer(client: httpx.AsyncClient, world: World, who: str = "rep") -> str:
    r = await client.post("/api/v1/customers", json={"name": "上海明远精密机械制造有限公司",
                                                     "kind": "company"},
                          headers=world.auth(who))
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def contract(client: httpx.AsyncClient, world: World, amount: str = BIG,
                   who: str = "rep", customer_id: str | None = None, **over: Any
                   ) -> dict[str, Any]:
    body = {"customer_id": customer_id or await customer(client, world, who),
            "title": "2027 年度网关采购合同", "start_date": "2027-01-01",
            "end_date": "2027-12-31", "payment_terms": "30% 预付，70% 验收后",
            "lines": [{"product": "工业网关 GW-200", "quantity": "2",
                       "unit_price": str(float(amount) / 2), "discount": "0"}], **over}
    r = await client.post("/api/v1/contracts", json=body, headers=world.auth(who))
    assert r.status_code == 201, r.text
    return dict(r.json())


async def post(client: httpx.AsyncClient, world: World, who: str, url: str,
               body: Any = None) -> httpx.Response:
    return await client.post(url, json=body, headers=world.auth(who))
