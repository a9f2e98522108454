"""Website forms that post leads without logging in: one public key per form."""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.customers.model import Source
from domain.shared.errors import ValidationFailed

_ORIGIN = re.compile(r"^https?://[a-z0-9.\-]+(:\d{1,5})?$")
_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]{0,49}$")
KEY_PREFIX = "lf_"


def new_form_key() -> str:
    """Public (it sits in the site's HTML) but unguessable, so forms cannot be enumerated."""
    return KEY_PREFIX + secrets.token_urlsafe(18)


def check_origin(raw: str) -> str:
    origin = raw.strip().lower().rstrip("/")
    if not _ORIGIN.match(origin):
        raise ValidationFailed.of("site_origin",
                                  "lead.site_origin_shape")
    return origin


@dataclass
class LeadForm:
    id: uuid.UUID
    name: str
    key: str
    site_origin: str
    source: Source = Source.WEBSITE
    campaign: str | None = None
    # A field hidden from people by the site's CSS: only bots fill it in.
    honeypot_field: str = "fax"
    per_ip_per_hour: int = 5
    per_form_per_minute: int = 60
    active: bool = True
    created_by: uuid.UUID | None = None
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def create(cls, *, name: str, site_origin: str, created_by: uuid.UUID | None,
               **fields: Any) -> LeadForm:
        form = cls(id=uuid.uuid4(), name="", key=new_form_key(), site_origin="",
                   created_by=created_by)
        form._apply({"name": name, "site_origin": site_origin, **fields})
        return form

    def update(self, changes: dict[str, Any]) -> None:
        self._apply(changes)
        self.version += 1

    def rotate_key(self) -> None:
        self.key = new_form_key()
        self.version += 1

    def _apply(self, f: dict[str, Any]) -> None:
        if "name" in f and f["name"] is not None:
            name = f["name"].strip()
            if not 1 <= len(name) <= 100:
                raise ValidationFailed.of("name", "lead.name_length", min=1, max=100)
            self.name = name
        if "site_origin" in f and f["site_origin"] is not None:
            self.site_origin = check_origin(f["site_origin"])
        if "source" in f and f["source"] is not None:
            self.source = Source(f["source"])
        if "campaign" in f:
            campaign = (f["campaign"] or "").strip() or None
            if campaign is not None and len(campaign) > 100:
                raise ValidationFailed.of("campaign", "too_long", max=100)
            self.campaign = campaign
        if "honeypot_field" in f and f["honeypot_field"] is not None:
            if not _FIELD.match(f["honeypot_field"]):
                raise ValidationFailed.of("honeypot_field", "lead.form_field_name")
            self.honeypot_field = f["honeypot_field"]
        for name, top in (("per_ip_per_hour", 1000), ("per_form_per_minute", 10_000)):
            if name in f and f[name] is not None:
                if not 1 <= int(f[name]) <= top:
                    raise ValidationFailed.of(name, "between", low=1, high=top)
                setattr(self, name, int(f[name]))
        if "active" in f and f["active"] is not None:
            self.active = bool(f["active"])

    def allows_origin(self, origin: str | None) -> bool:
        """A browser's Origin must be the form's site; a server-side post sends none."""
        return origin is None or origin.strip().lower().rstrip("/") == self.site_origin
