"""The global search's response: hits grouped by kind of record."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field

from domain.search.model import RecordKind, SearchHit, SearchResults


class SearchHitOut(BaseModel):
    id: uuid.UUID
    type: RecordKind
    title: str = Field(examples=["上海明远精密机械有限公司"])
    subtitle: str = Field(description="Number, customer or company, masked phone and owner, "
                          "joined by ' · '", examples=["C202612000001 · 王经理"])
    customer_id: uuid.UUID | None = Field(
        description="The customer whose page shows the record (a customer's own id, a "
        "contact's customer); null for leads, opportunities and contracts")
    matched: str = Field(description="'text' (name, number, pinyin) or 'phone' (the last "
                         "four digits of a contact's number)", examples=["text"])

    @classmethod
    def of(cls, hit: SearchHit) -> SearchHitOut:
        return cls(id=hit.id, type=hit.kind, title=hit.title, subtitle=hit.subtitle,
                   customer_id=hit.customer_id, matched=hit.matched)


class SearchGroupOut(BaseModel):
    type: RecordKind
    items: list[SearchHitOut]


class SearchOut(BaseModel):
    query: str = Field(description="The query as matched (trimmed, lower case)")
    groups: list[SearchGroupOut] = Field(
        description="One group per kind the caller may read, in a fixed order (customers, "
        "contacts, leads, opportunities, contracts), empty groups included")

    @classmethod
    def of(cls, results: SearchResults) -> SearchOut:
        return cls(query=results.query, groups=[
            SearchGroupOut(type=kind, items=[SearchHitOut.of(h) for h in hits])
            for kind, hits in results.groups.items()])
