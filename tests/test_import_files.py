"""Import file formats (DESIGN.md "Import"): encodings, date and boolean forms, XLSX workbooks, row numbers."""

import datetime

import pytest

from cases import rollup
from cases.importer import run_import
from cases.models import Case, ProceduralEvent
from teams.models import Department, Membership, Prosecutor, Team, Unit
from tests.factories import make_case
from tests.import_kit import CASE_HEADER, EVENT_HEADER, write_csv, write_xlsx

D = datetime.date


@pytest.fixture
def today(today_fixed):
    return today_fixed(D(2025, 12, 31))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_cases_csv_in_each_encoding(org, today, tmp_path, encoding):
    path = write_csv(
        tmp_path / "cases.csv",
        CASE_HEADER,
        [["检刑受[2025]1号", "张某涉嫌盗窃案", "刑事", "普通", "示范区人民检察院", "第一检察部", "P-001", "T-HQ", ""]],
        encoding,
    )
    report = run_import(path, "cases")
    assert report.ok, report.errors
    case = Case.objects.get(case_no="检刑受[2025]1号")
    assert (case.title, case.line, case.category) == ("张某涉嫌盗窃案", "criminal", "ordinary")
    assert (case.unit, case.department, case.prosecutor, case.team) == (
        org.unit,
        org.departments[0],
        org.prosecutors[0],
        org.team,
    )
    assert report.counts["cases"]["created"] == 1


def test_gb18030_file_is_not_read_as_utf8(org, today, tmp_path):
    # The same bytes must not decode as UTF-8, or the test would prove nothing.
    path = write_csv(
        tmp_path / "c.csv", CASE_HEADER, [["A1", "李某诈骗案", "", "", "U-MAIN", "D-1", "P-001", "", ""]], "gb18030"
    )
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    assert run_import(path).ok  # kind recognised from the header
    assert Case.objects.get(case_no="A1").title == "李某诈骗案"


@pytest.mark.parametrize(
    "cell",
    ["2025-03-01", "2025/3/1", "2025年3月1日", str((D(2025, 3, 1) - D(1899, 12, 30)).days), "2025-03-01 00:00:00"],
)
def test_each_date_form(org, today, tmp_path, cell):
    case = make_case(org.prosecutors[0])
    path = write_csv(tmp_path / "e.csv", EVENT_HEADER, [[case.case_no, "prosecution_review", cell, "", "", ""]])
    report = run_import(path, "events")
    assert report.ok, report.errors
    event = ProceduralEvent.objects.get(case=case)
    assert event.date == D(2025, 3, 1)
    case.refresh_from_db()
    assert (case.received_on, case.items) == (D(2025, 3, 1), 1)


def test_unreadable_date_is_reported_with_row_column_value(org, today, tmp_path):
    case = make_case(org.prosecutors[0])
    path = write_csv(
        tmp_path / "e.csv",
        EVENT_HEADER,
        [
            [case.case_no, "prosecution_review", "2025-02-30", "", "", ""],
            [case.case_no, "judgment", "下周一", "", "", ""],
        ],
    )
    report = run_import(path, "events")
    assert not report.ok
    found = {(e.row, e.column, e.value) for e in report.errors}
    assert found == {(2, "date", "2025-02-30"), (3, "date", "下周一")}
    assert all(e.reason for e in report.errors)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("是", True), ("否", False), ("1", True), ("0", False), ("true", True), ("FALSE", False), ("", None)],
)
def test_boolean_forms(org, today, tmp_path, cell, expected):
    header = ["case_no", "unit", "department", "prosecutor", "plea_leniency"]
    path = write_csv(tmp_path / "c.csv", header, [["B1", "U-MAIN", "D-1", "P-001", cell]])
    report = run_import(path, "cases")
    assert report.ok, report.errors
    assert Case.objects.get(case_no="B1").plea_leniency is expected


def test_bad_boolean_and_choice(org, today, tmp_path):
    header = ["case_no", "unit", "department", "prosecutor", "plea_leniency", "line", "sentencing_recommendation"]
    path = write_csv(tmp_path / "c.csv", header, [["B1", "U-MAIN", "D-1", "P-001", "也许", "海事", "已采纳"]])
    report = run_import(path, "cases")
    assert {(e.row, e.column, e.value) for e in report.errors} == {(2, "plea_leniency", "也许"), (2, "line", "海事")}
    assert not Case.objects.exists()


