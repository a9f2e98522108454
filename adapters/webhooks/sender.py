"""One signed POST to a webhook endpoint, over httpx, to the address the SSRF check passed.

The host is resolved and checked, then the connection goes to that IP (the URL is rewritten to
it; Host and, for https, the TLS server name stay the original host, so certificates are still
verified against the name). There is no second lookup between the check and the connection,
hence no DNS-rebinding window. Redirects are not followed (one could lead inside).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from email.utils import parsedate_to_datetime

import httpx

from domain.shared.errors import ValidationFailed
from domain.webhooks.model import AttemptResult, parse_target, signatures
from domain.webhooks.ports import HostResolver
from domain.webhooks.service import check_target

USER_AGENT = "crm-webhooks/1"


def _retry_after(value: str | None, now: float) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(parsedate_to_datetime(value).timestamp() - now, 0.0)
    except (TypeError, ValueError):
        return None


class WebhookSender:
    def __init__(self, resolver: HostResolver, *, timeout: float = 5.0,
                 max_connections: int = 100) -> None:
        self._resolver = resolver
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout), follow_redirects=False, trust_env=False,
            limits=httpx.Limits(max_connections=max_connections,
                                max_keepalive_connections=max_connections))

    async def send(self, *, url: str, allow_private: bool, secrets: Sequence[str], msg_id: str,
                   body: str) -> AttemptResult:
        started = time.monotonic()

        def took() -> int:
            return int((time.monotonic() - started) * 1000)

        try:  # DNS may have changed since the endpoint was saved: check again, now
            addresses = await check_target(self._resolver, url, allow_private)
        except ValidationFailed as e:
            return AttemptResult(None, took(), error=f"refused: {e.detail}")
        target = parse_target(url)
        ip = addresses[0]
        timestamp = int(time.time())
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signatures(secrets, msg_id, timestamp, body),
            "host": httpx.URL(url).netloc.decode("ascii"),
        }
        request_url = httpx.URL(url).copy_with(host=ip)
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        try:
            request = self._client.build_request("POST", request_url, content=body.encode(),
                                                 headers=headers, extensions=extensions)
            response = await self._client.send(request, stream=True)
            await response.aclose()  # the status is all we need; a big body is not read
        except httpx.TimeoutException as e:
            return AttemptResult(None, took(), error=f"timed out: {type(e).__name__}")
        except httpx.HTTPError as e:
            return AttemptResult(None, took(), error=f"{type(e).__name__}: {e}"[:500])
        return AttemptResult(response.status_code, took(),
                             retry_after=_retry_after(response.headers.get("retry-after"),
                                                      time.time()))

    async def close(self) -> None:
        await self._client.aclose()
