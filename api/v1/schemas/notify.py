"""Request and response shapes of templates, notification preferences and deliveries.

The module keeps the name `notify`: OpenAPI names the two `DeliveryOut` schemas (this one and
the webhooks') after their modules, and the published contract and the SPA's types use it.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from pydantic import BaseModel, Field

from api.schemas import Bool, DateTime, Input, sent
from domain.customers.personal import mask_phone
from domain.notifications.commands import (
    ChangePreferences,
    ChangeTemplate,
    CreateTemplate,
    KindChoice,
    PreviewTemplate,
)
from domain.notifications.kinds import KINDS, LOCALES, Channel, variables_of
from domain.notifications.model import Delivery, NotificationPreferences, Rendered, Template

KIND_DOC = "One of: " + ", ".join(KINDS)
# The domain checks these values (kinds.py); the contract lists them.
ONE_OF_KINDS: dict[str, Any] = {"enum": list(KINDS)}
ONE_OF_CHANNELS: dict[str, Any] = {"enum": [channel.value for channel in Channel]}
ONE_OF_LOCALES: dict[str, Any] = {"enum": list(LOCALES)}


class TemplateCreate(Input):
    kind: str = Field(max_length=64, description=KIND_DOC, json_schema_extra=ONE_OF_KINDS,
                      examples=["approval_requested"])
    channel: str = Field(max_length=16, description="in_app, email or sms",
                         json_schema_extra=ONE_OF_CHANNELS, examples=["email"])
    locale: str = Field(max_length=16, description="zh-CN or en",
                        json_schema_extra=ONE_OF_LOCALES, examples=["zh-CN"])
    subject: str = Field("", max_length=1000,
                         description="E-mail subject / in-app title; ignored for sms",
                         examples=["待您审批：合同 {contract_number}"])
    body: str = Field(max_length=20000, description="Text with {variable} placeholders",
                      examples=["{recipient_name}，您好：合同 {contract_number} 待您审批。"])

    def command(self) -> CreateTemplate:
        return CreateTemplate(kind=self.kind, channel=self.channel, locale=self.locale,
                              subject=self.subject, body=self.body)


class TemplateUpdate(Input):
    subject: str | None = Field(None, max_length=1000)
    body: str | None = Field(None, max_length=20000)

    def command(self) -> ChangeTemplate:
        return ChangeTemplate(subject=self.subject, body=self.body)


class TemplateOut(BaseModel):
    id: uuid.UUID
    kind: str
    channel: str
    locale: str
    subject: str
    body: str
    builtin: Bool = Field(description="Shipped with the CRM (read-only); a custom template "
                          "for the same kind, channel and locale overrides it")
    variables: list[str] = Field(description="The variables this kind offers")
    version: int
    created_at: DateTime | None
    updated_at: DateTime | None

    @classmethod
    def of(cls, t: Template) -> TemplateOut:
        return cls(id=t.id, kind=t.kind, channel=t.channel.value, locale=t.locale,
                   subject=t.subject, body=t.body, builtin=t.builtin,
                   variables=list(variables_of(t.kind)), version=t.version,
                   created_at=t.created_at, updated_at=t.updated_at)


class PreviewIn(Input):
    variables: dict[str, Any] = Field(default_factory=dict, max_length=100, examples=[{
        "recipient_name": "王芳", "contract_number": "HT202611-0001", "amount": "1250000.00",
        "currency": "CNY"}])

    def command(self) -> PreviewTemplate:
        return PreviewTemplate(self.variables)


class PreviewOut(BaseModel):
    subject: str
    body: str

    @classmethod
    def of(cls, r: Rendered) -> PreviewOut:
        return cls(subject=r.subject, body=r.body)


class KindChannels(Input):
    kind: str = Field(max_length=64, description=KIND_DOC, json_schema_extra=ONE_OF_KINDS,
                      examples=["lead_assigned"])
    channels: list[Annotated[str, Field(json_schema_extra=ONE_OF_CHANNELS)]] = Field(
        max_length=3, description="in_app (always), email, sms",
                                examples=[["in_app", "email"]])


class KindChannelsOut(BaseModel):
    kind: str
    channels: list[str]
    default: Bool = Field(description="True while the user has not changed this kind")


class PreferencesIn(Input):
    locale: str | None = Field(None, max_length=16, description="zh-CN or en",
                               json_schema_extra=ONE_OF_LOCALES, examples=["en"])
    mobile: str | None = Field(None, max_length=40, description=(
        "The number SMS go to; null removes it. Stored encrypted, shown masked"),
        examples=["13812345678"])
    kinds: list[KindChannels] = Field(default_factory=list, max_length=100,
                                      description="The kinds to change; others stay")

    def command(self) -> ChangePreferences:
        return ChangePreferences(
            locale=self.locale,
            mobile=sent(self, "mobile"),
            kinds=[KindChoice(k.kind, k.channels) for k in self.kinds])


class PreferencesOut(BaseModel):
    locale: str
    mobile: str | None = Field(description="Masked")
    kinds: list[KindChannelsOut]
    version: int = Field(description="0 until the user first saves")

    @classmethod
    def of(cls, p: NotificationPreferences) -> PreferencesOut:
        return cls(locale=p.locale, mobile=mask_phone(p.mobile) if p.mobile else None,
                   kinds=[KindChannelsOut(kind=k, channels=sorted(c.value for c in
                                                                  p.channels_for(k)),
                                          default=k not in p.channels) for k in KINDS],
                   version=p.version)


class DeliveryOut(BaseModel):
    id: uuid.UUID
    notification_id: uuid.UUID
    user_id: uuid.UUID
    kind: str
    channel: str
    status: str = Field(description="pending, sent or failed")
    attempts: int
    last_error: str | None
    next_attempt_at: DateTime | None = Field(description="When a pending one is tried next")
    sent_at: DateTime | None
    created_at: DateTime | None
    updated_at: DateTime | None

    @classmethod
    def of(cls, d: Delivery) -> DeliveryOut:
        return cls(id=d.id, notification_id=d.notification_id, user_id=d.user_id, kind=d.kind,
                   channel=d.channel.value, status=d.status.value, attempts=d.attempts,
                   last_error=d.last_error,
                   next_attempt_at=d.next_attempt_at if d.status == "pending" else None,
                   sent_at=d.sent_at, created_at=d.created_at, updated_at=d.updated_at)


class MarkedRead(BaseModel):
    marked: int = Field(description="How many were unread and are read now")
