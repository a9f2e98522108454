"""Customers and their contacts on PostgreSQL.

Personal data is encrypted here, on the way in, and decrypted on the way out: the rows hold
ciphertext with a key id and a keyed blind index, never the cleartext (adapters/db/contacts.py).
The list's JSON documents and filters live beside this module (customer_documents.py,
customer_filters.py).
"""

from __future__ import annotations

import builtins
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
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.engine import Row
from sqlalchemy.exc import DBAPIError

from adapters.db import tables
from adapters.db.base import SqlRepository, columns_of, loaded
from adapters.db.bulk_copy import copy_rows
from adapters.db.contacts import (
    CONTACTS_JSON,
    contact_bidx,
    contact_of,
    contact_rows,
    contacts_in,
)
from adapters.db.customer_documents import customer_document
from adapters.db.customer_filters import by_facets, customer_conditions
from adapters.db.filters import visible
from adapters.db.held_writes import HeldWrites
from adapters.db.keyset import NEVER, fetch_page
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
from domain.customers.personal import mask_id_card
from domain.customers.queries import CustomerFilter
from domain.search.keys import search_key
from domain.shared.authz import Visibility
from domain.shared.errors import QueryTimedOut
from domain.shared.paging import Page, PageRequest
from domain.shared.ports import FieldCipher

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
QUERY_CANCELED = "57014"  # SQLSTATE of a statement stopped by statement_timeout


def _texts(values: Sequence[str]) -> Any:
    """A list as one array parameter: an import chunk's thousands of keys bind as one value
    instead of rendering thousands into an IN list."""
    return literal(list(values), ARRAY(Text))


