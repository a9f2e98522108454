"""An XLSX workbook written in independent pieces, so a long export resumes between them.

An XLSX is a ZIP. The head holds the small fixed parts as ordinary deflated entries, then the
local header of the one worksheet with bit 3 set (its CRC and sizes follow the data in a data
descriptor) and the start of the sheet's XML. Each piece of rows is deflated by a fresh raw
compressor flushed with Z_SYNC_FLUSH: it ends on a byte boundary without ending the stream and
refers to nothing before it, so pieces written by different jobs concatenate into one valid
deflate stream. The tail ends that stream (Z_FINISH), then writes the data descriptor, the
central directory and the end record; the sheet's CRC-32 and size come from reading the pieces
back (`SheetTally`), so nothing but the bytes themselves has to be kept between jobs.
"""

from __future__ import annotations

import math
import re
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

LEVEL = 6
SHEET_NAME = "customers"
SHEET_PATH = "xl/worksheets/sheet1.xml"
# Excel shows at most this many characters in a cell and calls a longer one corrupt.
MAX_CELL_CHARS = 32_767
# Past this a ZIP needs ZIP64 records; an export that large is refused instead.
ZIP32_LIMIT = 0xFFFFFFFF

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

_FIXED_PARTS: tuple[tuple[str, str], ...] = (
    ("[Content_Types].xml", _DECL +
     '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
     '<Default Extension="rels" ContentType="application/'
     'vnd.openxmlformats-package.relationships+xml"/>'
     '<Default Extension="xml" ContentType="application/xml"/>'
     '<Override PartName="/xl/workbook.xml" ContentType="application/'
     'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
     '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
     'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
     '<Override PartName="/xl/styles.xml" ContentType="application/'
     'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
     '</Types>'),
    ("_rels/.rels", _DECL +
     f'<Relationships xmlns="{_PKG_REL}">'
     f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
     '</Relationships>'),
    ("xl/workbook.xml", _DECL +
     f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
     f'<sheet name="{SHEET_NAME}" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    ("xl/_rels/workbook.xml.rels", _DECL +
     f'<Relationships xmlns="{_PKG_REL}">'
     f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
     f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/>'
     '</Relationships>'),
    ("xl/styles.xml", _DECL +
     f'<styleSheet xmlns="{_MAIN}">'
     '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
     '<fills count="2"><fill><patternFill patternType="none"/></fill>'
     '<fill><patternFill patternType="gray125"/></fill></fills>'
     '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
     '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
     '</cellStyleXfs>'
     '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
     '</cellXfs>'
     '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
     '</styleSheet>'),
)
_SHEET_OPEN = _DECL + f'<worksheet xmlns="{_MAIN}"><sheetData>'
_SHEET_CLOSE = "</sheetData></worksheet>"

# 2026-01-01 00:00 in MS-DOS form: a fixed stamp keeps the head byte-for-byte repeatable.
_DOS_TIME, _DOS_DATE = 0, ((2026 - 1980) << 9) | (1 << 5) | 1
_VERSION = 20  # 2.0: deflate and data descriptors
_FLAG_UTF8, _FLAG_DESCRIPTOR = 0x0800, 0x0008
_DEFLATED = 8


# ---- cells and rows ----------------------------------------------------------------------------

# Characters XML 1.0 cannot hold at all, even escaped.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def column_letters(index: int) -> str:
    """A (0) … Z (25), AA (26) …"""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _text(value: str) -> str:
    value = _ILLEGAL.sub("", value)[:MAX_CELL_CHARS]
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value.replace("\r", "&#13;")  # a parser reads a bare CR as a line feed


