"""Request and response shapes of /webhooks."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, Field

from api.schemas import Bool, DateTime, Input, sent
from domain.webhooks.commands import CreateWebhook, UpdateWebhook
from domain.webhooks.event_types import EVENT_TYPES
from domain.webhooks.model import Delivery, DeliveryStatus, WebhookEndpoint

_URL = Field(max_length=2000, examples=["https://hooks.example.com/crm"],
             description="http(s); must resolve to public addresses unless allow_private")
# one of domain/webhooks/event_types.py
EventType = Annotated[str, Field(json_schema_extra={"enum": list(EVENT_TYPES)})]
_TYPES = Field(max_length=100, examples=[["customer.created", "contract.signed"]],
               description="Event types to receive (see GET /webhooks/event-types)")


class WebhookCreate(Input):
    url: str = _URL
    event_types: list[EventType] = _TYPES
    description: str | None = Field(None, max_length=500, examples=["ERP sync"])
    allow_private: Bool = Field(False, description="Let it reach loopback and private "
                                "networks (admins only)")

    def command(self) -> CreateWebhook:
        return CreateWebhook(url=self.url, event_types=self.event_types,
                             description=self.description, allow_private=self.allow_private)


class WebhookUpdate(Input):
    url: str | None = Field(None, max_length=2000)
    event_types: list[EventType] | None = Field(None, max_length=100)
    description: str | None = Field(None, max_length=500)
    active: Bool | None = Field(None, description="false pauses deliveries (they wait); true "
                                "resumes them, also after an automatic disabling")
    allow_private: Bool | None = None

    def command(self) -> UpdateWebhook:
        return UpdateWebhook(
            url=sent(self, "url"), event_types=sent(self, "event_types"),
            description=sent(self, "description"), active=sent(self, "active"),
            allow_private=sent(self, "allow_private"))


class WebhookOut(BaseModel):
    id: uuid.UUID
    url: str
    description: str | None
    event_types: list[str]
    active: Bool
    allow_private: Bool
    disabled_reason: str | None = Field(description="Why it was turned off automatically")
    disabled_at: DateTime | None
    owner_id: uuid.UUID | None = Field(description="Told (in-app) when it is disabled")
    previous_secret_until: DateTime | None = Field(
        description="After a rotation: until then every message also carries a signature "
        "made with the previous secret, so the receiver can switch without rejecting any")
    version: int
    created_at: DateTime | None
    updated_at: DateTime | None

    @classmethod
    def of(cls, e: WebhookEndpoint) -> WebhookOut:
        return cls(id=e.id, url=e.url, description=e.description, event_types=e.event_types,
                   active=e.active, allow_private=e.allow_private,
                   disabled_reason=e.disabled_reason, disabled_at=e.disabled_at,
                   owner_id=e.owner_id, previous_secret_until=e.previous_secret_until,
                   version=e.version, created_at=e.created_at,
                   updated_at=e.updated_at)


class WebhookWithSecret(WebhookOut):
    secret: str = Field(examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
                        description="Shown this once: verify signatures with it")

    @classmethod
    def of(cls, e: WebhookEndpoint) -> WebhookWithSecret:
        return cls(**WebhookOut.of(e).model_dump(), secret=e.secret)


class EventTypeOut(BaseModel):
    type: str = Field(examples=["customer.created"])
    description: str


class DeliveryOut(BaseModel):
    id: uuid.UUID
    webhook_id: uuid.UUID
    message_id: str = Field(description="The webhook-id header: the same on every retry",
                            examples=["msg_5f0c…"])
    event_id: uuid.UUID
    event_type: str
    record_type: str
    record_id: str
    sequence: int = Field(description="Increases with each event of the same record")
    status: DeliveryStatus
    attempts: int
    response_status: int | None = Field(description="The HTTP status of the last attempt")
    latency_ms: int | None = Field(description="How long the last attempt took")
    last_error: str | None
    next_attempt_at: DateTime | None = Field(description="When a pending delivery is tried "
                                             "next")
    last_attempt_at: DateTime | None
    delivered_at: DateTime | None
    created_at: DateTime | None

    @classmethod
    def of(cls, d: Delivery) -> DeliveryOut:
        return cls(id=d.id, webhook_id=d.endpoint_id, message_id=d.message_id,
                   event_id=d.event_id, event_type=d.event_type, record_type=d.aggregate_type,
                   record_id=d.aggregate_id, sequence=d.sequence, status=d.status,
                   attempts=d.attempts, response_status=d.response_status,
                   latency_ms=d.latency_ms, last_error=d.last_error,
                   next_attempt_at=d.next_attempt_at if d.status == DeliveryStatus.PENDING
                   else None,
                   last_attempt_at=d.last_attempt_at, delivered_at=d.delivered_at,
                   created_at=d.created_at)
