"""Shared steps of the customer tests over HTTP: a complete company with two contacts,
creating it as someone, and the stored list documents checked against the rows."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import text

from adapters.bootstrap import Container
from tests.conftest import World

MOBILE = "13812345678"
CARD = "110101199003071233"


def new_customer(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "上海明远精密机械制造有限公司", "kind": "company", "industry": "manufacturing",
        "region": "east", "annual_purchase": "1500000.00", "tags": ["vip", "b2b"],
        "custom": {"erp_code": "MY-001", "employees": 120},
        "contacts": [
            {"name": "张三", "title": "采购经理", "mobile": "+86 138 1234 5678",
             "email": "Zhang.San@Example.com"},
            {"name": "李四", "landline": "021 6666 7777"},
        ],
    }
    body.update(over)
    return body


async def create(client: httpx.AsyncClient, world: World, who: str = "rep",
                 **over: Any) -> dict[str, Any]:
    r = await client.post("/api/v1/customers", json=new_customer(**over), headers=world.auth(who),
                          params={"allow_duplicate": "true"})
    assert r.status_code == 201, r.text
    return r.json()


async def stored_documents(container: Container) -> dict[str, str]:
    """Every live customer's stored list document, checked against one built from the row
    and its contacts now: none missing, none stale."""
    from adapters.db.customer_documents import DOC_FIELDS, customer_document

    fresh = customer_document(frozenset(name for name, _ in DOC_FIELDS))
    async with container.engine.connect() as conn:
        rows = (await conn.execute(text(
            f"SELECT customers.id, d.doc, {fresh} AS fresh FROM customers LEFT JOIN "
            "customer_docs AS d ON d.customer_id = customers.id "
            "WHERE customers.deleted_at IS NULL"))).all()
    assert rows and [row.id for row in rows if row.doc is None or row.doc != row.fresh] == []
    return {str(row.id): row.doc for row in rows}
