"""No silent loss (issue 12): rows beyond an understated `<dimension>`, merged cells, formulas without a cached
value, encodings that are not Chinese, absurdly large cells — each read correctly or refused naming what and where."""

import datetime
import io
import re
import zipfile

import pytest
from openpyxl import Workbook

from cases.importer import run_import
from cases.models import Case, ProceduralEvent
from tests.factories import make_case
from tests.import_kit import CASE_HEADER, EVENT_HEADER, table_counts, write_xlsx

D = datetime.date


@pytest.fixture
def today(today_fixed):
    return today_fixed(D(2025, 12, 31))


def rewrite_part(data: bytes, part: str, change) -> bytes:
    """The zip with one part's content passed through `change` (the rest copied as it is)."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            target.writestr(item.filename, change(content) if item.filename == part else content)
    return out.getvalue()


def case_rows(n: int) -> list[list[str]]:
    return [[f"检刑受[2025]{i}号", "", "", "", "U-MAIN", "D-1", "P-001", "", ""] for i in range(1, n + 1)]


def test_rows_beyond_an_understated_dimension_are_read(org, today, tmp_path):
    path = write_xlsx(tmp_path / "c.xlsx", {"cases": (CASE_HEADER, case_rows(30))})
    sheet = "xl/worksheets/sheet1.xml"
    data = rewrite_part(
        path.read_bytes(), sheet, lambda x: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:I3"', x)
    )
    assert b'<dimension ref="A1:I3"' in zipfile.ZipFile(io.BytesIO(data)).read(sheet)
    path.write_bytes(data)

    report = run_import(path)

    assert report.ok, report.errors
    assert Case.objects.count() == 30  # openpyxl's read-only mode stopped at row 3: 2 cases


def test_merged_cells_in_data_rows_are_errors_naming_the_cells(org, today, tmp_path):
    cases = [make_case(org.prosecutors[0]) for _ in range(2)]
    rows = [[c.case_no, "prosecution_review", "2025-03-01", "", "", ""] for c in cases]
    rows.append([cases[1].case_no, "supplementary_investigation", "2025-03-10", "", "", ""])
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "events"
    sheet.append(EVENT_HEADER)
    for row in rows:
        sheet.append(row)
    sheet.merge_cells("A3:A4")  # the case number typed once for two rows
    path = tmp_path / "e.xlsx"
    workbook.save(path)
    before = table_counts()

    report = run_import(path)

    assert not report.ok and table_counts() == before
    merged = [e for e in report.errors if "A3:A4" in e.reason]
    assert merged and merged[0].row == 3 and merged[0].column == "case_no", report.errors


def test_a_merged_title_above_the_header_is_fine(org, today, tmp_path):
    case = make_case(org.prosecutors[0])
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["诉讼环节登记表"])
    sheet.merge_cells("A1:F1")
    sheet.append(EVENT_HEADER)
    sheet.append([case.case_no, "prosecution_review", "2025-03-01", "", "", ""])
    path = tmp_path / "e.xlsx"
    workbook.save(path)
    report = run_import(path)
    assert report.ok, report.errors
    assert ProceduralEvent.objects.count() == 1


def test_formula_cells_without_a_cached_value_are_errors_naming_the_cells(org, today, tmp_path):
    case = make_case(org.prosecutors[0])
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "events"
    sheet.append(EVENT_HEADER)
    sheet.append([case.case_no, "prosecution_review", "=DATE(2025,3,1)", "", "", ""])
    sheet.append([case.case_no, "supplementary_investigation", "2025-03-10", "=1+1", "", ""])
    path = tmp_path / "e.xlsx"
    workbook.save(path)  # openpyxl writes formulas without their value, as scripts and some tools do
    before = table_counts()

    report = run_import(path)

    assert not report.ok and table_counts() == before
    named = {(e.row, e.column, e.value) for e in report.errors if "公式" in e.reason}
    assert named == {(2, "date", "C2"), (3, "persons", "D3")}, report.errors


def test_formula_cells_with_a_cached_value_are_read(org, today, tmp_path):
    case = make_case(org.prosecutors[0])
    path = write_xlsx(tmp_path / "e.xlsx", {"events": (EVENT_HEADER, [[case.case_no, "prosecution_review", "x"]])})
    # As Excel saves it: the formula and its value.
    cell = re.compile(rb'<c r="C2"[^>]*>.*?</c>')
    data = rewrite_part(
        path.read_bytes(),
        "xl/worksheets/sheet1.xml",
        lambda x: cell.sub(b'<c r="C2"><f>DATE(2025,3,1)</f><v>45717</v></c>', x),
    )
    path.write_bytes(data)
    report = run_import(path)
    assert report.ok, report.errors
    assert ProceduralEvent.objects.get().date == D(2025, 3, 1)


ROWS = "case_no,title,unit,department,prosecutor\r\nA1,李某詐騙案,U-MAIN,D-1,P-001\r\n"


@pytest.mark.parametrize(
    ("encoding", "named"),
    [
        ("big5", "big5"),
        ("shift_jis", "cp932"),
        ("utf-16-le", "utf_16_le"),
        ("utf-16-be", "utf_16_be"),
    ],
)
def test_csv_in_other_encodings_is_refused_naming_the_encoding(org, today, tmp_path, encoding, named):
    text = "統一受案號,案件名稱,所屬院,部門,承辦檢察官\r\nA1,王某危險駕駛案,U-MAIN,D-1,P-001\r\n"
    if encoding == "shift_jis":
        text = "case_no,title,unit,department,prosecutor\r\nA1,山田太郎の詐欺事件,U-MAIN,D-1,P-001\r\n"
    path = tmp_path / "c.csv"
    path.write_bytes(text.encode(encoding))
    before = table_counts()

    report = run_import(path, "cases")

    assert not report.ok and table_counts() == before
    assert named in report.errors[0].reason and "GB18030" in report.errors[0].reason, report.errors


def test_an_encoding_the_office_names_is_read(org, today, tmp_path):
    text = "case_no,title,unit,department,prosecutor\r\nA1,王某危險駕駛案,U-MAIN,D-1,P-001\r\n"
    path = tmp_path / "c.csv"
    path.write_bytes(text.encode("big5"))
    report = run_import(path, "cases", encoding="big5")
    assert report.ok, report.errors
    assert Case.objects.get(case_no="A1").title == "王某危險駕駛案"


def test_utf16_with_bom_as_excel_unicode_text_is_read(org, today, tmp_path):
    text = "case_no\ttitle\tunit\tdepartment\tprosecutor\r\nA1\t李某诈骗案\tU-MAIN\tD-1\tP-001\r\n"
    path = tmp_path / "c.csv"
    path.write_bytes(text.encode("utf-16"))  # with BOM
    report = run_import(path)
    assert report.ok, report.errors
    assert Case.objects.get(case_no="A1").title == "李某诈骗案"


def test_xlsx_with_a_huge_cell_is_refused_before_it_is_expanded(org, today, tmp_path):
    """A 200 MB cell compresses to a few hundred KB: refused from the zip's declared sizes."""
    path = write_xlsx(tmp_path / "c.xlsx", {"cases": (CASE_HEADER, case_rows(1))})
    huge = b"A" * (200 * 1024 * 1024)
    data = rewrite_part(
        path.read_bytes(),
        "xl/worksheets/sheet1.xml",
        lambda x: re.sub(rb"<t>[^<]*</t>", lambda m: b"<t>" + huge + b"</t>", x, count=1),
    )
    assert len(data) < 2 * 1024 * 1024
    path.write_bytes(data)
    before = table_counts()

    report = run_import(path)

    assert not report.ok and table_counts() == before
    assert "xl/worksheets/sheet1.xml" in report.errors[0].reason and "倍" in report.errors[0].reason


def test_xlsx_expanding_past_the_configured_limit_is_refused(org, today, tmp_path, settings):
    settings.IMPORT_MAX_XLSX_EXPANDED_BYTES = 20_000
    path = write_xlsx(tmp_path / "c.xlsx", {"cases": (CASE_HEADER, case_rows(200))})
    report = run_import(path)
    assert not report.ok and Case.objects.count() == 0
    assert "MB" in report.errors[0].reason and "上限" in report.errors[0].reason
