"""Lead settings use cases: the scoring model, the routing rules and reps' availability, and
the website forms with their public keys."""

from __future__ import annotations

import builtins
import dataclasses
import uuid
from dataclasses import dataclass
from typing import Any

from domain.audit.model import AuditEntry, field_diff
from domain.leads.commands import ChangeAvailability, CreateLeadForm, UpdateLeadForm
from domain.leads.forms import LeadForm
from domain.leads.routing import Availability, RepStatus, RoutingSettings
from domain.leads.scoring import ScoringModel
from domain.shared.authz import Actor, Principal, Role, Scope, require
from domain.shared.commands import given
from domain.shared.errors import NotFound, PermissionDenied, ValidationFailed, check_version
from domain.shared.ownership import active_user
from domain.shared.paging import Page, PageRequest
from domain.shared.ports import UnitOfWork, UnitOfWorkFactory
from domain.shared.text import Label
from domain.shared.visibility import found_or_404


@dataclass
class LeadSettingsService:
    uow: UnitOfWorkFactory

    # ---- scoring and routing -----------------------------------------------------------------

    async def scoring(self, actor: Actor) -> ScoringModel:
        require(actor, Scope.LEADS_READ)
        async with self.uow() as uow:
            return await uow.sales_settings.scoring()

    async def set_scoring(self, actor: Actor, model: ScoringModel,
                          expected_version: int | None) -> ScoringModel:
        require(actor, Scope.SETTINGS_WRITE)
        async with self.uow() as uow:
            current = await uow.sales_settings.scoring()
            check_version("scoring model", current.version, expected_version)
            saved = await uow.sales_settings.save_scoring(
                dataclasses.replace(model, version=current.version))
            await uow.audit.record(AuditEntry.of(
                actor, "lead_scoring.updated", "settings", "lead_scoring",
                {"high_from": [current.high_from, saved.high_from],
                 "medium_from": [current.medium_from, saved.medium_from],
                 "rules": [len(current.rules), len(saved.rules)]}))
            await uow.commit()
            return saved

    async def routing(self, actor: Actor) -> RoutingSettings:
        require(actor, Scope.LEADS_READ)
        async with self.uow() as uow:
            return await uow.sales_settings.routing()

    async def set_routing(self, actor: Actor, settings: RoutingSettings,
                          expected_version: int | None) -> RoutingSettings:
        require(actor, Scope.SETTINGS_WRITE)
        async with self.uow() as uow:
            current = await uow.sales_settings.routing()
            check_version("routing settings", current.version, expected_version)
            for i, rule in enumerate(settings.rules):
                if await uow.departments.get(rule.department_id) is None:
                    raise ValidationFailed.of(f"rules.{i}.department_id", "lead.no_such_department")
                for name, values in (("region", rule.regions), ("industry", rule.industries)):
                    unknown = sorted(set(values) - await uow.picklists.values(name))
                    if unknown:
                        at = f"rules.{i}." + ("regions" if name == "region" else "industries")
                        raise ValidationFailed.of(at, "lead.not_in_list", value=unknown[0],
                                                  list=Label("lead_field", name))
            if settings.queue_user_id is not None and not await active_user(
                    uow, settings.queue_user_id):
                raise ValidationFailed.of("queue_user_id", "lead.not_an_active_user")
            saved = await uow.sales_settings.save_routing(
                dataclasses.replace(settings, version=current.version))
            await uow.audit.record(AuditEntry.of(
                actor, "lead_routing.updated", "settings", "lead_routing",
                field_diff({"rules": [r.name for r in current.rules],
                            "queue_user_id": current.queue_user_id,
                            "stale_days": current.stale_days,
                            "first_contact_hours": current.first_contact_hours},
                           {"rules": [r.name for r in saved.rules],
                            "queue_user_id": saved.queue_user_id,
                            "stale_days": saved.stale_days,
                            "first_contact_hours": saved.first_contact_hours})))
            await uow.commit()
            return saved

    async def _rep_scope(self, uow: UnitOfWork, p: Principal
                         ) -> tuple[builtins.list[uuid.UUID] | None,
                                    builtins.list[uuid.UUID] | None]:
        """(departments, users) the caller may see in the routing screen; None = all."""
        if p.kind != "user" or p.role in (Role.ADMIN, Role.EXECUTIVE):
            return None, None
        if p.role == Role.MANAGER and p.department_id is not None:
            return list(await uow.departments.subtree(p.department_id)), None
        return None, [p.id]

    async def reps(self, actor: Actor, department_id: uuid.UUID | None, page: PageRequest
                   ) -> Page[RepStatus]:
        p = require(actor, Scope.LEADS_READ)
        async with self.uow() as uow:
            depts, users = await self._rep_scope(uow, p)
            if department_id is not None:
                if depts is not None and department_id not in depts:
                    return Page([], None)
                depts = [department_id]
            return await uow.reps.statuses(depts, users, page)

    async def set_availability(self, actor: Actor, user_id: uuid.UUID,
                               command: ChangeAvailability) -> RepStatus:
        """A rep sets themself away; managers (their team) and admins also set capacity."""
        p = require(actor, Scope.LEADS_WRITE)
        changes = given(command)
        async with self.uow() as uow:
            depts, users = await self._rep_scope(uow, p)
            user = await uow.users.get(user_id)
            visible = user is not None and (
                (users is None or user.id in users)
                and (depts is None or user.department_id in depts or user.id == p.id))
            if user is None or not visible:
                raise NotFound("user", user_id)
            if "capacity" in changes and p.kind == "user" and p.role not in (Role.ADMIN,
                                                                              Role.MANAGER):
                raise PermissionDenied("lead.capacity_managers_only")
            availability: Availability = await uow.reps.availability(user_id)
            before = dataclasses.asdict(availability)
            availability.update(changes)
            await uow.reps.save_availability(availability)
            await uow.audit.record(AuditEntry.of(actor, "rep_availability.updated", "user",
                                                 user_id, field_diff(
                                                     before, dataclasses.asdict(availability))))
            await uow.commit()
            page = await uow.reps.statuses(None, [user_id], PageRequest(limit=1))
            return page.items[0]

    # ---- website forms ----------------------------------------------------------------------

    async def forms(self, actor: Actor, page: PageRequest) -> Page[LeadForm]:
        require(actor, Scope.SETTINGS_WRITE)
        async with self.uow() as uow:
            return await uow.lead_forms.list(page)

    async def form(self, actor: Actor, form_id: uuid.UUID) -> LeadForm:
        require(actor, Scope.SETTINGS_WRITE)
        async with self.uow() as uow:
            return await found_or_404(uow.lead_forms.get(form_id), "lead form", form_id)

    async def create_form(self, actor: Actor, command: CreateLeadForm) -> LeadForm:
        p = require(actor, Scope.SETTINGS_WRITE)
        async with self.uow() as uow:
            form = LeadForm.create(
                name=command.name, site_origin=command.site_origin, created_by=p.user_id,
                source=command.source, campaign=command.campaign,
                honeypot_field=command.honeypot_field, per_ip_per_hour=command.per_ip_per_hour,
                per_form_per_minute=command.per_form_per_minute)
            await uow.lead_forms.add(form)
            await uow.audit.record(AuditEntry.of(actor, "lead_form.created", "lead_form",
                                                 form.id, field_diff(None, _form_snapshot(form))))
            await uow.commit()
            return form

    async def update_form(self, actor: Actor, form_id: uuid.UUID, command: UpdateLeadForm,
                          expected_version: int | None) -> LeadForm:
        return await self._change_form(actor, form_id, given(command), expected_version,
                                       rotate_key=False)

    async def rotate_form_key(self, actor: Actor, form_id: uuid.UUID) -> LeadForm:
        """A new public key; the old one stops working at once."""
        return await self._change_form(actor, form_id, {}, None, rotate_key=True)

    async def _change_form(self, actor: Actor, form_id: uuid.UUID, changes: dict[str, Any],
                           expected_version: int | None, rotate_key: bool) -> LeadForm:
        require(actor, Scope.SETTINGS_WRITE)
        async with self.uow() as uow:
            form = await found_or_404(uow.lead_forms.get(form_id), "lead form", form_id)
            check_version("lead form", form.version, expected_version)
            before = _form_snapshot(form)
            if changes:
                form.update(changes)
            if rotate_key:
                form.rotate_key()
            await uow.lead_forms.save(form)
            diff = field_diff(before, _form_snapshot(form))
            if rotate_key:
                diff["key"] = ["(old)", "(rotated)"]
            await uow.audit.record(AuditEntry.of(actor, "lead_form.updated", "lead_form",
                                                 form.id, diff))
            await uow.commit()
            return form


def _form_snapshot(f: LeadForm) -> dict[str, Any]:
    return {"name": f.name, "site_origin": f.site_origin, "source": f.source,
            "campaign": f.campaign, "honeypot_field": f.honeypot_field,
            "per_ip_per_hour": f.per_ip_per_hour,
            "per_form_per_minute": f.per_form_per_minute, "active": f.active}

