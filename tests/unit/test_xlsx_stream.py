"""The XLSX written in pieces: the pieces, joined, are one workbook that zipfile and openpyxl
read back whole, with every row and cell as it was given."""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Sequence
from typing import Any

import pytest
from openpyxl import load_workbook

from adapters.files import xlsx_stream
from adapters.files.tables import Sheets
from domain.exports.service import safe

HEADER = ["number", "name", "note", "amount", "flag"]


def written(pieces: Sequence[Sequence[Sequence[Any]]], header: Sequence[Any] = HEADER
            ) -> tuple[bytes, list[bytes]]:
    """Each inner list of rows written as one chunk, as separate export steps would."""
    sheets, chunks, row = Sheets(), [], 2
    for index, rows in enumerate(pieces):
        chunk = sheets.xlsx_head(header) if index == 0 else b""
        chunk += sheets.xlsx_rows(rows, first_row=row)
        row += len(rows)
        if index == len(pieces) - 1:
            tally = sheets.xlsx_tally()
            for before in chunks:
                tally.feed(before)
            tally.feed(chunk)
            chunk += tally.tail()
        chunks.append(chunk)
    return b"".join(chunks), chunks


def sheet_values(data: bytes) -> list[tuple[Any, ...]]:
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    return list(sheet.iter_rows(values_only=True))


ODD_ROWS = [
    ["C202612000001", "上海明远精密机械制造有限公司", "重点客户，长期合作", 1250000, True],
    ["C202612000002", safe("=HYPERLINK(\"http://evil\")"), safe("+86 138"), 3.5, False],
    ["C202612000003", "Tom & Jerry <Ltd> \"quoted\" 'single'", "", None, None],
    ["C202612000004", "tab\there\r\nnew line", "bell\x07 and nul\x00 gone", -7, None],
    ["C202612000005", "  padded  ", "emoji 😀 ok", 0, None],
]


def test_pieces_written_apart_make_one_workbook_with_every_row() -> None:
    data, chunks = written([ODD_ROWS[:2], ODD_ROWS[2:4], ODD_ROWS[4:]])
    assert len(chunks) == 3
    values = sheet_values(data)
    assert values[0] == tuple(HEADER)
    assert values[1] == ("C202612000001", "上海明远精密机械制造有限公司", "重点客户，长期合作",
                         1250000, True)
    assert values[2] == ("C202612000002", "'=HYPERLINK(\"http://evil\")", "'+86 138", 3.5,
                         False)
    assert values[3] == ("C202612000003", "Tom & Jerry <Ltd> \"quoted\" 'single'", None, None,
                         None)
    assert values[4] == ("C202612000004", "tab\there\r\nnew line", "bell and nul gone", -7, None)
    assert values[5] == ("C202612000005", "  padded  ", "emoji 😀 ok", 0, None)
    assert len(values) == 6


def test_the_zip_is_sound_and_the_sheet_crc_matches() -> None:
    many = [[f"C{i:012d}", f"客户{i}", "x" * (i % 50), i, None] for i in range(5000)]
    data, _ = written([many[:1700], many[1700:3400], many[3400:]])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert names[:1] == ["[Content_Types].xml"] and xlsx_stream.SHEET_PATH in names
        info = archive.getinfo(xlsx_stream.SHEET_PATH)
        xml = archive.read(xlsx_stream.SHEET_PATH)
    assert info.flag_bits & 0x08 and info.compress_type == zipfile.ZIP_DEFLATED
    assert zlib.crc32(xml) == info.CRC and len(xml) == info.file_size
    assert xml.startswith(b"<?xml") and xml.endswith(b"</sheetData></worksheet>")
    values = sheet_values(data)
    assert len(values) == 5001 and values[-1][:2] == ("C000000004999", "客户4999")
    assert [v[3] for v in values[1:]] == list(range(5000))


def test_a_file_with_no_rows_is_a_workbook_with_the_header_alone() -> None:
    data, _ = written([[]])
    assert sheet_values(data) == [tuple(HEADER)]


def test_a_step_written_twice_after_a_kill_makes_the_same_bytes() -> None:
    """A killed step is redone from the same cursor: the head and pieces do not vary."""
    first, _ = written([ODD_ROWS[:2], ODD_ROWS[2:]])
    again, _ = written([ODD_ROWS[:2], ODD_ROWS[2:]])
    assert first == again


def test_the_tally_refuses_a_file_that_is_not_its_own() -> None:
    tally = xlsx_stream.SheetTally()
    with pytest.raises(ValueError, match="head"):
        tally.feed(b"PK\x03\x04 not ours" + b"\x00" * 400)


def test_cells_past_z_and_long_text_stay_in_their_columns() -> None:
    header = [f"col{i}" for i in range(30)]
    row = [f"v{i}" for i in range(30)]
    row[5] = ""
    row[29] = "长" * 40_000
    data, _ = written([[row]], header=header)
    values = sheet_values(data)
    assert values[0] == tuple(header)
    assert values[1][:5] == tuple(row[:5]) and values[1][5] is None
    assert values[1][27] == "v27" and values[1][29] == "长" * xlsx_stream.MAX_CELL_CHARS
    assert xlsx_stream.column_letters(0) == "A" and xlsx_stream.column_letters(27) == "AB"
    assert xlsx_stream.column_letters(26 + 26 * 26) == "AAA"
