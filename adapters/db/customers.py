"""Customers, contacts, follow-ups, tasks and the timeline on PostgreSQL.

Personal data is encrypted here, on the way in, and decrypted on the way out: the rows hold
ciphertext with a key id and a keyed blind index, never the cleartext.
"""

from __future__ import annotations

import builtins
import functools
import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Text,
    and_,
    any_,
    case,
    delete,
    false,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import UUID, aggregate_order_by
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Row

from adapters.db import tables as t
from adapters.db.keyset import fetch_page
from adapters.db.repositories import HeldWrites, _Repo, columns_of, new_rows
from domain.customers.activity import (
    ActivityEntry,
    FollowUp,
    FollowUpMethod,
    FollowUpStatus,
    GeoCheckIn,
    Task,
    TaskOrigin,
    TaskStatus,
)
from domain.customers.model import (
    Contact,
    Customer,
    CustomerKind,
    Grade,
    Size,
    Source,
    Tier,
    normalised_name,
)
from domain.customers.personal import mask_email, mask_id_card, mask_phone
from domain.customers.ports import FollowUpFilter, TaskFilter
from domain.customers.queries import CustomerFilter, Visibility
from domain.shared.errors import StaleVersion
from domain.shared.paging import Page, PageRequest
from domain.shared.ports import FieldCipher

C = t.customers
K = t.contacts
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MASKS = {"mobile": mask_phone, "landline": mask_phone, "email": mask_email}
FACET_SEP = "\x1f"  # chr(31), as customer_facets() joins industry, region and tag
# A customer's contacts as one JSON array in the customer's own row, in their order: the
# customer and its contacts in one statement, one round trip (and one snapshot).
_CONTACT_FIELDS = ("id", "name", "title", "mobile_enc", "landline_enc", "email_enc",
                   "is_primary")
CONTACTS_JSON = (
    select(func.coalesce(
        func.json_agg(aggregate_order_by(
            func.json_build_array(*(K.c[f] for f in _CONTACT_FIELDS)), K.c.position)),
        literal_column("'[]'::json")))
    .where(K.c.customer_id == C.c.id)
    .scalar_subquery().label("contacts_json"))


def _ts(column: str) -> str:
    return f"crm_json_ts(customers.{column})"  # the API's timestamp format (migration 0014)


# A customer as the API's JSON document (CustomerOut, masked), in its field order, as SQL; a
# test holds it equal to what GET answers for the same customer, and crm_customer_doc
# (migration 0016, which keeps it in customer_docs) equal to it: a change here needs a
# migration that redefines crm_customer_doc and rewrites customer_docs. Contacts from their
# masked columns, in their order. Plain SQL text: the statement's cache key then costs one
# string, not a walk over some 120 expression objects on every request.
CONTACT_DOCS = (
    "(SELECT coalesce(json_agg(json_build_object('id', k.id, 'name', k.name, 'title', k.title, "
    "'mobile', k.mobile_masked, 'landline', k.landline_masked, 'email', k.email_masked, "
    "'is_primary', k.is_primary) ORDER BY k.position), '[]'::json) "
    "FROM contacts AS k WHERE k.customer_id = customers.id)")

DOC_FIELDS: builtins.list[tuple[str, str]] = [
    *((name, f"customers.{name}") for name in (
        "id", "number", "name", "kind", "industry", "region", "size", "source", "grade",
        "tier")),
    ("annual_purchase", "customers.annual_purchase::text"), ("currency", "customers.currency"),
    ("owner_id", "customers.owner_id"), ("owner_department_id", "customers.owner_department_id"),
    ("first_contact_date", "customers.first_contact_date"),
    ("last_followup_at", _ts("last_followup_at")), ("next_followup_at", _ts("next_followup_at")),
    ("next_followup_plan", "customers.next_followup_plan"), ("key_needs", "customers.key_needs"),
    ("tags", "customers.tags"), ("custom", "customers.custom"),
    ("id_card_number", "customers.id_card_masked"), ("contacts", CONTACT_DOCS),
    ("version", "customers.version"), ("created_at", _ts("created_at")),
    ("updated_at", _ts("updated_at")), ("deleted", "false"),
]
STORED_DOC = "(SELECT d.doc FROM customer_docs AS d WHERE d.customer_id = customers.id)"

