"""The unit of work: one connection, one transaction; events go to the outbox on commit."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.db import tables
from adapters.db.audit import SqlAuditLog
from adapters.db.contracts import SqlContracts
from adapters.db.customers import SqlCustomers
from adapters.db.discipline import SqlLapses
from adapters.db.exports import SqlExports
from adapters.db.fields_and_tags import SqlCustomFields, SqlSegments, SqlTags
from adapters.db.followups import SqlFollowUps
from adapters.db.held_writes import HeldWrites
from adapters.db.identity import SqlApiKeys, SqlDepartments, SqlRefreshTokens, SqlUsers
from adapters.db.imports import SqlImports
from adapters.db.lead_forms import SqlLeadForms
from adapters.db.lead_routing import SqlReps, SqlRotation
from adapters.db.leads import SqlLeads
from adapters.db.notifications import (
    SqlDeliveries,
    SqlNotificationPreferences,
    SqlNotifications,
    SqlTemplates,
)
from adapters.db.outbox import SqlOutbox, SqlProcessedEvents, write_events
from adapters.db.picklists import SqlPicklists
from adapters.db.pipeline import SqlOpportunities, SqlPipelines
from adapters.db.sales_settings import SqlSalesSettings
from adapters.db.tasks import SqlTasks
from adapters.db.timelines import SqlTimeline
from adapters.db.webhooks import SqlWebhookDeliveries, SqlWebhooks
from domain.customers.activity import ActivityEntry
from domain.leads.model import LeadActivity
from domain.notifications.inbox import Inbox
from domain.shared.errors import DomainError
from domain.shared.events import DomainEvent
from domain.shared.ports import FieldCipher


class SqlUnitOfWork:
    def __init__(self, engine: AsyncEngine, cipher: FieldCipher, *,
                 read_only: bool = False, autocommit: bool = False) -> None:
        self._engine = engine
        self._cipher = cipher
        # Read-only units run each statement on its own (autocommit): no BEGIN/ROLLBACK round
        # trips for the one-statement lookups on every request (who is calling?). Autocommit
        # units do the same for writes that are one statement each (a delivery's claim, its
        # result); their commit() has nothing left to do.
        self._read_only = read_only
        self._autocommit = autocommit or read_only
        self._conn: AsyncConnection | None = None
        self._seen: list[Any] = []

    async def __aenter__(self) -> Self:
        self._conn = await self._engine.connect()
        if self._autocommit:
            await self._conn.execution_options(isolation_level="AUTOCOMMIT")
        else:
            await self._conn.begin()
        conn, seen = self._conn, self._seen
        self._held = held = HeldWrites(defer=not self._autocommit)
        self.users = SqlUsers(conn, seen)
        self.departments = SqlDepartments(conn, seen)
        self.api_keys = SqlApiKeys(conn, seen)
        self.refresh_tokens = SqlRefreshTokens(conn, seen)
        self.audit = SqlAuditLog(conn, seen, held)
        self.outbox = SqlOutbox(conn, seen)
        self.processed = SqlProcessedEvents(conn, seen, held)
        self.customers = SqlCustomers(conn, seen, self._cipher, held)
        self.followups = SqlFollowUps(conn, seen)
        self.tasks = SqlTasks(conn, seen, held)
        self.activity = SqlTimeline(conn, seen, held, table=tables.customer_activity,
                                    key=tables.customer_activity.c.customer_id,
                                    entry=ActivityEntry)
        self.picklists = SqlPicklists(conn, seen)
        self.custom_fields = SqlCustomFields(conn, seen)
        self.tags = SqlTags(conn, seen)
        self.segments = SqlSegments(conn, seen)
        self.imports = SqlImports(conn, seen)
        self.exports = SqlExports(conn, seen)
        self.leads = SqlLeads(conn, seen, self._cipher, held)
        self.lead_activity = SqlTimeline(conn, seen, held, table=tables.lead_activity,
                                         key=tables.lead_activity.c.lead_id, entry=LeadActivity)
        self.lead_forms = SqlLeadForms(conn, seen)
        self.sales_settings = SqlSalesSettings(conn, seen)
        self.rotation = SqlRotation(conn, seen, held)
        self.reps = SqlReps(conn, seen, held)
        self.pipelines = SqlPipelines(conn, seen)
        self.opportunities = SqlOpportunities(conn, seen)
        self.lapses = SqlLapses(conn, seen, held)
        self.contracts = SqlContracts(conn, seen)
        self.templates = SqlTemplates(conn, seen)
        self.notification_preferences = SqlNotificationPreferences(conn, seen, self._cipher)
        self.deliveries = SqlDeliveries(conn, seen, held)
        # Every notification added also gets its e-mail/SMS deliveries (notifications/inbox.py).
        self.notifications = Inbox(SqlNotifications(conn, seen, held),
                                   self.notification_preferences, self.deliveries, self.outbox,
                                   self.templates)
        self.webhooks = SqlWebhooks(conn, seen, self._cipher)
        self.webhook_deliveries = SqlWebhookDeliveries(conn, seen)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._conn is not None
        try:
            if self._autocommit and exc is not None and not isinstance(exc, DomainError):
                # An autocommit connection has no ROLLBACK to bring it back in step: after a
                # driver error (a parameter it could not encode, a cancelled request) the
                # server may still wait for the rest of the statement, holding its locks.
                # Throw the connection away rather than hand it to the next request.
                await self._conn.invalidate()
            elif self._conn.in_transaction():
                await self._conn.rollback()
        finally:
            await self._conn.close()
            self._conn = None

    @property
    def connection(self) -> AsyncConnection:
        assert self._conn is not None, "use the unit of work inside 'async with'"
        return self._conn

    async def commit(self) -> None:
        if self._read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        conn = self.connection
        pending: list[DomainEvent] = []
        for aggregate in self._seen:
            events = getattr(aggregate, "events", None) or []
            pending.extend(events)
            events.clear()
        self._seen.clear()
        if self._autocommit:
            # Each statement committed as it ran; events would have no transaction to share.
            if pending:
                raise RuntimeError("an autocommit unit of work cannot record events")
            return
        await write_events(conn, pending, self._held)  # with the held writes
        await conn.commit()

    async def rollback(self) -> None:
        await self.connection.rollback()
