"""Filters anyone may post or save are bounded: custom keys name defined fields, lists and
texts have caps, nothing nests, and a count that runs too long is stopped with a clear 503
instead of keeping the database busy for everyone."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import text

from adapters.bootstrap import Container, build
from adapters.settings import Settings
from adapters.web import create_web_app
from tests.conftest import World
from tests.integration.customers_helpers import create


async def save(client: httpx.AsyncClient, world: World, spec: dict[str, Any],
               who: str = "rep") -> httpx.Response:
    return await client.post("/api/v1/segments", headers=world.auth(who),
                             json={"name": "a segment", "filter": spec})


def refused(r: httpx.Response, field: str, says: str) -> None:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    error = r.json()["errors"][0]
    assert error["field"] == field, error
    assert says in error["message"], error


async def test_a_segment_with_fifty_thousand_custom_keys_is_refused(
        client: httpx.AsyncClient, world: World) -> None:
    custom = {f"k{i:05d}": "x" for i in range(50_000)}
    refused(await save(client, world, {"custom": custom}), "filter.custom",
            "has 50000 keys; at most 20")
    refused(await save(client, world, {"tags_any": [f"t{i}" for i in range(20_000)]}),
            "filter.tags_any", "has 20000 items; at most 20")
    refused(await save(client, world, {"tags_all": ["x" * 101]}), "filter.tags_all",
            "at most 100")
    refused(await save(client, world, {"q": "q" * 5000}), "filter.q", "at most 100")
    refused(await save(client, world, {"custom": {"erp_code": [[["deep"]]]}}),
            "filter.custom.erp_code", "not nested")
    refused(await save(client, world, {"custom": {"erp_code": list(range(21))}}),
            "filter.custom.erp_code", "has 21 values; at most 20")
    refused(await save(client, world, {"custom": {"erp_code": "x" * 201}}),
            "filter.custom.erp_code", "at most 200")
    assert (await client.get("/api/v1/segments", headers=world.auth("rep"))).json()[
        "items"] == [], "nothing was saved"


async def test_custom_keys_must_be_defined_fields(client: httpx.AsyncClient,
                                                  world: World) -> None:
    await create(client, world)  # erp_code MY-001
    refused(await save(client, world, {"custom": {"no_such_field": "x"}}),
            "filter.custom.no_such_field", "is not a defined custom field")
    ok = await save(client, world, {"custom": {"erp_code": "MY-001"},
                                    "tags_any": [f"t{i}" for i in range(19)] + ["vip"]})
    assert ok.status_code == 201, ok.text
    sid = ok.json()["id"]
    count = await client.get(f"/api/v1/segments/{sid}/count", headers=world.auth("rep"))
    assert count.json() == {"count": 1}
    changed = await client.patch(f"/api/v1/segments/{sid}", headers=world.auth("rep"),
                                 json={"filter": {"custom": {"nope": 1}}})
    refused(changed, "filter.custom.nope", "is not a defined custom field")
    r = await client.post("/api/v1/exports", headers=world.auth("rep"),
                          json={"filter": {"custom": {"nope": 1}}})
    refused(r, "filter.custom.nope", "is not a defined custom field")
    r = await client.post("/api/v1/tags/apply", headers=world.auth("rep"),
                          json={"filter": {"tags_any": ["a"] * 21}, "add": ["b"]})
    refused(r, "filter.tags_any", "at most 20")


async def test_the_customer_list_bounds_its_custom_field_filters(client: httpx.AsyncClient,
                                                                 world: World) -> None:
    mine = await create(client, world)
    h = world.auth("rep")
    found = await client.get("/api/v1/customers", params={"cf.erp_code": "MY-001"}, headers=h)
    assert [c["id"] for c in found.json()["items"]] == [mine["id"]]
    refused(await client.get("/api/v1/customers", params={"cf.nope": "1"}, headers=h),
            "cf.nope", "is not a defined custom field")
    many = [(f"cf.k{i}", "1") for i in range(21)]
    refused(await client.get("/api/v1/customers", params=many, headers=h), "cf",
            "at most 20")
    refused(await client.get("/api/v1/customers", params={"cf.erp_code": "x" * 201},
                             headers=h), "cf.erp_code", "at most 200")


async def test_a_count_that_runs_too_long_is_stopped_with_a_503(
        client: httpx.AsyncClient, world: World, container: Container,
        settings: Settings) -> None:
    await create(client, world)
    sid = (await save(client, world, {"industry": "manufacturing"})).json()["id"]
    impatient = build(settings.model_copy(update={"count_timeout_ms": 300}))
    transport = httpx.ASGITransport(app=create_web_app(impatient))
    try:
        async with (httpx.AsyncClient(transport=transport, base_url="http://crm.test") as c,
                    container.engine.connect() as blocker):
            # A lock that holds the count back as long as a costly scan would: deterministic.
            await blocker.begin()
            await blocker.execute(text("LOCK TABLE customers IN ACCESS EXCLUSIVE MODE"))
            r = await c.get(f"/api/v1/segments/{sid}/count", headers=world.auth("rep"))
            await blocker.rollback()
            assert r.status_code == 503, r.text
            assert r.headers["content-type"].startswith("application/problem+json")
            assert "longer than 300 ms" in r.json()["detail"]
            again = await c.get(f"/api/v1/segments/{sid}/count", headers=world.auth("rep"))
            assert again.json() == {"count": 1}, "the connection went back to the pool sound"
    finally:
        await impatient.close()