# A deleted customer in a delta sync or the recycle bin (Tombstone).
TOMBSTONE_FIELDS: builtins.list[tuple[str, str]] = [
    ("id", "customers.id"), ("deleted", "true"), ("version", "customers.version"),
    ("updated_at", _ts("updated_at")), ("merged_into", "customers.merged_into_id"),
]


@functools.lru_cache(maxsize=64)
def customer_document(fields: frozenset[str] | None = None) -> Any:
    """The JSON text of a customer (or of its tombstone), trimmed to `fields` when given (only
    the names of the lists above ever reach the SQL)."""
    def build(spec: builtins.list[tuple[str, str]]) -> str:
        return "json_build_object(" + ", ".join(
            f"'{name}', {sql}" for name, sql in spec if fields is None or name in fields) + ")"

    # The whole document is kept by triggers (customer_docs, migration 0016) and read by key
    # for the page's rows only; a trimmed one is built here from the same fields.
    live = STORED_DOC if fields is None else f"{build(DOC_FIELDS)}::text"
    return literal_column(f"(CASE WHEN customers.deleted_at IS NOT NULL THEN "
                          f"{build(TOMBSTONE_FIELDS)}::text ELSE {live} END)", Text)


def visible(vis: Visibility, owner_col: Any = C.c.owner_id,
            dept_col: Any = C.c.owner_department_id, *, indexable: bool = True
            ) -> ColumnElement[bool]:
    """The one query helper for record visibility. `indexable=False` states the same clause
    in a form no btree serves (IS NOT DISTINCT FROM): for a statement whose rows another
    index already narrows to the caller's (the facet keys), where the planner would otherwise
    AND in the owner index's tens of thousands of rows for nothing."""
    if vis.everything:
        return true()
    clauses = []
    if vis.owner_id is not None:
        clauses.append(owner_col == vis.owner_id if indexable
                       else owner_col.is_not_distinct_from(vis.owner_id))
    if vis.department_ids:
        depts = list(vis.department_ids)
        clauses.append(dept_col.in_(depts) if indexable
                       else or_(*(dept_col.is_not_distinct_from(d) for d in depts)))
    return or_(*clauses) if clauses else false()


def _facet_prefixes(vis: Visibility | None) -> builtins.list[str]:
    """The "who" parts of the facet keys the caller's rows carry (see customer_facets)."""
    if vis is None or vis.everything:
        return ["*"]
    out = [f"o{vis.owner_id}"] if vis.owner_id is not None else []
    return out + [f"d{d}" for d in vis.department_ids or ()]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")


