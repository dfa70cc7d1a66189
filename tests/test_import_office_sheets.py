"""Sheets as offices really export them (issue 12, DESIGN.md "Import"): Chinese headers, title rows above the
header, a 序号 column, date-times, totals rows and notes below the data — read, and what was skipped reported."""

import datetime

import pytest
from openpyxl import Workbook

from cases.importer import run_import
from cases.importer.headers import HEADERS, REQUIRED, canonical, guess_kind
from cases.models import Case, ProceduralEvent
from tests.factories import make_case
from tests.import_kit import table_counts, write_csv

D = datetime.date


@pytest.fixture
def today(today_fixed):
    return today_fixed(D(2025, 12, 31))


def office_events_xlsx(path, case_nos, *, header=None, title=True, totals=True, notes=True):
    """An events sheet the way an office saves it: a merged title, a 序号 column, date-times, totals, notes."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Sheet1"
    header = header or ["序号", "统一受案号", "诉讼环节", "日期", "人数", "备注"]
    if title:
        sheet.append(["2025年1—6月诉讼环节登记表"])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
        sheet.append(["填报单位：示范区人民检察院", None, None, "单位：件"])
    sheet.append(header)
    for n, case_no in enumerate(case_nos, start=1):
        sheet.append([n, case_no, "审查起诉受理", datetime.datetime(2025, 3, n, 10, 23, 45), 1, ""])
        sheet.append([n, case_no, "退回补充侦查", "2025-04-01 09:00:00", "", "一退"])
    if totals:
        sheet.append(["合计", None, None, None, 2 * len(case_nos), None])
    if notes:
        sheet.append([])
        sheet.append(["注：本表由案管部门填报。"])
        sheet.append(["制表人：李某"])
    workbook.save(path)
    return path


def test_office_events_sheet_with_title_rows_totals_and_notes(org, today, tmp_path):
    cases = [make_case(org.prosecutors[0]) for _ in range(3)]
    path = office_events_xlsx(tmp_path / "登记表.xlsx", [c.case_no for c in cases])

    report = run_import(path)  # no kind: recognised from the Chinese header

    assert report.ok, report.errors
    assert ProceduralEvent.objects.count() == 6
    assert ProceduralEvent.objects.filter(event_type__code="supplementary_investigation", note="一退").count() == 3
    skipped = {(s.row, s.value) for s in report.skipped}
    assert (1, "2025年1—6月诉讼环节登记表") in skipped  # the merged title row
    assert (3, "序号") in skipped  # the header row's unknown column
    totals_row = 3 + 6 + 1
    assert any(row == totals_row and "合计" in value for row, value in skipped)
    assert (totals_row + 2, "注：本表由案管部门填报。") in skipped and (totals_row + 3, "制表人：李某") in skipped
    assert all(s.reason for s in report.skipped)


def test_rows_are_numbered_as_in_the_spreadsheet_below_a_title(org, today, tmp_path):
    case = make_case(org.prosecutors[0])
    path = office_events_xlsx(tmp_path / "e.xlsx", [case.case_no, "不存在的案号"])
    before = table_counts()
    report = run_import(path)
    assert not report.ok and table_counts() == before
    # Header on row 3; the unknown case's two events are rows 6 and 7.
    assert sorted({(e.row, e.column) for e in report.errors}) == [(6, "case_no"), (7, "case_no")]


def test_csv_with_title_row_and_chinese_header_in_gb18030(org, today, tmp_path):
    header = ["序号", "统一受案号", "案件名称", "所属院", "部门", "承办检察官", "办案团队", "人数", "审结日期"]
    path = tmp_path / "cases.csv"
    lines = ["2025年审查起诉案件登记表,,,,,,,,", ",".join(header)]
    lines.append("1,检刑受[2025]9号,王某危险驾驶案,示范区人民检察院,第一检察部,P-001,T-HQ,2,")
    lines.append("合 计,,,,,,,2,")
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gb18030"))

    report = run_import(path)

    assert report.ok, report.errors
    case = Case.objects.get(case_no="检刑受[2025]9号")
    assert (case.title, case.prosecutor, case.team, case.persons) == ("王某危险驾驶案", org.prosecutors[0], org.team, 2)
    assert {s.row for s in report.skipped} == {1, 2, 4}  # title, 序号 column, totals


@pytest.mark.parametrize(
    ("kind", "header"),
    [
        ("staff", ["工号", "姓名", "所属院", "部门", "角色"]),
        ("teams", ["团队编号", "团队名称", "单位", "工号", "角色"]),
        ("cases", ["部门受案号", "案件名称", "单位", "部门", "承办人", "受理日期", "审结日期"]),
        ("events", ["统一受案号", "环节", "日期", "人数", "承办人", "备注"]),
    ],
)
def test_each_kind_is_recognised_from_its_chinese_header(kind, header):
    assert guess_kind(header) == kind
    assert set(REQUIRED[kind]) <= set(canonical(header, kind))


def test_every_column_has_a_chinese_name():
    for kind, columns in HEADERS.items():
        for column, names in columns.items():
            assert names and all(any("\u4e00" <= ch <= "\u9fff" for ch in name) for name in names), (kind, column)


def test_the_preferred_name_wins_when_a_sheet_has_two(org, today, tmp_path):
    """National exports carry both 统一受案号 and 部门受案号: the unified number is the case number."""
    case = make_case(org.prosecutors[0])
    header = ["部门受案号", "统一受案号", "诉讼环节", "日期"]
    path = write_csv(tmp_path / "e.csv", header, [["部门号-1", case.case_no, "prosecution_review", "2025-03-01"]])
    report = run_import(path)
    assert report.ok, report.errors
    assert ProceduralEvent.objects.get().case == case


def test_chinese_values_for_choices(org, today, tmp_path):
    staff = write_csv(
        tmp_path / "s.csv",
        ["工号", "姓名", "所属院", "部门", "角色"],
        [["P-901", "赵某", "示范区人民检察院", "第一检察部", "检察官助理"]],
    )
    assert run_import(staff).ok
    teams = write_csv(
        tmp_path / "t.csv",
        ["团队编号", "团队名称", "所属院", "工号", "角色"],
        [
            ["T-9", "未检团队", "示范区人民检察院", "P-901", "带头人"],
            ["T-9", "未检团队", "示范区人民检察院", "P-001", "其他组成人员"],
        ],
    )
    report = run_import(teams)
    assert report.ok, report.errors
    cases = write_csv(
        tmp_path / "c.csv",
        ["统一受案号", "所属院", "部门", "承办检察官", "认罪认罚", "量刑建议", "是否服判"],
        [["检刑受[2025]77号", "示范区人民检察院", "第一检察部", "P-901", "是", "已采纳", "否"]],
    )
    report = run_import(cases)
    assert report.ok, report.errors
    case = Case.objects.get(case_no="检刑受[2025]77号")
    assert (case.plea_leniency, case.sentencing_recommendation, case.judgment_accepted) == (True, "adopted", "no")


def test_a_data_row_after_a_blank_row_is_still_imported(org, today, tmp_path):
    """Only a row with a single filled cell below a blank row is a note; a real row there is data."""
    cases = [make_case(org.prosecutors[0]) for _ in range(2)]
    rows = [
        [cases[0].case_no, "审查起诉受理", "2025-03-01"],
        ["", "", ""],
        [cases[1].case_no, "审查起诉受理", "2025-03-02"],
    ]
    report = run_import(write_csv(tmp_path / "e.csv", ["统一受案号", "诉讼环节", "日期"], rows))
    assert report.ok, report.errors
    assert ProceduralEvent.objects.count() == 2 and not report.skipped


def test_docs_print_the_header_table():
    """docs/import.md lists every Chinese header the code accepts (one table, printed)."""
    from pathlib import Path

    docs = (Path(__file__).resolve().parent.parent / "docs" / "import.md").read_text()
    for kind, columns in HEADERS.items():
        for column, names in columns.items():
            assert any(
                line.startswith(f"| {kind} | `{column}`") and "、".join(names) in line for line in docs.splitlines()
            )
