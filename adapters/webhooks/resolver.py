"""DNS for the SSRF check: the addresses a webhook's host name resolves to right now."""

from __future__ import annotations

import asyncio
import socket

RESOLVE_TIMEOUT_SECONDS = 5.0


class DnsResolver:
    async def resolve(self, host: str, port: int) -> list[str]:
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(
                loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), RESOLVE_TIMEOUT_SECONDS)
        except (OSError, TimeoutError, UnicodeError):
            return []
        seen: dict[str, None] = {}
        for _family, _type, _proto, _name, sockaddr in infos:
            seen.setdefault(str(sockaddr[0]).split("%")[0], None)
        return list(seen)