class SqlCustomers(_Repo):
    def __init__(self, conn: Any, seen: list[Any], cipher: FieldCipher,
                 held: HeldWrites | None = None) -> None:
        super().__init__(conn, seen, held)
        self.cipher = cipher

    # ---- mapping ------------------------------------------------------------------------

    def _row(self, c: Customer) -> dict[str, Any]:
        values = columns_of(c, C)
        for drop in ("created_at", "updated_at"):
            values.pop(drop, None)
        values.update(
            kind=c.kind.value, grade=c.grade.value, tier=c.tier.value,
            size=c.size.value if c.size else None, source=c.source.value if c.source else None,
            name_normalised=normalised_name(c.name),
            id_card_enc=self.cipher.encrypt(c.id_card_number) if c.id_card_number else None,
            id_card_bidx=(self.cipher.blind_index("id_card", c.id_card_number)
                          if c.id_card_number else None),
            id_card_masked=mask_id_card(c.id_card_number) if c.id_card_number else None,
            search_text=" ".join([c.name, c.number, *(x.name for x in c.contacts)]).lower(),
        )
        return values

    def _contact_rows(self, c: Customer) -> list[dict[str, Any]]:
        rows = []
        for position, x in enumerate(c.contacts):
            row: dict[str, Any] = {"id": x.id, "customer_id": c.id, "position": position,
                                   "name": x.name, "title": x.title, "is_primary": x.is_primary}
            for kind, value in (("mobile", x.mobile), ("landline", x.landline),
                                ("email", x.email)):
                row[f"{kind}_enc"] = self.cipher.encrypt(value) if value else None
                row[f"{kind}_bidx"] = self._bidx(kind, value) if value else None
                row[f"{kind}_masked"] = MASKS[kind](value) if value else None
            rows.append(row)
        return rows

    def _bidx(self, kind: str, value: str) -> str:
        # Phones share one index (a mobile may be searched as a landline and back); e-mail
        # lookups ignore case, as mail servers in practice do.
        if kind == "email":
            return self.cipher.blind_index("email", value.lower())
        return self.cipher.blind_index("phone", value)

    def _customer(self, row: Row, contacts: list[Contact]) -> Customer:
        m = row._mapping
        c = Customer(
            id=m["id"], number=m["number"], name=m["name"], kind=CustomerKind(m["kind"]),
            owner_id=m["owner_id"], owner_department_id=m["owner_department_id"],
            grade=Grade(m["grade"]), tier=Tier(m["tier"]), industry=m["industry"],
            region=m["region"], size=Size(m["size"]) if m["size"] else None,
            source=Source(m["source"]) if m["source"] else None,
            annual_purchase=m["annual_purchase"], currency=m["currency"],
            first_contact_date=m["first_contact_date"], last_followup_at=m["last_followup_at"],
            next_followup_at=m["next_followup_at"], next_followup_plan=m["next_followup_plan"],
            key_needs=m["key_needs"], tags=list(m["tags"]), custom=dict(m["custom"]),
            id_card_number=self.cipher.decrypt(m["id_card_enc"]) if m["id_card_enc"] else None,
            contacts=contacts, created_by=m["created_by"], version=m["version"],
            created_at=m["created_at"], updated_at=m["updated_at"], deleted_at=m["deleted_at"],
            merged_into_id=m["merged_into_id"],
        )
        c.version_loaded = c.version  # type: ignore[attr-defined]
        return c

    def _contacts_in(self, row: Row) -> list[Contact]:
        """The contacts_json column of a row selected with CONTACTS_JSON."""
        raw = row.contacts_json
        items = json.loads(raw) if isinstance(raw, str) else raw
        decrypt = self.cipher.decrypt
        return [Contact(id=uuid.UUID(cid), name=name, title=title,
                        mobile=decrypt(mobile) if mobile else None,
                        landline=decrypt(landline) if landline else None,
                        email=decrypt(email) if email else None, is_primary=primary)
                for cid, name, title, mobile, landline, email, primary in items]

    def _contact(self, m: Any) -> Contact:
        def clear(kind: str) -> str | None:
            token = m[f"{kind}_enc"]
            return self.cipher.decrypt(token) if token else None

        return Contact(id=m["id"], name=m["name"], title=m["title"], mobile=clear("mobile"),
                       landline=clear("landline"), email=clear("email"),
                       is_primary=m["is_primary"])

    async def _contacts_of(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Contact]]:
        out: dict[uuid.UUID, list[Contact]] = {i: [] for i in ids}
        if not ids:
            return out
        rows = await self.conn.execute(
            select(t.contacts).where(t.contacts.c.customer_id.in_(list(ids)))
            .order_by(t.contacts.c.customer_id, t.contacts.c.position))
        for r in rows:
            out[r.customer_id].append(self._contact(r._mapping))
        return out

    # ---- the port ---------------------------------------------------------------------------

    async def get(self, customer_id: uuid.UUID, visibility: Visibility,
                  include_deleted: bool = False, lock: bool = False) -> Customer | None:
        stmt = select(C, CONTACTS_JSON).where(C.c.id == customer_id, visible(visibility))
        if not include_deleted:
            stmt = stmt.where(C.c.deleted_at.is_(None))
        if lock:  # writers of one customer queue up instead of failing on the version check
            stmt = stmt.with_for_update(of=C)
        row = (await self.conn.execute(stmt)).first()
        if row is None:
            return None
        return self._customer(row, self._contacts_in(row))

    async def exists(self, customer_id: uuid.UUID) -> bool:
        return bool(await self.conn.scalar(select(literal(True)).where(
            C.c.id == customer_id, C.c.deleted_at.is_(None))))

    async def next_sequence(self) -> int:
        return int(await self.conn.scalar(t.customer_number_seq.next_value()) or 0)

    async def next_sequences(self, n: int) -> Sequence[int]:
        if n <= 0:
            return []
        rows = await self.conn.execute(select(t.customer_number_seq.next_value()).select_from(
            func.generate_series(1, n)))
        return [int(v) for (v,) in rows]

    async def add_many(self, customers: Sequence[Customer]) -> None:
        if not customers:
            return
        # The list documents' triggers fire per row of an executemany (~0.5 ms a customer):
        # held off for these inserts, the chunk's documents are written in one statement.
        await self.conn.execute(text("SET LOCAL crm.docs_later = 'on'"))
        await self.conn.execute(insert(C), [self._row(c) for c in customers])
        contact_rows = [r for c in customers for r in self._contact_rows(c)]
        if contact_rows:
            await self.conn.execute(insert(t.contacts), contact_rows)
        await self.conn.execute(text("SET LOCAL crm.docs_later = 'off'"))
        await self.conn.execute(select(func.crm_write_customer_docs(
            literal([c.id for c in customers], ARRAY(UUID(as_uuid=True))))))
        for c in customers:
            c.version_loaded = c.version  # type: ignore[attr-defined]
            c.events.clear()

    def match_keys(self, customer: Customer) -> builtins.list[str]:
        keys = [f"phone:{self._bidx('phone', n)}" for x in customer.contacts
                for n in (x.mobile, x.landline) if n]
        return [*dict.fromkeys(keys), f"name:{normalised_name(customer.name)}"]

    async def find_by_keys(self, keys: Sequence[str]
                           ) -> dict[str, builtins.list[tuple[uuid.UUID, uuid.UUID,
                                                              uuid.UUID | None]]]:
        phones = [k[6:] for k in keys if k.startswith("phone:")]
        names = [k[5:] for k in keys if k.startswith("name:")]
        out: dict[str, builtins.list[tuple[uuid.UUID, uuid.UUID, uuid.UUID | None]]] = {}
        live = C.c.deleted_at.is_(None)
        if phones:
            k = t.contacts
            rows = await self.conn.execute(
                select(k.c.mobile_bidx, k.c.landline_bidx, C.c.id, C.c.owner_id,
                       C.c.owner_department_id)
                .join(C, C.c.id == k.c.customer_id)
                .where(live, or_(k.c.mobile_bidx.in_(phones), k.c.landline_bidx.in_(phones))))
            wanted = set(phones)
            for mob, land, cid, owner, dept in rows:
                for b in {mob, land} & wanted:
                    out.setdefault(f"phone:{b}", []).append((cid, owner, dept))
        if names:
            by_name = await self.conn.execute(
                select(C.c.name_normalised, C.c.id, C.c.owner_id, C.c.owner_department_id)
                .where(live, C.c.name_normalised.in_(names)))
            for name, cid, owner, dept in by_name:
                out.setdefault(f"name:{name}", []).append((cid, owner, dept))
        return out

    async def add(self, customer: Customer) -> None:
        await self.conn.execute(insert(C).values(**self._row(customer)))
        await self._write_contacts(customer)
        customer.version_loaded = customer.version  # type: ignore[attr-defined]
        self.seen.append(customer)

    async def save(self, customer: Customer) -> None:
        loaded = customer.version_loaded  # type: ignore[attr-defined]
        values = self._row(customer)
        values["updated_at"] = func.now()
        result = await self.conn.execute(
            update(C).where(C.c.id == customer.id, C.c.version == loaded).values(**values))
        if result.rowcount != 1:
            current = await self.conn.scalar(select(C.c.version).where(C.c.id == customer.id))
            raise StaleVersion("customer", loaded, current or 0)
        await self.conn.execute(delete(t.contacts).where(t.contacts.c.customer_id == customer.id))
        await self._write_contacts(customer)
        customer.version_loaded = customer.version  # type: ignore[attr-defined]
        self.seen.append(customer)

    async def _write_contacts(self, customer: Customer) -> None:
        rows = self._contact_rows(customer)
        if rows:
            await self.conn.execute(insert(t.contacts), rows)

    async def list(self, flt: CustomerFilter, visibility: Visibility,
                   page: PageRequest) -> Page[Customer]:
        conds, keys, descending = self._listing(flt, visibility)
        extra = [k for k in keys if k.name not in C.c]
        stmt = select(C, CONTACTS_JSON, *extra).where(and_(*conds))
        return await fetch_page(self.conn, stmt, keys, page,
                                lambda r: self._customer(r, self._contacts_in(r)),
                                descending=descending)

    async def list_documents(self, flt: CustomerFilter, visibility: Visibility,
                             page: PageRequest, fields: frozenset[str] | None) -> Page[str]:
        """PostgreSQL writes each item's JSON from the masked columns: no ciphertext leaves
        the database, nothing is decrypted, no object is built per row (see DOC_FIELDS)."""
        conds, keys, descending = self._listing(flt, visibility)
        stmt = (select(customer_document(fields).label("doc"), *keys).select_from(C)
                .where(and_(*conds)))
        return await fetch_page(self.conn, stmt, keys, page, lambda r: str(r.doc),
                                descending=descending)

    def _listing(self, flt: CustomerFilter, visibility: Visibility
                 ) -> tuple[builtins.list[ColumnElement[bool]], builtins.list[Any], bool]:
        """The conditions and the sort keys of a list."""
        conds = [visible(visibility, indexable=not self._by_facets(flt))]
        if flt.updated_since is not None:
            conds.append(C.c.updated_at > flt.updated_since)  # tombstones included
        elif flt.deleted:
            conds.append(C.c.deleted_at.is_not(None))
        else:
            conds.append(C.c.deleted_at.is_(None))
        conds += self._filters(flt, visibility)
        if flt.updated_since is not None:
            return conds, [C.c.updated_at, C.c.id], False
        col: Any = C.c[flt.sort.field]
        if flt.sort.field == "last_followup_at":
            col = func.coalesce(C.c.last_followup_at, EPOCH).label("sort_key")
        return conds, [col, C.c.id], flt.sort.descending

    def _live(self, flt: CustomerFilter, visibility: Visibility
              ) -> builtins.list[ColumnElement[bool]]:
        return [visible(visibility, indexable=not self._by_facets(flt)), C.c.deleted_at.is_(None),
                *self._filters(flt, visibility)]

    async def count(self, flt: CustomerFilter, visibility: Visibility) -> int:
        return int(await self.conn.scalar(
            select(func.count()).select_from(C).where(*self._live(flt, visibility))) or 0)

    async def retag(self, flt: CustomerFilter, visibility: Visibility, add: Sequence[str],
                    remove: Sequence[str]) -> int:
        tags: Any = C.c.tags
        for name in remove:
            tags = func.array_remove(tags, name)
        for name in add:  # appended once, in the order given
            tags = case((literal(name) == any_(tags), tags),
                        else_=func.array_append(tags, name))
        touched = or_(C.c.tags.overlap(list(remove)) if remove else false(),
                      ~C.c.tags.contains(list(add)) if add else false())
        result = await self.conn.execute(
            update(C).where(*self._live(flt, visibility), touched)
            .values(tags=tags, version=C.c.version + 1, updated_at=func.now()))
        return int(result.rowcount)

    async def with_phones(self, phones: Sequence[str]) -> Sequence[Customer]:
        keys = [self._bidx("phone", p) for p in phones]
        k = t.contacts
        rows = (await self.conn.execute(select(C).where(
            C.c.deleted_at.is_(None), C.c.id.in_(select(k.c.customer_id).where(
                or_(k.c.mobile_bidx.in_(keys), k.c.landline_bidx.in_(keys))))).limit(20))).all()
        return [self._customer(r, []) for r in rows]

    async def duplicates_of(self, customer: Customer, visibility: Visibility
                            ) -> Sequence[tuple[Customer, builtins.list[str]]]:
        k = t.contacts
        phones = [self._bidx("phone", n) for x in customer.contacts
                  for n in (x.mobile, x.landline) if n]
        emails = [self._bidx("email", x.email) for x in customer.contacts if x.email]
        reasons: dict[uuid.UUID, builtins.list[str]] = {}

        async def collect(reason: str, cond: ColumnElement[bool]) -> None:
            rows = await self.conn.execute(select(C.c.id).where(
                cond, C.c.id != customer.id, C.c.deleted_at.is_(None), visible(visibility))
                .limit(50))
            for (cid,) in rows:
                reasons.setdefault(cid, []).append(reason)

        if phones:
            await collect("same phone", C.c.id.in_(select(k.c.customer_id).where(
                or_(k.c.mobile_bidx.in_(phones), k.c.landline_bidx.in_(phones)))))
        if emails:
            await collect("same email", C.c.id.in_(select(k.c.customer_id).where(
                k.c.email_bidx.in_(emails))))
        await collect("same name", C.c.name_normalised == normalised_name(customer.name))
        if not reasons:
            return []
        rows = (await self.conn.execute(select(C).where(C.c.id.in_(list(reasons))))).all()
        contacts = await self._contacts_of([r.id for r in rows])
        return [(self._customer(r, contacts[r.id]), reasons[r.id]) for r in rows]

    async def fold_into(self, survivor_id: uuid.UUID, loser_ids: Sequence[uuid.UUID]) -> None:
        losers = list(loser_ids)
        await self.held.flush(self.conn)  # held tasks and timeline rows move with the rest
        await self.conn.execute(update(t.followups).where(
            t.followups.c.customer_id.in_(losers)).values(customer_id=survivor_id))
        await self.conn.execute(update(t.tasks).where(
            t.tasks.c.related_id.in_(losers)).values(related_id=survivor_id))
        await self.conn.execute(update(t.customer_activity).where(
            t.customer_activity.c.customer_id.in_(losers)).values(customer_id=survivor_id))
        # deals, the leads that led to them, and their contracts
        for table in (t.opportunities, t.leads, t.contracts):
            await self.conn.execute(update(table).where(
                table.c.customer_id.in_(losers)).values(customer_id=survivor_id))

    @staticmethod
    def _search(q: str) -> ColumnElement[bool]:
        """Substring search served by the n-gram GIN indexes; strpos confirms the match."""
        if len(q) < 2:
            return C.c.search_text.ilike(f"%{_escape_like(q)}%")
        n = 3 if len(q) >= 3 else 2
        grams = sorted({q[i:i + n] for i in range(len(q) - n + 1)})
        return and_(
            func.search_grams(C.c.search_text, literal_column(str(n))).op("@>")(
                literal(grams, ARRAY(Text))),
            func.strpos(C.c.search_text, q) > 0)

    @staticmethod
    def _by_facets(f: CustomerFilter) -> bool:
        """Industry, region and a tag: served by ix_customers_facets."""
        return f.industry is not None and f.region is not None and bool(f.tags_all or f.tags_any)

    def _filters(self, f: CustomerFilter, vis: Visibility | None = None
                 ) -> builtins.list[ColumnElement[bool]]:
        conds: builtins.list[ColumnElement[bool]] = []
        by_facets = self._by_facets(f)
        for name in ("industry", "region", "kind"):
            value = getattr(f, name)
            if value is None:
                continue
            if by_facets and name != "kind":
                # checked on the facet index's few candidates; as plain index conditions the
                # planner ANDs in the (industry, region) range's thousands of rows for nothing
                conds.append(func.coalesce(C.c[name], "") == value)
            else:
                conds.append(C.c[name] == value)
        if f.grade is not None:
            conds.append(C.c.grade == f.grade.value)
        if f.tier is not None:
            conds.append(C.c.tier == f.tier.value)
        if f.owner_id is not None:
            conds.append(C.c.owner_id == f.owner_id)
        if f.department_id is not None:
            conds.append(C.c.owner_department_id == f.department_id)
        if by_facets:
            # The keys of ix_customers_facets: who may see it, industry, region, tag. With
            # industry and region compared exactly above, a key can only match the tag itself,
            # so the tags condition needs no second check (whose index the planner would AND
            # in); the visibility clause is applied as always, the keys only narrow the rows.
            facets = func.customer_facets(C.c.owner_id, C.c.owner_department_id, C.c.industry,
                                          C.c.region, C.c.tags)
            who = _facet_prefixes(vis)

            def keys(tags: Sequence[str]) -> Any:
                return literal([FACET_SEP.join((w, f.industry or "", f.region or "", tag))
                                for w in who for tag in tags], ARRAY(Text))

            for tag in f.tags_all:  # each tag, under any of the caller's prefixes
                conds.append(facets.op("&&")(keys([tag])))
            if f.tags_any:
                conds.append(facets.op("&&")(keys(f.tags_any)))
        else:
            if f.tags_all:
                conds.append(C.c.tags.contains(list(f.tags_all)))
            if f.tags_any:
                conds.append(C.c.tags.overlap(list(f.tags_any)))
        if f.last_followup_before is not None:
            conds.append(or_(C.c.last_followup_at < f.last_followup_before,
                             C.c.last_followup_at.is_(None)))
        if f.last_followup_after is not None:
            conds.append(C.c.last_followup_at >= f.last_followup_after)
        if f.annual_purchase_min is not None:
            conds.append(C.c.annual_purchase >= f.annual_purchase_min)
        if f.annual_purchase_max is not None:
            conds.append(C.c.annual_purchase <= f.annual_purchase_max)
        if f.created_from is not None:
            conds.append(C.c.created_at >= f.created_from)
        if f.created_to is not None:
            conds.append(C.c.created_at < f.created_to)
        for key, candidates in f.custom.items():
            conds.append(or_(*[C.c.custom.contains({key: v}) for v in candidates]))
        if f.q:
            conds.append(self._search(f.q.lower()))
        if f.phone:
            bidx = self._bidx("phone", f.phone)
            k = t.contacts
            conds.append(C.c.id.in_(select(k.c.customer_id).where(
                or_(k.c.mobile_bidx == bidx, k.c.landline_bidx == bidx))))
        if f.email:
            bidx = self._bidx("email", f.email)
            conds.append(C.c.id.in_(select(t.contacts.c.customer_id).where(
                t.contacts.c.email_bidx == bidx)))
        return conds


