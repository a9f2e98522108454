"""What an export is asked for: which records, in which format and language, masked or not."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from domain.customers.queries import CustomerFilter
from domain.exports.labels import DEFAULT_LOCALE, Locale
from domain.exports.model import ExportFormat
from domain.exports.sources import ExportObject


@dataclass(frozen=True)
class CreateExport:
    format: ExportFormat = ExportFormat.CSV
    filter: CustomerFilter | None = None  # None: every customer the caller sees
    segment_id: uuid.UUID | None = None  # a saved segment's filter instead of `filter`
    reveal: bool = False  # cleartext personal data (pii:reveal; audited)
    object: ExportObject = ExportObject.CUSTOMER
    # The list filter of a lead, opportunity or contract export (sources.FILTERS), as posted.
    list_filter: dict[str, Any] = field(default_factory=dict)
    locale: Locale = DEFAULT_LOCALE
