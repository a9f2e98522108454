"""What an export is asked for: which customers, in which format, masked or not."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from domain.customers.queries import CustomerFilter
from domain.exports.model import ExportFormat


@dataclass(frozen=True)
class CreateExport:
    format: ExportFormat = ExportFormat.CSV
    filter: CustomerFilter | None = None  # None: every customer the caller sees
    segment_id: uuid.UUID | None = None  # a saved segment's filter instead of `filter`
    reveal: bool = False  # cleartext personal data (pii:reveal; audited)