# ---- follow-ups -------------------------------------------------------------------------------

F = t.followups


def _followup(row: Row) -> FollowUp:
    m = row._mapping
    check_in = (GeoCheckIn(m["latitude"], m["longitude"], m["accuracy_m"])
                if m["latitude"] is not None else None)
    f = FollowUp(id=m["id"], customer_id=m["customer_id"], owner_id=m["owner_id"],
                 method=FollowUpMethod(m["method"]), occurred_at=m["occurred_at"],
                 summary=m["summary"], feedback=m["feedback"], next_action=m["next_action"],
                 next_followup_at=m["next_followup_at"], status=FollowUpStatus(m["status"]),
                 check_in=check_in, version=m["version"], created_at=m["created_at"],
                 updated_at=m["updated_at"])
    f.version_loaded = f.version  # type: ignore[attr-defined]
    return f


def _followup_row(f: FollowUp) -> dict[str, Any]:
    values = columns_of(f, F)
    values.pop("created_at", None), values.pop("updated_at", None)
    values.update(method=f.method.value, status=f.status.value,
                  latitude=f.check_in.latitude if f.check_in else None,
                  longitude=f.check_in.longitude if f.check_in else None,
                  accuracy_m=f.check_in.accuracy_m if f.check_in else None)
    values.pop("check_in", None)
    return values


