"""Import validation (DESIGN.md "Import"): DOMAIN.md §5 sequence rules, all-or-nothing, references, repeats."""

import datetime

import pytest

from cases import rollup
from cases.importer import run_import
from cases.models import Case, ProceduralEvent
from tests.factories import make_case
from tests.import_kit import CASE_HEADER, EVENT_HEADER, table_counts, write_csv

D = datetime.date


@pytest.fixture
def today(today_fixed):
    return today_fixed(D(2025, 12, 31))


def import_events(tmp_path, rows, name="events.csv"):
    path = write_csv(tmp_path / name, EVENT_HEADER, [[*row, *[""] * (6 - len(row))] for row in rows])
    return run_import(path, "events")


def rules_of(report):
    return [(e.row, e.column, e.reason.split("：")[0]) for e in report.errors]


# Each rule refused through the import, with the rule named; each has an accepted positive control.
REFUSED = [
    ("规则1", [("prosecution_review", "2026-01-05")], 2, "date"),
    ("规则1", [("prosecution_review", "1999-12-31")], 2, "date"),
    ("规则2", [("supplementary_investigation", "2025-03-01")], 2, "event"),
    ("规则2", [("prosecution_review", "2025-03-01"), ("indictment", "2025-02-01")], 3, "event"),
    ("规则2", [("prosecution_review", "2025-03-01"), ("resubmission", "2025-03-20")], 3, "event"),
    ("规则3", [("arrest_reconsideration", "2025-03-01")], 2, "event"),
    ("规则3", [("arrest_review", "2025-03-01"), ("arrest_superior_review", "2025-03-05")], 3, "event"),
    ("规则3", [("non_prosecution_superior_review", "2025-03-05")], 2, "event"),
    (
        "规则4",
        [
            ("prosecution_review", "2025-01-01"),
            ("supplementary_investigation", "2025-01-10"),
            ("resubmission", "2025-02-10"),
            ("supplementary_investigation", "2025-02-20"),
            ("resubmission", "2025-03-20"),
            ("supplementary_investigation", "2025-04-01"),
        ],
        7,
        "event",
    ),
    (
        "规则5",
        [("prosecution_review", "2025-01-01"), ("review_extension", "2025-01-20"), ("review_extension", "2025-01-25")],
        4,
        "event",
    ),
]
ACCEPTED = [
    [("prosecution_review", "2025-03-01"), ("supplementary_investigation", "2025-03-01")],  # base first on one date
    [
        ("arrest_review", "2025-03-01"),
        ("arrest_reconsideration", "2025-03-04"),
        ("arrest_superior_review", "2025-03-09"),
    ],
    [
        ("prosecution_review", "2025-01-01"),
        ("supplementary_investigation", "2025-01-10"),
        ("resubmission", "2025-02-10"),
        ("supplementary_investigation", "2025-02-20"),
        ("resubmission", "2025-03-20"),
        ("self_supplementary_investigation", "2025-03-25"),
    ],
    # One extension per review period: the resubmission starts a new one, even on the same day.
    [
        ("prosecution_review", "2025-01-01"),
        ("review_extension", "2025-01-20"),
        ("supplementary_investigation", "2025-02-01"),
        ("resubmission", "2025-03-01"),
        ("review_extension", "2025-03-01"),
    ],
    [("non_prosecution_reconsideration", "2025-03-01"), ("non_prosecution_superior_review", "2025-03-09")],
    [("prosecution_review", "2000-01-01"), ("indictment", "2025-12-31")],
]


@pytest.mark.parametrize(("rule", "steps", "row", "column"), REFUSED)
def test_each_sequence_rule_is_refused_naming_the_rule(org, today, tmp_path, rule, steps, row, column):
    case = make_case(org.prosecutors[0])
    before = table_counts()
    report = import_events(tmp_path, [(case.case_no, code, day) for code, day in steps])
    assert not report.ok
    assert (row, column, rule) in rules_of(report)
    assert table_counts() == before


@pytest.mark.parametrize("steps", ACCEPTED)
def test_positive_controls_are_accepted(org, today, tmp_path, steps):
    case = make_case(org.prosecutors[0])
    report = import_events(tmp_path, [(case.case_no, code, day) for code, day in steps])
    assert report.ok, report.errors
    assert ProceduralEvent.objects.filter(case=case).count() == len(steps)


def test_rule6_event_after_the_closed_date(org, today, tmp_path):
    case = make_case(org.prosecutors[0], [("prosecution_review", D(2025, 1, 1))], closed_on=D(2025, 4, 1))
    report = import_events(
        tmp_path,
        [
            (case.case_no, "supplementary_investigation", "2025-04-02"),
            (case.case_no, "indictment", "2025-04-01"),
            (case.case_no, "second_instance", "2025-05-01"),
        ],
    )
    assert rules_of(report) == [(2, "event", "规则6")]  # a post-closure trial step is fine


