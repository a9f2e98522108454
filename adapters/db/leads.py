"""Leads, their timeline, website forms, settings, routing state and follow-up lapses on
PostgreSQL. A lead's phone and e-mail are encrypted and blind-indexed like a contact's."""

from __future__ import annotations

import builtins
import dataclasses
import functools
import hashlib
import json
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Text,
    and_,
    bindparam,
    case,
    exists,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Row

from adapters.db import tables as t
from adapters.db.customers import _escape_like, visible
from adapters.db.keyset import fetch_page
from adapters.db.repositories import HeldWrites, _Repo, columns_of, new_rows
from domain.customers.model import Size, Source
from domain.customers.queries import Visibility
from domain.discipline.model import FollowUpLapse, LapseLevel, StaleRecord
from domain.leads.forms import LeadForm
from domain.leads.model import OPEN_STATUSES, CustomerMatch, Lead, LeadActivity, LeadStatus
from domain.leads.queries import LeadFilter
from domain.leads.routing import (
    AssignedBy,
    Assignment,
    Availability,
    RepState,
    RepStatus,
    RoutingSettings,
)
from domain.leads.scoring import (
    DEFAULT_MODEL,
    LeadGrade,
    RuleKind,
    ScoreLine,
    ScoringModel,
    model_from_doc,
    model_to_doc,
)
from domain.leads.validation import FlagCode, LeadFlag
from domain.shared.errors import StaleVersion
from domain.shared.paging import Page, PageRequest
from domain.shared.ports import FieldCipher

L = t.leads


def _one_of(col: Any, constants: Sequence[str]) -> ColumnElement[bool]:
    """col IN ('a', 'b'): the code's own constants written into the SQL, not bound: the
    statement caches whole (an IN of parameters is re-rendered on every execution) and the
    planner can match the partial indexes on open leads."""
    return col.in_([literal_column(f"'{c}'") for c in constants])


# Built once, values passed as parameters: no per-call construction of fifty bind parameters.
_INSERT_LEAD = insert(L).returning(L.c.created_at, L.c.updated_at)
OPEN = [s.value for s in OPEN_STATUSES]

# The capture's lookups, built once: a statement object reused keeps its cache key, so a call
# costs the parameters only, not the construction of the expression and its key. An absent
# phone or e-mail is NULL, which equals nothing.
_OPEN_BY_CONTACT = select(L).where(
    or_(L.c.phone_bidx == bindparam("phone", type_=L.c.phone_bidx.type),
        L.c.email_bidx == bindparam("email", type_=L.c.email_bidx.type)),
    _one_of(L.c.status, OPEN),
    L.c.id.is_distinct_from(bindparam("exclude", type_=L.c.id.type)),
    # the person's first lead, not one already flagged as a duplicate of it (a lead's
    # created_at is its transaction's start, which can precede an earlier commit)
).order_by(L.c.duplicate_of_id.is_not(None), L.c.created_at, L.c.id).limit(1)
_K, _C = t.contacts, t.customers
_CUSTOMER_BY_CONTACT = select(_C.c.id, _C.c.number, _C.c.name, _C.c.owner_id).select_from(
    _K.join(_C, _C.c.id == _K.c.customer_id)).where(
    or_(_K.c.mobile_bidx == bindparam("phone", type_=_K.c.mobile_bidx.type),
        _K.c.landline_bidx == bindparam("phone", type_=_K.c.landline_bidx.type),
        _K.c.email_bidx == bindparam("email", type_=_K.c.email_bidx.type)),
    _C.c.deleted_at.is_(None)).order_by(_C.c.created_at, _C.c.id).limit(1)
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
    t.lead_number_seq.next_value(), func.now(), *(func.pg_advisory_xact_lock(
        literal(CONTACT_LOCK_CLASS, Integer), bindparam(f"k{i}", type_=Integer))
        for i in range(n))) for n in (0, 1, 2)}
FALLBACKS = [b.value for b in AssignedBy if b.is_fallback]