class SqlFollowUps(_Repo):
    def _visible_join(self, vis: Visibility) -> Any:
        return select(F).join(C, C.c.id == F.c.customer_id).where(
            visible(vis), C.c.deleted_at.is_(None))

    async def get(self, followup_id: uuid.UUID, visibility: Visibility) -> FollowUp | None:
        row = (await self.conn.execute(
            self._visible_join(visibility).where(F.c.id == followup_id))).first()
        return _followup(row) if row else None

    async def add(self, followup: FollowUp) -> None:
        await self.conn.execute(insert(F).values(**_followup_row(followup)))
        followup.version_loaded = followup.version  # type: ignore[attr-defined]
        self.seen.append(followup)

    async def save(self, followup: FollowUp) -> None:
        await self._save_versioned(F, followup, "follow-up")

    async def list(self, flt: FollowUpFilter, visibility: Visibility,
                   page: PageRequest) -> Page[FollowUp]:
        stmt = self._visible_join(visibility)
        if flt.customer_id is not None:
            stmt = stmt.where(F.c.customer_id == flt.customer_id)
        if flt.owner_id is not None:
            stmt = stmt.where(F.c.owner_id == flt.owner_id)
        if flt.since is not None:
            stmt = stmt.where(F.c.occurred_at >= flt.since)
        if flt.until is not None:
            stmt = stmt.where(F.c.occurred_at < flt.until)
        return await fetch_page(self.conn, stmt, [F.c.occurred_at, F.c.id], page, _followup,
                                descending=True)


