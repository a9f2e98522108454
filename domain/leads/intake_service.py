"""The public intake of website forms: no login, so rate limits, a honeypot and the site's
origin stand guard before anything is written."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from domain.customers.model import Size
from domain.leads.commands import CaptureLead
from domain.leads.forms import LeadForm
from domain.leads.ports import FormCapture
from domain.shared.authz import Actor, Principal, Scope
from domain.shared.errors import NotFound, PermissionDenied, RateLimited
from domain.shared.ports import RateLimiter, UnitOfWorkFactory
from domain.shared.text import Text, text

log = logging.getLogger("crm.intake")

# Before the form is even looked up: an address may not hammer the endpoint (or guess keys).
ADDRESS_LIMIT = (60, 600)  # requests per 10 minutes
TEXT_FIELDS = {"name": 100, "company": 200, "title": 100, "phone": 40, "email": 254,
               "message": 5000, "industry": 50, "region": 50}
ATTRIBUTION_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
                      "page_url", "referrer")


@dataclass(frozen=True)
class Receipt:
    """What the HTTP layer needs to answer: the site to allow (CORS), whether it was kept."""

    allowed_origin: str
    kept: bool


@dataclass
class IntakeService:
    uow: UnitOfWorkFactory
    limiter: RateLimiter
    leads: FormCapture

    async def _limit(self, key: str, limit: int, window: int, whence: Text) -> None:
        wait = await self.limiter.hit(key, limit, window)
        if wait:
            raise RateLimited("lead.too_many_submissions", wait,
                              whence=whence, wait=wait)

    async def _form(self, form_key: str, ip: str | None) -> LeadForm:
        await self._limit(f"intake:ip:{ip}", *ADDRESS_LIMIT,
                          text("lead.whence.address"))
        async with self.uow() as uow:
            form = await uow.lead_forms.get_by_key(form_key)
        if form is None or not form.active:
            raise NotFound("form", form_key)
        return form

    async def preflight(self, form_key: str, ip: str | None, origin: str | None) -> str:
        """The origin a browser may post from (CORS), or PermissionDenied for another site."""
        form = await self._form(form_key, ip)
        if origin is None or not form.allows_origin(origin):
            raise PermissionDenied("lead.form_wrong_site")
        return form.site_origin

    async def submit(self, form_key: str, fields: Mapping[str, str], *, ip: str | None,
                     origin: str | None, request_id: str | None = None) -> Receipt:
        form = await self._form(form_key, ip)
        if not form.allows_origin(origin):
            raise PermissionDenied("lead.form_wrong_site")
        await self._limit(f"intake:form:{form.id}:ip:{ip}", form.per_ip_per_hour, 3600,
                          text("lead.whence.address_to_form"))
        await self._limit(f"intake:form:{form.id}", form.per_form_per_minute, 60,
                          text("lead.whence.form"))
        if (fields.get(form.honeypot_field) or "").strip():
            # A bot: answer as if all went well so it learns nothing, keep nothing.
            log.info("honeypot filled on form %s from %s; dropped", form.id, ip)
            return Receipt(form.site_origin, kept=False)
        actor = Actor(principal=Principal(kind="intake_form", id=form.id,
                                          label=f"form:{form.name}",
                                          scopes=frozenset({Scope.LEADS_WRITE})),
                      ip=ip, request_id=request_id)
        await self.leads.capture_from_form(actor, form, lenient_fields(fields))
        return Receipt(form.site_origin, kept=True)


def lenient_fields(raw: Mapping[str, str]) -> CaptureLead:
    """A public form's strings as a lead: what does not parse is dropped, not refused (a
    person typed it; the lead matters more than the budget's format)."""
    text = {name: value[:limit] for name, limit in TEXT_FIELDS.items()
            if (value := (raw.get(name) or "").strip())}
    size = (raw.get("company_size") or "").strip().lower()
    attribution = {k: raw[k][:200] for k in ATTRIBUTION_FIELDS if raw.get(k)}
    utm_campaign = raw.get("utm_campaign")
    return CaptureLead(
        name=text.get("name"), company=text.get("company"), title=text.get("title"),
        phone=text.get("phone"), email=text.get("email"), message=text.get("message"),
        industry=text.get("industry"), region=text.get("region"),
        company_size=Size(size) if size in {s.value for s in Size} else None,
        budget=_budget(raw.get("budget") or ""), attribution=attribution,
        campaign=utm_campaign[:100] if utm_campaign else None)


def _budget(raw: str) -> Decimal | None:
    """A stated budget such as "500,000"; None when it is no plain amount."""
    budget = raw.replace(",", "").replace("，", "").strip()
    if not budget:
        return None
    try:
        amount = Decimal(budget)
    except InvalidOperation:
        return None
    if amount.is_finite() and 0 <= amount < Decimal("1e16"):
        return amount.quantize(Decimal("0.01"))
    return None
