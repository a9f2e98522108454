"""Webhook endpoints, their deliveries and the rules of retrying and disabling them.

Messages follow the Standard Webhooks specification: the body is
{"type", "timestamp", "data": {...event payload, "id": record id}, "sequence": n}, signed with
HMAC-SHA256 over "{webhook-id}.{webhook-timestamp}.{body}" with the endpoint's secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import random
import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from domain.shared.catalogue import render
from domain.shared.commands import UNSET, Unset
from domain.shared.errors import ValidationFailed
from domain.shared.events import DomainEvent
from domain.shared.text import Label, Text, text
from domain.webhooks.commands import UpdateWebhook
from domain.webhooks.event_types import EVENT_TYPES

SECRET_PREFIX = "whsec_"
MAX_EVENT_TYPES = len(EVENT_TYPES)
MAX_URL = 2000


def new_secret() -> str:
    """whsec_ + base64 of 32 random bytes, the form standardwebhooks.Webhook(secret) reads."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(secret: str, msg_id: str, timestamp: int, body: str) -> str:
    """The webhook-signature header value: 'v1,' + base64 HMAC-SHA256 of id.timestamp.body."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    mac = hmac.new(key, f"{msg_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def signatures(secrets: Sequence[str], msg_id: str, timestamp: int, body: str) -> str:
    """The header with one signature per secret, space-separated (Standard Webhooks: a
    receiver accepts the message when any of them verifies)."""
    return " ".join(sign(s, msg_id, timestamp, body) for s in secrets)


# How long a rotated-out secret keeps signing beside the new one: time for the receiver to
# deploy the new secret without rejecting a single message.
SECRET_OVERLAP = timedelta(hours=24)


def message_body(event: DomainEvent, sequence: int) -> str:
    """The JSON a subscriber receives; fixed at fan-out so every retry sends the same bytes."""
    return json.dumps({
        "type": event.type,
        "timestamp": event.occurred_at.isoformat(),
        "data": {**event.payload, "id": event.aggregate_id},
        "sequence": sequence,
    }, separators=(",", ":"), ensure_ascii=False, default=str)


# ---- SSRF: where a webhook may point ---------------------------------------------------------


def address_problem(ip: str) -> str | None:
    """Why a webhook may not connect to this address, or None when it is a public one."""
    refusal = address_refusal(ip)
    return None if refusal is None else render(refusal, "en")


def address_refusal(ip: str) -> Text | None:
    """`address_problem` as a text in the reader's language: the kind of address is a label."""
    try:
        addr: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(ip)
    except ValueError:
        return text("webhook.not_an_ip")
    if isinstance(addr, ipaddress.IPv6Address):
        # ::ffff:127.0.0.1, 6to4 and Teredo carry an IPv4 address that is what gets reached.
        embedded = addr.ipv4_mapped or addr.sixtofour or (addr.teredo[1] if addr.teredo else None)
        if embedded is not None:
            addr = embedded
    for name, test in (("loopback", addr.is_loopback), ("link-local", addr.is_link_local),
                       ("unspecified", addr.is_unspecified), ("multicast", addr.is_multicast),
                       ("reserved", addr.is_reserved), ("private", addr.is_private)):
        if test:
            return text("webhook.points_at", range=Label("address_range", name),
                        address=str(addr))
    if not addr.is_global:  # shared address space (100.64/10), documentation ranges …
        return text("webhook.points_at", range=Label("address_range", "non-public"),
                    address=str(addr))
    return None


@dataclass(frozen=True)
class Target:
    """A parsed webhook URL: the host to resolve and the port to connect to."""

    url: str
    scheme: str
    host: str
    port: int

    @property
    def host_is_ip(self) -> bool:
        try:
            ipaddress.ip_address(self.host)
            return True
        except ValueError:
            return False


def parse_target(raw: str) -> Target:
    url = (raw or "").strip()
    if not url or len(url) > MAX_URL:
        raise ValidationFailed.of("url", "webhook.url_length", max=MAX_URL)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValidationFailed.of("url", "webhook.bad_url") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValidationFailed.of("url", "webhook.http_only")
    if parts.username is not None or parts.password is not None:
        raise ValidationFailed.of("url", "webhook.no_credentials")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise ValidationFailed.of("url", "webhook.host_required")
    if parts.fragment:
        raise ValidationFailed.of("url", "webhook.no_fragment")
    return Target(url=url, scheme=scheme, host=host,
                  port=port or (443 if scheme == "https" else 80))


