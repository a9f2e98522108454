"""The WHERE clauses of a customer list, count or bulk change (CustomerFilter), each in the
form an index serves: the n-gram search, the facet keys, the contacts' blind indexes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Text, and_, func, literal, literal_column, or_, select

from adapters.db import tables
from adapters.db.contacts import contact_bidx
from adapters.db.filters import escape_like
from domain.customers.queries import CustomerFilter
from domain.shared.authz import Visibility
from domain.shared.ports import FieldCipher

FACET_SEP = "\x1f"  # chr(31), as customer_facets() joins industry, region and tag


def facet_prefixes(vis: Visibility | None) -> list[str]:
    """The "who" parts of the facet keys the caller's rows carry (see customer_facets)."""
    if vis is None or vis.everything:
        return ["*"]
    out = [f"o{vis.owner_id}"] if vis.owner_id is not None else []
    return out + [f"d{d}" for d in vis.department_ids or ()]


def search(q: str) -> ColumnElement[bool]:
    """Substring search served by the n-gram GIN indexes; strpos confirms the match."""
    search_text = tables.customers.c.search_text
    if len(q) < 2:
        return search_text.ilike(f"%{escape_like(q)}%")
    n = 3 if len(q) >= 3 else 2
    grams = sorted({q[i:i + n] for i in range(len(q) - n + 1)})
    return and_(
        func.search_grams(search_text, literal_column(str(n))).op("@>")(
            literal(grams, ARRAY(Text))),
        func.strpos(search_text, q) > 0)


def by_facets(f: CustomerFilter) -> bool:
    """Industry, region and a tag: served by ix_customers_facets."""
    return f.industry is not None and f.region is not None and bool(f.tags_all or f.tags_any)


def customer_conditions(f: CustomerFilter, cipher: FieldCipher, vis: Visibility | None = None
                        ) -> list[ColumnElement[bool]]:
    """The filter's conditions (visibility and deletion are the caller's)."""
    customers, contacts = tables.customers, tables.contacts
    conds: list[ColumnElement[bool]] = []
    facets_serve = by_facets(f)
    for name in ("industry", "region", "kind"):
        value = getattr(f, name)
        if value is None:
            continue
        if facets_serve and name != "kind":
            # checked on the facet index's few candidates; as plain index conditions the
            # planner ANDs in the (industry, region) range's thousands of rows for nothing
            conds.append(func.coalesce(customers.c[name], "") == value)
        else:
            conds.append(customers.c[name] == value)
    if f.grade is not None:
        conds.append(customers.c.grade == f.grade.value)
    if f.tier is not None:
        conds.append(customers.c.tier == f.tier.value)
    if f.owner_id is not None:
        conds.append(customers.c.owner_id == f.owner_id)
    if f.department_id is not None:
        conds.append(customers.c.owner_department_id == f.department_id)
    if facets_serve:
        # The keys of ix_customers_facets: who may see it, industry, region, tag. With
        # industry and region compared exactly above, a key can only match the tag itself,
        # so the tags condition needs no second check (whose index the planner would AND
        # in); the visibility clause is applied as always, the keys only narrow the rows.
        facets = func.customer_facets(customers.c.owner_id, customers.c.owner_department_id,
                                      customers.c.industry, customers.c.region, customers.c.tags)
        who = facet_prefixes(vis)

        def keys(tags: Sequence[str]) -> Any:
            return literal([FACET_SEP.join((w, f.industry or "", f.region or "", tag))
                            for w in who for tag in tags], ARRAY(Text))

        for tag in f.tags_all:  # each tag, under any of the caller's prefixes
            conds.append(facets.op("&&")(keys([tag])))
        if f.tags_any:
            conds.append(facets.op("&&")(keys(f.tags_any)))
    else:
        if f.tags_all:
            conds.append(customers.c.tags.contains(list(f.tags_all)))
        if f.tags_any:
            conds.append(customers.c.tags.overlap(list(f.tags_any)))
    if f.last_followup_before is not None:
        conds.append(or_(customers.c.last_followup_at < f.last_followup_before,
                         customers.c.last_followup_at.is_(None)))
    if f.last_followup_after is not None:
        conds.append(customers.c.last_followup_at >= f.last_followup_after)
    if f.annual_purchase_min is not None:
        conds.append(customers.c.annual_purchase >= f.annual_purchase_min)
    if f.annual_purchase_max is not None:
        conds.append(customers.c.annual_purchase <= f.annual_purchase_max)
    if f.created_from is not None:
        conds.append(customers.c.created_at >= f.created_from)
    if f.created_to is not None:
        conds.append(customers.c.created_at < f.created_to)
    for key, candidates in f.custom.items():
        conds.append(or_(*[customers.c.custom.contains({key: v}) for v in candidates]))
    if f.q:
        conds.append(search(f.q.lower()))
    if f.phone:
        bidx = contact_bidx(cipher, "phone", f.phone)
        conds.append(customers.c.id.in_(select(contacts.c.customer_id).where(
            or_(contacts.c.mobile_bidx == bidx, contacts.c.landline_bidx == bidx))))
    if f.email:
        bidx = contact_bidx(cipher, "email", f.email)
        conds.append(customers.c.id.in_(select(contacts.c.customer_id).where(
            contacts.c.email_bidx == bidx)))
    return conds
