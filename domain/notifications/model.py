"""In-app notifications and what carries them further: templates, a user's channel
preferences, and deliveries of a notification to a channel."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from domain.notifications.kinds import (
    DEFAULT_LOCALE,
    KINDS,
    LOCALES,
    Channel,
    default_channels,
    variables_of,
)
from domain.notifications.templating import (
    MissingVariable,
    TemplateSyntaxError,
    parse,
    render,
)
from domain.shared.errors import FieldProblem, ValidationFailed
from domain.shared.text import Label


class EventType:
    CREATED = "notification.created"
    DELIVERY_REOPENED = "notification.delivery_reopened"


@dataclass
class Notification:
    id: uuid.UUID
    user_id: uuid.UUID
    kind: str
    title: str
    body: str
    event_id: uuid.UUID | None = None
    created_at: datetime | None = None
    read_at: datetime | None = None
    updated_at: datetime | None = None  # set by the database at every change (a read)
    # The variables the message was made from (record ids, names, amounts): templates for
    # other channels and languages render from these, and a client links to the record.
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def for_event(cls, user_id: uuid.UUID, kind: str, title: str, body: str,
                  event_id: uuid.UUID, data: dict[str, Any] | None = None) -> Notification:
        return cls(id=uuid.uuid4(), user_id=user_id, kind=kind, title=title, body=body,
                   event_id=event_id, data=dict(data or {}))


SUBJECT_MAX = 200
BODY_MAX = {Channel.IN_APP: 2000, Channel.EMAIL: 20000, Channel.SMS: 500}


def check_kind(value: str, field_name: str = "kind") -> str:
    if value not in KINDS:
        raise ValidationFailed.of(field_name, "notification.unknown_kind", kinds=list(KINDS))
    return value


def check_channel(value: str, field_name: str = "channel") -> Channel:
    try:
        return Channel(value)
    except ValueError:
        raise ValidationFailed.of(field_name, "one_of",
                                  choices=[c.value for c in Channel]) from None


def check_locale(value: str, field_name: str = "locale") -> str:
    if value not in LOCALES:
        raise ValidationFailed.of(field_name, "one_of", choices=list(LOCALES))
    return value


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


@dataclass
class Template:
    id: uuid.UUID
    kind: str
    channel: Channel
    locale: str
    subject: str
    body: str
    builtin: bool = False
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def custom(cls, kind: str, channel: str, locale: str, subject: str, body: str) -> Template:
        t = cls(id=uuid.uuid4(), kind=check_kind(kind), channel=check_channel(channel),
                locale=check_locale(locale), subject="", body="")
        t._set(subject, body)
        return t

    @classmethod
    def default(cls, kind: str, channel: Channel, locale: str, subject: str,
                body: str) -> Template:
        """The shipped template: a stable id, so a client may keep a link to it."""
        return cls(id=uuid.uuid5(uuid.NAMESPACE_URL, f"crm:template:{kind}:{channel}:{locale}"),
                   kind=kind, channel=channel, locale=locale, subject=subject, body=body,
                   builtin=True)

    def change(self, subject: str | None, body: str | None) -> None:
        self._set(self.subject if subject is None else subject,
                  self.body if body is None else body)
        self.version += 1

    def _set(self, subject: str, body: str) -> None:
        subject, problems = subject.strip(), []
        if self.channel == Channel.SMS:
            subject = ""  # a text message has no subject line
        elif not subject:
            problems.append(FieldProblem("subject", "notification.empty"))
        elif len(subject) > SUBJECT_MAX or "\n" in subject or "\r" in subject:
            problems.append(FieldProblem("subject", "notification.subject_one_line",
                                         {"max": SUBJECT_MAX}))
        if not body.strip():
            problems.append(FieldProblem("body", "notification.empty"))
        elif len(body) > BODY_MAX[self.channel]:
            problems.append(FieldProblem(
                "body", "notification.body_too_long",
                {"max": BODY_MAX[self.channel], "channel": Label("notification_channel",
                                                                self.channel.value)}))
        known = set(variables_of(self.kind))
        for name, text in (("subject", subject), ("body", body)):
            try:
                used = parse(text).variables
            except TemplateSyntaxError as e:
                problems.append(FieldProblem(name, e.text))
                continue
            for var in used:
                if var not in known:
                    problems.append(FieldProblem(
                        name, "notification.unknown_variable",
                        {"variable": f"{{{var}}}", "kind": self.kind,
                         "known": ", ".join(f"{{{v}}}" for v in sorted(known))}))
        if problems:
            raise ValidationFailed(problems)
        self.subject, self.body = subject, body

    def render(self, variables: Mapping[str, Any]) -> Rendered:
        """Raises MissingVariable naming a placeholder without a value."""
        return Rendered(subject=render(self.subject, variables),
                        body=render(self.body, variables))

    def preview(self, variables: Mapping[str, Any]) -> Rendered:
        try:
            return self.render(variables)
        except MissingVariable as e:
            raise ValidationFailed.of(f"variables.{e.name}", "notification.variable_missing",
                                      variable=f"{{{e.name}}}") from None


@dataclass
class NotificationPreferences:
    """A user's language, SMS number and per-kind channel choices (only what they changed)."""

    user_id: uuid.UUID
    locale: str = DEFAULT_LOCALE
    mobile: str | None = None
    channels: dict[str, frozenset[Channel]] = field(default_factory=dict)
    version: int = 0  # 0: never saved, the defaults
    updated_at: datetime | None = None

    def channels_for(self, kind: str) -> frozenset[Channel]:
        chosen = self.channels.get(kind)
        return default_channels(kind) if chosen is None else chosen

    def choose(self, kind: str, channels: Sequence[str], at: str) -> None:
        check_kind(kind, f"{at}.kind")
        picked = frozenset(check_channel(c, f"{at}.channels") for c in channels)
        if Channel.IN_APP not in picked:
            raise ValidationFailed.of(f"{at}.channels", "notification.in_app_required")
        if Channel.SMS in picked and not self.mobile:
            raise ValidationFailed.of(f"{at}.channels", "notification.sms_needs_mobile")
        if picked == default_channels(kind):
            self.channels.pop(kind, None)
        else:
            self.channels[kind] = picked


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


