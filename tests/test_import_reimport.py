"""Re-import, audit trail, warnings and the `import_data` command (DESIGN.md "Import")."""

import datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cases import rollup
from cases.importer import run_import
from cases.models import Case, ProceduralEvent
from tests.import_kit import EVENT_HEADER, table_counts, write_csv, write_xlsx

D = datetime.date
CASES = ["case_no", "title", "unit", "department", "prosecutor", "team", "persons", "received_on", "closed_on"]


@pytest.fixture
def today(today_fixed):
    return today_fixed(D(2025, 12, 31))


def workbook(tmp_path, title="甲案", note="首次受理", name="book.xlsx"):
    return write_xlsx(
        tmp_path / name,
        {
            "cases": (
                CASES,
                [
                    ["K-1", title, "U-MAIN", "D-1", "P-001", "T-HQ", 1, None, None],
                    ["K-2", "乙案", "U-MAIN", "D-2", "P-003", None, 3, None, "2025-06-30"],
                ],
            ),
            "events": (
                EVENT_HEADER,
                [
                    ["K-1", "arrest_review", "2025-01-03", 1, "P-002", note],
                    ["K-1", "prosecution_review", "2025-02-01"],
                    ["K-1", "supplementary_investigation", "2025-02-20"],
                    ["K-2", "prosecution_review", "2025-03-01"],
                    ["K-2", "review_extension", "2025-03-25"],
                    ["K-2", "indictment", "2025-06-30"],  # rule 8: the 二审 needs it
                    ["K-2", "second_instance", "2025-08-01"],
                ],
            ),
        },
    )


def test_reimporting_the_same_file_changes_nothing(org, today, tmp_path):
    path = workbook(tmp_path)
    first = run_import(path)
    assert first.ok, first.errors
    assert first.counts["cases"]["created"] == 2 and first.counts["events"]["created"] == 7
    after_first = table_counts()
    assert after_first["case_history"] == 2 and after_first["event_history"] == 7
    stamps = dict(Case.objects.values_list("case_no", "updated_at"))
    facts = rollup.snapshot()
    second = run_import(path)
    assert second.ok, second.errors
    assert second.counts["cases"] == {"created": 0, "updated": 0, "unchanged": 2}
    assert second.counts["events"] == {"created": 0, "updated": 0, "unchanged": 7}
    assert table_counts() == after_first  # no new rows, no new history entries
    assert dict(Case.objects.values_list("case_no", "updated_at")) == stamps
    assert rollup.snapshot() == facts
    k1, k2 = Case.objects.get(case_no="K-1"), Case.objects.get(case_no="K-2")
    assert (k1.received_on, k1.items, k2.received_on, k2.items) == (D(2025, 1, 3), 2, D(2025, 3, 1), 3)


def test_a_changed_field_is_updated_with_an_audit_entry(org, today, tmp_path):
    assert run_import(workbook(tmp_path)).ok
    report = run_import(workbook(tmp_path, title="甲案（更正）", note="更正备注", name="fixed.xlsx"))
    assert report.ok, report.errors
    assert report.counts["cases"] == {"created": 0, "updated": 1, "unchanged": 1}
    assert report.counts["events"] == {"created": 0, "updated": 1, "unchanged": 6}
    case = Case.objects.get(case_no="K-1")
    assert case.title == "甲案（更正）"
    titles = list(case.history.order_by("history_id").values_list("history_type", "title"))
    assert titles == [("+", "甲案"), ("~", "甲案（更正）")]
    assert case.history.latest("history_id").history_change_reason == "导入 fixed.xlsx"
    event = ProceduralEvent.objects.get(case=case, event_type__code="arrest_review")
    assert event.note == "更正备注"
    assert [h.note for h in event.history.order_by("history_id")] == ["首次受理", "更正备注"]
    assert rollup.snapshot() == _rebuilt()


def test_changed_attribution_moves_the_roll_up(org, today, tmp_path):
    assert run_import(workbook(tmp_path)).ok
    path = write_csv(
        tmp_path / "c.csv",
        ["case_no", "unit", "department", "prosecutor", "team"],
        [["K-1", "U-MAIN", "D-2", "P-003", ""]],
    )
    report = run_import(path, "cases")
    assert report.ok and report.counts["cases"]["updated"] == 1
    case = Case.objects.get(case_no="K-1")
    assert (case.department, case.prosecutor, case.team) == (
        org.departments[1],
        org.prosecutors[2],
        org.team,
    )  # blank keeps
    assert rollup.snapshot() == _rebuilt()


def test_given_received_date_differing_from_the_derived_one_is_a_warning(org, today, tmp_path):
    path = write_xlsx(
        tmp_path / "w.xlsx",
        {
            "cases": (
                CASES,
                [
                    ["W-1", "", "U-MAIN", "D-1", "P-001", None, 1, "2025-01-01", None],  # derived: 2025-01-05
                    ["W-2", "", "U-MAIN", "D-1", "P-001", None, 1, "2025-02-01", None],  # equal: no warning
                    ["W-3", "", "U-MAIN", "D-1", "P-001", None, 1, "2025/3/1", None],  # no base event at all
                ],
            ),
            "events": (
                EVENT_HEADER,
                [
                    ["W-1", "prosecution_review", "2025-01-05"],
                    ["W-2", "arrest_review", "2025-02-01"],
                    ["W-3", "detention_extension", "2025-04-01"],
                ],
            ),
        },
    )
    report = run_import(path)
    assert report.ok and report.written
    assert [(w.kind, w.row, w.column, w.value) for w in report.warnings] == [
        ("cases", 2, "received_on", "2025-01-01"),
        ("cases", 4, "received_on", "2025/3/1"),
    ]
    assert "2025-01-05" in report.warnings[0].reason
    received = dict(Case.objects.values_list("case_no", "received_on"))
    assert received == {"W-1": D(2025, 1, 5), "W-2": D(2025, 2, 1), "W-3": None}


