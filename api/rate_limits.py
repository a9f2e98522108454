"""Per-caller rate limits on the whole API: a token bucket per user, per API key, and per
client address for requests without valid credentials, shared by every web process.

Each answer says where the caller stands in the fields of the IETF draft "RateLimit header
fields for HTTP" (draft-ietf-httpapi-ratelimit-headers): `RateLimit-Policy` names the quota
(`q` requests in a window of `w` seconds: the burst, and the time it takes to refill) and
`RateLimit` the requests left (`r`) and the seconds until the bucket is full again (`t`; when
refused, until the next request is let through). An empty bucket answers 429 problem+json
with Retry-After. When the bucket store cannot be asked, requests go through unlimited.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import PROBLEM, problem_bytes
from api.middleware import CallerOf
from domain.shared.ports import Allowance, TokenBuckets
from domain.shared.text import text

# Probes of a load balancer and the web client's files are not the API: never limited.
LIMITED_PREFIX = "/api/"


@dataclass(frozen=True)
class RateLimitPolicy:
    per_second: float
    burst: int
    name: str = "default"

    @property
    def window_seconds(self) -> int:
        """How long an empty bucket takes to fill: the window the burst is a quota of."""
        return max(1, math.ceil(self.burst / self.per_second))

    def policy_field(self) -> bytes:
        return f'"{self.name}";q={self.burst};w={self.window_seconds}'.encode()

    def state_field(self, allowance: Allowance) -> bytes:
        seconds = allowance.full_in if allowance.allowed else allowance.retry_after
        return f'"{self.name}";r={allowance.remaining};t={seconds}'.encode()


def caller_key(caller: str | None, scope: Scope) -> str:
    """The bucket's key: the verified user or API key, else the client's address (the one a
    trusted proxy reported, when there is one: uvicorn has put it in scope["client"])."""
    if caller is not None:
        return caller
    client = scope.get("client")
    return f"ip:{client[0] if client else 'unknown'}"


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, buckets: TokenBuckets, policy: RateLimitPolicy,
                 caller_of: CallerOf) -> None:
        self.app = app
        self.buckets = buckets
        self.policy = policy
        self.caller_of = caller_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(LIMITED_PREFIX):
            await self.app(scope, receive, send)
            return
        key = caller_key(await self.caller_of(scope), scope)
        allowance = await self.buckets.take(key, self.policy.per_second, self.policy.burst)
        if allowance is None:
            await self.app(scope, receive, send)
            return
        fields = [(b"ratelimit-policy", self.policy.policy_field()),
                  (b"ratelimit", self.policy.state_field(allowance))]
        if not allowance.allowed:
            await self._refuse(scope, send, allowance, fields)
            return

        async def send_with_fields(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).extend(fields)
            await send(message)

        await self.app(scope, receive, send_with_fields)

    async def _refuse(self, scope: Scope, send: Send, allowance: Allowance,
                      fields: list[tuple[bytes, bytes]]) -> None:
        wait = allowance.retry_after
        detail = text("problem.rate_limited", burst=self.policy.burst,
                      per_second=f"{self.policy.per_second:g}", wait=wait)
        body = problem_bytes(429, detail, request_id=scope.get("state", {}).get("request_id"))
        await send({"type": "http.response.start", "status": 429, "headers": [
            (b"content-type", PROBLEM.encode()), (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(wait).encode()), *fields]})
        await send({"type": "http.response.body", "body": body})
