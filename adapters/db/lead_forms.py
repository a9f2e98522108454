"""Website lead forms on PostgreSQL (each with its key, origin and rate limits)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Row

from adapters.db import tables
from adapters.db.base import SqlRepository, columns_of, loaded
from adapters.db.keyset import fetch_page
from domain.customers.model import Source
from domain.leads.forms import LeadForm
from domain.shared.paging import Page, PageRequest


def _form(row: Row) -> LeadForm:
    m = dict(row._mapping)
    m["source"] = Source(m["source"])
    return loaded(LeadForm(**m))


class SqlLeadForms(SqlRepository):
    async def get(self, form_id: uuid.UUID) -> LeadForm | None:
        return await self._one(tables.lead_forms, _form, tables.lead_forms.c.id == form_id)

    async def get_by_key(self, key: str) -> LeadForm | None:
        return await self._one(tables.lead_forms, _form, tables.lead_forms.c.key == key)

    def _values(self, form: LeadForm) -> dict[str, Any]:
        values = columns_of(form, tables.lead_forms)
        values.pop("created_at"), values.pop("updated_at")
        values["source"] = form.source.value
        return values

    async def add(self, form: LeadForm) -> None:
        await self.conn.execute(insert(tables.lead_forms).values(**self._values(form)))
        loaded(form)

    async def save(self, form: LeadForm) -> None:
        await self._save_versioned(tables.lead_forms, form, "lead form")

    async def list(self, page: PageRequest) -> Page[LeadForm]:
        forms = tables.lead_forms
        return await fetch_page(self.conn, select(forms), [forms.c.created_at, forms.c.id], page,
                                _form)
