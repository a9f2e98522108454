"""Leads on PostgreSQL. A lead's phone and e-mail are encrypted and blind-indexed like a
contact's (adapters/db/contacts.py), so a lead finds its customer. Its timeline, the website
forms, the sales settings and the routing state live beside this module (timelines.py,
lead_forms.py, sales_settings.py, lead_routing.py)."""

from __future__ import annotations

import builtins
import hashlib
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    and_,
    bindparam,
    func,
    insert,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.engine import Row

from adapters.db import tables
from adapters.db.base import SqlRepository, columns_of, loaded
from adapters.db.contacts import contact_bidx
from adapters.db.filters import one_of, visible
from adapters.db.held_writes import HeldWrites
from adapters.db.keyset import NEVER, NO_TEXT, fetch_page
from adapters.db.ngrams import contains_text
from domain.customers.model import Size, Source
from domain.leads.model import OPEN_STATUSES, CustomerMatch, Lead, LeadStatus
from domain.leads.queries import LeadFilter
from domain.leads.routing import AssignedBy, Assignment
from domain.leads.scoring import LeadGrade, RuleKind, ScoreLine
from domain.leads.validation import FlagCode, LeadFlag
from domain.search.keys import search_key
from domain.shared.authz import Visibility
from domain.shared.paging import Page, PageRequest
from domain.shared.ports import FieldCipher
from domain.shared.text import Text
from domain.shared.text import literal as literal_words

OPEN = [s.value for s in OPEN_STATUSES]
FALLBACKS = [b.value for b in AssignedBy if b.is_fallback]


def stored_text(stored: Any) -> Text:
    """Words kept in a lead's JSON: a text code, or English written before they had codes."""
    return Text.from_json(stored) if isinstance(stored, dict) else literal_words(str(stored or ""))


def open_leads_of(user_col: Any) -> Any:
    """How many open leads the user in `user_col` owns (served by ix_leads_open_owner)."""
    leads = tables.leads
    return (select(func.count()).select_from(leads)
            .where(leads.c.owner_id == user_col, one_of(leads.c.status, OPEN)).scalar_subquery())


def _open_by_contact() -> Any:
    """The person's first open lead, not one already flagged as a duplicate of it (a lead's
    created_at is its transaction's start, which can precede an earlier commit). An absent
    phone or e-mail is NULL, which equals nothing."""
    leads = tables.leads
    return select(leads).where(
        or_(leads.c.phone_bidx == bindparam("phone", type_=leads.c.phone_bidx.type),
            leads.c.email_bidx == bindparam("email", type_=leads.c.email_bidx.type)),
        one_of(leads.c.status, OPEN),
        leads.c.id.is_distinct_from(bindparam("exclude", type_=leads.c.id.type)),
    ).order_by(leads.c.duplicate_of_id.is_not(None), leads.c.created_at, leads.c.id).limit(1)


def _customer_by_contact() -> Any:
    """The oldest live customer with a contact of that phone or e-mail."""
    contacts, customers = tables.contacts, tables.customers
    return select(customers.c.id, customers.c.number, customers.c.name, customers.c.owner_id
                  ).select_from(contacts.join(customers,
                                              customers.c.id == contacts.c.customer_id)).where(
        or_(contacts.c.mobile_bidx == bindparam("phone", type_=contacts.c.mobile_bidx.type),
            contacts.c.landline_bidx == bindparam("phone", type_=contacts.c.landline_bidx.type),
            contacts.c.email_bidx == bindparam("email", type_=contacts.c.email_bidx.type)),
        customers.c.deleted_at.is_(None)).order_by(customers.c.created_at, customers.c.id
                                                   ).limit(1)


# Built once, values passed as parameters: no per-call construction of fifty bind parameters.
_INSERT_LEAD = insert(tables.leads).returning(tables.leads.c.created_at,
                                              tables.leads.c.updated_at)