def contact_bidx(cipher: FieldCipher, kind: str, value: str) -> str:
    """The same blind index as customers' contacts, so a lead finds its customer."""
    if kind == "email":
        return cipher.blind_index("email", value.lower())
    return cipher.blind_index("phone", value)


class SqlLeads(_Repo):
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
        values = columns_of(lead, L)
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
            score_breakdown=[{"rule": x.rule.value, "points": x.points, "detail": x.detail}
                             for x in lead.score_breakdown],
            flags=[{"code": f.code.value, "reason": f.reason,
                    "ref_id": str(f.ref_id) if f.ref_id else None} for f in lead.flags],
            assignment=lead.assignment.to_doc() if lead.assignment else None,
            assigned_by=lead.assignment.by.value if lead.assignment else None,
            search_text=" ".join(x for x in (lead.number, lead.name, lead.company) if x).lower(),
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
            score_breakdown=[ScoreLine(RuleKind(x["rule"]), x["points"], x["detail"])
                             for x in m["score_breakdown"]],
            flags=[LeadFlag(FlagCode(f["code"]), f["reason"],
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
        lead.version_loaded = lead.version  # type: ignore[attr-defined]
        return lead

    # ---- the port -----------------------------------------------------------------------

    async def get(self, lead_id: uuid.UUID, visibility: Visibility,
                  lock: bool = False) -> Lead | None:
        await self.held.flush(self.conn)
        stmt = select(L).where(L.c.id == lead_id,
                               visible(visibility, L.c.owner_id, L.c.owner_department_id))
        if lock:
            stmt = stmt.with_for_update()
        row = (await self.conn.execute(stmt)).first()
        return self._lead(row) if row else None

    async def exists(self, lead_id: uuid.UUID) -> bool:
        await self.held.flush(self.conn)
        return bool(await self.conn.scalar(select(literal(True)).where(L.c.id == lead_id)))

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
            await self.held.add(self.conn, L, [{**self._row(lead), "created_at": self._now,
                                                "updated_at": self._now}])
        else:
            row = (await self.conn.execute(_INSERT_LEAD, self._row(lead))).one()
            lead.created_at, lead.updated_at = row.created_at, row.updated_at
        lead.version_loaded = lead.version  # type: ignore[attr-defined]
        self.seen.append(lead)

    async def save(self, lead: Lead) -> None:
        await self.held.flush(self.conn)
        loaded = lead.version_loaded  # type: ignore[attr-defined]
        values = self._row(lead)
        values["updated_at"] = func.now()
        updated_at = await self.conn.scalar(
            update(L).where(L.c.id == lead.id, L.c.version == loaded).values(**values)
            .returning(L.c.updated_at))
        if updated_at is None:
            current = await self.conn.scalar(select(L.c.version).where(L.c.id == lead.id))
            raise StaleVersion("lead", loaded, current or 0)
        lead.updated_at = updated_at
        lead.version_loaded = lead.version  # type: ignore[attr-defined]
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
        conds = [visible(visibility, L.c.owner_id, L.c.owner_department_id),
                 *self._filters(flt)]
        if flt.updated_since is not None:
            conds.append(L.c.updated_at > flt.updated_since)
            keys: builtins.list[Any] = [L.c.updated_at, L.c.id]
            descending = False
        else:
            keys, descending = [L.c[flt.sort.field], L.c.id], flt.sort.descending
        return await fetch_page(self.conn, select(L).where(and_(*conds)), keys, page,
                                self._lead, descending=descending)

    def _filters(self, f: LeadFilter) -> builtins.list[ColumnElement[bool]]:
        conds: builtins.list[ColumnElement[bool]] = []
        for name in ("status", "grade", "source", "campaign", "owner_id", "customer_id",
                     "form_id"):
            value = getattr(f, name)
            if value is not None:
                conds.append(L.c[name] == (value.value if hasattr(value, "value") else value))
        if f.open_only:
            conds.append(_one_of(L.c.status, OPEN))
        if f.department_id is not None:
            conds.append(L.c.owner_department_id == f.department_id)
        if f.flag is not None:
            conds.append(L.c.flags.contains([{"code": f.flag}]))
        if f.routed_by is not None:
            conds.append(L.c.assigned_by == f.routed_by)
        if f.fallback_only:
            conds.append(_one_of(L.c.assigned_by, FALLBACKS))
        if f.q:
            conds.append(L.c.search_text.ilike(f"%{_escape_like(f.q.lower())}%"))
        if f.phone:
            conds.append(L.c.phone_bidx == contact_bidx(self.cipher, "phone", f.phone))
        if f.email:
            conds.append(L.c.email_bidx == contact_bidx(self.cipher, "email", f.email))
        if f.created_from is not None:
            conds.append(L.c.created_at >= f.created_from)
        if f.created_to is not None:
            conds.append(L.c.created_at < f.created_to)
        return conds


LA = t.lead_activity


class SqlLeadActivity(_Repo):
    async def add(self, entry: LeadActivity) -> None:
        await self.add_all([entry])

    async def add_all(self, entries: Sequence[LeadActivity]) -> None:
        if entries:
            await self.held.add(self.conn, LA, new_rows(entries, LA))

    async def list(self, lead_id: uuid.UUID, page: PageRequest) -> Page[LeadActivity]:
        await self.held.flush(self.conn)
        return await fetch_page(
            self.conn, select(LA).where(LA.c.lead_id == lead_id), [LA.c.id], page,
            lambda r: LeadActivity(**dict(r._mapping)), descending=True)


F = t.lead_forms


def _form(row: Row) -> LeadForm:
    m = dict(row._mapping)
    m["source"] = Source(m["source"])
    form = LeadForm(**m)
    form.version_loaded = form.version  # type: ignore[attr-defined]
    return form


class SqlLeadForms(_Repo):
    async def get(self, form_id: uuid.UUID) -> LeadForm | None:
        row = (await self.conn.execute(select(F).where(F.c.id == form_id))).first()
        return _form(row) if row else None

    async def get_by_key(self, key: str) -> LeadForm | None:
        row = (await self.conn.execute(select(F).where(F.c.key == key))).first()
        return _form(row) if row else None

    def _values(self, form: LeadForm) -> dict[str, Any]:
        values = columns_of(form, F)
        values.pop("created_at"), values.pop("updated_at")
        values["source"] = form.source.value
        return values

    async def add(self, form: LeadForm) -> None:
        await self.conn.execute(insert(F).values(**self._values(form)))
        form.version_loaded = form.version  # type: ignore[attr-defined]

    async def save(self, form: LeadForm) -> None:
        await self._save_versioned(F, form, "lead form")

    async def list(self, page: PageRequest) -> Page[LeadForm]:
        return await fetch_page(self.conn, select(F), [F.c.created_at, F.c.id], page, _form)


S = t.sales_settings
SCORING, ROUTING = "lead_scoring", "lead_routing"
# The documents as text: what was parsed once is looked up by it (every capture reads both).
_BOTH_SETTINGS = select(S.c.key, S.c.doc.cast(Text).label("doc"), S.c.version).where(
    _one_of(S.c.key, [SCORING, ROUTING]))


@functools.lru_cache(maxsize=32)
def _scoring_of(doc: str, version: int) -> ScoringModel:
    return model_from_doc(json.loads(doc), version)  # frozen: shared by every capture


@functools.lru_cache(maxsize=32)
def _routing_of(doc: str | None, version: int) -> RoutingSettings:
    return RoutingSettings.from_doc(json.loads(doc) if doc else None, version)


class SqlSalesSettings(_Repo):
    async def _get(self, key: str) -> tuple[dict[str, Any] | None, int]:
        row = (await self.conn.execute(select(S.c.doc, S.c.version).where(S.c.key == key))
               ).first()
        return (dict(row.doc), row.version) if row else (None, 0)

    async def _put(self, key: str, doc: dict[str, Any], loaded: int) -> int:
        if loaded == 0:
            result = await self.conn.execute(
                pg_insert(S).values(key=key, doc=doc, version=1).on_conflict_do_nothing())
        else:
            result = await self.conn.execute(
                update(S).where(S.c.key == key, S.c.version == loaded)
                .values(doc=doc, version=S.c.version + 1, updated_at=func.now()))
        if result.rowcount != 1:
            _, current = await self._get(key)
            raise StaleVersion(key.replace("_", " "), loaded, current)
        return loaded + 1

    async def scoring(self) -> ScoringModel:
        doc, version = await self._get(SCORING)
        if doc is None:
            return dataclasses.replace(DEFAULT_MODEL, version=0)
        return model_from_doc(doc, version)

    async def save_scoring(self, model: ScoringModel) -> ScoringModel:
        version = await self._put(SCORING, model_to_doc(model), model.version)
        return dataclasses.replace(model, version=version)

    async def routing(self) -> RoutingSettings:
        doc, version = await self._get(ROUTING)
        return RoutingSettings.from_doc(doc, version)

    async def both(self) -> tuple[ScoringModel, RoutingSettings]:
        rows = {r.key: r for r in await self.conn.execute(_BOTH_SETTINGS)}
        scoring = rows.get(SCORING)
        routing = rows.get(ROUTING)
        return (_scoring_of(scoring.doc, scoring.version) if scoring
                else dataclasses.replace(DEFAULT_MODEL, version=0),
                _routing_of(routing.doc if routing else None, routing.version if routing else 0))

    async def save_routing(self, settings: RoutingSettings) -> RoutingSettings:
        version = await self._put(ROUTING, settings.to_doc(), settings.version)
        return dataclasses.replace(settings, version=version)


R = t.lead_rotation

_UPSERT_TURN = pg_insert(R).values(department_id=bindparam("dept"))
# An upsert that touches the row takes its lock in the same round trip; the lock is held
# until the capture commits, so the next capture waits and sees this turn.
_TAKE_TURN = _UPSERT_TURN.on_conflict_do_update(
    index_elements=[R.c.department_id],
    set_={"department_id": _UPSERT_TURN.excluded.department_id}).returning(R.c.last_user_id)


class SqlRotation(_Repo):
    async def lock(self, department_id: uuid.UUID) -> uuid.UUID | None:
        await self.held.flush(self.conn)
        return await self.conn.scalar(_TAKE_TURN, {"dept": department_id})

    async def advance(self, department_id: uuid.UUID, user_id: uuid.UUID) -> None:
        # Written with the commit (HeldWrites): the row stays locked until then anyway.
        await self.held.later(self.conn, update(R).where(R.c.department_id == department_id)
                              .values(last_user_id=user_id, turns=R.c.turns + 1,
                                      updated_at=func.now()))


U, A = t.users, t.rep_availability


def _open_leads_of(user_col: Any) -> Any:
    return (select(func.count()).select_from(L)
            .where(L.c.owner_id == user_col, _one_of(L.c.status, OPEN)).scalar_subquery())


def _availability(m: Any, user_id: uuid.UUID) -> Availability:
    if m["a_version"] is None:
        return Availability(user_id=user_id, version=0)
    return Availability(user_id=user_id, away=m["away"], away_until=m["away_until"],
                        capacity=m["capacity"], in_rotation=m["in_rotation"],
                        version=m["a_version"])


_AVAILABILITY_COLUMNS = (A.c.away, A.c.away_until, A.c.capacity, A.c.in_rotation,
                         A.c.version.label("a_version"))


_MEMBER_COLUMNS = (U.c.id, U.c.role, U.c.is_active, *_AVAILABILITY_COLUMNS)
_WITH_AVAILABILITY = U.outerjoin(A, A.c.user_id == U.c.id)
_IN_DEPARTMENT = U.c.department_id == bindparam("department_id")
# Round-robin looks at a rep's open leads only to keep them under a capacity: reps without one
# are not counted (a count reads every open lead of the rep, a cost that grows with them).
_CAPPED_LOAD = case((A.c.capacity.is_not(None), _open_leads_of(U.c.id)), else_=0)

_MEMBERS = {
    loads: select(*_MEMBER_COLUMNS, (_open_leads_of(U.c.id) if loads else _CAPPED_LOAD)
                  .label("open_leads")).select_from(_WITH_AVAILABILITY).where(_IN_DEPARTMENT)
    for loads in (True, False)}

# Each department's sequence of round-robin turns (created with the department, migration 0017):
# the name is a parameter, so one statement serves every department; NULL if there is none.
# The draw is a CTE (evaluated once: nextval is volatile), joined to the department's members,
# so a turn and who could take it come in one round trip.
_DRAW = select(func.nextval(func.to_regclass(bindparam("name", type_=Text))).label("ticket")
               ).cte("draw")
_NEXT_TURN = select(_DRAW.c.ticket, *_MEMBER_COLUMNS, _CAPPED_LOAD.label("open_leads")
                    ).select_from(_DRAW.outerjoin(_WITH_AVAILABILITY, _IN_DEPARTMENT))


def _rep_state(r: Row, now: datetime) -> RepState:
    a = _availability(r._mapping, r.id)
    return RepState(user_id=r.id, active=r.is_active, is_rep=r.role == "sales_rep",
                    away=a.is_away(now), capacity=a.capacity, in_rotation=a.in_rotation,
                    open_leads=r.open_leads)


_HOLD = select(A.c.user_id).where(A.c.user_id == bindparam("user_id")).with_for_update()
_OPEN_LEADS = select(_open_leads_of(bindparam("user_id", type_=L.c.owner_id.type)))


class SqlReps(_Repo):
    async def hold(self, user_id: uuid.UUID) -> int:
        await self.held.flush(self.conn)
        await self.conn.execute(_HOLD, {"user_id": user_id})
        # A statement of its own: its snapshot is taken after the lock was granted, so it
        # counts the lead of the capture that held the lock before.
        return int(await self.conn.scalar(_OPEN_LEADS, {"user_id": user_id}) or 0)

    async def members(self, department_id: uuid.UUID, now: datetime,
                      loads: bool = True) -> list[RepState]:
        await self.held.flush(self.conn)
        rows = await self.conn.execute(_MEMBERS[loads], {"department_id": department_id})
        return [_rep_state(r, now) for r in rows]

    async def next_turn(self, department_id: uuid.UUID, now: datetime
                        ) -> tuple[int | None, list[RepState]]:
        await self.held.flush(self.conn)
        rows = (await self.conn.execute(_NEXT_TURN, {
            "name": f"lead_turn_{department_id.hex}", "department_id": department_id})).all()
        return rows[0].ticket, [_rep_state(r, now) for r in rows if r.id is not None]

    async def manager_of(self, department_id: uuid.UUID) -> uuid.UUID | None:
        return await self.conn.scalar(
            select(U.c.id).where(U.c.department_id == department_id, U.c.role == "manager",
                                 U.c.is_active).order_by(U.c.created_at, U.c.id).limit(1))

    async def any_admin(self) -> uuid.UUID | None:
        return await self.conn.scalar(
            select(U.c.id).where(U.c.role == "admin", U.c.is_active)
            .order_by(U.c.created_at, U.c.id).limit(1))

    async def availability(self, user_id: uuid.UUID) -> Availability:
        row = (await self.conn.execute(
            select(*_AVAILABILITY_COLUMNS).where(A.c.user_id == user_id))).first()
        return _availability(row._mapping, user_id) if row else Availability(user_id, version=0)

    async def save_availability(self, availability: Availability) -> None:
        values = {"away": availability.away, "away_until": availability.away_until,
                  "capacity": availability.capacity, "in_rotation": availability.in_rotation,
                  "version": availability.version}
        stmt = pg_insert(A).values(user_id=availability.user_id, **values)
        await self.conn.execute(stmt.on_conflict_do_update(
            index_elements=[A.c.user_id], set_={**values, "updated_at": func.now()}))

    async def statuses(self, department_ids: Any, user_ids: Any,
                       page: PageRequest) -> Page[RepStatus]:
        await self.held.flush(self.conn)
        stmt = (select(U.c.id, U.c.name, U.c.email, U.c.role, U.c.department_id, U.c.is_active,
                       *_AVAILABILITY_COLUMNS, _open_leads_of(U.c.id).label("open_leads"))
                .select_from(U.outerjoin(A, A.c.user_id == U.c.id)))
        if user_ids is not None:
            stmt = stmt.where(U.c.id.in_(list(user_ids)))
        else:
            stmt = stmt.where(_one_of(U.c.role, ["sales_rep", "manager"]))
        if department_ids is not None:
            stmt = stmt.where(U.c.department_id.in_(list(department_ids)))

        def status(r: Row) -> RepStatus:
            return RepStatus(user_id=r.id, name=r.name, email=r.email, role=r.role,
                             department_id=r.department_id, is_active=r.is_active,
                             availability=_availability(r._mapping, r.id),
                             open_leads=r.open_leads)

        return await fetch_page(self.conn, stmt, [U.c.email], page, status)


FL, OP, P, C = t.followup_lapses, t.opportunities, t.pipelines, t.customers


def _not_raised(record_type: str, id_col: Any, since: Any, level: LapseLevel) -> Any:
    return ~exists(select(literal(1)).where(
        FL.c.record_type == record_type, FL.c.record_id == id_col, FL.c.since == since,
        FL.c.level == level.value))


class SqlLapses(_Repo):
    async def stale_leads(self, now: datetime, days: int, level: LapseLevel,
                          limit: int) -> list[StaleRecord]:
        await self.held.flush(self.conn)
        cutoff = now - timedelta(days=days * level.factor)
        rows = await self.conn.execute(
            select(L.c.id, L.c.number, L.c.name, L.c.company, L.c.owner_id,
                   L.c.owner_department_id, L.c.touched_at)
            .where(_one_of(L.c.status, OPEN), L.c.touched_at < cutoff,
                   _not_raised("lead", L.c.id, L.c.touched_at, level))
            .order_by(L.c.touched_at).limit(limit))
        return [StaleRecord("lead", r.id, " ".join(x for x in (r.number, r.company, r.name)
                                                   if x),
                            r.owner_id, r.owner_department_id, r.touched_at, days)
                for r in rows]

    async def stale_opportunities(self, now: datetime, level: LapseLevel,
                                  limit: int) -> list[StaleRecord]:
        # A follow-up with the customer counts for its open deals too.
        touched = func.greatest(OP.c.last_activity_at,
                                func.coalesce(C.c.last_followup_at, OP.c.last_activity_at))
        limit_days = P.c.stale_days * level.factor
        rows = await self.conn.execute(
            select(OP.c.id, OP.c.number, OP.c.name, OP.c.owner_id, OP.c.owner_department_id,
                   touched.label("since"), P.c.stale_days)
            .select_from(OP.join(P, P.c.id == OP.c.pipeline_id)
                         .join(C, C.c.id == OP.c.customer_id))
            .where(OP.c.status == "open",
                   touched < literal(now) - func.make_interval(0, 0, 0, limit_days),
                   _not_raised("opportunity", OP.c.id, touched, level))
            .order_by(touched).limit(limit))
        return [StaleRecord("opportunity", r.id, f"{r.number} {r.name}", r.owner_id,
                            r.owner_department_id, r.since, r.stale_days) for r in rows]

    async def record(self, lapse: FollowUpLapse) -> bool:
        result = await self.conn.execute(pg_insert(FL).values(
            record_type=lapse.record_type, record_id=lapse.record_id, since=lapse.since,
            level=lapse.level.value, recipient_id=lapse.recipient_id).on_conflict_do_nothing())
        if result.rowcount != 1:
            return False
        self.seen.append(lapse)  # its event goes to the outbox on commit
        return True
