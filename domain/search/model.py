"""What a global search answers: hits grouped by the kind of record they are."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum

from domain.shared.authz import Scope

MAX_QUERY = 100
MIN_QUERY = 2  # one character matches most of a million names: too broad to be an answer
MAX_PER_GROUP = 20


class RecordKind(StrEnum):
    CUSTOMER = "customer"
    CONTACT = "contact"
    LEAD = "lead"
    OPPORTUNITY = "opportunity"
    CONTRACT = "contract"


# The scope each kind is read with: a caller searches only the kinds it may list.
READ_SCOPE: dict[RecordKind, Scope] = {
    RecordKind.CUSTOMER: Scope.CUSTOMERS_READ,
    RecordKind.CONTACT: Scope.CUSTOMERS_READ,
    RecordKind.LEAD: Scope.LEADS_READ,
    RecordKind.OPPORTUNITY: Scope.OPPORTUNITIES_READ,
    RecordKind.CONTRACT: Scope.CONTRACTS_READ,
}


@dataclass(frozen=True)
class SearchHit:
    id: uuid.UUID
    kind: RecordKind
    title: str
    # number, company or customer, owner: what tells two hits of the same name apart
    subtitle: str
    # The customer a contact belongs to (its page is where a contact is shown); a customer's
    # own id for a customer; None for the others.
    customer_id: uuid.UUID | None = None
    # How it was found: "text" (name, number, pinyin) or "phone" (the last four digits).
    matched: str = "text"


@dataclass
class SearchResults:
    query: str
    groups: dict[RecordKind, list[SearchHit]] = field(default_factory=dict)


def phone_tail_query(q: str) -> str | None:
    """Four digits are also looked up as the end of a contact's phone number."""
    return q if len(q) == 4 and q.isascii() and q.isdigit() else None