def test_rule6_closed_date_set_before_stored_review_steps(org, today, tmp_path):
    case = make_case(
        org.prosecutors[0], [("prosecution_review", D(2025, 1, 1)), ("supplementary_investigation", D(2025, 5, 1))]
    )
    path = write_csv(
        tmp_path / "cases.csv",
        CASE_HEADER,
        [[case.case_no, "", "", "", "U-MAIN", "D-1", "P-001", "", "2025-04-01"]],
    )
    report = run_import(path, "cases")
    assert [(e.kind, e.row, e.column, e.value) for e in report.errors] == [("cases", 2, "closed_on", "2025-04-01")]
    assert "规则6" in report.errors[0].reason
    case.refresh_from_db()
    assert case.closed_on is None


def test_incoming_event_that_makes_a_stored_one_break_a_rule(org, today, tmp_path):
    case = make_case(
        org.prosecutors[0],
        [
            ("prosecution_review", D(2025, 1, 1)),
            ("supplementary_investigation", D(2025, 1, 10)),
            ("resubmission", D(2025, 2, 10)),
            ("supplementary_investigation", D(2025, 3, 1)),
            ("resubmission", D(2025, 4, 1)),
        ],
    )
    # An earlier third round: the stored round of 2025-03-01 becomes the third; the incoming row is blamed.
    report = import_events(
        tmp_path,
        [(case.case_no, "indictment", "2025-06-01"), (case.case_no, "supplementary_investigation", "2025-01-20")],
    )
    assert rules_of(report) == [(3, "event", "规则4")]
    assert "2025-03-01" in report.errors[0].reason
    assert ProceduralEvent.objects.filter(case=case).count() == 5


def test_every_bad_row_is_listed_and_nothing_is_written(org, today, tmp_path):
    case = make_case(org.prosecutors[0], [("prosecution_review", D(2025, 1, 1))])
    before = table_counts()
    facts = rollup.snapshot()
    cases_path = write_csv(
        tmp_path / "cases.csv",
        CASE_HEADER,
        [
            ["N-1", "新案", "刑事", "", "U-MAIN", "D-1", "P-001", "", ""],  # fine on its own
            ["N-2", "", "", "", "U-MAIN", "D-1", "P-404", "", ""],
            ["N-3", "", "", "", "U-MAIN", "D-1", "P-001", "T-404", ""],
            ["", "无号", "", "", "U-MAIN", "D-1", "P-001", "", ""],
        ],
    )
    report = run_import(cases_path, "cases")
    assert [(e.row, e.column, e.value) for e in report.errors] == [
        (3, "prosecutor", "P-404"),
        (4, "team", "T-404"),
        (5, "case_no", ""),
    ]
    assert all(e.reason for e in report.errors)
    report = import_events(
        tmp_path,
        [
            (case.case_no, "supplementary_investigation", "2025-02-01"),  # fine
            ("NO-SUCH-CASE", "judgment", "2025-02-01"),
            (case.case_no, "no_such_step", "2025-02-01"),
            (case.case_no, "judgment", "2025-02-01", "0"),
            (case.case_no, "judgment", "2025-02-02", "", "P-404"),
        ],
    )
    assert [(e.row, e.column, e.value) for e in report.errors] == [
        (3, "case_no", "NO-SUCH-CASE"),
        (4, "event", "no_such_step"),
        (5, "persons", "0"),
        (6, "prosecutor", "P-404"),
    ]
    assert table_counts() == before
    assert rollup.snapshot() == facts


def test_conflicting_repeated_rows_are_errors_identical_ones_are_not(org, today, tmp_path):
    case = make_case(org.prosecutors[0])
    report = import_events(
        tmp_path,
        [
            (case.case_no, "prosecution_review", "2025-01-01", "1", "", "a"),
            (case.case_no, "prosecution_review", "2025/1/1", "1", "", "a"),
            (case.case_no, "prosecution_review", "2025-01-01", "2", "", "a"),
        ],
    )
    assert [(e.row, e.column) for e in report.errors] == [(4, "event")]
    assert "第2行" in report.errors[0].reason
    report = import_events(
        tmp_path,
        [(case.case_no, "prosecution_review", "2025-01-01"), (case.case_no, "prosecution_review", "2025-01-01")],
    )
    assert report.ok and ProceduralEvent.objects.filter(case=case).count() == 1
    cases_path = write_csv(
        tmp_path / "c.csv",
        CASE_HEADER,
        [
            ["R-1", "甲", "", "", "U-MAIN", "D-1", "P-001", "", ""],
            ["R-1", "乙", "", "", "U-MAIN", "D-1", "P-001", "", ""],
        ],
    )
    assert [(e.row, e.column) for e in run_import(cases_path).errors] == [(3, "case_no")]


def test_events_may_refer_to_cases_earlier_in_the_same_workbook_only(org, today, tmp_path):
    report = import_events(tmp_path, [("NEW-1", "prosecution_review", "2025-01-01")])
    assert [(e.row, e.column) for e in report.errors] == [(2, "case_no")]
    assert not Case.objects.filter(case_no="NEW-1").exists()


