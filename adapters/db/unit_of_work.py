"""The unit of work: one connection, one transaction; events go to the outbox on commit.

Its repositories are built the first time a use case asks for one (a use case touches a few of
some thirty), each over the unit's connection, its list of seen aggregates and its held writes,
and kept for the rest of the unit."""

from __future__ import annotations

from functools import cached_property
from types import TracebackType
from typing import Any, Self

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.db import tables
from adapters.db.audit import SqlAuditLog
from adapters.db.contracts import SqlContracts
from adapters.db.customers import SqlCustomers
from adapters.db.discipline import SqlLapses
from adapters.db.exports import SqlExports
from adapters.db.fields_and_tags import (
    SqlCustomFields,
    SqlListSettings,
    SqlSegments,
    SqlTags,
)
from adapters.db.followups import SqlFollowUps
from adapters.db.held_writes import HeldWrites
from adapters.db.identity import SqlApiKeys, SqlDepartments, SqlRefreshTokens, SqlUsers
from adapters.db.imports import SqlImports
from adapters.db.keyset import COUNT_TIMEOUT_KEY
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
                 read_only: bool = False, autocommit: bool = False,
                 count_timeout_ms: int = 5000) -> None:
        self._engine = engine
        self._count_timeout_ms = count_timeout_ms
        self._cipher = cipher
        # Read-only units run each statement on its own (autocommit): no BEGIN/ROLLBACK round
        # trips for the one-statement lookups on every request (who is calling?). Autocommit
        # units do the same for writes that are one statement each (a delivery's claim, its
        # result); their commit() has nothing left to do.
        self._read_only = read_only
        self._autocommit = autocommit or read_only
        self._conn: AsyncConnection | None = None
        self._seen: list[Any] = []
        self._held = HeldWrites(defer=not self._autocommit)
        self._entered = False

    async def __aenter__(self) -> Self:
        if self._entered:  # entered again: fresh repositories over the new connection
            for name in _REPOSITORIES:
                self.__dict__.pop(name, None)
            self._seen, self._held = [], HeldWrites(defer=not self._autocommit)
        self._entered = True
        self._conn = await self._engine.connect()
        self._conn.info[COUNT_TIMEOUT_KEY] = self._count_timeout_ms
        if self._autocommit:
            await self._conn.execution_options(isolation_level="AUTOCOMMIT")
        else:
            await self._conn.begin()
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

    # ---- the repositories, each built on first use ------------------------------------------

    @cached_property
    def users(self) -> SqlUsers:
        return SqlUsers(self.connection, self._seen)

    @cached_property
    def departments(self) -> SqlDepartments:
        return SqlDepartments(self.connection, self._seen)

    @cached_property
    def api_keys(self) -> SqlApiKeys:
        return SqlApiKeys(self.connection, self._seen)

    @cached_property
    def refresh_tokens(self) -> SqlRefreshTokens:
        return SqlRefreshTokens(self.connection, self._seen)

    @cached_property
    def audit(self) -> SqlAuditLog:
        return SqlAuditLog(self.connection, self._seen, self._held)

    @cached_property
    def outbox(self) -> SqlOutbox:
        return SqlOutbox(self.connection, self._seen)

    @cached_property
    def processed(self) -> SqlProcessedEvents:
        return SqlProcessedEvents(self.connection, self._seen, self._held)

    @cached_property
    def customers(self) -> SqlCustomers:
        return SqlCustomers(self.connection, self._seen, self._cipher, self._held,
                            count_timeout_ms=self._count_timeout_ms)

    @cached_property
    def followups(self) -> SqlFollowUps:
        return SqlFollowUps(self.connection, self._seen)

    @cached_property
    def tasks(self) -> SqlTasks:
        return SqlTasks(self.connection, self._seen, self._held)

    @cached_property
    def activity(self) -> SqlTimeline[ActivityEntry]:
        return SqlTimeline(self.connection, self._seen, self._held,
                           table=tables.customer_activity,
                           key=tables.customer_activity.c.customer_id, entry=ActivityEntry)

    @cached_property
    def picklists(self) -> SqlPicklists:
        return SqlPicklists(self.connection, self._seen)

    @cached_property
    def custom_fields(self) -> SqlCustomFields:
        return SqlCustomFields(self.connection, self._seen)

    @cached_property
    def tags(self) -> SqlTags:
        return SqlTags(self.connection, self._seen)

    @cached_property
    def segments(self) -> SqlSegments:
        return SqlSegments(self.connection, self._seen)

    @cached_property
    def list_settings(self) -> SqlListSettings:
        return SqlListSettings(self.connection, self._seen)

    @cached_property
    def imports(self) -> SqlImports:
        return SqlImports(self.connection, self._seen)

    @cached_property
    def exports(self) -> SqlExports:
        return SqlExports(self.connection, self._seen)

    @cached_property
    def leads(self) -> SqlLeads:
        return SqlLeads(self.connection, self._seen, self._cipher, self._held)

    @cached_property
    def lead_activity(self) -> SqlTimeline[LeadActivity]:
        return SqlTimeline(self.connection, self._seen, self._held,
                           table=tables.lead_activity, key=tables.lead_activity.c.lead_id,
                           entry=LeadActivity)

    @cached_property
    def lead_forms(self) -> SqlLeadForms:
        return SqlLeadForms(self.connection, self._seen)

    @cached_property
    def sales_settings(self) -> SqlSalesSettings:
        return SqlSalesSettings(self.connection, self._seen)

    @cached_property
    def rotation(self) -> SqlRotation:
        return SqlRotation(self.connection, self._seen, self._held)

    @cached_property
    def reps(self) -> SqlReps:
        return SqlReps(self.connection, self._seen, self._held)

    @cached_property
    def pipelines(self) -> SqlPipelines:
        return SqlPipelines(self.connection, self._seen)

    @cached_property
    def opportunities(self) -> SqlOpportunities:
        return SqlOpportunities(self.connection, self._seen)

    @cached_property
    def lapses(self) -> SqlLapses:
        return SqlLapses(self.connection, self._seen, self._held)

    @cached_property
    def contracts(self) -> SqlContracts:
        return SqlContracts(self.connection, self._seen)

    @cached_property
    def templates(self) -> SqlTemplates:
        return SqlTemplates(self.connection, self._seen)

    @cached_property
    def notification_preferences(self) -> SqlNotificationPreferences:
        return SqlNotificationPreferences(self.connection, self._seen, self._cipher)

    @cached_property
    def deliveries(self) -> SqlDeliveries:
        return SqlDeliveries(self.connection, self._seen, self._held)

    @cached_property
    def notifications(self) -> Inbox:
        # Every notification added also gets its e-mail/SMS deliveries (notifications/inbox.py),
        # through the unit's own preferences, deliveries, outbox and templates.
        return Inbox(SqlNotifications(self.connection, self._seen, self._held),
                     self.notification_preferences, self.deliveries, self.outbox, self.templates)

    @cached_property
    def webhooks(self) -> SqlWebhooks:
        return SqlWebhooks(self.connection, self._seen, self._cipher)

    @cached_property
    def webhook_deliveries(self) -> SqlWebhookDeliveries:
        return SqlWebhookDeliveries(self.connection, self._seen)


# What a unit entered again drops, to build anew over its new connection.
_REPOSITORIES = tuple(name for name, value in vars(SqlUnitOfWork).items()
                      if isinstance(value, cached_property))
