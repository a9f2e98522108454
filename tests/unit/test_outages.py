"""Which failures mean PostgreSQL or Redis is away (503, one quiet line) and which are ours
(500 with a traceback): told on the exceptions the drivers and SQLAlchemy really raise."""

from __future__ import annotations

import logging
from typing import Any

import asyncpg
import httpx
import pytest
import redis.asyncio
import sqlalchemy.exc
from sqlalchemy.dialects.postgresql.asyncpg import (
    AsyncAdapt_asyncpg_connection,
    AsyncAdapt_asyncpg_dbapi,
)
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import QueuePool
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from adapters.outages import DATABASE, QUEUE, Outages, Unavailable, unavailable
from api.middleware import RETRY_AFTER_SECONDS, IdempotencyMiddleware, UnavailableMiddleware
from domain.shared.ports import IdempotencyOutcome

# A port nothing listens on (below 1024, never handed out as an ephemeral port).
CLOSED = 9


def through_sqlalchemy(error: Exception, *, invalidated: bool = False) -> Exception:
    """`error` as the asyncpg dialect translates it and SQLAlchemy wraps it."""
    dbapi = AsyncAdapt_asyncpg_dbapi(asyncpg)
    try:
        AsyncAdapt_asyncpg_connection._handle_exception_no_connection(dbapi, error)
    except Exception as adapted:
        wrapped = sqlalchemy.exc.DBAPIError.instance(
            "SELECT 1", {}, adapted, dbapi.Error, connection_invalidated=invalidated)
        wrapped.__cause__ = adapted
        return wrapped
    raise AssertionError("the dialect did not translate the error")


SERVER_AWAY = [
    asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command"),
    asyncpg.exceptions.CrashShutdownError("terminating connection because of crash of another "
                                          "server process"),
    asyncpg.exceptions.CannotConnectNowError("the database system is shutting down"),
    asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
    asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle of "
                                                   "operation"),
    asyncpg.exceptions.ConnectionFailureError("connection failure"),
    asyncpg.exceptions.TooManyConnectionsError("sorry, too many clients already"),
    asyncpg.exceptions.InterfaceError("cannot call Connection.fetch(): connection is closed"),
]

OURS = [
    asyncpg.exceptions.UniqueViolationError("duplicate key value violates unique constraint"),
    asyncpg.exceptions.QueryCanceledError("canceling statement due to statement timeout"),
    asyncpg.exceptions.UndefinedColumnError('column "nope" does not exist'),
    asyncpg.exceptions.InterfaceError("cannot perform operation: another operation is in "
                                      "progress"),
]


@pytest.mark.parametrize("error", SERVER_AWAY, ids=lambda e: type(e).__name__)
def test_a_server_going_away_is_an_outage_bare_and_wrapped(error: Exception) -> None:
    for seen in (error, through_sqlalchemy(error)):
        found = unavailable(seen)
        assert found is not None and found.dependency == DATABASE, seen


@pytest.mark.parametrize("error", OURS, ids=lambda e: type(e).__name__)
def test_errors_of_the_request_or_the_code_are_not(error: Exception) -> None:
    assert unavailable(error) is None
    assert unavailable(through_sqlalchemy(error)) is None


def test_the_shutdown_sqlstate_is_in_the_reason() -> None:
    error = asyncpg.exceptions.CannotConnectNowError("the database system is shutting down")
    found = unavailable(through_sqlalchemy(error))
    assert found is not None and "57P03" in found.reason and "shutting down" in found.reason


def test_a_connection_sqlalchemy_invalidated_is_an_outage_whatever_the_driver_said() -> None:
    error = asyncpg.exceptions.InternalClientError("unexpected connection_lost() call")
    assert unavailable(through_sqlalchemy(error)) is None
    assert unavailable(through_sqlalchemy(error, invalidated=True)) is not None


async def test_a_refused_connection_through_asyncpg_and_the_engine_is_an_outage() -> None:
    with pytest.raises(OSError) as refused:
        await asyncpg.connect(f"postgresql://crm@127.0.0.1:{CLOSED}/crm", timeout=2)
    assert unavailable(refused.value) == Unavailable(DATABASE, unavailable(refused.value).reason)

    engine = create_async_engine(f"postgresql+asyncpg://crm@127.0.0.1:{CLOSED}/crm")
    try:
        with pytest.raises(Exception) as through_engine:
            async with engine.connect():
                pass
    finally:
        await engine.dispose()
    found = unavailable(through_engine.value)
    assert found is not None and found.dependency == DATABASE


def test_a_reset_connection_is_an_outage_but_a_missing_file_is_not() -> None:
    assert unavailable(ConnectionResetError(104, "Connection reset by peer")) is not None
    assert unavailable(OSError(111, "Connect call failed")) is not None
    assert unavailable(FileNotFoundError(2, "No such file or directory")) is None
    assert unavailable(PermissionError(13, "Permission denied")) is None
    assert unavailable(ValueError("bad")) is None


def test_an_exhausted_pool_is_an_outage() -> None:
    class Connection:
        def rollback(self) -> None: ...
        def close(self) -> None: ...

    pool = QueuePool(Connection, pool_size=1, max_overflow=0, timeout=0.01)
    held = pool.connect()
    try:
        with pytest.raises(sqlalchemy.exc.TimeoutError) as timed_out:
            pool.connect()
    finally:
        held.close()
    found = unavailable(timed_out.value)
    assert found is not None and found.dependency == DATABASE


async def test_redis_away_is_a_queue_outage() -> None:
    client = redis.asyncio.Redis(host="127.0.0.1", port=CLOSED)
    try:
        with pytest.raises(redis.exceptions.ConnectionError) as refused:
            await client.ping()
    finally:
        await client.aclose()
    found = unavailable(refused.value)
    assert found is not None and found.dependency == QUEUE


