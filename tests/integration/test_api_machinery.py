"""The API's shared machinery: problems, validation, size limit, pagination, ETags, idempotency."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from adapters.bootstrap import Container
from tests.conftest import World

PROBLEM = "application/problem+json"


def is_problem(r: httpx.Response, status: int) -> dict:  # type: ignore[type-arg]
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    assert "Traceback" not in r.text
    return body


async def test_unknown_routes_and_methods_are_problems(client: httpx.AsyncClient) -> None:
    is_problem(await client.get("/api/v1/nothing-here"), 404)
    is_problem(await client.put("/api/v1/me"), 405)


async def test_malformed_json_is_400_naming_the_body(client: httpx.AsyncClient,
                                                     world: World) -> None:
    r = await client.post("/api/v1/departments", content=b'{"name": ',
                          headers={**world.auth("admin"), "content-type": "application/json"})
    body = is_problem(r, 400)
    assert body["errors"] == [{"field": "body", "code": "not_json", "message": "is not valid JSON"}]


async def test_wrong_types_name_the_field(client: httpx.AsyncClient, world: World) -> None:
    r = await client.post("/api/v1/users", headers=world.auth("admin"), json={
        "email": "x@example.com", "name": "X", "role": "emperor", "password": 12})
    body = is_problem(r, 422)
    fields = {e["field"] for e in body["errors"]}
    assert fields == {"role", "password"}


async def test_unknown_fields_are_rejected_not_ignored(client: httpx.AsyncClient,
                                                       world: World) -> None:
    r = await client.post("/api/v1/departments", headers=world.auth("admin"),
                          json={"name": "Ops", "colour": "red"})
    body = is_problem(r, 422)
    assert body["errors"] == [{"field": "colour", "code": "unknown_field",
                               "message": "is not a known field"}]


async def test_domain_validation_names_the_field(client: httpx.AsyncClient, world: World) -> None:
    r = await client.post("/api/v1/users", headers=world.auth("admin"), json={
        "email": "not-an-email", "name": "X", "role": "sales_rep", "password": "long-enough-1"})
    assert is_problem(r, 422)["errors"] == [
        {"field": "email", "code": "invalid_email", "message": "is not a valid e-mail address"}]
    r = await client.post("/api/v1/users", headers=world.auth("admin"), json={
        "email": "x@example.com", "name": "X", "role": "sales_rep", "password": "short"})
    assert is_problem(r, 422)["errors"][0]["field"] == "password"


async def test_oversize_bodies_are_413(client: httpx.AsyncClient, world: World) -> None:
    big = b'{"name": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    r = await client.post("/api/v1/departments", content=big,
                          headers={**world.auth("admin"), "content-type": "application/json"})
    is_problem(r, 413)

    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(20):
            yield b"x" * 65536

    r = await client.post("/api/v1/departments", content=chunks(),
                          headers={**world.auth("admin"), "content-type": "application/json"})
    is_problem(r, 413)


async def test_sql_looking_input_is_just_text(client: httpx.AsyncClient, world: World,
                                              container: Container) -> None:
    name = "Robert'); DROP TABLE users;--"
    r = await client.post("/api/v1/departments", headers=world.auth("admin"), json={"name": name})
    assert r.status_code == 201 and r.json()["name"] == name
    r = await client.get("/api/v1/users", headers=world.auth("admin"),
                         params={"q": "' OR 1=1 --"})
    assert r.status_code == 200 and r.json()["items"] == []
    # a user's address holds a UUID: anything else names no resource at all
    r = await client.get("/api/v1/users/1%20OR%201=1", headers=world.auth("admin"))
    is_problem(r, 404)
    assert (await client.get("/api/v1/me", headers=world.auth("admin"))).status_code == 200


async def test_lists_page_with_cursors(client: httpx.AsyncClient, world: World) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 4} | ({"cursor": cursor} if cursor else {})
        r = await client.get("/api/v1/users", headers=world.auth("admin"), params=params)
        assert r.status_code == 200
        page = r.json()
        assert len(page["items"]) <= 4
        seen += [u["email"] for u in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(u.email for u in world.users.values())
    assert len(set(seen)) == len(world.users)


async def test_bad_page_parameters_are_problems(client: httpx.AsyncClient, world: World) -> None:
    h = world.auth("admin")
    assert is_problem(await client.get("/api/v1/users?limit=201", headers=h),
                      422)["errors"][0]["field"] == "limit"
    assert is_problem(await client.get("/api/v1/users?limit=abc", headers=h),
                      422)["errors"][0]["field"] == "limit"
    assert is_problem(await client.get("/api/v1/users?cursor=%%%", headers=h),
                      422)["errors"][0]["field"] == "cursor"


async def test_stale_if_match_is_412_and_fresh_one_wins(client: httpx.AsyncClient,
                                                         world: World) -> None:
    h = world.auth("admin")
    dept = world.departments["east"]
    r = await client.get(f"/api/v1/departments/{dept.id}", headers=h)
    etag = r.headers["etag"]
    ok = await client.patch(f"/api/v1/departments/{dept.id}", json={"name": "East China"},
                            headers={**h, "If-Match": etag})
    assert ok.status_code == 200 and ok.headers["etag"] != etag
    stale = await client.patch(f"/api/v1/departments/{dept.id}", json={"name": "Lost edit"},
                               headers={**h, "If-Match": etag})
    assert is_problem(stale, 412)["current_version"] == ok.json()["version"]
    after = await client.get(f"/api/v1/departments/{dept.id}", headers=h)
    assert after.json()["name"] == "East China"
    bad = await client.patch(f"/api/v1/departments/{dept.id}", json={"name": "x"},
                             headers={**h, "If-Match": "nonsense"})
    assert is_problem(bad, 422)["errors"][0]["field"] == "If-Match"


async def test_idempotency_key_replays_refuses_changes_and_scopes_to_caller(
    client: httpx.AsyncClient, world: World
) -> None:
    key = str(uuid.uuid4())
    h = {**world.auth("admin"), "Idempotency-Key": key}
    first = await client.post("/api/v1/departments", json={"name": "Ops"}, headers=h)
    again = await client.post("/api/v1/departments", json={"name": "Ops"}, headers=h)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    listed = await client.get("/api/v1/departments", headers=world.auth("admin"),
                              params={"limit": 200})
    assert [d["name"] for d in listed.json()["items"]].count("Ops") == 1
    changed = await client.post("/api/v1/departments", json={"name": "Other"}, headers=h)
    is_problem(changed, 422)
    # the same key from another caller is another key
    other = await client.post("/api/v1/api-keys", json={"name": "k", "scopes": ["users:read"]},
                              headers={**world.auth("admin"), "Idempotency-Key": "k2"})
    assert other.status_code == 201


async def test_a_request_still_in_flight_answers_409(
    client: httpx.AsyncClient, world: World, container: Container
) -> None:
    h = {**world.auth("admin"), "Idempotency-Key": "slow-one"}
    caller = f"user:{world.users['admin'].id}"
    body = b'{"name":"Ops"}'
    import hashlib

    fp = hashlib.sha256(b"\0".join([b"POST", b"/api/v1/departments", b"", body])).hexdigest()
    assert (await container.idempotency.begin(caller, "slow-one", fp)).state == "new"
    r = await client.post("/api/v1/departments", content=body,
                          headers={**h, "content-type": "application/json"})
    is_problem(r, 409)


async def test_concurrent_duplicates_create_one_record(client: httpx.AsyncClient,
                                                       world: World) -> None:
    h = {**world.auth("admin"), "Idempotency-Key": "race"}
    results = await asyncio.gather(*[
        client.post("/api/v1/departments", json={"name": "Race"}, headers=h) for _ in range(5)])
    assert sorted({r.status_code for r in results}) in ([201], [201, 409])
    listed = await client.get("/api/v1/departments", headers=world.auth("admin"),
                              params={"limit": 200})
    assert [d["name"] for d in listed.json()["items"]].count("Race") == 1


async def test_request_ids_are_echoed_or_made(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    r = await client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    made = r.headers["x-request-id"]
    assert made != "bad id with spaces" and len(made) == 32


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    r = await client.get("/readyz")
    assert r.status_code == 200 and r.json()["checks"] == {"database": True, "redis": True}


async def test_allow_names_every_method_of_the_resource(client: httpx.AsyncClient) -> None:
    path = f"/api/v1/customers/{uuid.uuid4()}"
    r = await client.put(path)
    is_problem(r, 405)
    assert r.headers["allow"] == "DELETE, GET, HEAD, OPTIONS, PATCH"
    r = await client.options(path)
    assert r.status_code == 204 and r.headers["allow"] == "DELETE, GET, HEAD, OPTIONS, PATCH"
    assert "access-control-allow-origin" not in r.headers
    # a fixed path beside a templated one is its own resource
    r = await client.patch("/api/v1/tags/apply")
    is_problem(r, 405)
    assert r.headers["allow"] == "OPTIONS, POST"


async def test_booleans_dates_and_amounts_are_not_numbers(client: httpx.AsyncClient,
                                                          world: World) -> None:
    h = world.auth("admin")
    for body, field in [
        ({"name": "上海明远精密机械制造有限公司", "kind": "company", "next_followup_at": 0},
         "next_followup_at"),
        ({"name": "上海明远精密机械制造有限公司", "kind": "company", "annual_purchase": 12.5},
         "annual_purchase"),
        ({"name": "上海明远精密机械制造有限公司", "kind": "company",
          "contacts": [{"name": "张三", "is_primary": 0}]}, "contacts.0.is_primary"),
    ]:
        r = await client.post("/api/v1/customers", headers=h, json=body)
        assert is_problem(r, 422)["errors"][0]["field"] == field, r.text
    r = await client.get("/api/v1/customers", headers=h, params={"updated_since": "1700000000"})
    assert is_problem(r, 422)["errors"][0]["field"] == "updated_since"


async def test_a_partial_update_cannot_send_null_for_what_cannot_be_emptied(
        client: httpx.AsyncClient, world: World) -> None:
    h = world.auth("admin")
    c = (await client.post("/api/v1/customers", headers=h, json={
        "name": "上海明远精密机械制造有限公司", "kind": "company"})).json()
    r = await client.patch(f"/api/v1/customers/{c['id']}", headers=h, json={"kind": None})
    assert is_problem(r, 422)["errors"][0]["field"] == "kind"