def cell_xml(ref: str, value: Any) -> str:
    """One cell; an empty value writes nothing (its reference keeps the others in place)."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float) and math.isfinite(value):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    text = _text(str(value))
    if not text:
        return ""
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<c r="{ref}" t="inlineStr"><is><t{space}>{text}</t></is></c>'


def rows_xml(rows: Sequence[Sequence[Any]], first_row: int) -> str:
    """Rows numbered from first_row (1 is the top of the sheet)."""
    columns = [column_letters(i) for i in range(max((len(r) for r in rows), default=0))]
    out = []
    for number, row in enumerate(rows, start=first_row):
        cells = "".join(cell_xml(f"{columns[i]}{number}", v) for i, v in enumerate(row))
        out.append(f'<row r="{number}">{cells}</row>')
    return "".join(out)


def _piece(xml: str, final: bool = False) -> bytes:
    """Raw deflate of the XML by a fresh compressor: a self-contained piece of one stream."""
    compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
    data = compressor.compress(xml.encode())
    return data + compressor.flush(zlib.Z_FINISH if final else zlib.Z_SYNC_FLUSH)


# ---- the ZIP records ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    name: str
    offset: int
    crc: int
    compressed: int
    size: int
    flags: int


def _local_header(name: bytes, flags: int, crc: int, compressed: int, size: int) -> bytes:
    return struct.pack("<IHHHHHIIIHH", 0x04034B50, _VERSION, flags, _DEFLATED, _DOS_TIME,
                       _DOS_DATE, crc, compressed, size, len(name), 0) + name


def _central_header(entry: _Entry) -> bytes:
    name = entry.name.encode()
    return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, _VERSION, _VERSION, entry.flags,
                       _DEFLATED, _DOS_TIME, _DOS_DATE, entry.crc, entry.compressed, entry.size,
                       len(name), 0, 0, 0, 0, 0, entry.offset) + name


@dataclass(frozen=True)
class _Head:
    data: bytes  # the fixed parts and the sheet's local header, without any sheet data
    entries: tuple[_Entry, ...]  # the fixed parts'; the sheet's local header follows them


@cache
def _head() -> _Head:
    data, entries = b"", []
    for name, xml in _FIXED_PARTS:
        raw = xml.encode()
        deflated = _piece(xml, final=True)
        entry = _Entry(name, len(data), zlib.crc32(raw), len(deflated), len(raw), _FLAG_UTF8)
        data += _local_header(name.encode(), entry.flags, entry.crc, entry.compressed,
                              entry.size) + deflated
        entries.append(entry)
    data += _local_header(SHEET_PATH.encode(), _FLAG_UTF8 | _FLAG_DESCRIPTOR, 0, 0, 0)
    return _Head(data, tuple(entries))


# ---- the three operations ----------------------------------------------------------------------


def head(header: Sequence[Any]) -> bytes:
    """The start of the file: the fixed parts, the sheet's local header and the header row."""
    return _head().data + _piece(_SHEET_OPEN + rows_xml([header], 1))


def rows_piece(rows: Sequence[Sequence[Any]], first_row: int) -> bytes:
    """The next rows of the sheet, the first being row number first_row."""
    return _piece(rows_xml(rows, first_row))


class SheetTally:
    """Reads the file written so far, piece by piece, to learn what the tail must record:
    the sheet's CRC-32 and its compressed and uncompressed sizes."""

    def __init__(self) -> None:
        self._skip = len(_head().data)
        self._inflater = zlib.decompressobj(-15)
        self.crc = 0
        self.size = 0
        self.compressed = 0

    def feed(self, written: bytes) -> None:
        if self._skip:
            skipped = min(self._skip, len(written))
            if written[:skipped] != _head().data[len(_head().data) - self._skip:][:skipped]:
                raise ValueError("the file does not start with this writer's head")
            self._skip -= skipped
            written = written[skipped:]
        self.compressed += len(written)
        self._add(self._inflater.decompress(written))

    def _add(self, xml: bytes) -> None:
        self.crc = zlib.crc32(xml, self.crc)
        self.size += len(xml)

    def tail(self) -> bytes:
        """The end of the file: the sheet's closing piece, its data descriptor, the central
        directory and the end record."""
        if self._skip or self._inflater.eof or self._inflater.unconsumed_tail:
            raise ValueError("the sheet read so far is not an open stream of whole pieces")
        closing = _SHEET_CLOSE.encode()
        last = _piece(_SHEET_CLOSE, final=True)
        self._add(closing)
        self.compressed += len(last)
        if max(self.size, self.compressed) >= ZIP32_LIMIT:
            raise ValueError("the sheet is over 4 GB, more than a ZIP without ZIP64 holds")
        fixed = _head()
        sheet = _Entry(SHEET_PATH, fixed.entries[-1].offset + _entry_length(fixed.entries[-1]),
                       self.crc, self.compressed, self.size, _FLAG_UTF8 | _FLAG_DESCRIPTOR)
        descriptor = struct.pack("<IIII", 0x08074B50, sheet.crc, sheet.compressed, sheet.size)
        directory_at = len(fixed.data) + sheet.compressed + len(descriptor)
        directory = b"".join(_central_header(e) for e in (*fixed.entries, sheet))
        if directory_at + len(directory) >= ZIP32_LIMIT:
            raise ValueError("the file is over 4 GB, more than a ZIP without ZIP64 holds")
        count = len(fixed.entries) + 1
        end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(directory),
                          directory_at, 0)
        return last + descriptor + directory + end


def _entry_length(entry: _Entry) -> int:
    return 30 + len(entry.name.encode()) + entry.compressed
