"""How a customer's contacts are stored: each phone and e-mail encrypted (ciphertext with a
key id), blind-indexed for exact lookups, and masked for the lists' JSON; never in clear."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import func, literal_column, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.engine import Row

from adapters.db import tables
from domain.customers.model import Contact, Customer
from domain.customers.personal import mask_email, mask_phone
from domain.search.keys import phone_tail, search_key
from domain.shared.ports import FieldCipher

MASKS = {"mobile": mask_phone, "landline": mask_phone, "email": mask_email}

# A customer's contacts as one JSON array in the customer's own row, in their order: the
# customer and its contacts in one statement, one round trip (and one snapshot).
_CONTACT_FIELDS = ("id", "name", "title", "mobile_enc", "landline_enc", "email_enc",
                   "is_primary")
CONTACTS_JSON = (
    select(func.coalesce(
        func.json_agg(aggregate_order_by(
            func.json_build_array(*(tables.contacts.c[f] for f in _CONTACT_FIELDS)),
            tables.contacts.c.position)),
        literal_column("'[]'::json")))
    .where(tables.contacts.c.customer_id == tables.customers.c.id)
    .scalar_subquery().label("contacts_json"))


def contact_bidx(cipher: FieldCipher, kind: str, value: str) -> str:
    """The blind index of a phone or e-mail, as contacts and leads store it. Phones share one
    index (a mobile may be searched as a landline and back); e-mail lookups ignore case, as
    mail servers in practice do."""
    if kind == "email":
        return cipher.blind_index("email", value.lower())
    return cipher.blind_index("phone", value)


def contact_rows(cipher: FieldCipher, customer: Customer) -> list[dict[str, Any]]:
    """The rows of `contacts` for a customer's contacts, in their order."""
    rows = []
    for position, x in enumerate(customer.contacts):
        row: dict[str, Any] = {"id": x.id, "customer_id": customer.id, "position": position,
                               "name": x.name, "title": x.title, "is_primary": x.is_primary,
                               "search_text": search_key(x.name),
                               "phone_tails": [tail for tail in (phone_tail(x.mobile),
                                                                 phone_tail(x.landline)) if tail]}
        for kind, value in (("mobile", x.mobile), ("landline", x.landline), ("email", x.email)):
            row[f"{kind}_enc"] = cipher.encrypt(value) if value else None
            row[f"{kind}_bidx"] = contact_bidx(cipher, kind, value) if value else None
            row[f"{kind}_masked"] = MASKS[kind](value) if value else None
        rows.append(row)
    return rows


def contacts_in(cipher: FieldCipher, row: Row) -> list[Contact]:
    """The contacts_json column of a row selected with CONTACTS_JSON."""
    raw = row.contacts_json
    items = json.loads(raw) if isinstance(raw, str) else raw
    decrypt = cipher.decrypt
    return [Contact(id=uuid.UUID(cid), name=name, title=title,
                    mobile=decrypt(mobile) if mobile else None,
                    landline=decrypt(landline) if landline else None,
                    email=decrypt(email) if email else None, is_primary=primary)
            for cid, name, title, mobile, landline, email, primary in items]


def contact_of(cipher: FieldCipher, m: Any) -> Contact:
    """A contact from its row's mapping."""
    def clear(kind: str) -> str | None:
        token = m[f"{kind}_enc"]
        return cipher.decrypt(token) if token else None

    return Contact(id=m["id"], name=m["name"], title=m["title"], mobile=clear("mobile"),
                   landline=clear("landline"), email=clear("email"), is_primary=m["is_primary"])