class SqlCustomers(SqlRepository):
    def __init__(self, conn: Any, seen: list[Any], cipher: FieldCipher,
                 held: HeldWrites | None = None, *, count_timeout_ms: int = 5000) -> None:
        super().__init__(conn, seen, held)
        self.cipher = cipher
        self.count_timeout_ms = count_timeout_ms

    # ---- mapping ------------------------------------------------------------------------

    def _row(self, c: Customer) -> dict[str, Any]:
        values = columns_of(c, tables.customers)
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
            search_text=search_key(c.name, c.number, *(x.name for x in c.contacts)),
        )
        return values

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
        loaded(c)
        return c

    async def _contacts_of(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Contact]]:
        out: dict[uuid.UUID, list[Contact]] = {i: [] for i in ids}
        if not ids:
            return out
        contacts = tables.contacts
        rows = await self.conn.execute(
            select(contacts).where(contacts.c.customer_id.in_(list(ids)))
            .order_by(contacts.c.customer_id, contacts.c.position))
        for r in rows:
            out[r.customer_id].append(contact_of(self.cipher, r._mapping))
        return out

    def _phone_bidx(self, phones: Sequence[str]) -> builtins.list[str]:
        return [contact_bidx(self.cipher, "phone", p) for p in phones]

    # ---- the port ---------------------------------------------------------------------------

    async def get(self, customer_id: uuid.UUID, visibility: Visibility,
                  include_deleted: bool = False, lock: bool = False) -> Customer | None:
        customers = tables.customers
        stmt = select(customers, CONTACTS_JSON).where(customers.c.id == customer_id,
                                                      visible(visibility))
        if not include_deleted:
            stmt = stmt.where(customers.c.deleted_at.is_(None))
        if lock:  # writers of one customer queue up instead of failing on the version check
            stmt = stmt.with_for_update(of=customers)
        row = (await self.conn.execute(stmt)).first()
        if row is None:
            return None
        return self._customer(row, contacts_in(self.cipher, row))

    async def exists(self, customer_id: uuid.UUID) -> bool:
        customers = tables.customers
        return bool(await self.conn.scalar(select(literal(True)).where(
            customers.c.id == customer_id, customers.c.deleted_at.is_(None))))

    async def next_sequence(self) -> int:
        return int(await self.conn.scalar(tables.customer_number_seq.next_value()) or 0)

    async def next_sequences(self, n: int) -> Sequence[int]:
        if n <= 0:
            return []
        rows = await self.conn.execute(select(tables.customer_number_seq.next_value())
                                       .select_from(func.generate_series(1, n)))
        return [int(v) for (v,) in rows]

    async def add_many(self, customers: Sequence[Customer]) -> None:
        if not customers:
            return
        # The list documents' triggers fire per row (~0.5 ms a customer): held off for these
        # inserts, the chunk's documents are written in one statement. The rows go by COPY
        # (bulk_copy.py: an import chunk's thousands, a third of the executemany's time).
        await self.conn.execute(text("SET LOCAL crm.docs_later = 'on'"))
        await copy_rows(self.conn, tables.customers, [self._row(c) for c in customers])
        await copy_rows(self.conn, tables.contacts,
                        [r for c in customers for r in contact_rows(self.cipher, c)])
        await self.conn.execute(text("SET LOCAL crm.docs_later = 'off'"))
        await self.conn.execute(select(func.crm_write_customer_docs(
            literal([c.id for c in customers], ARRAY(UUID(as_uuid=True))))))
        for c in customers:
            loaded(c)
        self.seen.extend(customers)  # their created events go to the outbox with the chunk

    def match_keys(self, customer: Customer) -> builtins.list[str]:
        keys = [f"phone:{contact_bidx(self.cipher, 'phone', n)}" for x in customer.contacts
                for n in (x.mobile, x.landline) if n]
        return [*dict.fromkeys(keys), f"name:{normalised_name(customer.name)}"]

    async def find_by_keys(self, keys: Sequence[str]
                           ) -> dict[str, builtins.list[tuple[uuid.UUID, uuid.UUID,
                                                              uuid.UUID | None]]]:
        customers, contacts = tables.customers, tables.contacts
        phones = [k[6:] for k in keys if k.startswith("phone:")]
        names = [k[5:] for k in keys if k.startswith("name:")]
        out: dict[str, builtins.list[tuple[uuid.UUID, uuid.UUID, uuid.UUID | None]]] = {}
        live = customers.c.deleted_at.is_(None)
        if phones:
            rows = await self.conn.execute(
                select(contacts.c.mobile_bidx, contacts.c.landline_bidx, customers.c.id,
                       customers.c.owner_id, customers.c.owner_department_id)
                .join(customers, customers.c.id == contacts.c.customer_id)
                .where(live, or_(contacts.c.mobile_bidx == any_(_texts(phones)),
                                 contacts.c.landline_bidx == any_(_texts(phones)))))
            wanted = set(phones)
            for mob, land, cid, owner, dept in rows:
                for b in {mob, land} & wanted:
                    out.setdefault(f"phone:{b}", []).append((cid, owner, dept))
        if names:
            by_name = await self.conn.execute(
                select(customers.c.name_normalised, customers.c.id, customers.c.owner_id,
                       customers.c.owner_department_id)
                .where(live, customers.c.name_normalised == any_(_texts(names))))
            for name, cid, owner, dept in by_name:
                out.setdefault(f"name:{name}", []).append((cid, owner, dept))
        return out

    async def add(self, customer: Customer) -> None:
        await self.conn.execute(insert(tables.customers).values(**self._row(customer)))
        await self._write_contacts(customer)
        loaded(customer)
        self.seen.append(customer)

    async def save(self, customer: Customer) -> None:
        await self._update_versioned(tables.customers, customer, "customer",
                                     self._row(customer))
        await self.conn.execute(delete(tables.contacts).where(
            tables.contacts.c.customer_id == customer.id))
        await self._write_contacts(customer)
        loaded(customer)
        self.seen.append(customer)

    async def _write_contacts(self, customer: Customer) -> None:
        rows = contact_rows(self.cipher, customer)
        if rows:
            await self.conn.execute(insert(tables.contacts), rows)

    async def list(self, flt: CustomerFilter, visibility: Visibility,
                   page: PageRequest) -> Page[Customer]:
        conds, keys, descending = self._listing(flt, visibility)
        extra = [k for k in keys if k.name not in tables.customers.c]
        stmt = select(tables.customers, CONTACTS_JSON, *extra).where(and_(*conds))
        return await fetch_page(self.conn, stmt, keys, page,
                                lambda r: self._customer(r, contacts_in(self.cipher, r)),
                                descending=descending)

    async def list_documents(self, flt: CustomerFilter, visibility: Visibility,
                             page: PageRequest, fields: frozenset[str] | None) -> Page[str]:
        """PostgreSQL writes each item's JSON from the masked columns: no ciphertext leaves
        the database, nothing is decrypted, no object is built per row (see DOC_FIELDS)."""
        conds, keys, descending = self._listing(flt, visibility)
        stmt = (select(customer_document(fields).label("doc"), *keys)
                .select_from(tables.customers).where(and_(*conds)))
        return await fetch_page(self.conn, stmt, keys, page, lambda r: str(r.doc),
                                descending=descending)

    def _listing(self, flt: CustomerFilter, visibility: Visibility
                 ) -> tuple[builtins.list[ColumnElement[bool]], builtins.list[Any], bool]:
        """The conditions and the sort keys of a list."""
        customers = tables.customers
        conds = [visible(visibility, indexable=not by_facets(flt))]
        if flt.updated_since is not None:
            conds.append(customers.c.updated_at > flt.updated_since)  # tombstones included
        elif flt.deleted:
            conds.append(customers.c.deleted_at.is_not(None))
        else:
            conds.append(customers.c.deleted_at.is_(None))
        conds += customer_conditions(flt, self.cipher, visibility)
        if flt.updated_since is not None:
            return conds, [customers.c.updated_at, customers.c.id], False
        col: Any = customers.c[flt.sort.field]
        if flt.sort.field == "last_followup_at":
            col = func.coalesce(customers.c.last_followup_at, EPOCH).label("sort_key")
        elif flt.sort.field == "next_followup_at":  # none planned: after every planned one
            col = func.coalesce(customers.c.next_followup_at, NEVER).label("sort_key")
        return conds, [col, customers.c.id], flt.sort.descending

    def _live(self, flt: CustomerFilter, visibility: Visibility
              ) -> builtins.list[ColumnElement[bool]]:
        return [visible(visibility, indexable=not by_facets(flt)),
                tables.customers.c.deleted_at.is_(None),
                *customer_conditions(flt, self.cipher, visibility)]

    async def count(self, flt: CustomerFilter, visibility: Visibility) -> int:
        """A count reads every matching row: under a statement timeout (for this statement
        only, the transaction's own setting restored after it) so that a costly filter ends
        in a refusal rather than in a database busy for everyone."""
        stmt = select(func.count()).select_from(tables.customers).where(
            *self._live(flt, visibility))
        if not self.conn.in_transaction():  # each statement on its own: nothing to scope to
            return int(await self.conn.scalar(stmt) or 0)
        previous = await self.conn.scalar(text(
            "SELECT current_setting('statement_timeout') AS previous, "
            "set_config('statement_timeout', :limit, true)").bindparams(
                limit=f"{self.count_timeout_ms}ms"))
        try:
            found = int(await self.conn.scalar(stmt) or 0)
        except DBAPIError as e:
            if getattr(e.orig, "sqlstate", None) == QUERY_CANCELED:
                raise QueryTimedOut(
                    f"Counting these customers took longer than {self.count_timeout_ms} ms "
                    "and was stopped; narrow the filter and try again") from None
            raise
        await self.conn.execute(text("SELECT set_config('statement_timeout', :previous, true)"
                                     ).bindparams(previous=previous))
        return found

    async def retag(self, flt: CustomerFilter, visibility: Visibility, add: Sequence[str],
                    remove: Sequence[str]) -> builtins.list[uuid.UUID]:
        customers = tables.customers
        tags: Any = customers.c.tags
        for name in remove:
            tags = func.array_remove(tags, name)
        for name in add:  # appended once, in the order given
            tags = case((literal(name) == any_(tags), tags),
                        else_=func.array_append(tags, name))
        touched = or_(customers.c.tags.overlap(list(remove)) if remove else false(),
                      ~customers.c.tags.contains(list(add)) if add else false())
        result = await self.conn.execute(
            update(customers).where(*self._live(flt, visibility), touched)
            .values(tags=tags, version=customers.c.version + 1, updated_at=func.now())
            .returning(customers.c.id))
        return builtins.list(result.scalars())

    async def with_phones(self, phones: Sequence[str]) -> Sequence[Customer]:
        customers, contacts = tables.customers, tables.contacts
        keys = self._phone_bidx(phones)
        rows = (await self.conn.execute(select(customers).where(
            customers.c.deleted_at.is_(None), customers.c.id.in_(
                select(contacts.c.customer_id).where(or_(contacts.c.mobile_bidx.in_(keys),
                                                         contacts.c.landline_bidx.in_(keys)))))
            .limit(20))).all()
        return [self._customer(r, []) for r in rows]

    async def duplicates_of(self, customer: Customer, visibility: Visibility
                            ) -> Sequence[tuple[Customer, builtins.list[str]]]:
        customers, contacts = tables.customers, tables.contacts
        phones = self._phone_bidx([n for x in customer.contacts
                                   for n in (x.mobile, x.landline) if n])
        emails = [contact_bidx(self.cipher, "email", x.email)
                  for x in customer.contacts if x.email]
        reasons: dict[uuid.UUID, builtins.list[str]] = {}

        async def collect(reason: str, cond: ColumnElement[bool]) -> None:
            rows = await self.conn.execute(select(customers.c.id).where(
                cond, customers.c.id != customer.id, customers.c.deleted_at.is_(None),
                visible(visibility)).limit(50))
            for (cid,) in rows:
                reasons.setdefault(cid, []).append(reason)

        if phones:
            await collect("same phone", customers.c.id.in_(select(contacts.c.customer_id).where(
                or_(contacts.c.mobile_bidx.in_(phones), contacts.c.landline_bidx.in_(phones)))))
        if emails:
            await collect("same email", customers.c.id.in_(select(contacts.c.customer_id).where(
                contacts.c.email_bidx.in_(emails))))
        await collect("same name",
                      customers.c.name_normalised == normalised_name(customer.name))
        if not reasons:
            return []
        rows = (await self.conn.execute(
            select(customers).where(customers.c.id.in_(list(reasons))))).all()
        found = await self._contacts_of([r.id for r in rows])
        return [(self._customer(r, found[r.id]), reasons[r.id]) for r in rows]

    async def fold_into(self, survivor_id: uuid.UUID, loser_ids: Sequence[uuid.UUID]) -> None:
        losers = list(loser_ids)
        await self.held.flush(self.conn)  # held tasks and timeline rows move with the rest
        await self.conn.execute(update(tables.followups).where(
            tables.followups.c.customer_id.in_(losers)).values(customer_id=survivor_id))
        await self.conn.execute(update(tables.tasks).where(
            tables.tasks.c.related_id.in_(losers)).values(related_id=survivor_id))
        await self.conn.execute(update(tables.customer_activity).where(
            tables.customer_activity.c.customer_id.in_(losers)).values(customer_id=survivor_id))
        # deals, the leads that led to them, and their contracts
        for table in (tables.opportunities, tables.leads, tables.contracts):
            await self.conn.execute(update(table).where(
                table.c.customer_id.in_(losers)).values(customer_id=survivor_id))
