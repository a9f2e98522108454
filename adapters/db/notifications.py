"""Notifications on PostgreSQL: the in-app rows, and their channels' templates, preferences
and deliveries."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.db import tables
from adapters.db.base import SqlRepository, columns_of
from adapters.db.filters import matching, within
from adapters.db.held_writes import HeldWrites
from adapters.db.keyset import fetch_page
from domain.notifications.defaults import default_templates
from domain.notifications.kinds import Channel
from domain.notifications.model import (
    Delivery,
    DeliveryStatus,
    Notification,
    NotificationPreferences,
    Recipient,
    Template,
)
from domain.notifications.ports import DeliveryFilter, TemplateFilter
from domain.shared.paging import Page, PageRequest
from domain.shared.ports import FieldCipher


def _of_kind() -> Any:
    """A kind's templates in one language, every channel, the custom one of a channel before
    the shipped one."""
    templates = tables.notification_templates
    return select(templates).where(
        templates.c.kind == bindparam("kind"), templates.c.locale == bindparam("locale")
    ).order_by(templates.c.channel, templates.c.builtin.asc())


def _for_notifying() -> Any:
    """Who a notification goes to, with the preferences they saved (if any)."""
    users, preferences = tables.users, tables.notification_preferences
    return select(
        users.c.id, users.c.name, users.c.email, users.c.is_active,
        preferences.c.user_id.label("saved"), preferences.c.locale, preferences.c.mobile_enc,
        preferences.c.channels, preferences.c.version, preferences.c.updated_at,
    ).select_from(users.outerjoin(preferences, preferences.c.user_id == users.c.id)).where(
        users.c.id == bindparam("user_id"))


def _claim(of_one: bool) -> Any:
    """Every due delivery, or those of one notification."""
    deliveries = tables.notification_deliveries
    now = bindparam("now", type_=deliveries.c.next_attempt_at.type)
    due = select(deliveries.c.id).where(
        deliveries.c.status == DeliveryStatus.PENDING.value,
        # A first attempt is always due: its time came from the database's clock, and the
        # caller's may be a little behind (or a test's, anywhere).
        or_(deliveries.c.attempts == 0, deliveries.c.next_attempt_at <= now),
        or_(deliveries.c.claimed_until.is_(None), deliveries.c.claimed_until < now),
    ).order_by(deliveries.c.next_attempt_at).limit(bindparam("lim")).with_for_update(
        skip_locked=True)
    if of_one:
        due = due.where(deliveries.c.notification_id == bindparam("of"))
    return (update(deliveries).where(deliveries.c.id.in_(due.scalar_subquery()))
            .values(claim=bindparam("claim"), claimed_until=bindparam("lease"),
                    attempts=deliveries.c.attempts + 1, updated_at=func.now())
            .returning(*deliveries.c))


def _record() -> Any:
    deliveries = tables.notification_deliveries
    return update(deliveries).where(
        deliveries.c.id == bindparam("d_id"), deliveries.c.claim == bindparam("d_claim")
    ).values(status=bindparam("d_status"), last_error=bindparam("d_error"),
             next_attempt_at=bindparam("d_next"), sent_at=bindparam("d_sent"), claim=None,
             claimed_until=None, updated_at=func.now())


# The statements of every notification and its sending, built once: a statement object reused
# keeps its cache key, so a call costs its parameters only.
_OF_KIND = _of_kind()
_FOR_NOTIFYING = _for_notifying()
_CLAIM = {False: _claim(False), True: _claim(True)}
_RECORD = _record()


def notification_of(row: Row) -> Notification:
    """The notification a row of `notifications` holds."""
    return Notification(**dict(row._mapping))


class SqlNotifications(SqlRepository):
    """A new notification is held to the commit (HeldWrites: one statement with its deliveries
    and the unit's other writes); every read flushes first."""

    async def add(self, notification: Notification) -> None:
        values = columns_of(notification, tables.notifications)
        values.pop("created_at"), values.pop("updated_at", None)
        await self.held.add(self.conn, tables.notifications, [values])

    async def list_for_user(self, user_id: uuid.UUID, page: PageRequest,
                            unread_only: bool = False, updated_since: datetime | None = None
                            ) -> Page[Notification]:
        await self.held.flush(self.conn)
        notifications = tables.notifications
        stmt = select(notifications).where(notifications.c.user_id == user_id)
        if unread_only:
            stmt = stmt.where(notifications.c.read_at.is_(None))
        if updated_since is not None:
            return await fetch_page(
                self.conn, stmt.where(notifications.c.updated_at > updated_since),
                [notifications.c.updated_at, notifications.c.id], page, notification_of)
        return await fetch_page(self.conn, stmt,
                                [notifications.c.created_at, notifications.c.id], page,
                                notification_of, descending=True)

    async def unread_count(self, user_id: uuid.UUID) -> int:
        await self.held.flush(self.conn)
        notifications = tables.notifications
        return int(await self.conn.scalar(select(func.count()).where(
            notifications.c.user_id == user_id, notifications.c.read_at.is_(None))) or 0)

    async def mark_read(self, user_id: uuid.UUID, notification_id: uuid.UUID,
                        now: datetime) -> bool:
        await self.held.flush(self.conn)
        notifications = tables.notifications
        result = await self.conn.execute(
            update(notifications).where(notifications.c.id == notification_id,
                                        notifications.c.user_id == user_id)
            .values(read_at=func.coalesce(notifications.c.read_at, now)))
        return result.rowcount == 1

    async def mark_all_read(self, user_id: uuid.UUID, now: datetime) -> int:
        await self.held.flush(self.conn)
        notifications = tables.notifications
        result = await self.conn.execute(
            update(notifications).where(notifications.c.user_id == user_id,
                                        notifications.c.read_at.is_(None))
            .values(read_at=now))
        return int(result.rowcount)

    async def resolve_step(self, kinds: Sequence[str], contract_id: uuid.UUID, step: int,
                           now: datetime) -> int:
        # Reaches the rows through ix_notifications_unread_contract (unread only, by contract).
        await self.held.flush(self.conn)
        notifications = tables.notifications
        result = await self.conn.execute(
            update(notifications).where(
                notifications.c.read_at.is_(None),
                notifications.c.data["contract_id"].astext == str(contract_id),
                notifications.c.data["step"].astext == str(step),
                notifications.c.kind.in_(list(kinds)))
            .values(read_at=now))
        return int(result.rowcount)


def _template(row: Row) -> Template:
    m = row._mapping
    return Template(id=m["id"], kind=m["kind"], channel=Channel(m["channel"]),
                    locale=m["locale"], subject=m["subject"], body=m["body"],
                    builtin=m["builtin"], version=m["version"], created_at=m["created_at"],
                    updated_at=m["updated_at"])


class SqlTemplates(SqlRepository):
    """`effective` reads a kind's templates of a language once per unit of work, every channel
    at once: a notification's in-app text and its e-mail are rendered from one read."""

    def __init__(self, conn: AsyncConnection, seen: list[Any],
                 held: HeldWrites | None = None) -> None:
        super().__init__(conn, seen, held)
        self._effective: dict[tuple[str, str], dict[str, Template]] = {}

    async def list(self, flt: TemplateFilter, page: PageRequest) -> Page[Template]:
        templates = tables.notification_templates
        stmt = select(templates).where(*matching(
            (templates.c.kind, flt.kind or None), (templates.c.channel, flt.channel or None),
            (templates.c.locale, flt.locale or None), (templates.c.builtin, flt.builtin),
        ), *within(templates.c.updated_at, flt.updated_since, None))
        return await fetch_page(
            self.conn, stmt,
            [templates.c.kind, templates.c.channel, templates.c.locale, templates.c.id],
            page, _template)

    async def get(self, template_id: uuid.UUID, *, for_update: bool = False) -> Template | None:
        templates = tables.notification_templates
        return await self._one(templates, _template, templates.c.id == template_id, lock=for_update)

    async def effective(self, kind: str, channel: Channel, locale: str) -> Template | None:
        by_channel = self._effective.get((kind, locale))
        if by_channel is None:
            by_channel = {}
            for row in await self.conn.execute(_OF_KIND, {"kind": kind, "locale": locale}):
                by_channel.setdefault(row.channel, _template(row))
            self._effective[(kind, locale)] = by_channel
        return by_channel.get(channel.value)

    async def add(self, template: Template) -> None:
        self._effective.clear()
        await self.conn.execute(insert(tables.notification_templates).values(
            **_template_values(template)))

    async def update(self, template: Template) -> None:
        self._effective.clear()
        templates = tables.notification_templates
        await self.conn.execute(update(templates).where(templates.c.id == template.id).values(
            subject=template.subject, body=template.body, version=template.version,
            updated_at=func.now()))

    async def delete(self, template_id: uuid.UUID) -> None:
        self._effective.clear()
        templates = tables.notification_templates
        await self.conn.execute(delete(templates).where(templates.c.id == template_id,
                                                        templates.c.builtin.is_(False)))


def _template_values(template: Template) -> dict[str, Any]:
    return {"id": template.id, "kind": template.kind, "channel": template.channel.value,
            "locale": template.locale, "subject": template.subject, "body": template.body,
            "builtin": template.builtin, "version": template.version}


async def seed_default_templates(conn: AsyncConnection) -> int:
    """Inserts or refreshes the shipped templates (custom ones are untouched)."""
    templates = tables.notification_templates
    rows = [_template_values(x) for x in default_templates()]
    stmt = pg_insert(templates).values(rows)
    await conn.execute(stmt.on_conflict_do_update(
        index_elements=[templates.c.id],
        set_={"subject": stmt.excluded.subject, "body": stmt.excluded.body,
              "updated_at": func.now()},
        where=or_(templates.c.subject != stmt.excluded.subject,
                  templates.c.body != stmt.excluded.body)))
    return len(rows)


class SqlNotificationPreferences(SqlRepository):
    def __init__(self, conn: AsyncConnection, seen: list[Any], cipher: FieldCipher) -> None:
        super().__init__(conn, seen)
        self._cipher = cipher

    async def get(self, user_id: uuid.UUID, *, for_update: bool = False
                  ) -> NotificationPreferences:
        preferences = tables.notification_preferences
        stmt = select(preferences).where(preferences.c.user_id == user_id)
        if for_update:
            stmt = stmt.with_for_update()
        row = (await self.conn.execute(stmt)).first()
        if row is None:
            return NotificationPreferences(user_id=user_id)
        m = row._mapping
        return NotificationPreferences(
            user_id=user_id, locale=m["locale"],
            mobile=self._cipher.decrypt(m["mobile_enc"]) if m["mobile_enc"] else None,
            channels={k: frozenset(Channel(c) for c in v) for k, v in m["channels"].items()},
            version=m["version"], updated_at=m["updated_at"])

    async def save(self, prefs: NotificationPreferences) -> NotificationPreferences:
        preferences = tables.notification_preferences
        values = {
            "locale": prefs.locale,
            "mobile_enc": self._cipher.encrypt(prefs.mobile) if prefs.mobile else None,
            "channels": {k: sorted(c.value for c in v) for k, v in sorted(prefs.channels.items())},
        }
        stmt = pg_insert(preferences).values(user_id=prefs.user_id, version=1, **values)
        row = (await self.conn.execute(stmt.on_conflict_do_update(
            index_elements=[preferences.c.user_id],
            set_={**values, "version": preferences.c.version + 1, "updated_at": func.now()},
        ).returning(preferences.c.version, preferences.c.updated_at))).one()
        prefs.version, prefs.updated_at = row.version, row.updated_at
        return prefs

    async def recipient(self, user_id: uuid.UUID) -> Recipient | None:
        return (await self.for_notifying(user_id))[1]

    async def for_notifying(self, user_id: uuid.UUID
                            ) -> tuple[NotificationPreferences, Recipient | None]:
        row = (await self.conn.execute(_FOR_NOTIFYING, {"user_id": user_id})).first()
        if row is None:
            return NotificationPreferences(user_id=user_id), None
        mobile = self._cipher.decrypt(row.mobile_enc) if row.mobile_enc else None
        prefs = NotificationPreferences(user_id=user_id)
        if row.saved is not None:
            prefs = NotificationPreferences(
                user_id=user_id, locale=row.locale, mobile=mobile,
                channels={k: frozenset(Channel(c) for c in v) for k, v in row.channels.items()},
                version=row.version, updated_at=row.updated_at)
        return prefs, Recipient(user_id=row.id, name=row.name, email=row.email,
                                locale=prefs.locale, mobile=mobile, active=row.is_active)


def _delivery(row: Row) -> Delivery:
    m = row._mapping
    return Delivery(id=m["id"], notification_id=m["notification_id"], user_id=m["user_id"],
                    kind=m["kind"], channel=Channel(m["channel"]),
                    status=DeliveryStatus(m["status"]), attempts=m["attempts"],
                    last_error=m["last_error"], next_attempt_at=m["next_attempt_at"],
                    sent_at=m["sent_at"], created_at=m["created_at"],
                    updated_at=m["updated_at"], claim=m["claim"])


class SqlDeliveries(SqlRepository):
    """New deliveries are held to the commit (HeldWrites) with their notification; every other
    method writes or reads them, so it flushes first."""

    async def add_all(self, deliveries: Sequence[Delivery]) -> None:
        if not deliveries:
            return
        await self.held.add(self.conn, tables.notification_deliveries, [{
            "id": d.id, "notification_id": d.notification_id, "user_id": d.user_id,
            "kind": d.kind, "channel": d.channel.value, "status": d.status.value,
        } for d in deliveries])

    async def claim_due(self, now: datetime, lease_until: datetime, claim: uuid.UUID,
                        limit: int, notification_id: uuid.UUID | None = None
                        ) -> list[Delivery]:
        await self.held.flush(self.conn)
        rows = (await self.conn.execute(_CLAIM[notification_id is not None], {
            "now": now, "lease": lease_until, "claim": claim, "lim": limit,
            "of": notification_id})).all()
        return [_delivery(r) for r in rows]

    async def notification(self, notification_id: uuid.UUID) -> Notification | None:
        await self.held.flush(self.conn)
        notifications = tables.notifications
        return await self._one(notifications, notification_of,
                               notifications.c.id == notification_id)

    async def record(self, delivery: Delivery) -> bool:
        await self.held.flush(self.conn)
        result = await self.conn.execute(_RECORD, {
            "d_id": delivery.id, "d_claim": delivery.claim, "d_status": delivery.status.value,
            "d_error": delivery.last_error, "d_next": delivery.next_attempt_at,
            "d_sent": delivery.sent_at})
        return result.rowcount == 1

    async def get(self, delivery_id: uuid.UUID, *, for_update: bool = False
                  ) -> Delivery | None:
        await self.held.flush(self.conn)
        deliveries = tables.notification_deliveries
        return await self._one(deliveries, _delivery,
                               deliveries.c.id == delivery_id, lock=for_update)

    async def reopen(self, delivery_id: uuid.UUID) -> Delivery:
        await self.held.flush(self.conn)
        deliveries = tables.notification_deliveries
        row = (await self.conn.execute(
            update(deliveries).where(deliveries.c.id == delivery_id)
            .values(status=DeliveryStatus.PENDING.value, next_attempt_at=func.now(),
                    claim=None, claimed_until=None, updated_at=func.now())
            .returning(*deliveries.c))).one()
        return _delivery(row)

    async def list(self, flt: DeliveryFilter, page: PageRequest) -> Page[Delivery]:
        await self.held.flush(self.conn)
        deliveries = tables.notification_deliveries
        stmt = select(deliveries).where(*matching(
            (deliveries.c.user_id, flt.user_id), (deliveries.c.status, flt.status),
            (deliveries.c.channel, flt.channel),
            (deliveries.c.notification_id, flt.notification_id),
        ), *within(deliveries.c.updated_at, flt.updated_since, None))
        return await fetch_page(self.conn, stmt, [deliveries.c.created_at, deliveries.c.id],
                                page, _delivery, descending=True)
