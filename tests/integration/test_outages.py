"""PostgreSQL restarted and Redis stopped under a running API and worker, on servers of the
test's own (the shared ones are never touched): the API answers only 2xx or 503 with
Retry-After, every 2xx's write is there afterwards, and the worker says that an outage began
and that it ended, once each."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from adapters.bootstrap import Container, build
from adapters.db import tables
from adapters.db.migrate import upgrade
from adapters.embedded import RedisProcess
from adapters.jobs.worker import run_worker
from adapters.settings import Settings
from adapters.web import create_web_app
from domain.shared.authz import Role, system_actor
from tests.conftest import PASSWORD, CachingHasher, World
from tests.integration.customers_helpers import new_customer
from tests.private_postgres import PrivatePostgres, free_port
from tests.services import create_database

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def private_pg() -> Iterator[PrivatePostgres]:
    pg = PrivatePostgres().start()
    try:
        yield pg
    finally:
        pg.cleanup()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisProcess]:
    redis = RedisProcess(tmp_path / "redis", port=free_port(), persist=True).start()
    try:
        yield redis
    finally:
        redis.stop()


@pytest.fixture
async def private(private_pg: PrivatePostgres, private_redis: RedisProcess
                  ) -> AsyncIterator[Container]:
    """A container on a fresh database of the private server and on the private Redis."""
    database = await create_database(private_pg.url())
    await upgrade(database)
    c = build(Settings(env="test", database_url=database, redis_url=private_redis.url,
                       queue_name=f"crm:outage:{uuid.uuid4().hex[:8]}",
                       web_dist=Path("/nonexistent"),
                       # the drills load one caller hard: the per-caller limit would answer
                       # 429 on a quick machine, which is not what they test
                       rate_limit_per_second=100_000, rate_limit_burst=1_000_000))
    c.identity.hasher = CachingHasher(c.identity.hasher)
    yield c
    await c.close()


async def eventually(predicate: Callable[[], Awaitable[bool]], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):  # the server may still be coming back
            if await predicate():
                return
        await asyncio.sleep(0.2)
    raise AssertionError("condition not met in time")


async def new_user(c: Container, email: str) -> uuid.UUID:
    user = await c.identity.create_user(system_actor("test"), email=email, name="New Person",
                                        role=Role.SALES_REP, department_id=None,
                                        password=PASSWORD)
    return user.id


async def welcomed(c: Container, user_ids: list[uuid.UUID]) -> bool:
    notifications = tables.notifications
    async with c.engine.connect() as conn:
        count = await conn.scalar(select(func.count()).select_from(notifications).where(
            notifications.c.user_id.in_(user_ids), notifications.c.kind == "welcome"))
    return count == len(user_ids)


def warnings_since(caplog: pytest.LogCaptureFixture, mark: int) -> list[logging.LogRecord]:
    return [r for r in caplog.records[mark:] if r.levelno >= logging.WARNING]


async def test_a_redis_outage_is_two_lines_in_the_worker_log_and_loses_no_event(
        private: Container, private_redis: RedisProcess,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(private, stop))
    try:
        first = await new_user(private, "before@example.com")
        await eventually(lambda: welcomed(private, [first]))
        mark = len(caplog.records)
        private_redis.stop(hard=True)
        during = []
        for n in range(6):  # writes go on, and their events wait in the outbox
            during.append(await new_user(private, f"during-{n}@example.com"))
            await asyncio.sleep(1.0)
        private_redis.start()
        await eventually(lambda: welcomed(private, [first, *during]))
        gc.collect()  # a task whose failure nobody retrieved is logged when it is collected
        lines = warnings_since(caplog, mark)
    finally:
        stop.set()
        await worker
    messages = [r.getMessage() for r in lines]
    assert len(lines) == 2, messages
    assert "the queue is unavailable" in messages[0]
    assert "the queue is back after" in messages[1]
    assert not any(r.exc_info for r in lines)


async def test_a_database_restart_is_two_lines_in_the_worker_log_and_loses_no_event(
        private: Container, private_pg: PrivatePostgres,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(private, stop))
    try:
        first = await new_user(private, "before@example.com")
        await eventually(lambda: welcomed(private, [first]))
        mark = len(caplog.records)
        private_pg.stop(mode="fast")
        await asyncio.sleep(6)
        private_pg.start()
        after = await new_user(private, "after@example.com")
        await eventually(lambda: welcomed(private, [first, after]))
        await asyncio.sleep(6)  # the LISTEN connections are back by now (at most 5 s apart)
        lines = warnings_since(caplog, mark)
    finally:
        stop.set()
        await worker
    messages = [r.getMessage() for r in lines]
    assert len(lines) == 2, messages
    assert "the database is unavailable" in messages[0]
    assert "the database is back after" in messages[1]
    assert not any(r.exc_info for r in lines)


async def test_a_database_restart_under_load_answers_only_2xx_or_503_and_keeps_every_2xx(
        private: Container, private_pg: PrivatePostgres,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    world = await World(private).build()
    headers = world.auth("rep")
    app = create_web_app(private)
    answers: list[tuple[int, str | None]] = []
    created: list[str] = []
    done = asyncio.Event()

    async def create(client: httpx.AsyncClient, name: str, key: str | None) -> None:
        """With a key, a 503 is retried with the same key, as a client should."""
        for _ in range(100):
            answer = await client.post(
                "/api/v1/customers", json=new_customer(name=name),
                headers={**headers, **({"Idempotency-Key": key} if key else {})},
                params={"allow_duplicate": "true"})
            answers.append((answer.status_code, answer.headers.get("retry-after")))
            if answer.status_code == 201:
                created.append(answer.json()["id"])
            if answer.status_code != 503 or key is None:
                return
            await asyncio.sleep(0.2)

    async def client_loop(client: httpx.AsyncClient, n: int) -> None:
        i = 0
        while not done.is_set():
            i += 1
            await create(client, f"Drill {n}-{i} 有限公司", f"k-{n}-{i}" if i % 2 else None)
            listed = await client.get("/api/v1/customers", headers=headers,
                                      params={"limit": 5})
            answers.append((listed.status_code, listed.headers.get("retry-after")))
            await asyncio.sleep(0.02)

    async def restarts() -> None:
        await asyncio.sleep(1.0)
        for mode in ("fast", "immediate"):
            await asyncio.to_thread(private_pg.restart, mode=mode, down_seconds=2.0)
            await asyncio.sleep(2.0)
        done.set()

    mark = len(caplog.records)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://crm.test",
                                 timeout=30) as client:
        await asyncio.gather(restarts(), *(client_loop(client, n) for n in range(6)))

    statuses = [status for status, _ in answers]
    others = [s for s in statuses if not (200 <= s < 300 or s == 503)]
    assert others == [], f"answers other than 2xx and 503: {others}"
    assert 503 in statuses, "the drill never caught the database away"
    assert all(retry == "5" for status, retry in answers if status == 503)
    assert sum(1 for s in statuses if 200 <= s < 300) > 20

    async with private.engine.connect() as conn:
        stored = set(map(str, (await conn.scalars(select(tables.customers.c.id))).all()))
        events = Counter((await conn.scalars(select(tables.outbox.c.aggregate_id).where(
            tables.outbox.c.type == "customer.created"))).all())
    assert set(created) <= stored, "a customer answered 201 is missing"
    assert len(created) == len(set(created))
    assert all(events[customer_id] == 1 for customer_id in created), "an event is missing"

    lines = warnings_since(caplog, mark)
    assert not any(r.exc_info for r in lines), [r.getMessage() for r in lines if r.exc_info]
    assert sum(1 for r in lines if "answered 503" in r.getMessage()) == statuses.count(503)