# The capture's lookups, built once: a statement object reused keeps its cache key, so a call
# costs the parameters only, not the construction of the expression and its key.
_OPEN_BY_CONTACT = _open_by_contact()
_CUSTOMER_BY_CONTACT = _customer_by_contact()
# Both in one statement: each a LATERAL subquery of one row at most, joined to one row.
_OPEN_LEAD, _MATCH = _OPEN_BY_CONTACT.lateral("open_lead"), _CUSTOMER_BY_CONTACT.lateral("match")
_BY_CONTACT = select(
    *_OPEN_LEAD.c, *(c.label(f"match_{c.name}") for c in _MATCH.c)).select_from(
    select(literal(1).label("one")).subquery("one").outerjoin(_OPEN_LEAD, true())
    .outerjoin(_MATCH, true()))
# The class half of the two-key advisory locks on leads' contacts (no other lock uses it).
CONTACT_LOCK_CLASS = 0x1EAD
# The next lead number, the transaction's timestamp, and advisory locks on none, one or two
# keys, taken left to right, in one statement.
_NUMBER_HOLDING = {n: select(
    tables.lead_number_seq.next_value(), func.now(), *(func.pg_advisory_xact_lock(
        literal(CONTACT_LOCK_CLASS, Integer), bindparam(f"k{i}", type_=Integer))
        for i in range(n))) for n in (0, 1, 2)}


def _sort_key(name: str) -> Any:
    """A nullable field sorts as a sentinel (no follow-up planned: last; no name: first) so
    that the keyset compares; each has an index on the same expression."""
    leads = tables.leads
    if name == "next_followup_at":
        return func.coalesce(leads.c.next_followup_at, NEVER).label("sort_key")
    if name == "name":
        return func.coalesce(leads.c.name, NO_TEXT).label("sort_key")
    return leads.c[name]


