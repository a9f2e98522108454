"""A real webhook subscriber on loopback: a small HTTP/1.1 server (keep-alive, Content-Length
bodies) that verifies each Standard Webhooks signature with the `standardwebhooks` package and
keeps what it received. `answer` decides each response (status, headers)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from standardwebhooks import Webhook

Answer = Callable[["Received"], tuple[int, dict[str, str]]]


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float  # time.time() on arrival
    verified: bool = False
    status: int = 0  # what the subscriber answered

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def msg_id(self) -> str:
        return self.headers.get("webhook-id", "")


@dataclass
class Subscriber:
    secret: str | None = None
    answer: Answer = field(default=lambda _r: (200, {}))
    received: list[Received] = field(default_factory=list)
    on_receive: Callable[[Received], None] | None = None
    port: int = 0
    _server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def accepted(self) -> list[Received]:
        return [r for r in self.received if 200 <= r.status < 300]

    async def start(self, port: int = 0) -> Subscriber:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", port, backlog=1024)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request_line = await reader.readline()
                if not request_line:
                    return
                headers: dict[str, str] = {}
                while True:
                    line = await reader.readline()
                    if line in (b"\r\n", b"\n", b""):
                        break
                    name, _, value = line.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                got = Received(headers, body, time.time())
                if self.secret is not None:
                    try:
                        Webhook(self.secret).verify(body, headers)
                        got.verified = True
                    except Exception:
                        got.verified = False
                status, extra = self.answer(got)
                got.status = status
                self.received.append(got)
                if self.on_receive is not None:
                    self.on_receive(got)
                head = [f"HTTP/1.1 {status} X", "Content-Length: 2",
                        "Content-Type: application/json"]
                head += [f"{k}: {v}" for k, v in extra.items()]
                writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + b"{}")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            with contextlib.suppress(Exception):
                writer.close()