# ---- tasks ------------------------------------------------------------------------------------

T = t.tasks


def _task(row: Row) -> Task:
    m = {k: v for k, v in row._mapping.items() if k in T.c}
    m["status"], m["origin"] = TaskStatus(m["status"]), TaskOrigin(m["origin"])
    task = Task(**m)
    task.version_loaded = task.version  # type: ignore[attr-defined]
    return task


def _task_row(task: Task) -> dict[str, Any]:
    values = columns_of(task, T)
    values.pop("created_at", None), values.pop("updated_at", None)
    values.update(status=task.status.value, origin=task.origin.value)
    return values


class SqlTasks(_Repo):
    """A new task is held until the commit (see HeldWrites); every read flushes first."""

    async def get(self, task_id: uuid.UUID) -> Task | None:
        await self.held.flush(self.conn)
        row = (await self.conn.execute(select(T).where(T.c.id == task_id))).first()
        return _task(row) if row else None

    async def add(self, task: Task) -> None:
        await self.held.add(self.conn, T, [_task_row(task)])
        task.version_loaded = task.version  # type: ignore[attr-defined]
        self.seen.append(task)

    async def save(self, task: Task) -> None:
        await self.held.flush(self.conn)
        await self._save_versioned(T, task, "task")

    async def list(self, flt: TaskFilter, page: PageRequest) -> Page[Task]:
        await self.held.flush(self.conn)
        stmt = select(T)
        if flt.assignees is not None:
            stmt = stmt.where(T.c.assignee_id.in_(list(flt.assignees)))
        if flt.assignee_departments is not None:
            stmt = stmt.where(T.c.assignee_id.in_(select(t.users.c.id).where(
                t.users.c.department_id.in_(list(flt.assignee_departments)))))
        if flt.status is not None:
            stmt = stmt.where(T.c.status == flt.status)
        if flt.due_before is not None:
            stmt = stmt.where(T.c.due_at < flt.due_before)
        if flt.related_id is not None:
            stmt = stmt.where(T.c.related_id == flt.related_id)
        due = func.coalesce(T.c.due_at, datetime(9999, 1, 1, tzinfo=UTC)).label("due_key")
        return await fetch_page(self.conn, stmt.add_columns(due), [due, T.c.id], page, _task)


