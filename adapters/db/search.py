"""Global search on PostgreSQL: every kind of record the caller reads, in one statement.

Each kind is a branch of a UNION ALL: the first CANDIDATES rows the n-gram index finds under
the caller's visibility (a LIMIT, so a popular bigram costs no more than a rare one), ranked
(the name itself, then names starting with the query, then keys with a word starting with
it), cut to the group's size, and only then joined to the owners' and customers' names."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    Select,
    Text,
    and_,
    bindparam,
    case,
    func,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.db import tables
from adapters.db.filters import escape_like, visible
from adapters.db.ngrams import grams
from domain.search.model import RecordKind, SearchHit
from domain.shared.authz import Visibility

# Rows each kind reads from its index before ranking: enough that the best names of a common
# word are among them, few enough that ranking them costs nothing.
CANDIDATES = 200
SEPARATOR = " · "


@dataclass(frozen=True)
class Found:
    """One kind's candidate rows: how a row is titled and what its subtitle is made of."""

    kind: RecordKind
    source: Any  # the table, or the join, the rows come from
    id: Any
    key: Any  # the search_text column
    title: ColumnElement[Any]
    owner: Any
    department: Any
    live: Sequence[ColumnElement[bool]]
    number: Any = None
    detail: Any = None  # a company, a contact's job title
    phone: Any = None  # a contact's masked number
    customer_id: Any = None  # the customer whose page shows the record
    of_customer: Any = None  # the customer whose name the subtitle gives


def _kinds() -> dict[RecordKind, Found]:
    customers, contacts, leads = tables.customers, tables.contacts, tables.leads
    opportunities, contracts = tables.opportunities, tables.contracts
    return {
        RecordKind.CUSTOMER: Found(
            RecordKind.CUSTOMER, customers, customers.c.id, customers.c.search_text,
            customers.c.name, customers.c.owner_id, customers.c.owner_department_id,
            [customers.c.deleted_at.is_(None)], number=customers.c.number,
            customer_id=customers.c.id),
        RecordKind.CONTACT: Found(
            RecordKind.CONTACT, contacts.join(customers, customers.c.id == contacts.c.customer_id),
            contacts.c.id, contacts.c.search_text, contacts.c.name, customers.c.owner_id,
            customers.c.owner_department_id, [customers.c.deleted_at.is_(None)],
            detail=contacts.c.title,
            phone=func.coalesce(contacts.c.mobile_masked, contacts.c.landline_masked),
            customer_id=contacts.c.customer_id, of_customer=contacts.c.customer_id),
        RecordKind.LEAD: Found(
            RecordKind.LEAD, leads, leads.c.id, leads.c.search_text,
            func.coalesce(func.nullif(leads.c.name, ""), leads.c.company, leads.c.number),
            leads.c.owner_id, leads.c.owner_department_id, [], number=leads.c.number,
            detail=case((func.nullif(leads.c.name, "").is_not(None), leads.c.company))),
        RecordKind.OPPORTUNITY: Found(
            RecordKind.OPPORTUNITY, opportunities, opportunities.c.id, opportunities.c.search_text,
            opportunities.c.name, opportunities.c.owner_id, opportunities.c.owner_department_id,
            [], number=opportunities.c.number, of_customer=opportunities.c.customer_id),
        RecordKind.CONTRACT: Found(
            RecordKind.CONTRACT, contracts, contracts.c.id, contracts.c.search_text,
            contracts.c.title,
            contracts.c.owner_id, contracts.c.owner_department_id,
            [contracts.c.deleted_at.is_(None)], number=contracts.c.number,
            of_customer=contracts.c.customer_id),
    }


def _rank(found: Found) -> ColumnElement[int]:
    """0 the name itself, 1 a name starting with q, 2 a word of the key starting with q
    (a number, a spelling), 3 anywhere."""
    title, q = func.lower(found.title), bindparam("q", type_=Text)
    return case((title == q, 0), (func.strpos(title, q) == 1, 1),
                (func.strpos(" " + found.key, bindparam("word", type_=Text)) > 0, 2), else_=3)


def _or_null(expr: Any, type_: Any = Text) -> Any:
    return expr if expr is not None else null().cast(type_)