def test_a_group_is_an_outage_only_when_every_member_is() -> None:
    away = asyncpg.exceptions.AdminShutdownError("terminating connection")
    assert unavailable(ExceptionGroup("tasks", [away, ConnectionRefusedError(111, "x")]))
    assert unavailable(ExceptionGroup("tasks", [away, KeyError("bug")])) is None


def test_an_outage_is_logged_when_it_starts_and_when_it_ends(
        caplog: pytest.LogCaptureFixture) -> None:
    outages = Outages()
    relay = outages.watch("outbox relay", first_wait=0.5, max_wait=4)
    worker = outages.watch("job worker", first_wait=1, max_wait=30)
    cause = Unavailable(QUEUE, "ConnectionError: Error 111")
    with caplog.at_level(logging.INFO, logger="crm.outage"):
        waits = [relay.failed(cause) for _ in range(6)]
        worker.failed(cause)
        worker.failed(cause)
        relay.recovered()
        assert outages.down(QUEUE)  # the worker has not got through yet
        worker.recovered()
        worker.recovered()
    assert waits == [0.5, 1, 2, 4, 4, 4]
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2, lines
    assert "queue is unavailable" in lines[0] and "outbox relay" in lines[0]
    assert "queue is back after" in lines[1]
    assert not any(r.exc_info for r in caplog.records)
    assert not outages.down(QUEUE)
    assert relay.failed(cause) == 0.5  # a new outage starts from the first wait


def test_a_loop_ending_during_an_outage_leaves_no_one_waiting_for_it(
        caplog: pytest.LogCaptureFixture) -> None:
    outages = Outages()
    relay = outages.watch("outbox relay")
    relay.failed(Unavailable(DATABASE, "refused"))
    relay.close()
    assert not outages.down(DATABASE)


def app_failing_with(error: BaseException) -> Any:
    async def route(request: Request) -> PlainTextResponse:
        raise error

    async def streaming(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    # As in the API: inside Starlette's outermost error middleware (which answers 500).
    return Starlette(routes=[Route("/fails", route, methods=["GET", "POST"]),
                             Route("/ok", streaming)],
                     middleware=[Middleware(UnavailableMiddleware, outage_of=unavailable)])


async def test_the_api_answers_an_outage_503_with_retry_after_logged_once(
        caplog: pytest.LogCaptureFixture) -> None:
    error = asyncpg.exceptions.CannotConnectNowError("the database system is shutting down")
    app = app_failing_with(error)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://crm.test") as client:
        with caplog.at_level(logging.DEBUG):
            answer = await client.post("/fails", json={})
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert body["status"] == 503 and "database" in body["detail"]
    mine = [r for r in caplog.records if r.name.startswith("crm")]
    assert len(mine) == 1 and mine[0].levelno == logging.WARNING and not mine[0].exc_info
    assert "57P03" in mine[0].getMessage()


async def test_the_api_lets_other_errors_through_to_the_500_handler() -> None:
    app = app_failing_with(KeyError("a bug"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://crm.test") as client:
        with pytest.raises(KeyError):  # Starlette answers 500 and re-raises for the server
            await client.get("/fails")
        assert (await client.get("/ok")).status_code == 200


class KeyStore:
    """Idempotency keys in memory; `away` makes every call fail as a stopped database does."""

    def __init__(self) -> None:
        self.keys: dict[tuple[str, str], IdempotencyOutcome] = {}
        self.away = False

    def _reach(self) -> None:
        if self.away:
            raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)")

    async def begin(self, caller: str, key: str, fingerprint: str) -> IdempotencyOutcome:
        self._reach()
        if (caller, key) in self.keys:
            return self.keys[(caller, key)]
        self.keys[(caller, key)] = IdempotencyOutcome("in_flight")
        return IdempotencyOutcome("new")

    async def complete(self, caller: str, key: str, status: int,
                       headers: list[tuple[str, str]], body: bytes) -> None:
        self._reach()
        self.keys[(caller, key)] = IdempotencyOutcome("replay", status, headers, body)

    async def abandon(self, caller: str, key: str) -> None:
        self._reach()
        self.keys.pop((caller, key), None)


async def test_a_key_whose_request_met_the_outage_is_free_for_its_retry() -> None:
    """The key was taken, then the database went away: releasing it failed too. The retry
    after the outage runs the request instead of answering 409 until the key expires."""
    store = KeyStore()
    runs: list[int] = []

    async def create(request: Request) -> PlainTextResponse:
        runs.append(1)
        if len(runs) == 1:
            store.away = True  # the database stops under the first request
            raise asyncpg.exceptions.AdminShutdownError("terminating connection due to "
                                                        "administrator command")
        return PlainTextResponse("created", status_code=201)

    async def caller_of(_scope: Any) -> str:
        return "user:1"

    app = Starlette(routes=[Route("/customers", create, methods=["POST"])], middleware=[
        Middleware(UnavailableMiddleware, outage_of=unavailable),
        Middleware(IdempotencyMiddleware, get_store=lambda: store, caller_of=caller_of)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://crm.test") as client:
        first = await client.post("/customers", json={}, headers={"Idempotency-Key": "k1"})
        assert first.status_code == 503
        during = await client.post("/customers", json={}, headers={"Idempotency-Key": "k1"})
        assert during.status_code == 503 and len(runs) == 1
        store.away = False
        after = await client.post("/customers", json={}, headers={"Idempotency-Key": "k1"})
        assert after.status_code == 201 and len(runs) == 2
        replay = await client.post("/customers", json={}, headers={"Idempotency-Key": "k1"})
        assert replay.status_code == 201 and len(runs) == 2
        assert replay.headers["idempotent-replayed"] == "true"
