"""Reading and writing spreadsheets: CSV (UTF-8 with or without BOM, GB18030) and XLSX."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from domain.imports.model import HEADERS, _loose
from domain.shared.errors import ValidationFailed

HEADER_SCAN_ROWS = 10
_KNOWN = {_loose(s) for names in HEADERS.values() for s in names}


def decode(content: bytes, encoding: str | None) -> tuple[str, str]:
    """(text, encoding used). Files saved by Chinese spreadsheet software are often GB18030."""
    for enc in ([encoding] if encoding else ["utf-8-sig", "gb18030"]):
        try:
            return content.decode(enc), ("utf-8" if enc == "utf-8-sig" else enc)
        except (UnicodeDecodeError, LookupError):
            continue
    raise ValidationFailed.of("file", "is neither UTF-8 nor GB18030 text; save it as CSV UTF-8")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() \
            else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 13812345678.0 from a numeric cell
    return str(value).strip()


def _rows_of(content: bytes, fmt: str, encoding: str | None
             ) -> tuple[Iterator[list[str]], str | None]:
    if fmt == "csv":
        text, used = decode(content, encoding)
        # NUL cannot be stored; stray ones (from odd exporters) are dropped
        text = text.replace("\x00", "")
        return (list(map(str.strip, r)) for r in csv.reader(io.StringIO(text))), used
    if fmt == "xlsx":
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception:  # openpyxl raises many kinds for a broken file
            raise ValidationFailed.of("file", "is not a readable .xlsx workbook") from None
        sheet = wb.worksheets[0]
        return ([_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)), None
    raise ValidationFailed.of("file", "must be a .csv or .xlsx file")


def read_table(content: bytes, fmt: str, encoding: str | None = None
               ) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]], str | None]:
    """(headers, (spreadsheet row number, {header: value}) for each non-blank row, encoding).

    The header row is the first of the top rows that names at least two known columns (a
    title row or merged cells above it are passed over); otherwise the first non-blank row.
    """
    rows, used = _rows_of(content, fmt, encoding)
    scanned: list[tuple[int, list[str]]] = []
    header_at = None
    for number, row in enumerate(rows, start=1):
        scanned.append((number, row))
        if sum(1 for c in row if _loose(c) in _KNOWN) >= 2:
            header_at = len(scanned) - 1
            break
        if len(scanned) >= HEADER_SCAN_ROWS:
            break
    if header_at is None:
        non_blank = [i for i, (_, r) in enumerate(scanned) if any(r)]
        if not non_blank:
            raise ValidationFailed.of("file", "has no rows")
        header_at = non_blank[0]
    headers_raw = scanned[header_at][1]
    headers = []
    for i, h in enumerate(headers_raw):
        name = h or f"column {i + 1}"
        while name in headers:
            name += "'"
        headers.append(name)
    leftover = scanned[header_at + 1:]

    def body() -> Iterator[tuple[int, dict[str, str]]]:
        for number, row in leftover:
            if any(row):
                yield number, dict(zip(headers, row, strict=False))
        for number, row in enumerate(rows, start=scanned[-1][0] + 1):
            if any(row):
                yield number, dict(zip(headers, row, strict=False))

    return headers, body(), used


def csv_bytes(rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


class Sheets:
    """The SheetEncoder port: CSV chunks and whole XLSX workbooks."""

    def csv(self, rows: list[list[Any]] | Any) -> bytes:
        return csv_bytes(list(rows))

    def xlsx(self, rows: Any) -> bytes:
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet("customers")
        for row in rows:
            ws.append(list(row))
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()
