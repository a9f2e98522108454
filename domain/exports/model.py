"""Exports of lists: a job writes the file in chunks; the download streams them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from domain.shared.events import DomainEvent


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


class ExportStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    EXPIRED = "expired"  # files are kept a day: they may hold personal data


# An XLSX is written in resumable pieces like a CSV, but its last step reads the whole sheet
# back to close the ZIP, and a sheet far longer is no spreadsheet anyone opens: it is capped.
XLSX_MAX_ROWS = 100_000
# Exports one user may have waiting or running at once: each holds a job worker for a while,
# so a loop of requests must not queue thousands of them ahead of everyone else's work.
MAX_ACTIVE_PER_USER = 3


class EventType:
    # A list is to be written: the reaction to the event starts the job.
    QUEUED = "export.queued"


@dataclass
class Export:
    id: uuid.UUID
    created_by: uuid.UUID
    format: ExportFormat
    filter: dict[str, Any]
    reveal: bool = False
    object: str = "customer"  # sources.ExportObject: which list is written
    locale: str = "zh-CN"  # labels.Locale: the language of the header row and the labels
    status: ExportStatus = ExportStatus.PENDING
    error: str | None = None
    rows_written: int = 0
    cursor: str | None = None
    chunks: int = 0
    bytes: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None
    finished_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False)
    events: list[DomainEvent] = field(default_factory=list, repr=False, compare=False)

    def queue(self) -> None:
        self.events.append(DomainEvent(EventType.QUEUED, "export", str(self.id),
                                       {"export_id": str(self.id)}))
