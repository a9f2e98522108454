"""Substring search over a search key, served by the n-gram GIN indexes.

pg_trgm has no trigram for a 2-character word, the usual Chinese name, so the keys are
indexed by their 2- and 3-grams (search_grams, migration 0007): a query's grams select the
candidates in the index and strpos confirms the match. Customers, contacts, leads,
opportunities and contracts index their `search_text` this way."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Text, and_, func, literal, literal_column

from adapters.db.filters import escape_like


def grams(q: str) -> list[str]:
    """3-grams that cover q end to end without overlapping (the last one may), or its one
    2-gram when it has two characters. strpos confirms the match, so the index needs only
    enough grams to narrow the rows: every gram more is one more posting list read, and in
    pinyin keys grams such as 'ing' or 'ang' are in most rows."""
    if len(q) < 3:
        return [q]
    starts = {*range(0, len(q) - 2, 3), len(q) - 3}
    return sorted({q[i:i + 3] for i in starts})


def contains_text(key: Any, q: str) -> ColumnElement[bool]:
    """key contains q (both lower case). A single character has no gram: a plain LIKE."""
    if len(q) < 2:
        return key.ilike(f"%{escape_like(q)}%")
    n = 3 if len(q) >= 3 else 2
    return and_(
        func.search_grams(key, literal_column(str(n))).op("@>")(literal(grams(q), ARRAY(Text))),
        func.strpos(key, q) > 0)