@dataclass
class Delivery:
    id: uuid.UUID
    notification_id: uuid.UUID
    user_id: uuid.UUID
    kind: str
    channel: Channel
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    # Set while a sender holds the delivery (its lease); a result is recorded only with it.
    claim: uuid.UUID | None = None

    @classmethod
    def new(cls, notification_id: uuid.UUID, user_id: uuid.UUID, kind: str,
            channel: Channel) -> Delivery:
        return cls(id=uuid.uuid4(), notification_id=notification_id, user_id=user_id,
                   kind=kind, channel=channel)


@dataclass(frozen=True)
class RetryPolicy:
    """Waits before the 2nd, 3rd … attempt; after the last one the delivery has failed."""

    delays: tuple[float, ...] = (10, 60, 300, 1800, 7200)

    def next_attempt(self, attempts: int, now: datetime) -> datetime | None:
        if attempts > len(self.delays):
            return None
        return now + timedelta(seconds=self.delays[attempts - 1])

    @classmethod
    def parse(cls, spec: str) -> RetryPolicy:
        try:
            delays = tuple(float(x) for x in spec.split(",") if x.strip())
        except ValueError:
            raise ValueError(f"retry delays must be seconds separated by commas: {spec!r}") \
                from None
        if any(d < 0 for d in delays):
            raise ValueError("retry delays must not be negative")
        return cls(delays)


@dataclass(frozen=True)
class Recipient:
    user_id: uuid.UUID
    name: str
    email: str
    locale: str
    mobile: str | None
    active: bool = True


class DeliveryFailed(Exception):
    """A sender could not hand the message over. `permanent`: retrying will not help."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
