"""The SSE stream over a real HTTP server on loopback (uvicorn), fed by LISTEN/NOTIFY."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn

from adapters.bootstrap import Container
from adapters.db.engine import libpq_url
from adapters.notify.feed import PgNotificationFeed
from adapters.settings import Settings
from adapters.web import create_web_app
from tests.conftest import World
from tests.integration.notify_helpers import free_port, notify

STREAM = "/api/v1/notifications/stream"


@dataclass
class Served:
    url: str
    feed: PgNotificationFeed
    server: uvicorn.Server


@pytest.fixture
async def served(container: Container, settings: Settings) -> AsyncIterator[Served]:
    """The app as deployed, with its own feed (closing it must not affect other tests)."""
    assert settings.database_url
    app = create_web_app(container)
    feed = PgNotificationFeed(container.engine, libpq_url(settings.database_url))
    notify_ctx = app.state.ctx.notify
    notify_ctx.feed, notify_ctx.keepalive_seconds = feed, 0.3
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None,
                                           lifespan="off", access_log=False))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        yield Served(f"http://127.0.0.1:{port}", feed, server)
    finally:
        await feed.close()
        server.should_exit = True
        await asyncio.wait_for(task, 10)


async def next_event(lines: AsyncIterator[str], seconds: float = 3.0
                     ) -> tuple[str | None, dict | None, list[str]]:  # type: ignore[type-arg]
    """Reads to the end of the next `event:`; answers its name, data and the comments seen."""
    comments: list[str] = []
    name = data = None
    async with asyncio.timeout(seconds):
        async for line in lines:
            if line.startswith(":"):
                comments.append(line)
            elif line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data = json.loads(line[6:])
            elif line == "" and name is not None:
                return name, data, comments
    return None, None, comments


async def test_a_notification_committed_after_connecting_arrives_within_a_second(
    served: Served, container: Container, world: World
) -> None:
    rep, other = world.users["rep"], world.users["manager"]
    async with httpx.AsyncClient(base_url=served.url, timeout=10) as http, http.stream(
            "GET", STREAM, headers=world.auth("rep")) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.aiter_lines()
        assert await anext(lines) == ": connected"  # subscribed and listening from here on
        await notify(container, other.id)  # someone else's: not for this stream
        started = time.monotonic()
        mine = await notify(container, rep.id)
        name, data, comments = await next_event(lines)
        assert time.monotonic() - started < 1.0
        assert name == "notification"
        assert data is not None and data["id"] == str(mine.id)
        assert data["kind"] == "lead_assigned" and data["data"]["grade"] == "high"
        # Quiet now: keep-alive comments hold the connection open.
        await asyncio.sleep(0.7)
        await notify(container, rep.id)
        _, _, comments = await next_event(lines)
        assert ": keep-alive" in comments
    await asyncio.sleep(0.1)
    assert served.feed.subscribers == 0, "a disconnected client leaves nothing behind"


async def test_a_streamed_notification_reads_in_the_language_the_stream_asked_for(
    served: Served, container: Container, world: World
) -> None:
    rep = world.users["rep"]
    async with httpx.AsyncClient(base_url=served.url, timeout=10) as http, http.stream(
            "GET", STREAM, headers={**world.auth("rep"), "Accept-Language": "en"}) as response:
        lines = response.aiter_lines()
        assert await anext(lines) == ": connected"
        # Stored in the rep's saved language (Chinese, the default); read in English.
        mine = await notify(container, rep.id)
        _, data, _ = await next_event(lines)
        assert data is not None and data["id"] == str(mine.id)
        assert data["title"] == "New high lead assigned to you: Acme Ltd / Li Lei"


async def test_shutdown_ends_open_streams_cleanly(served: Served, world: World) -> None:
    async with httpx.AsyncClient(base_url=served.url, timeout=10) as http, http.stream(
            "GET", STREAM, headers=world.auth("rep")) as response:
        lines = response.aiter_lines()
        assert await anext(lines) == ": connected"
        await served.feed.close()  # what `crm serve` does when uvicorn begins to stop
        rest = [line async for line in lines]  # the response ends instead of hanging
        assert all(not x.startswith("event:") for x in rest)


async def test_the_stream_needs_a_signed_in_user(served: Served) -> None:
    async with httpx.AsyncClient(base_url=served.url, timeout=10) as http:
        r = await http.get(STREAM)
        assert r.status_code == 401
        assert r.headers["content-type"].startswith("application/problem+json")


async def test_a_reconnecting_client_gets_what_it_missed_first(
    served: Served, container: Container, world: World
) -> None:
    rep = world.users["rep"]
    seen = await notify(container, rep.id)
    missed = [await notify(container, rep.id, data={"label": f"Missed {i}"}) for i in range(2)]
    await notify(container, world.users["manager"].id)  # not theirs
    headers = {**world.auth("rep"), "Last-Event-ID": str(seen.id)}
    async with httpx.AsyncClient(base_url=served.url, timeout=10) as http, http.stream(
            "GET", STREAM, headers=headers) as response:
        lines = response.aiter_lines()
        assert await anext(lines) == ": connected"
        got = [(await next_event(lines))[1] for _ in missed]
        assert [g["id"] for g in got if g] == [str(n.id) for n in missed]
        live = await notify(container, rep.id)
        _, data, _ = await next_event(lines)
        assert data is not None and data["id"] == str(live.id)
    async with httpx.AsyncClient(base_url=served.url, timeout=10) as http:
        r = await http.get(STREAM, headers={**world.auth("rep"), "Last-Event-ID": "nope"})
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "Last-Event-ID"


async def test_after_shutdown_began_a_new_stream_is_told_to_come_back(
    served: Served, world: World
) -> None:
    await served.feed.close()
    async with httpx.AsyncClient(base_url=served.url, timeout=10) as http:
        r = await http.get(STREAM, headers=world.auth("rep"))
    assert r.status_code == 503 and r.headers["Retry-After"] == "3"
    assert r.headers["content-type"].startswith("application/problem+json")
