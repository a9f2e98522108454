"""When PostgreSQL or Redis is away: telling such a failure from a bug, and saying so once.

A server that restarts, crashes or refuses connections is an outage, not an error of ours: the
API answers 503 with Retry-After (api/middleware.py, given `unavailable` below), and the
worker's loops back off and the process logs one line when the outage starts and one when it
ends (`Outages`), instead of a traceback per try.
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
        members = [unavailable(member) for member in exc.exceptions]
        return members[0] if members and all(members) else None
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(seen) < _MAX_DEPTH and current not in seen:
        seen.append(current)
        outage = _this_one(current)
        if outage is not None:
            return outage
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


class Outages:
    """The outages one process is living through, as its loops see them: one warning when the
    first loop finds PostgreSQL or Redis away, one line when the last loop that found it away
    has worked again; in between, each loop backs off quietly (`Watch`)."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.log = logger or log
        self._failing: dict[str, set[str]] = {}  # dependency → the loops finding it away
        self._since: dict[str, float] = {}

    def watch(self, who: str, *, first_wait: float = 0.5, max_wait: float = 30.0) -> Watch:
        return Watch(self, who, first_wait, max_wait)

    def down(self, dependency: str) -> bool:
        return bool(self._failing.get(dependency))

    def _failed(self, who: str, cause: Unavailable) -> None:
        failing = self._failing.setdefault(cause.dependency, set())
        if who in failing:
            self.log.debug("%s: the %s is still unavailable (%s)", who, cause.dependency,
                           cause.reason)
            return
        if not failing:
            self._since[cause.dependency] = time.monotonic()
            self.log.warning("the %s is unavailable (%s, seen by the %s); retrying quietly "
                             "with backoff until it is back", cause.dependency, cause.reason, who)
        failing.add(who)

    def _worked(self, who: str, *, quietly: bool = False) -> None:
        for dependency, failing in self._failing.items():
            if who not in failing:
                continue
            failing.discard(who)
            if not failing and not quietly:
                self.log.warning("the %s is back after %.1f s", dependency,
                                 time.monotonic() - self._since[dependency])


class Watch:
    """One loop's view: `failed` with each failure recognised as an outage (anything else
    stays a logged error) answers how long to wait, doubling up to `max_wait`; `recovered`
    after each round that worked; `close` when the loop ends."""

    def __init__(self, outages: Outages, who: str, first_wait: float, max_wait: float) -> None:
        self.outages = outages
        self.who = who
        self.first_wait = first_wait
        self.max_wait = max_wait
        self.wait = first_wait
        self.down = False

    def failed(self, cause: Unavailable) -> float:
        self.wait = min(self.wait * 2, self.max_wait) if self.down else self.first_wait
        self.down = True
        self.outages._failed(self.who, cause)
        return self.wait

    def recovered(self) -> None:
        if self.down:
            self.down = False
            self.wait = self.first_wait
            self.outages._worked(self.who)

    def close(self) -> None:
        if self.down:
            self.down = False
            self.outages._worked(self.who, quietly=True)


# The process's own: its loops (worker, relay, webhook deliverer, LISTEN connections) share it.
OUTAGES = Outages()