def test_dry_run_validates_without_writing(org, today, tmp_path):
    before = table_counts()
    report = run_import(workbook(tmp_path), dry_run=True)
    assert report.ok and not report.written
    assert report.counts["events"]["created"] == 7
    assert table_counts() == before


def test_command_imports_and_reports_progress_and_summary(org, today, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("cases.importer.readers.CHUNK_ROWS", 2)
    call_command("import_data", str(workbook(tmp_path)), "--progress-every", "2")
    out, err = capsys.readouterr()
    assert "events: 2/7 rows validated" in err and "events: 7/7 rows validated" in err
    assert "cases：新增 2，更新 0，未变 0" in out
    assert "events：新增 7，更新 0，未变 0" in out
    assert Case.objects.count() == 2


def test_command_fails_with_non_zero_status_listing_every_bad_row(org, today, tmp_path, capsys):
    path = write_csv(
        tmp_path / "e.csv",
        EVENT_HEADER,
        [
            ["NOPE", "prosecution_review", "2025-01-01", "", "", ""],
            ["NOPE", "prosecution_review", "not a date", "", "", ""],
        ],
    )
    before = table_counts()
    with pytest.raises(CommandError) as failure:
        call_command("import_data", "--kind", "events", str(path))
    assert failure.value.returncode != 0
    out = capsys.readouterr().out
    assert "第2行 case_no='NOPE'" in out and "第3行 date='not a date'" in out
    assert table_counts() == before


def test_command_exit_status_from_the_shell(org, today, tmp_path, capsys):
    from cases.management.commands.import_data import Command

    path = write_csv(tmp_path / "e.csv", ["case_no"], [["X"]])
    # run_from_argv is what `manage.py import_data` runs: a CommandError becomes the process exit status.
    with pytest.raises(SystemExit) as exited:
        Command().run_from_argv(["manage.py", "import_data", "--skip-checks", "--kind", "events", str(path)])
    assert exited.value.code == 2
    assert "缺少必填列 event" in capsys.readouterr().out


def _rebuilt():
    rollup.rebuild()
    return rollup.snapshot()


@pytest.mark.parametrize("stored", [False, True], ids=["new case", "stored case"])
def test_a_case_twice_in_one_file_must_say_the_same_thing(org, today, tmp_path, stored):
    """Repeated identical rows are one case; a repeat that differs is refused, naming the first row."""
    header = ["case_no", "title", "unit", "department", "prosecutor", "persons"]
    if stored:
        assert run_import(write_csv(tmp_path / "first.csv", header, [["K-9", "甲案", "U-MAIN", "D-1", "P-001", 1]])).ok
    same = [["K-9", "甲案", "U-MAIN", "D-1", "P-001", 2], ["K-9", "甲案", "U-MAIN", "D-1", "P-001", 2]]
    report = run_import(write_csv(tmp_path / "same.csv", header, same))
    assert report.ok, report.errors
    assert Case.objects.get(case_no="K-9").persons == 2

    before = table_counts()
    no = "K-9" if stored else "K-7"  # K-7 is new to the database
    differing = [[no, "甲案", "U-MAIN", "D-1", "P-001", 2]] * 2 + [[no, "甲案", "U-MAIN", "D-1", "P-002", 2]]
    report = run_import(write_csv(tmp_path / "differing.csv", header, differing))
    assert not report.ok and table_counts() == before
    [issue] = report.errors
    assert (issue.row, issue.column, issue.value) == (4, "case_no", no)
    assert "第2行" in issue.reason


def test_cells_longer_than_their_column_are_reported_not_cut_or_half_written(org, today, tmp_path):
    """SQLite would store a 101-character case number whole and PostgreSQL refuse the write unnamed."""
    header = ["case_no", "title", "unit", "department", "prosecutor"]
    rows = [
        ["K-1", "甲案", "U-MAIN", "D-1", "P-001"],
        ["K" * 101, "乙案", "U-MAIN", "D-1", "P-001"],
        ["K-3", "丙" * 301, "U-MAIN", "D-1", "P-001"],
    ]
    before = table_counts()
    report = run_import(write_csv(tmp_path / "long.csv", header, rows))
    assert not report.ok and table_counts() == before
    assert [(i.row, i.column) for i in report.errors] == [(3, "case_no"), (4, "title")]
    assert "100" in report.errors[0].reason and "300" in report.errors[1].reason
    events = write_csv(tmp_path / "events.csv", EVENT_HEADER[:3], [["K" * 101, "prosecution_review", "2025-03-01"]])
    report = run_import(events)
    assert (report.errors[0].row, report.errors[0].column) == (2, "case_no") and table_counts() == before
