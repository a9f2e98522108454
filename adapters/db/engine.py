"""Engines are built by the composition root, never at import time."""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def async_url(url: str) -> str:
    """Accepts postgresql://… (as pg tools print it) and answers the asyncpg form."""
    u = make_url(url)
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+asyncpg")
    return u.render_as_string(hide_password=False)


def libpq_url(url: str) -> str:
    """The same URL for pg_dump / psql."""
    u = make_url(url).set(drivername="postgresql")
    return u.render_as_string(hide_password=False)


# Longer than any unit of work waits between its statements (a job runs 20 s at most).
IDLE_IN_TRANSACTION_MS = 30_000


def build_engine(url: str, *, pool_size: int = 10, echo: bool = False,
                 idle_in_transaction_ms: int = IDLE_IN_TRANSACTION_MS) -> AsyncEngine:
    return create_async_engine(
        async_url(url), pool_size=pool_size, max_overflow=pool_size,
        # No pre-ping (a round trip per checkout): a connection found dead raises a disconnect
        # error, which invalidates the pool; recycling bounds how stale a connection gets.
        pool_recycle=1800, echo=echo,
        # Bound values may be personal data: keep them out of error messages and logs.
        hide_parameters=True,
        # Statements are fixed by the code; asyncpg's prepared-statement cache pays off.
        # A job cancelled by its timeout mid-statement can leave its connection open inside a
        # transaction, holding row locks that the job's retry then waits on: the server ends
        # such a session once it has idled in its transaction longer than any job may run.
        connect_args={"server_settings": {
            "application_name": "crm", "timezone": "UTC",
            "idle_in_transaction_session_timeout": str(idle_in_transaction_ms)}},
    )