def test_xlsx_workbook_imports_every_sheet_in_order(db, today, tmp_path):
    path = write_xlsx(
        tmp_path / "book.xlsx",
        {
            # Sheets in the "wrong" order in the workbook: the import still goes staff → teams → cases → events.
            "events": (
                EVENT_HEADER,
                [
                    ["X-1", "arrest_review", D(2025, 1, 5), 2, "", "首次"],
                    ["X-1", "prosecution_review", datetime.datetime(2025, 2, 1), None, "S2", None],
                    ["X-1", "supplementary_investigation", "2025/2/20", None, None, None],
                    ["X-2", "审查起诉（受理）", 45717, None, None, None],  # a label and a serial number
                ],
            ),
            "staff": (
                ["staff_code", "name", "unit", "department", "role", "unit_code", "department_code"],
                [
                    ["S1", "赵检察官", "新城区人民检察院", "第一检察部", "检察官", "U-NEW", "D-NEW-1"],
                    ["S2", "钱助理", "新城区人民检察院", "第一检察部", "assistant", "U-NEW", ""],
                ],
            ),
            "cases": (
                ["case_no", "title", "unit", "department", "prosecutor", "team", "persons"],
                [
                    ["X-1", "甲案", "U-NEW", "D-NEW-1", "S1", "TEAM-1", 2],
                    ["X-2", "乙案", "新城区人民检察院", "第一检察部", "S2", "", 1],
                ],
            ),
            "teams": (
                ["team_code", "team_name", "unit", "staff_code", "team_role", "date_from", "date_to"],
                [
                    ["TEAM-1", "长江保护", "U-NEW", "S1", "带头人", D(2025, 1, 1), None],
                    ["TEAM-1", "长江保护", "U-NEW", "S2", "member", "2025-01-01", "2025-12-31"],
                ],
            ),
        },
    )
    report = run_import(path)
    assert report.ok, report.errors
    unit = Unit.objects.get(code="U-NEW")
    assert unit.name == "新城区人民检察院"
    assert Department.objects.get(code="D-NEW-1").unit == unit
    s1, s2 = Prosecutor.objects.get(staff_code="S1"), Prosecutor.objects.get(staff_code="S2")
    assert (s1.role, s2.role) == ("prosecutor", "assistant")
    team = Team.objects.get(team_code="TEAM-1")
    assert dict(Membership.objects.filter(team=team).values_list("prosecutor__staff_code", "role")) == {
        "S1": "leader",
        "S2": "member",
    }
    x1 = Case.objects.get(case_no="X-1")
    assert (x1.team, x1.persons, x1.received_on, x1.items) == (team, 2, D(2025, 1, 5), 2)
    first = ProceduralEvent.objects.get(case=x1, event_type__code="arrest_review")
    assert (first.persons, first.note, first.prosecutor) == (2, "首次", s1)  # prosecutor defaults to the case's
    assert ProceduralEvent.objects.get(case=x1, event_type__code="prosecution_review").prosecutor == s2
    x2 = Case.objects.get(case_no="X-2")
    assert x2.received_on == D(2025, 3, 1)
    assert report.counts["events"] == {"created": 4, "updated": 0, "unchanged": 0}
    assert report.counts["units"]["created"] == 1
    assert rollup.snapshot() == _rebuilt()


def test_xlsx_row_numbers_count_blank_rows(org, today, tmp_path):
    case = make_case(org.prosecutors[0])
    path = write_xlsx(
        tmp_path / "e.xlsx",
        {
            "events": (
                EVENT_HEADER,
                [[case.case_no, "prosecution_review", "2025-01-01"], [], [case.case_no, "nonsense", "2025-01-02"]],
            )
        },
    )
    report = run_import(path, "events")
    assert [(e.row, e.column, e.value) for e in report.errors] == [(4, "event", "nonsense")]


def test_csv_row_numbers_count_blank_lines_and_header(org, today, tmp_path):
    case = make_case(org.prosecutors[0])
    path = tmp_path / "e.csv"
    path.write_text(
        f"case_no,event,date\n{case.case_no},prosecution_review,2025-01-01\n\n{case.case_no},bogus,2025-01-02\n",
        encoding="utf-8",
    )
    report = run_import(path, "events")
    assert [(e.row, e.column, e.value) for e in report.errors] == [(4, "event", "bogus")]


def test_extra_columns_are_ignored_and_missing_required_ones_reported(org, today, tmp_path):
    case = make_case(org.prosecutors[0])
    ok = write_csv(
        tmp_path / "ok.csv",
        ["case_no", "event", "date", "备注2"],
        [[case.case_no, "prosecution_review", "2025-01-01", "x"]],
    )
    assert run_import(ok, "events").ok
    bad = write_csv(tmp_path / "bad.csv", ["case_no", "event"], [[case.case_no, "judgment"]])
    report = run_import(bad, "events")
    assert [(e.row, e.column) for e in report.errors] == [(1, "date")]


def _rebuilt():
    rollup.rebuild()
    return rollup.snapshot()


def test_uploaded_file_objects_are_read_like_paths(org, today, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    case = make_case(org.prosecutors[0])
    csv_path = write_csv(
        tmp_path / "e.csv", EVENT_HEADER, [[case.case_no, "审查起诉", "2025/3/1", "", "", "上传"]], "gb18030"
    )
    upload = SimpleUploadedFile("事件.csv", csv_path.read_bytes())
    report = run_import(upload, "events", dry_run=True)
    assert report.ok and report.counts["events"]["created"] == 1 and not report.written
    report = run_import(upload, "events")  # the same object again: readers rewind it
    assert report.ok and report.written
    assert ProceduralEvent.objects.get(case=case).note == "上传"
    assert ProceduralEvent.history.latest("history_id").history_change_reason == "导入 事件.csv"
    xlsx_path = write_xlsx(
        tmp_path / "c.xlsx",
        {"cases": (["case_no", "unit", "department", "prosecutor"], [["U-1", "U-MAIN", "D-1", "P-001"]])},
    )
    report = run_import(SimpleUploadedFile("c.xlsx", xlsx_path.read_bytes()))
    assert report.ok and Case.objects.filter(case_no="U-1").exists()
    assert report.as_dict()["counts"]["cases"]["created"] == 1


def test_unreadable_files_are_reported_not_raised(db, today, tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"")
    report = run_import(path, "events")
    assert not report.ok and report.errors[0].row == 1
    broken = tmp_path / "b.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    assert not run_import(broken).ok
    unknown = write_csv(tmp_path / "u.csv", ["foo", "bar"], [["1", "2"]])
    report = run_import(unknown)
    # The page has no flag: the message asks for the kind without naming the command's option.
    assert "导入类型" in report.errors[0].reason and "--kind" not in report.errors[0].reason
