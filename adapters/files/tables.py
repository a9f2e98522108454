"""Reading and writing spreadsheets: CSV (UTF-8 with or without BOM, GB18030) and XLSX."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from adapters.files import xlsx_stream
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
    raise ValidationFailed.of("file", "file.not_text")


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


@dataclass(frozen=True)
class TableLimits:
    """How big a file an import takes in. What the file says of itself (an XLSX's declared
    dimension) is not believed: the rows and cells actually present are counted."""

    rows: int = 200_000
    columns: int = 200
    cell_chars: int = 32 * 1024
    # An XLSX is a zip: what it may inflate to, by its own directory, before a byte is parsed.
    xlsx_inflated_bytes: int = 256 * 1024 * 1024

    def too_many_rows(self) -> ValidationFailed:
        return ValidationFailed.of("file", "file.too_many_rows", max=self.rows)

    def check_row(self, number: int, row: list[str]) -> list[str]:
        """The row without its trailing empty cells, refused when it is over a limit."""
        if number > self.rows:
            raise self.too_many_rows()
        while row and not row[-1]:
            row.pop()
        if len(row) > self.columns:
            raise ValidationFailed.of("file", "file.too_many_columns", row=number,
                                      max=self.columns)
        if sum(map(len, row)) > self.cell_chars and max(map(len, row)) > self.cell_chars:
            raise ValidationFailed.of("file", "file.cell_too_long", row=number,
                                      max=self.cell_chars)
        return row


def _csv_lines(text: str, limits: TableLimits) -> Iterator[str]:
    """The text's lines, refusing one no row within the limits could fill before the csv
    module makes a list of its cells."""
    longest = limits.columns * (limits.cell_chars + 3)
    for number, line in enumerate(io.StringIO(text, newline=""), start=1):
        if len(line) > longest:
            raise ValidationFailed.of("file", "file.line_too_long", line=number,
                                      columns=limits.columns, max=limits.cell_chars)
        yield line


def _csv_rows(text: str, limits: TableLimits) -> Iterator[list[str]]:
    for number, row in enumerate(csv.reader(_csv_lines(text, limits)), start=1):
        yield [c.strip() for c in limits.check_row(number, row)]


def _xlsx_rows(content: bytes, limits: TableLimits) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise ValidationFailed.of("file", "file.bad_xlsx") from None
    if inflated > limits.xlsx_inflated_bytes:
        raise ValidationFailed.of("file", "file.inflates_too_much",
                                  max=limits.xlsx_inflated_bytes)
    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a broken file
        raise ValidationFailed.of("file", "file.bad_xlsx") from None
    sheet = wb.worksheets[0]
    # Read-only mode pads every row to the declared dimension (A1:XFD1048576 is 17 billion
    # cells): forget it, and read no further right than one column past the limit.
    sheet.reset_dimensions()
    for number, values in enumerate(
            sheet.iter_rows(max_col=limits.columns + 1, values_only=True), start=1):
        if number > limits.rows:  # rows the file skips come as empty ones: count them too
            raise limits.too_many_rows()
        if values.count(None) == len(values):
            yield []
            continue
        yield limits.check_row(number, [_cell(v) for v in values])


def _rows_of(content: bytes, fmt: str, encoding: str | None, limits: TableLimits
             ) -> tuple[Iterator[list[str]], str | None]:
    if fmt == "csv":
        text, used = decode(content, encoding)
        # NUL cannot be stored; stray ones (from odd exporters) are dropped
        return _csv_rows(text.replace("\x00", ""), limits), used
    if fmt == "xlsx":
        return _xlsx_rows(content, limits), None
    raise ValidationFailed.of("file", "file.csv_or_xlsx")


def unique_headers(raw: Sequence[str]) -> list[str]:
    """Each header once: a blank one named by its place, a repeated one numbered ("电话 (2)").
    One set lookup per header and per number tried, so a file of 20,000 equal headers costs
    20,000 steps, not 20,000²."""
    taken: set[str] = set()
    last_number: dict[str, int] = {}
    headers = []
    for place, header in enumerate(raw, start=1):
        name = header or f"column {place}"
        if name in taken:
            number = last_number.get(name, 1)
            while f"{name} ({number})" in taken or number == 1:
                number += 1
            last_number[name] = number
            name = f"{name} ({number})"
        taken.add(name)
        headers.append(name)
    return headers


def read_table(content: bytes, fmt: str, encoding: str | None = None,
               limits: TableLimits = TableLimits()
               ) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]], str | None]:
    """(headers, (spreadsheet row number, {header: value}) for each non-blank row, encoding).

    The header row is the first of the top rows that names at least two known columns (a
    title row or merged cells above it are passed over); otherwise the first non-blank row.
    Rows, columns and cells past `limits` are refused as they are met (ValidationFailed).
    """
    rows, used = _rows_of(content, fmt, encoding, limits)
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
            raise ValidationFailed.of("file", "file.no_rows")
        header_at = non_blank[0]
    headers = unique_headers(scanned[header_at][1])
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
    """The SheetEncoder port: CSV chunks, and XLSX workbooks written in resumable pieces."""

    def csv(self, rows: list[list[Any]] | Any) -> bytes:
        return csv_bytes(list(rows))

    def xlsx_head(self, header: Sequence[Any]) -> bytes:
        return xlsx_stream.head(header)

    def xlsx_rows(self, rows: Sequence[Sequence[Any]], first_row: int) -> bytes:
        return xlsx_stream.rows_piece(rows, first_row)

    def xlsx_tally(self) -> xlsx_stream.SheetTally:
        return xlsx_stream.SheetTally()