# ---- timeline and picklists -------------------------------------------------------------------

A = t.customer_activity


class SqlActivity(_Repo):
    async def add(self, entry: ActivityEntry) -> None:
        await self.add_many([entry])

    async def add_many(self, entries: Sequence[ActivityEntry]) -> None:
        if entries:
            await self.held.add(self.conn, A, new_rows(entries, A))

    async def list(self, customer_id: uuid.UUID, page: PageRequest) -> Page[ActivityEntry]:
        await self.held.flush(self.conn)
        return await fetch_page(
            self.conn, select(A).where(A.c.customer_id == customer_id), [A.c.id], page,
            lambda r: ActivityEntry(**dict(r._mapping)), descending=True)


class SqlPicklists(_Repo):
    async def values(self, name: str) -> set[str]:
        p = t.picklists
        return set((await self.conn.execute(
            select(p.c.value).where(p.c.list == name, p.c.active))).scalars())

    async def labels(self, name: str) -> dict[str, str]:
        p = t.picklists
        out: dict[str, str] = {}
        rows = await self.conn.execute(select(p.c.value, p.c.label).where(
            p.c.list == name, p.c.active))
        for value, label in rows:
            # "制造业 Manufacturing": the whole label, either language's half, each word
            for alias in (label, *label.split(" ", 1), *label.split(), value):
                out.setdefault(alias, value)
                out.setdefault(alias.lower(), value)
        return out

    async def add(self, name: str, value: str, label: str) -> None:
        await self.conn.execute(pg_insert(t.picklists).values(
            list=name, value=value, label=label).on_conflict_do_update(
            index_elements=["list", "value"], set_={"label": label, "active": True}))