class SqlLeads(SqlRepository):
    """A new lead is held to the commit (HeldWrites) when its transaction's timestamp is known
    (next_sequence reads it: created_at is that, as the column's default would make it); every
    read of leads, here and in the rep directory, flushes first."""

    def __init__(self, conn: Any, seen: list[Any], cipher: FieldCipher,
                 held: HeldWrites | None = None) -> None:
        super().__init__(conn, seen, held)
        self.cipher = cipher
        self._now: datetime | None = None  # the transaction's start, once read

    # ---- mapping ------------------------------------------------------------------------

    def _row(self, lead: Lead) -> dict[str, Any]:
        values = columns_of(lead, tables.leads)
        for drop in ("created_at", "updated_at"):
            values.pop(drop, None)
        for kind in ("phone", "email"):
            value = getattr(lead, kind)
            values[f"{kind}_enc"] = self.cipher.encrypt(value) if value else None
            values[f"{kind}_bidx"] = (contact_bidx(self.cipher, kind, value)
                                      if value and getattr(lead, f"{kind}_valid") else None)
        values.update(
            status=lead.status.value, source=lead.source.value, grade=lead.grade.value,
            company_size=lead.company_size.value if lead.company_size else None,
            score_breakdown=[{"rule": x.rule.value, "points": x.points,
                              "detail": x.detail.to_json()}
                             for x in lead.score_breakdown],
            flags=[{"code": f.code.value, "reason": f.reason.to_json(),
                    "ref_id": str(f.ref_id) if f.ref_id else None} for f in lead.flags],
            assignment=lead.assignment.to_doc() if lead.assignment else None,
            assigned_by=lead.assignment.by.value if lead.assignment else None,
            search_text=search_key(lead.number, lead.name, lead.company),
        )
        return values

    def _lead(self, row: Row) -> Lead:
        m = row._mapping

        def clear(kind: str) -> str | None:
            token = m[f"{kind}_enc"]
            return self.cipher.decrypt(token) if token else None

        lead = Lead(
            id=m["id"], number=m["number"], source=Source(m["source"]),
            status=LeadStatus(m["status"]), name=m["name"], company=m["company"],
            title=m["title"], phone=clear("phone"), phone_valid=m["phone_valid"],
            email=clear("email"), email_valid=m["email_valid"], industry=m["industry"],
            region=m["region"],
            company_size=Size(m["company_size"]) if m["company_size"] else None,
            budget=m["budget"], currency=m["currency"], message=m["message"],
            campaign=m["campaign"], attribution=dict(m["attribution"]),
            engagement=m["engagement"], score=m["score"], grade=LeadGrade(m["grade"]),
            score_breakdown=[ScoreLine(RuleKind(x["rule"]), x["points"], stored_text(x["detail"]))
                             for x in m["score_breakdown"]],
            flags=[LeadFlag(FlagCode(f["code"]), stored_text(f["reason"]),
                            uuid.UUID(f["ref_id"]) if f.get("ref_id") else None)
                   for f in m["flags"]],
            owner_id=m["owner_id"], owner_department_id=m["owner_department_id"],
            assignment=Assignment.from_doc(m["assignment"]) if m["assignment"] else None,
            assigned_at=m["assigned_at"], customer_id=m["customer_id"],
            opportunity_id=m["opportunity_id"], duplicate_of_id=m["duplicate_of_id"],
            disqualify_reason=m["disqualify_reason"], form_id=m["form_id"],
            converted_at=m["converted_at"], last_followup_at=m["last_followup_at"],
            next_followup_at=m["next_followup_at"], touched_at=m["touched_at"],
            created_by=m["created_by"], version=m["version"], created_at=m["created_at"],
            updated_at=m["updated_at"])
        loaded(lead)
        return lead

    # ---- the port -----------------------------------------------------------------------

    async def get(self, lead_id: uuid.UUID, visibility: Visibility,
                  lock: bool = False) -> Lead | None:
        await self.held.flush(self.conn)
        leads = tables.leads
        return await self._one(
            leads, self._lead, leads.c.id == lead_id,
            visible(visibility, leads.c.owner_id, leads.c.owner_department_id), lock=lock)

    async def exists(self, lead_id: uuid.UUID) -> bool:
        await self.held.flush(self.conn)
        return bool(await self.conn.scalar(
            select(literal(True)).where(tables.leads.c.id == lead_id)))

    async def next_sequence(self, hold: tuple[str | None, str | None] = (None, None)) -> int:
        """Transaction-scoped advisory locks on the contact's blind indexes, taken in one order
        after the number is drawn: two captures of the same new person run their duplicate
        checks one after the other, so the second one sees the first. (The check is a statement
        of its own, after this one: its snapshot then includes what the first committed.)"""
        phone, email = hold
        keys = sorted({contact_bidx(self.cipher, kind, value)
                       for kind, value in (("phone", phone), ("email", email)) if value})
        # One statement; a select list is evaluated left to right, so the order holds.
        number, self._now, *_ = (await self.conn.execute(_NUMBER_HOLDING[len(keys)], {
            f"k{i}": int.from_bytes(hashlib.blake2b(key.encode(), digest_size=4).digest(),
                                    "big", signed=True)
            for i, key in enumerate(keys)})).one()
        return int(number)

    async def add(self, lead: Lead) -> None:
        if self.held.defer and self._now is not None:
            lead.created_at = lead.updated_at = self._now
            await self.held.add(self.conn, tables.leads, [{
                **self._row(lead), "created_at": self._now, "updated_at": self._now}])
        else:
            row = (await self.conn.execute(_INSERT_LEAD, self._row(lead))).one()
            lead.created_at, lead.updated_at = row.created_at, row.updated_at
        loaded(lead)
        self.seen.append(lead)

    async def save(self, lead: Lead) -> None:
        await self.held.flush(self.conn)
        lead.updated_at = await self._update_versioned(tables.leads, lead, "lead",
                                                       self._row(lead))
        loaded(lead)
        self.seen.append(lead)

    def _contact_keys(self, phone: str | None, email: str | None) -> dict[str, str | None]:
        return {"phone": contact_bidx(self.cipher, "phone", phone) if phone else None,
                "email": contact_bidx(self.cipher, "email", email) if email else None}

    async def find_by_contact(self, phone: str | None, email: str | None,
                              exclude: uuid.UUID | None = None
                              ) -> tuple[Lead | None, CustomerMatch | None]:
        await self.held.flush(self.conn)
        if not (phone or email):
            return None, None
        row = (await self.conn.execute(
            _BY_CONTACT, {**self._contact_keys(phone, email), "exclude": exclude})).one()
        m = row._mapping
        customer = (CustomerMatch(m["match_id"], m["match_number"], m["match_name"],
                                  m["match_owner_id"]) if m["match_id"] is not None else None)
        return (self._lead(row) if m["id"] is not None else None), customer

    async def find_customer_by_contact(self, phone: str | None,
                                       email: str | None) -> CustomerMatch | None:
        if not (phone or email):
            return None
        row = (await self.conn.execute(_CUSTOMER_BY_CONTACT,
                                       self._contact_keys(phone, email))).first()
        return CustomerMatch(row.id, row.number, row.name, row.owner_id) if row else None

    async def list(self, flt: LeadFilter, visibility: Visibility,
                   page: PageRequest) -> Page[Lead]:
        await self.held.flush(self.conn)
        leads = tables.leads
        conds = [visible(visibility, leads.c.owner_id, leads.c.owner_department_id),
                 *self._filters(flt)]
        if flt.updated_since is not None:
            conds.append(leads.c.updated_at > flt.updated_since)
            keys: builtins.list[Any] = [leads.c.updated_at, leads.c.id]
            descending = False
        else:
            keys, descending = [_sort_key(flt.sort.field), leads.c.id], flt.sort.descending
        extra = [k for k in keys if k.name not in leads.c]
        stmt = select(leads, *extra).where(and_(*conds))
        if flt.q:
            # The matches first, by the n-gram index, then sorted: ordered and limited in one
            # step, PostgreSQL walked ix_leads_created from the newest lead and filtered out
            # every newer lead that did not match (17,000 rows at 18,000 leads).
            found = stmt.cte("found_by_q").prefix_with("MATERIALIZED")
            stmt, keys = select(found), [found.c[key.name] for key in keys]
        return await fetch_page(self.conn, stmt, keys, page, self._lead, descending=descending)

    def _filters(self, f: LeadFilter) -> builtins.list[ColumnElement[bool]]:
        leads = tables.leads
        conds: builtins.list[ColumnElement[bool]] = []
        for name in ("status", "grade", "source", "campaign", "owner_id", "customer_id",
                     "form_id"):
            value = getattr(f, name)
            if value is not None:
                conds.append(leads.c[name] == (value.value if hasattr(value, "value") else value))
        if f.open_only:
            conds.append(one_of(leads.c.status, OPEN))
        if f.department_id is not None:
            conds.append(leads.c.owner_department_id == f.department_id)
        if f.flag is not None:
            conds.append(leads.c.flags.contains([{"code": f.flag}]))
        if f.routed_by is not None:
            conds.append(leads.c.assigned_by == f.routed_by)
        if f.fallback_only:
            conds.append(one_of(leads.c.assigned_by, FALLBACKS))
        if f.q:
            conds.append(contains_text(leads.c.search_text, f.q.lower()))
        if f.phone:
            conds.append(leads.c.phone_bidx == contact_bidx(self.cipher, "phone", f.phone))
        if f.email:
            conds.append(leads.c.email_bidx == contact_bidx(self.cipher, "email", f.email))
        if f.created_from is not None:
            conds.append(leads.c.created_at >= f.created_from)
        if f.created_to is not None:
            conds.append(leads.c.created_at < f.created_to)
        return conds
