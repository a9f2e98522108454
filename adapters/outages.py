"""When PostgreSQL or Redis is away: telling such a failure from a bug, and saying so once.

A server that restarts, crashes or refuses connections is an outage, not an error of ours: the
API answers 503 with Retry-After (api/middleware.py, given `unavailable` below), and the
worker's loops back off and log one line when the outage starts and one when it ends (`Outage`),
instead of a traceback per try.
"""

from __future__ import annotations

import errno
import logging
import socket
import time
from dataclasses import dataclass

import asyncpg
import sqlalchemy.exc
from redis import exceptions as redis_errors

log = logging.getLogger("crm.outage")

DATABASE = "database"
QUEUE = "queue"

# SQLSTATEs of a server going away or not taking connections: administrator shutdown, crash
# shutdown, starting up or shutting down, and too many connections. Class 08 (connection
# exceptions) counts whole.
_UNAVAILABLE_SQLSTATES = {"57P01", "57P02", "57P03", "53300"}

_CONNECTION_ERRNOS = {errno.ECONNREFUSED, errno.ECONNRESET, errno.ECONNABORTED, errno.EPIPE,
                      errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ENETDOWN, errno.ETIMEDOUT,
                      errno.ENOTCONN, errno.ESHUTDOWN}

# asyncpg's words for an operation on a connection that is gone (it raises InterfaceError for
# these and for misuse alike; only these mean the server is away).
_CLOSED_CONNECTION = ("connection is closed", "connection was closed",
                      "underlying connection is closed")

# How deep a chain of wrapped exceptions is followed (SQLAlchemy's, the driver adapter's).
_MAX_DEPTH = 6


@dataclass(frozen=True)
class Unavailable:
    """Which server a request or a loop could not use, and why, in one line."""

    dependency: str  # DATABASE or QUEUE
    reason: str


def unavailable(exc: BaseException) -> Unavailable | None:
    """What is down when `exc` (or what it wraps: `.orig`, `__cause__`, a group's members)
    is a connection-level failure; None for anything else (a bug, bad data, a constraint)."""
    if isinstance(exc, BaseExceptionGroup):
        found = [unavailable(member) for member in exc.exceptions]
        if found and all(found):
            return found[0]
        return None
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(seen) < _MAX_DEPTH and current not in seen:
        seen.append(current)
        found = _this_one(current)
        if found is not None:
            return found
        wrapped = getattr(current, "orig", None)
        current = wrapped if isinstance(wrapped, BaseException) else current.__cause__
    return None


def _this_one(exc: BaseException) -> Unavailable | None:
    if isinstance(exc, sqlalchemy.exc.TimeoutError):
        return Unavailable(DATABASE, "no database connection free in the pool in time")
    if isinstance(exc, sqlalchemy.exc.DBAPIError) and exc.connection_invalidated:
        return Unavailable(DATABASE, _describe(exc.orig or exc))
    if isinstance(exc, asyncpg.PostgresError):
        sqlstate = str(exc.sqlstate or "")
        if sqlstate in _UNAVAILABLE_SQLSTATES or sqlstate.startswith("08"):
            return Unavailable(DATABASE, f"{sqlstate} {_describe(exc)}")
        return None
    if isinstance(exc, asyncpg.InterfaceError):
        if any(words in str(exc) for words in _CLOSED_CONNECTION):
            return Unavailable(DATABASE, _describe(exc))
        return None
    if isinstance(exc, redis_errors.ConnectionError | redis_errors.TimeoutError):
        return Unavailable(QUEUE, _describe(exc))
    if isinstance(exc, OSError) and _is_connection_failure(exc):
        return Unavailable(DATABASE, _describe(exc))
    return None


def _is_connection_failure(exc: OSError) -> bool:
    """Refused, reset, unreachable, timed out, or a name that does not resolve: the error a
    connect or a socket read raises; not a missing file or a permission."""
    if isinstance(exc, ConnectionError | TimeoutError | socket.gaierror):
        return True
    if exc.errno in _CONNECTION_ERRNOS:
        return True
    # asyncio's connect to a host with several addresses, all refused
    return exc.errno is None and str(exc).startswith("Multiple exceptions: ")


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Outage:
    """The state of one dependency seen by one loop: one warning when it goes away, one line
    when it is back, and the wait before the next try, doubling up to `max_wait`.

    Loops call `failed` with each failure it recognises as an outage (anything else stays a
    logged error) and `recovered` after each round that worked.
    """

    def __init__(self, what: str, *, first_wait: float = 0.5, max_wait: float = 30.0,
                 logger: logging.Logger | None = None) -> None:
        self.what = what
        self.first_wait = first_wait
        self.max_wait = max_wait
        self.log = logger or log
        self.since: float | None = None
        self.wait = first_wait

    @property
    def down(self) -> bool:
        return self.since is not None

    def failed(self, cause: Unavailable) -> float:
        """Answers how long to wait before trying again."""
        if self.since is None:
            self.since = time.monotonic()
            self.wait = self.first_wait
            self.log.warning("%s: the %s is unavailable (%s); retrying quietly, backing off "
                             "up to %.0f s", self.what, cause.dependency, cause.reason,
                             self.max_wait)
        else:
            self.log.debug("%s: the %s is still unavailable (%s)", self.what, cause.dependency,
                           cause.reason)
            self.wait = min(self.wait * 2, self.max_wait)
        return self.wait

    def recovered(self) -> None:
        if self.since is None:
            return
        self.log.warning("%s: back after %.1f s", self.what, time.monotonic() - self.since)
        self.since = None
        self.wait = self.first_wait