def test_unit_and_department_by_code_or_name_and_created_on_first_sight(org, today, tmp_path):
    header = ["staff_code", "name", "unit", "department", "role", "unit_code", "department_code"]
    path = write_csv(
        tmp_path / "staff.csv",
        header,
        [
            ["P-100", "甲", "U-MAIN", "第二检察部", "检察官助理", "", ""],
            ["P-101", "乙", "示范区人民检察院", "D-1", "", "", ""],
            ["P-102", "丙", "示范区人民检察院", "第九检察部", "其他", "", ""],
            ["P-103", "丁", "另一检察院", "刑事检察部", "", "", "D-X"],
            ["P-104", "戊", "另一检察院", "D-2", "", "", ""],  # D-2 belongs to another unit
        ],
    )
    report = run_import(path, "staff")
    assert [(e.row, e.column, e.value) for e in report.errors] == [(6, "department", "D-2")]
    path.write_bytes(path.read_bytes().rsplit(b"\r\n", 2)[0] + b"\r\n")  # without the bad last row
    report = run_import(path, "staff")
    assert report.ok, report.errors
    from teams.models import Prosecutor

    staff = {p.staff_code: p for p in Prosecutor.objects.select_related("unit", "department")}
    assert (staff["P-100"].department, staff["P-100"].role) == (org.departments[1], "assistant")
    assert staff["P-101"].department == org.departments[0]
    assert staff["P-102"].department.name == "第九检察部" and staff["P-102"].department.unit == org.unit
    assert staff["P-103"].unit.name == "另一检察院" and staff["P-103"].department.code == "D-X"
    assert report.counts["units"]["created"] == 1 and report.counts["departments"]["created"] == 2


def test_rule6_against_the_closed_date_the_same_workbook_sets(org, today, tmp_path):
    from tests.import_kit import write_xlsx

    path = write_xlsx(
        tmp_path / "b.xlsx",
        {
            "cases": (
                ["case_no", "unit", "department", "prosecutor", "closed_on"],
                [["C-1", "U-MAIN", "D-1", "P-001", "2025-03-31"]],
            ),
            "events": (
                EVENT_HEADER,
                [["C-1", "prosecution_review", "2025-03-01"], ["C-1", "review_extension", "2025-04-02"]],
            ),
        },
    )
    before = table_counts()
    report = run_import(path)
    assert [(e.kind, e.row, e.column, e.reason.split("：")[0]) for e in report.errors] == [
        ("events", 3, "event", "规则6")
    ]
    assert table_counts() == before


def test_a_rule_the_stored_events_already_broke_is_not_blamed_on_the_import(org, today, tmp_path):
    from cases.models import EventType

    case = make_case(org.prosecutors[0], [("prosecution_review", D(2025, 1, 1))])
    # Legacy data entered before the rules existed: three rounds, stored directly.
    si = EventType.objects.get(code="supplementary_investigation", rule_set__code="criminal-2020")
    for day in (D(2025, 1, 10), D(2025, 2, 10), D(2025, 3, 10)):
        ProceduralEvent.objects.create(case=case, event_type=si, date=day)
    report = import_events(tmp_path, [(case.case_no, "indictment", "2025-05-01")])
    assert report.ok, report.errors
    report = import_events(tmp_path, [(case.case_no, "supplementary_investigation", "2025-04-01")])
    assert rules_of(report) == [(2, "event", "规则4")]


def test_a_changed_event_prosecutor_is_updated_with_history(org, today, tmp_path):
    case = make_case(org.prosecutors[0], [("prosecution_review", D(2025, 1, 1))])
    event = ProceduralEvent.objects.get(case=case)
    assert event.prosecutor == org.prosecutors[0]
    report = import_events(tmp_path, [(case.case_no, "prosecution_review", "2025-01-01", "2", "P-002")])
    assert report.ok and report.counts["events"] == {"created": 0, "updated": 1, "unchanged": 0}
    event.refresh_from_db()
    assert (event.prosecutor, event.persons) == (org.prosecutors[1], 2)
    assert [h.history_type for h in event.history.order_by("history_id")] == ["+", "~"]


def test_every_row_with_the_same_bad_department_is_listed(org, today, tmp_path):
    from teams.models import Department

    # An unknown department name is created once, on first sight, and used by every row naming it.
    rows = [[f"M-{i}", "", "", "", "U-MAIN", "第九检察部", "P-001", "", ""] for i in range(3)]
    assert run_import(write_csv(tmp_path / "c.csv", CASE_HEADER, rows), "cases").ok
    assert Department.objects.filter(name="第九检察部", unit=org.unit).count() == 1
    assert Case.objects.filter(department__name="第九检察部").count() == 3
    # A department code of another unit is refused on each row that uses it, not only the first.
    rows = [[f"M-{i}", "", "", "", "另一院", "D-1", "P-001", "", ""] for i in range(3)]
    report = run_import(write_csv(tmp_path / "o.csv", CASE_HEADER, rows), "cases")
    assert [(e.row, e.column) for e in report.errors] == [(2, "department"), (3, "department"), (4, "department")]
