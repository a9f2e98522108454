"""Reading an uploaded spreadsheet within bounds: what a file declares of itself is not
believed, rows, columns and cells past the limits are refused naming the limit, and
repeated headers are told apart in linear time."""

from __future__ import annotations

import io
import zipfile

import pytest

from adapters.files.tables import TableLimits, read_table, unique_headers
from domain.shared.errors import ValidationFailed

_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
         'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http:'
         '//schemas.openxmlformats.org/officeDocument/2006/relationships/{kind}" Target='
         '"{target}"/></Relationships>')


def small_xlsx(dimension: str, rows: list[tuple[int, list[tuple[str, str]]]]) -> bytes:
    """A workbook as small as Excel can read: one sheet declaring `dimension`, holding only
    `rows` (row number, [(cell reference, text)])."""
    cells = "".join(
        f'<row r="{n}">' + "".join(f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'
                                   for ref, text in row) + "</row>" for n, row in rows)
    ns = "http://schemas.openxmlformats.org"
    parts = {
        "[Content_Types].xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{ns}/package/2006/content-'
            'types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
            'package.relationships+xml"/><Default Extension="xml" ContentType="application/'
            'xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
            '"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/></Types>'),
        "_rels/.rels": _RELS.format(kind="officeDocument", target="xl/workbook.xml"),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{ns}/spreadsheetml/2006/'
            f'main" xmlns:r="{ns}/officeDocument/2006/relationships"><sheets><sheet name='
            '"Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": _RELS.format(kind="worksheet",
                                                   target="worksheets/sheet1.xml"),
        "xl/worksheets/sheet1.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{ns}/spreadsheetml/2006/'
            f'main"><dimension ref="{dimension}"/><sheetData>{cells}</sheetData></worksheet>'),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return out.getvalue()


HEADER_AND_ONE_ROW = [(1, [("A1", "客户名称"), ("B1", "联系人"), ("C1", "手机")]),
                      (2, [("A2", "上海明远精密机械制造有限公司"), ("B2", "张三"),
                           ("C2", "13812345678")])]


def test_an_xlsx_declaring_the_whole_sheet_is_read_as_the_cells_it_holds() -> None:
    content = small_xlsx("A1:XFD2000", HEADER_AND_ONE_ROW)
    assert len(content) < 2000  # the 1.6 KB upload that once stalled the server for seconds
    headers, rows, _ = read_table(content, "xlsx")
    assert headers == ["客户名称", "联系人", "手机"]  # not 16,384 columns
    assert list(rows) == [(2, {"客户名称": "上海明远精密机械制造有限公司", "联系人": "张三",
                               "手机": "13812345678"})]  # not 1,999 padded rows


def test_an_xlsx_cell_far_right_or_far_down_is_refused_without_reading_up_to_it() -> None:
    limits = TableLimits(rows=100, columns=5)
    far_right = small_xlsx("A1:C2", [*HEADER_AND_ONE_ROW, (3, [("XFD3", "x")])])
    _, rows, _ = read_table(far_right, "xlsx", limits=limits)
    assert [n for n, _ in rows] == [2]  # past the column after the limit: never read
    one_over = small_xlsx("A1:C2", [*HEADER_AND_ONE_ROW, (3, [("F3", "x")])])
    with pytest.raises(ValidationFailed) as wide:
        list(read_table(one_over, "xlsx", limits=limits)[1])
    assert wide.value.problems[0].field == "file"
    assert "row 3 has more than 5 columns" in wide.value.detail
    far_down = small_xlsx("A1:C2", [*HEADER_AND_ONE_ROW, (1048576, [("A1048576", "x")])])
    with pytest.raises(ValidationFailed) as long:
        list(read_table(far_down, "xlsx", limits=limits)[1])
    assert "more than 100 rows" in long.value.detail


def test_a_csv_header_of_twenty_thousand_commas_is_read_as_the_columns_it_names() -> None:
    content = ("客户名称,手机" + "," * 20_000 + "\n上海明远精密机械制造有限公司,13812345678\n"
               ).encode()
    assert len(content) < 21_000
    headers, rows, _ = read_table(content, "csv")
    assert headers == ["客户名称", "手机"]
    assert list(rows) == [(2, {"客户名称": "上海明远精密机械制造有限公司",
                               "手机": "13812345678"})]
    named = ",".join(["电话"] * 20_000).encode()  # 20,000 named columns: over the limit
    with pytest.raises(ValidationFailed) as e:
        read_table(named, "csv")
    assert "row 1 has more than 200 columns" in e.value.detail


def test_rows_and_cells_over_the_limits_are_refused_naming_the_limit() -> None:
    limits = TableLimits(rows=3, columns=10, cell_chars=50)
    ok = "客户名称,手机\n甲有限公司,13800000001\n乙有限公司,13800000002\n".encode()
    assert len(list(read_table(ok, "csv", limits=limits)[1])) == 2
    with pytest.raises(ValidationFailed) as rows:
        list(read_table(ok + "丙有限公司,13800000003\n".encode(), "csv", limits=limits)[1])
    assert "more than 3 rows (the limit)" in rows.value.detail
    with pytest.raises(ValidationFailed) as cell:
        list(read_table(("客户名称,手机\n" + "甲" * 51 + ",1\n").encode(), "csv",
                        limits=limits)[1])
    assert "row 2 has a cell longer than 50 characters" in cell.value.detail
    with pytest.raises(ValidationFailed) as line:
        read_table(("客户名称" + "," * 600 + "x\n").encode(), "csv", limits=limits)
    assert "longer than a row of 10 cells" in line.value.detail


def test_twenty_thousand_equal_headers_are_told_apart_with_short_names() -> None:
    headers = unique_headers(["电话"] * 20_000)
    assert len(set(headers)) == 20_000
    assert headers[:3] == ["电话", "电话 (2)", "电话 (3)"] and headers[-1] == "电话 (20000)"
    # one number per repeat, never a name grown by one mark per earlier repeat
    assert max(map(len, headers)) == len("电话 (20000)")
    assert unique_headers(["a", "a (2)", "a", "", "a"]) == ["a", "a (2)", "a (3)", "column 4",
                                                            "a (4)"]
