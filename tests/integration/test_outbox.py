"""Reliable events: outbox → relay → arq → consumer, with real PostgreSQL and Redis.

The worker is stopped hard and restarted; Redis goes away and comes back. Each effect is applied
exactly once and nothing is lost.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from adapters.bootstrap import Container, build
from adapters.db import tables
from adapters.embedded import RedisProcess
from adapters.settings import Settings
from domain.shared.authz import Role, system_actor
from domain.shared.ports import QueueUnavailable
from tests.conftest import PASSWORD, CachingHasher, drain

ROOT = Path(__file__).resolve().parents[2]


async def new_user(c: Container, email: str) -> uuid.UUID:
    user = await c.identity.create_user(system_actor("test"), email=email, name="New Person",
                                        role=Role.SALES_REP, department_id=None, password=PASSWORD)
    return user.id


async def welcome_count(c: Container, user_id: uuid.UUID) -> int:
    async with c.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(tables.notifications).where(
            tables.notifications.c.user_id == user_id,
            tables.notifications.c.kind == "welcome")) or 0)


async def wait_for(predicate, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition not met in time")


async def test_user_created_reaches_the_new_users_inbox_once(container: Container) -> None:
    user_id = await new_user(container, "welcome@example.com")
    assert await container.relay.pending() == 1
    assert await welcome_count(container, user_id) == 0  # nothing happens inside the request
    await drain(container)
    assert await welcome_count(container, user_id) == 1
    assert await container.relay.pending() == 0
    (event_id,) = await _event_ids(container)
    # at-least-once delivery: the same job again, directly and through the queue
    await container.dispatcher.dispatch(event_id)
    async with container.engine.begin() as conn:
        await conn.execute(tables.outbox.update().values(published_at=None))
    await drain(container)
    assert await welcome_count(container, user_id) == 1


async def test_a_job_run_twice_at_once_or_again_later_applies_its_effect_once(
        container: Container) -> None:
    """The 'processed' marker goes in with the consumer's commit: of two runs at once, the
    second waits on the first's marker and keeps nothing; a later run keeps nothing either."""
    user_id = await new_user(container, "twice@example.com")
    (event_id,) = await _event_ids(container)
    ran = await asyncio.gather(*(container.dispatcher.dispatch(event_id) for _ in range(3)))
    assert sorted(ran) == [0, 0, 1]
    assert await container.dispatcher.dispatch(event_id) == 0
    assert await welcome_count(container, user_id) == 1
    async with container.engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(tables.processed_events).where(
            tables.processed_events.c.event_id == event_id)) == 1


async def test_a_rolled_back_change_emits_nothing(container: Container) -> None:
    async with container.uow() as uow:
        from domain.identity.model import User

        user = User.register(email="ghost@example.com", name="Ghost", role=Role.LEGAL,
                             department_id=None, password_hash="x")
        await uow.users.add(user)
        # no commit: leaving the block rolls back the user and its event together
    assert await container.relay.pending() == 0
    async with container.uow() as uow:
        assert await uow.users.get_by_email("ghost@example.com") is None


async def _unpublished_user_events(c: Container) -> int:
    """user.created events not yet relayed (a killed worker may also leave the welcome
    notification's own delivery event behind)."""
    async with c.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(tables.outbox).where(
            tables.outbox.c.published_at.is_(None), tables.outbox.c.type == "user.created")) or 0)


async def _event_ids(c: Container) -> list[uuid.UUID]:
    async with c.engine.connect() as conn:
        # The user's own event (its welcome notification adds one for the e-mail delivery).
        return list((await conn.execute(select(tables.outbox.c.id).where(
            tables.outbox.c.type == "user.created"))).scalars())


def _worker_env(settings: Settings) -> dict[str, str]:
    assert settings.database_url and settings.redis_url
    return {**os.environ, "CRM_ENV": "test", "CRM_DATABASE_URL": settings.database_url,
            "CRM_REDIS_URL": settings.redis_url, "CRM_QUEUE_NAME": settings.queue_name,
            "CRM_LOG_LEVEL": "WARNING"}


def _start_worker(settings: Settings) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "adapters.cli", "worker"], cwd=ROOT,
                            env=_worker_env(settings), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)


def _kill(proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        proc.wait(10)


@pytest.mark.slow
async def test_a_worker_killed_with_events_pending_applies_them_once_after_restart(
    container: Container, settings: Settings
) -> None:
    worker = _start_worker(settings)
    try:
        first = await new_user(container, "first@example.com")
        await wait_for(lambda: _eq(welcome_count(container, first), 1))
        _kill(worker)  # hard: no shutdown, no cleanup
        pending = await new_user(container, "while-down@example.com")
        await asyncio.sleep(0.5)
        assert await welcome_count(container, pending) == 0
        assert await _unpublished_user_events(container) == 1, "the event waits in the outbox"
        worker = _start_worker(settings)
        await wait_for(lambda: _eq(welcome_count(container, pending), 1))
        await asyncio.sleep(1.0)  # give a double delivery the chance to show
        assert await welcome_count(container, pending) == 1
        assert await welcome_count(container, first) == 1
    finally:
        _kill(worker, signal.SIGTERM)


@pytest.mark.slow
async def test_jobs_queued_while_no_worker_runs_are_applied_once(
    container: Container, settings: Settings
) -> None:
    user_id = await new_user(container, "queued@example.com")
    assert await container.relay.relay_once() == 1  # in Redis now, nobody consuming
    (event_id,) = await _event_ids(container)
    from domain.shared.ports import JobName

    await container.queue.enqueue(JobName.HANDLE_EVENT, str(event_id), job_id=f"evt:{event_id}")
    # relayed again in a batch (a relay that died before its commit): still queued once
    await container.queue.enqueue_many(JobName.HANDLE_EVENT,
                                      [((str(event_id),), f"evt:{event_id}")])
    pool = await container.queue.pool()
    assert await pool.zscore(settings.queue_name, f"evt:{event_id}") is not None
    assert await pool.zcard(settings.queue_name) == 1
    worker = _start_worker(settings)
    try:
        await wait_for(lambda: _eq(welcome_count(container, user_id), 1))
        await asyncio.sleep(1.0)
        assert await welcome_count(container, user_id) == 1
    finally:
        _kill(worker, signal.SIGTERM)


async def _eq(awaitable, value) -> bool:  # type: ignore[no-untyped-def]
    return await awaitable == value


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
async def test_writes_go_on_while_redis_is_down_and_events_arrive_when_it_returns(
    settings: Settings, tmp_path: Path, container: Container
) -> None:
    port = _free_port()
    redis = RedisProcess(tmp_path / "redis", port=port, persist=False).start()
    c = build(settings.model_copy(update={"redis_url": redis.url,
                                          "queue_name": f"crm:down:{uuid.uuid4().hex[:6]}"}))
    c.identity.hasher = CachingHasher(c.identity.hasher)
    try:
        assert (await c.health())["redis"] is True
        redis.stop(hard=True)
        user_id = await new_user(c, "during-outage@example.com")  # the API keeps accepting writes
        assert (await c.health()) == {"database": True, "redis": False}
        with pytest.raises(QueueUnavailable):
            await c.relay.relay_once()
        assert await c.relay.pending() == 1, "the event is kept, not lost"
        redis = RedisProcess(tmp_path / "redis", port=port, persist=False).start()
        await drain(c)
        assert await welcome_count(c, user_id) == 1
        assert await c.relay.pending() == 0
    finally:
        redis.stop()
        await c.close()
