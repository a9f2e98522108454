"""Pure-ASGI middleware: request id + JSON access log, body size limit, Idempotency-Key."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import PROBLEM, problem_bytes
from domain.identity import secrets as bearer
from domain.shared.errors import AuthenticationFailed
from domain.shared.text import DEFAULT_LOCALE, Label, Text, negotiate, set_locale, text

access_log = logging.getLogger("crm.access")
unavailable_log = logging.getLogger("crm.api")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{1,128}$")


def _header(scope: Scope, name: bytes) -> str | None:
    for k, v in scope.get("headers", []):
        if k == name:
            return v.decode("latin-1")
    return None


async def _send_problem(send: Send, status: int, detail: str | Text, request_id: str | None,
                        extra_headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = problem_bytes(status, detail, request_id=request_id)
    headers = [(b"content-type", PROBLEM.encode()), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status,
                "headers": headers + (extra_headers or [])})
    await send({"type": "http.response.body", "body": body})


class RequestContextMiddleware:
    """Gives every request an id (echoed as X-Request-ID) and its language, and writes one
    JSON log line."""

    def __init__(self, app: ASGIApp, default_locale: str = DEFAULT_LOCALE) -> None:
        self.app = app
        self.default_locale = default_locale

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        rid = incoming if incoming and _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        # The language of the words written for this request; a signed-in user's saved
        # language replaces it once the caller is known (api/deps.py).
        set_locale(negotiate(_header(scope, b"accept-language")) or self.default_locale)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = message.setdefault("headers", [])
                headers.append((b"x-request-id", rid.encode()))
                headers.append((b"vary", b"Accept-Language"))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if access_log.isEnabledFor(logging.INFO):
                access_log.info("request", extra={"fields": {
                    "request_id": rid, "method": scope["method"], "path": scope["path"],
                    "status": status, "ms": round((time.perf_counter() - started) * 1000, 2),
                    "ip": scope["client"][0] if scope.get("client") else None,
                }})


class Outage(Protocol):
    dependency: str  # "database", "queue"
    reason: str


# How long a client should wait after a 503 for a server that is away: a restart takes seconds.
RETRY_AFTER_SECONDS = 5



class UnavailableMiddleware:
    """503 problem+json with Retry-After when a request failed because PostgreSQL or Redis is
    away (restarting, refusing connections, out of pool slots): an outage is not a bug of ours,
    so one warning line, no traceback. `outage_of` tells such failures from the rest (which
    go on to the 500 handler)."""

    def __init__(self, app: ASGIApp,
                 outage_of: Callable[[BaseException], Outage | None]) -> None:
        self.app = app
        self.outage_of = outage_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = finished = False

        async def tracking_send(message: Message) -> None:
            nonlocal started, finished
            if message["type"] == "http.response.start":
                started = True
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                finished = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as e:
            outage = self.outage_of(e)
            if outage is None or (started and not finished):
                raise
            rid = scope.get("state", {}).get("request_id")
            if finished:  # e.g. the Idempotency-Key's record after the answer went out
                unavailable_log.warning("%s %s: the %s became unavailable after the answer "
                                        "was sent (%s)", scope["method"], scope["path"],
                                        outage.dependency, outage.reason,
                                        extra={"fields": {"request_id": rid}})
                return
            unavailable_log.warning("%s %s: the %s is unavailable (%s); answered 503",
                                    scope["method"], scope["path"], outage.dependency,
                                    outage.reason, extra={"fields": {"request_id": rid}})
            unavailable = text("problem.unavailable", service=Label("service", outage.dependency))
            await _send_problem(send, 503, unavailable, rid,
                                [(b"retry-after", str(RETRY_AFTER_SECONDS).encode())])


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413)
        self.text = text("problem.body_too_large", limit=limit)


class BodyLimitMiddleware:
    """413 for a body over the limit, by Content-Length or while it streams in."""

    def __init__(self, app: ASGIApp, max_bytes: int,
                 overrides: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # path prefix → its own limit (file uploads)
        self.overrides = overrides or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = scope.get("state", {}).get("request_id")
        limit = next((n for prefix, n in self.overrides.items()
                      if scope["path"].startswith(prefix)), self.max_bytes)
        declared = _header(scope, b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await _send_problem(send, 400, text("problem.length_not_number"), rid)
                return
            if int(declared) > limit:
                await _send_problem(send, 413, BodyTooLarge(limit).text, rid)
                return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge as e:
            if started:
                raise
            await _send_problem(send, 413, e.text, rid)


CallerOf = Callable[[Scope], Awaitable[str | None]]

_STORED_HEADERS = {b"content-type", b"location", b"etag"}


class IdempotencyMiddleware:
    """Idempotency-Key on POST: replay the first response, 422 on a different body, 409 in flight.

    Keys are scoped to the caller (the user or API key behind the credentials).
    """

    def __init__(self, app: ASGIApp, get_store: Callable[[], Any], caller_of: CallerOf) -> None:
        self.app = app
        self.get_store = get_store
        self.caller_of = caller_of
        # Keys whose request failed while the database was away, so that releasing the key
        # failed too: released before their retry, instead of a 409 until they expire.
        self.unreleased: set[tuple[str, str]] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _header(scope, b"idempotency-key") if scope["type"] == "http" else None
        if key is None or scope["method"] != "POST" or never_stored(scope["path"]):
            await self.app(scope, receive, send)
            return
        rid = scope.get("state", {}).get("request_id")
        if not 1 <= len(key) <= 255 or not key.isprintable():
            await _send_problem(send, 400, text("problem.idempotency_key_shape"), rid)
            return
        caller = await self.caller_of(scope)
        if caller is None:  # unauthenticated: the route answers 401 itself
            await self.app(scope, receive, send)
            return
        chunks = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        fingerprint = hashlib.sha256(b"\0".join([
            scope["method"].encode(), scope["path"].encode(), scope.get("query_string", b""),
            _canonical(scope, body)])).hexdigest()
        store = self.get_store()
        if (caller, key) in self.unreleased:
            await store.abandon(caller, key)
            self.unreleased.discard((caller, key))
        outcome = await store.begin(caller, key, fingerprint)
        if outcome.state == "mismatch":
            await _send_problem(send, 422, text("problem.idempotency_key_reused"), rid)
            return
        if outcome.state == "in_flight":
            await _send_problem(send, 409, text("problem.idempotency_key_in_flight"), rid)
            return
        if outcome.state == "replay":
            headers = [(k.encode(), v.encode()) for k, v in outcome.headers or []]
            headers.append((b"idempotent-replayed", b"true"))
            headers.append((b"content-length", str(len(outcome.body)).encode()))
            await send({"type": "http.response.start", "status": outcome.status,
                        "headers": headers})
            await send({"type": "http.response.body", "body": outcome.body})
            return

        replayed = False

        async def replay_receive() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        status = 500
        kept: list[tuple[str, str]] = []
        out: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                kept.extend((k.decode(), v.decode()) for k, v in message.get("headers", [])
                            if k.lower() in _STORED_HEADERS)
            elif message["type"] == "http.response.body":
                out.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay_receive, capture)
        except BaseException:
            await self._release(store, caller, key)
            raise
        if status >= 500:
            await self._release(store, caller, key)  # let the client retry a failure of ours
        else:
            await store.complete(caller, key, status, kept, b"".join(out))


    async def _release(self, store: Any, caller: str, key: str) -> None:
        try:
            await store.abandon(caller, key)
        except Exception:
            self.unreleased.add((caller, key))
            raise


def _canonical(scope: Scope, body: bytes) -> bytes:
    """A multipart body re-sent by the same client carries a new random boundary: the same
    upload must still count as the same request."""
    ctype = _header(scope, b"content-type") or ""
    if ctype.startswith("multipart/") and "boundary=" in ctype:
        boundary = ctype.split("boundary=", 1)[1].split(";")[0].strip().strip('"')
        if boundary:
            return body.replace(boundary.encode("latin-1"), b"BOUNDARY")
    return body


def verified_caller(identity: Any) -> CallerOf:
    """Who is calling, checked as the routes check it (token version, active user, key secret
    and revocation): 'user:<id>' or 'key:<id>'. Unverifiable callers get no idempotency; the
    route then answers 401 itself."""

    async def caller_of(scope: Scope) -> str | None:
        auth = _header(scope, b"authorization") or ""
        credential = auth[7:].strip() if auth.lower().startswith("bearer ") else None
        credential = credential or _header(scope, b"x-api-key")
        if not credential:
            return None
        try:
            if bearer.api_key_prefix(credential) is not None:
                return f"key:{(await identity.principal_for_api_key(credential)).id}"
            return f"user:{(await identity.user_for_access_token(credential)).id}"
        except AuthenticationFailed:
            return None

    return caller_of


def never_stored(path: str) -> bool:
    """Responses that carry secrets or cleartext personal data are not kept for replay."""
    return path.endswith("/reveal") or path.rstrip("/").endswith("/api-keys")


class JsonLogFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(), "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)
