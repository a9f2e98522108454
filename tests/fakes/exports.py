"""In-memory fakes of the exports ports: the export repository with its chunks, a sheet
encoder whose output a test can read back, and saved segments' filters. The customers an
export reads are the stand-ins of tests/fakes/bulk.py (BulkUowFactory)."""

from __future__ import annotations

import copy
import csv
import io
import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from domain.customers.queries import CustomerFilter
from domain.exports.model import Export, ExportStatus
from domain.shared.authz import Actor
from domain.shared.errors import NotFound
from tests.fakes.shared import FakeUnitOfWork, repository


@repository("exports")
class FakeExports:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow
        self.records: dict[uuid.UUID, Export] = uow.state.table("exports")
        self.chunks: dict[tuple[uuid.UUID, int], bytes] = uow.state.table("export_chunks")

    async def get(self, export_id: uuid.UUID, lock: bool = False) -> Export | None:
        found = self.records.get(export_id)
        return copy.deepcopy(found) if found else None

    async def add(self, export: Export) -> None:
        export.created_at = export.updated_at = self.uow.clock.now()  # type: ignore[attr-defined]
        self.records[export.id] = copy.deepcopy(export)
        self.uow.seen.append(export)

    async def save(self, export: Export) -> None:
        export.updated_at = self.uow.clock.now()  # type: ignore[attr-defined]
        self.records[export.id] = copy.deepcopy(export)

    async def add_chunk(self, export_id: uuid.UUID, seq: int, data: bytes) -> None:
        self.chunks[(export_id, seq)] = data

    async def chunk(self, export_id: uuid.UUID, seq: int) -> bytes | None:
        return self.chunks.get((export_id, seq))

    async def stale(self, older_than: datetime) -> list[uuid.UUID]:
        return [e.id for e in self.records.values()
                if e.status in (ExportStatus.PENDING, ExportStatus.RUNNING)
                and e.updated_at is not None and e.updated_at < older_than]

    async def active_for(self, user_id: uuid.UUID) -> int:
        return sum(1 for e in self.records.values() if e.created_by == user_id
                   and e.status in (ExportStatus.PENDING, ExportStatus.RUNNING))

    async def expire(self, finished_before: datetime) -> int:
        old = [e for e in self.records.values() if e.status == ExportStatus.DONE
               and e.finished_at is not None and e.finished_at < finished_before]
        for e in old:
            e.status = ExportStatus.EXPIRED
            for key in [k for k in self.chunks if k[0] == e.id]:
                del self.chunks[key]
        return len(old)


class FakeSheets:
    """CSV as the real encoder writes it; an "XLSX" of JSON lines: the head (the header), one
    line per row with its row number, and a tail that counts the bytes read back before it."""

    def __init__(self) -> None:
        self.xlsx_pieces = 0

    def csv(self, rows: Sequence[Sequence[Any]]) -> bytes:
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        return out.getvalue().encode()

    def xlsx_head(self, header: Sequence[Any]) -> bytes:
        return _line(["head", list(header)])

    def xlsx_rows(self, rows: Sequence[Sequence[Any]], first_row: int) -> bytes:
        self.xlsx_pieces += 1
        return b"".join(_line([n, list(r)]) for n, r in enumerate(rows, start=first_row))

    def xlsx_tally(self) -> FakeTally:
        return FakeTally()


class FakeTally:
    def __init__(self) -> None:
        self.read = b""

    def feed(self, written: bytes) -> None:
        self.read += written

    def tail(self) -> bytes:
        return _line(["tail", len(self.read)])


def _line(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, default=str).encode() + b"\n"


def xlsx_rows(data: bytes) -> list[list[Any]]:
    """A finished fake XLSX read back: the header, then the rows, checked to be whole."""
    lines = [json.loads(line) for line in data.decode().splitlines()]
    (head, header), *body, (tail, size) = lines
    assert head == "head" and tail == "tail" and size == len(data) - len(_line(["tail", size]))
    assert [n for n, _ in body] == list(range(2, len(body) + 2))
    return [header, *(row for _, row in body)]


def csv_rows(data: bytes) -> list[list[str]]:
    """A finished CSV export read back (without its byte-order mark)."""
    return list(csv.reader(io.StringIO(data.decode().lstrip("\ufeff"))))


class FakeSegments:
    """Saved segments' filters; one the caller may not use answers NotFound."""

    def __init__(self) -> None:
        self.filters: dict[uuid.UUID, CustomerFilter] = {}

    async def segment_filter(self, actor: Actor, segment_id: uuid.UUID) -> CustomerFilter:
        if segment_id not in self.filters:
            raise NotFound("segment", segment_id)
        return self.filters[segment_id]
