"""Message templates: admins override the shipped ones per (kind, channel, locale)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from domain.audit.model import AuditEntry, field_diff
from domain.notifications.commands import ChangeTemplate, CreateTemplate, PreviewTemplate
from domain.notifications.model import Rendered, Template, check_channel, check_kind, check_locale
from domain.notifications.ports import TemplateFilter
from domain.shared.authz import Actor, Scope, require
from domain.shared.errors import Conflict, PermissionDenied, check_version
from domain.shared.paging import Page, PageRequest
from domain.shared.ports import UnitOfWork, UnitOfWorkFactory
from domain.shared.visibility import found_or_404


def _may_read(actor: Actor) -> None:
    p = actor.principal
    if p is None or not (p.has(Scope.SETTINGS_READ) or p.has(Scope.SETTINGS_WRITE)):
        raise PermissionDenied("notification.templates_need_settings_read",
                               scope=Scope.SETTINGS_READ.value)


async def _custom(uow: UnitOfWork, template_id: uuid.UUID, refusal: str) -> Template:
    """A template an admin made, locked for a change; the shipped ones are refused."""
    template = await found_or_404(uow.templates.get(template_id, for_update=True), "template",
                                  template_id)
    if template.builtin:
        raise Conflict(refusal)
    return template


@dataclass
class TemplateService:
    uow: UnitOfWorkFactory

    async def list(self, actor: Actor, page: PageRequest, *, kind: str | None = None,
                   channel: str | None = None, locale: str | None = None,
                   builtin: bool | None = None,
                   updated_since: datetime | None = None) -> Page[Template]:
        _may_read(actor)
        flt = TemplateFilter(
            kind=check_kind(kind) if kind is not None else None,
            channel=check_channel(channel) if channel is not None else None,
            locale=check_locale(locale) if locale is not None else None, builtin=builtin,
            updated_since=updated_since)
        async with self.uow() as uow:
            return await uow.templates.list(flt, page)

    async def get(self, actor: Actor, template_id: uuid.UUID) -> Template:
        _may_read(actor)
        async with self.uow() as uow:
            return await found_or_404(uow.templates.get(template_id), "template", template_id)

    async def create(self, actor: Actor, command: CreateTemplate) -> Template:
        require(actor, Scope.SETTINGS_WRITE)
        template = Template.custom(command.kind, command.channel, command.locale,
                                   command.subject, command.body)
        async with self.uow() as uow:
            current = await uow.templates.effective(template.kind, template.channel,
                                                    template.locale)
            if current is not None and not current.builtin:
                raise Conflict("notification.custom_template_exists", existing_id=current.id,
                               kind=command.kind, channel=command.channel,
                               locale=command.locale)
            await uow.templates.add(template)
            await uow.audit.record(AuditEntry.of(
                actor, "template.created", "template", template.id,
                {"kind": template.kind, "channel": template.channel.value,
                 "locale": template.locale}))
            await uow.commit()
        return template

    async def change(self, actor: Actor, template_id: uuid.UUID, command: ChangeTemplate,
                     expected_version: int | None) -> Template:
        require(actor, Scope.SETTINGS_WRITE)
        async with self.uow() as uow:
            template = await _custom(uow, template_id, "notification.shipped_template_fixed")
            check_version("template", template.version, expected_version)
            before = {"subject": template.subject, "body": template.body}
            template.change(command.subject, command.body)
            await uow.templates.update(template)
            await uow.audit.record(AuditEntry.of(
                actor, "template.updated", "template", template.id,
                field_diff(before, {"subject": template.subject, "body": template.body})))
            await uow.commit()
        return template

    async def delete(self, actor: Actor, template_id: uuid.UUID) -> None:
        require(actor, Scope.SETTINGS_WRITE)
        async with self.uow() as uow:
            template = await _custom(uow, template_id,
                                     "notification.shipped_template_undeletable")
            await uow.templates.delete(template_id)
            await uow.audit.record(AuditEntry.of(
                actor, "template.deleted", "template", template_id,
                {"kind": template.kind, "channel": template.channel.value,
                 "locale": template.locale}))
            await uow.commit()

    async def preview(self, actor: Actor, template_id: uuid.UUID,
                      command: PreviewTemplate) -> Rendered:
        template = await self.get(actor, template_id)
        return template.preview(command.variables)