def _branch(found: Found, where: Sequence[ColumnElement[bool]], vis: Visibility,
            matched: str) -> Select[Any]:
    candidates = (
        select(
            found.id.label("id"),
            found.title.label("title"),
            _rank(found).label("rank") if matched == "text" else literal_column("0").label("rank"),
            _or_null(found.number).label("number"),
            _or_null(found.detail).label("detail"),
            _or_null(found.phone).label("phone"),
            found.owner.label("owner_id"),
            _or_null(found.customer_id, UUID(as_uuid=True)).label("customer_id"),
            _or_null(found.of_customer, UUID(as_uuid=True)).label("of_customer"),
        )
        .select_from(found.source)
        .where(*where, *found.live, visible(vis, found.owner, found.department))
        .limit(CANDIDATES).subquery(f"{found.kind.value}_candidates"))
    ranked = (select(candidates)
              .order_by(candidates.c.rank, func.length(candidates.c.title), candidates.c.title)
              .limit(bindparam("limit", type_=Integer)).subquery(f"{found.kind.value}_ranked"))
    users, customers = tables.users, tables.customers
    subtitle = func.concat_ws(SEPARATOR, ranked.c.number, customers.c.name, ranked.c.detail,
                              ranked.c.phone, users.c.name)
    return (select(ranked.c.id, literal_column(f"'{found.kind.value}'").label("kind"),
                   ranked.c.title, subtitle.label("subtitle"), ranked.c.customer_id,
                   ranked.c.rank, literal_column(f"'{matched}'").label("matched"))
            .select_from(ranked.outerjoin(users, users.c.id == ranked.c.owner_id)
                         .outerjoin(customers, customers.c.id == ranked.c.of_customer)))


def _term(key: Any, i: int, term: str) -> ColumnElement[bool]:
    """contains_text (adapters/db/ngrams.py) with the i-th term as parameters."""
    if len(term) < 2:
        return key.ilike(bindparam(f"like{i}", type_=Text))
    n = 3 if len(term) >= 3 else 2
    return and_(func.search_grams(key, literal_column(str(n))).op("@>")(
        bindparam(f"grams{i}", type_=ARRAY(Text))),
        func.strpos(key, bindparam(f"term{i}", type_=Text)) > 0)


def _term_values(i: int, term: str) -> dict[str, Any]:
    if len(term) < 2:
        return {f"like{i}": f"%{escape_like(term)}%"}
    return {f"grams{i}": grams(term), f"term{i}": term}


def _sight(vis: Visibility) -> tuple[Visibility, dict[str, Any], tuple[Any, ...]]:
    """The caller's visibility with its ids as parameters (the statement is built once per
    shape: everything, an owner, an owner and n departments), the values, and the shape."""
    if vis.everything:
        return vis, {}, ("everything",)
    owner: Any = bindparam("owner_id", type_=UUID(as_uuid=True)) if vis.owner_id else None
    depts = list(vis.department_ids or ())
    placeholders: Any = [bindparam(f"department{i}", type_=UUID(as_uuid=True))
                         for i in range(len(depts))]
    shaped = Visibility(owner_id=owner, department_ids=placeholders)
    params = {f"department{i}": d for i, d in enumerate(depts)}
    if vis.owner_id:
        params["owner_id"] = vis.owner_id
    return shaped, params, (owner is not None, len(depts))


class SqlSearch:
    """Builds each shape of statement once (SQLAlchemy takes tens of milliseconds to build
    five branches), then runs it with the query's values as parameters."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.kinds = _kinds()
        self._statements: dict[tuple[Any, ...], Any] = {}

    async def find(self, q: str, kinds: Collection[RecordKind], visibility: Visibility,
                   limit: int) -> list[SearchHit]:
        terms = q.split()
        vis, params, vis_shape = _sight(visibility)
        shape = ("text", tuple(kinds), vis_shape,
                 tuple(min(len(t), 3) for t in terms))
        stmt = self._statements.get(shape)
        if stmt is None:
            branches = []
            for kind in kinds:
                key = self.kinds[kind].key
                where = [_term(key, i, term) for i, term in enumerate(terms)]
                branches.append(_branch(self.kinds[kind], where, vis, "text"))
            stmt = self._statements[shape] = _union(branches)
        for i, term in enumerate(terms):
            params.update(_term_values(i, term))
        return await self._hits(stmt, {**params, "q": q, "word": " " + q, "limit": limit})

    async def by_phone_tail(self, digits: str, visibility: Visibility, limit: int
                            ) -> list[SearchHit]:
        vis, params, vis_shape = _sight(visibility)
        shape = ("phone", vis_shape)
        stmt = self._statements.get(shape)
        if stmt is None:
            where = [tables.contacts.c.phone_tails.op("@>")(
                bindparam("tails", type_=ARRAY(Text)))]
            stmt = self._statements[shape] = _branch(self.kinds[RecordKind.CONTACT], where,
                                                     vis, "phone")
        return await self._hits(stmt, {**params, "tails": [digits], "limit": limit})

    async def _hits(self, stmt: Any, params: dict[str, Any]) -> list[SearchHit]:
        async with self.engine.connect() as conn:
            # one statement, nothing to roll back: no BEGIN/ROLLBACK round trips
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            rows = list((await conn.execute(stmt, params)).all())
        rows.sort(key=lambda r: (r.kind, r.rank, len(r.title or ""), r.title or ""))
        return [SearchHit(id=r.id, kind=RecordKind(r.kind), title=r.title or "",
                          subtitle=r.subtitle or "", customer_id=r.customer_id,
                          matched=r.matched) for r in rows]


def _union(branches: list[Select[Any]]) -> Any:
    return branches[0] if len(branches) == 1 else union_all(*branches)