def check_addresses(target: Target, addresses: Sequence[str], allow_private: bool) -> None:
    """Refuses a target any of whose addresses is not public (unless an admin allowed it)."""
    if not addresses:
        raise ValidationFailed.of("url", "webhook.host_unresolved", host=target.host)
    if allow_private:
        return
    for ip in addresses:
        refusal = address_refusal(ip)
        if refusal is not None:
            raise ValidationFailed.of("url", "webhook.public_only", problem=refusal)


def check_event_types(values: Sequence[str]) -> list[str]:
    if not values:
        raise ValidationFailed.of("event_types", "webhook.event_type_required")
    for i, value in enumerate(values):
        if value not in EVENT_TYPES:
            raise ValidationFailed.of(f"event_types.{i}", "webhook.unknown_event_type",
                                      value=repr(value))
    return sorted(set(values))


# ---- the endpoint ---------------------------------------------------------------------------


@dataclass
class WebhookEndpoint:
    id: uuid.UUID
    url: str
    secret: str
    event_types: list[str]
    description: str | None = None
    active: bool = True
    allow_private: bool = False
    owner_id: uuid.UUID | None = None
    disabled_reason: str | None = None
    disabled_at: datetime | None = None
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None
    previous_secret: str | None = None
    previous_secret_until: datetime | None = None

    @classmethod
    def create(cls, *, url: str, event_types: Sequence[str], description: str | None,
               allow_private: bool, owner_id: uuid.UUID | None) -> WebhookEndpoint:
        endpoint = cls(id=uuid.uuid4(), url="", secret=new_secret(), event_types=[],
                       owner_id=owner_id)
        endpoint.apply(url=url, event_types=event_types, description=description,
                       allow_private=allow_private)
        return endpoint

    def apply(self, *, url: str | Unset | None = UNSET,
              event_types: Sequence[str] | Unset | None = UNSET,
              description: str | Unset | None = UNSET,
              allow_private: bool | Unset | None = UNSET,
              active: bool | Unset | None = UNSET) -> None:
        """Sets the fields given (UNSET: left alone); a None url or event_types is invalid."""
        if not isinstance(url, Unset):
            self.url = parse_target(url or "").url
        if not isinstance(event_types, Unset):
            self.event_types = check_event_types(event_types or [])
        if not isinstance(description, Unset):
            shown = (description or "").strip() or None
            if shown is not None and len(shown) > 500:
                raise ValidationFailed.of("description", "too_long", max=500)
            self.description = shown
        if isinstance(allow_private, bool):
            self.allow_private = allow_private
        if isinstance(active, bool):
            if active and not self.active:
                self.disabled_reason = self.disabled_at = None
            self.active = active

    def update(self, change: UpdateWebhook) -> None:
        self.apply(url=change.url, event_types=change.event_types,
                   description=change.description, allow_private=change.allow_private,
                   active=change.active)
        self.version += 1

    def rotate_secret(self, now: datetime, overlap: timedelta = SECRET_OVERLAP) -> str:
        """A new secret; the one it replaces keeps signing beside it until now + overlap
        (rotating again within that window drops the older one at once)."""
        self.previous_secret, self.previous_secret_until = self.secret, now + overlap
        self.secret = new_secret()
        self.version += 1
        return self.secret

    def disable(self, reason: str, now: datetime) -> bool:
        """False when it was already off (a second failing delivery says nothing new)."""
        if not self.active:
            return False
        self.active = False
        self.disabled_reason = reason
        self.disabled_at = now
        self.version += 1
        return True

    def snapshot(self) -> dict[str, Any]:
        return {"url": self.url, "event_types": list(self.event_types),
                "description": self.description, "active": self.active,
                "allow_private": self.allow_private, "disabled_reason": self.disabled_reason}


# ---- deliveries and retries -----------------------------------------------------------------


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


# Standard Webhooks' example schedule: the wait before each attempt (the first at once).
STANDARD_SCHEDULE: tuple[float, ...] = (0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000,
                                        86400)
THROTTLING = frozenset({429, 502, 504})
MAX_RETRY_AFTER = 86400.0


@dataclass(frozen=True)
class RetryPolicy:
    """Waits between attempts, with +/- `jitter` (a fraction) so retries do not stampede."""

    schedule: tuple[float, ...] = STANDARD_SCHEDULE
    jitter: float = 0.1
    rng: Callable[[], float] = field(default=random.random, compare=False)

    @property
    def attempts(self) -> int:
        return len(self.schedule)

    def delay_after(self, attempt: int, retry_after: float | None) -> float | None:
        """Seconds to wait after the n-th failed attempt (1-based); None when none is left."""
        if attempt >= len(self.schedule):
            return None
        base = self.schedule[attempt]
        wait = base * (1 + self.jitter * (2 * self.rng() - 1))
        if retry_after is not None:
            wait = max(wait, min(retry_after, MAX_RETRY_AFTER))
        return max(wait, 0.0)


@dataclass(frozen=True)
class AttemptResult:
    """What one POST to the endpoint gave."""

    status_code: int | None
    latency_ms: int
    error: str | None = None
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass
class Delivery:
    id: uuid.UUID
    endpoint_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    aggregate_type: str
    aggregate_id: str
    sequence: int
    body: str
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    round_attempts: int = 0  # attempts since the last (re)delivery: the schedule's position
    response_status: int | None = None
    latency_ms: int | None = None
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    last_attempt_at: datetime | None = None
    delivered_at: datetime | None = None
    created_at: datetime | None = None

    @classmethod
    def for_event(cls, endpoint_id: uuid.UUID, event: DomainEvent, sequence: int,
                  now: datetime) -> Delivery:
        return cls(id=uuid.uuid4(), endpoint_id=endpoint_id, event_id=event.id,
                   event_type=event.type, aggregate_type=event.aggregate_type,
                   aggregate_id=event.aggregate_id, sequence=sequence,
                   body=message_body(event, sequence), next_attempt_at=now)

    @property
    def message_id(self) -> str:
        """webhook-id: the same on every retry and redelivery, so subscribers can de-duplicate."""
        return f"msg_{self.id.hex}"

    def start_attempt(self, now: datetime) -> None:
        """Counts an attempt before its POST goes out (the delivery worker's claim does this,
        committed, for a batch): a worker that dies after sending and before recording the
        outcome cannot leave an attempt the receiver saw out of the log. The last attempt's
        outcome is unknown until `record`."""
        self.attempts += 1
        self.round_attempts += 1
        self.last_attempt_at = now
        self.response_status = self.latency_ms = None
        self.last_error = None

    def record(self, result: AttemptResult, policy: RetryPolicy, now: datetime) -> str | None:
        """Applies the outcome of the attempt last started; answers why the endpoint must be
        disabled, if so."""
        self.response_status = result.status_code
        self.latency_ms = result.latency_ms
        if result.ok:
            self.status = DeliveryStatus.SUCCEEDED
            self.delivered_at = now
            self.next_attempt_at = None
            self.last_error = None
            return None
        self.last_error = (result.error or f"HTTP {result.status_code}")[:500]
        if result.status_code == 410:
            self.status = DeliveryStatus.FAILED
            self.next_attempt_at = None
            return "the endpoint answered 410 Gone"
        retry_after = result.retry_after if result.status_code in THROTTLING else None
        wait = policy.delay_after(self.round_attempts, retry_after)
        if wait is None:
            self.status = DeliveryStatus.FAILED
            self.next_attempt_at = None
            return (f"all {self.round_attempts} attempts to deliver {self.event_type} failed "
                    f"(last: {self.last_error})")
        self.next_attempt_at = now + timedelta(seconds=wait)
        return None

    def redeliver(self, now: datetime) -> None:
        """Sends it again from the start of the schedule (same webhook-id and body)."""
        self.status = DeliveryStatus.PENDING
        self.round_attempts = 0
        self.next_attempt_at = now
        self.delivered_at = None
