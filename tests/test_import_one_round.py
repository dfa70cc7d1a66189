"""Every bad row in one round (issue 12): types, references and the sequence rules of every case whose rows
parse are reported together, and a refused file's report never counts rows as new."""

import datetime

import pytest

from cases.importer import run_import
from tests.factories import make_case
from tests.import_kit import EVENT_HEADER, table_counts, write_csv

D = datetime.date


@pytest.fixture
def today(today_fixed):
    return today_fixed(D(2025, 12, 31))


def mixed_file(tmp_path, org):
    a, b, c = (make_case(org.prosecutors[0]) for _ in range(3))
    rows = [
        [a.case_no, "prosecution_review", "2026-03-01", "", "", ""],  # rule 1: a future date
        [b.case_no, "prosecution_review", "2025-03-01", "", "", ""],
        [b.case_no, "supplementary_investigation", "2025-03-10", "", "", ""],
        [b.case_no, "supplementary_investigation", "2025-04-10", "", "", ""],
        [b.case_no, "supplementary_investigation", "2025-05-10", "", "", ""],  # rule 4: a third 退查
        [c.case_no, "prosecution_review", "2025-13-01", "", "", ""],  # type: no such date
        [c.case_no, "indictment", "2025-05-01", "", "", ""],  # fine once row 7 is fixed
        ["检刑受[2025]404号", "prosecution_review", "2025-03-01", "", "", ""],  # reference: no such case
    ]
    return write_csv(tmp_path / "events.csv", EVENT_HEADER, rows)


def test_types_references_and_sequence_rules_in_one_report(org, today, tmp_path):
    path = mixed_file(tmp_path, org)
    before = table_counts()

    report = run_import(path, "events")

    assert not report.ok and not report.written and table_counts() == before
    found = {(e.row, e.column) for e in report.errors}
    # The future date, the third 退查, the impossible date and the unknown case, all in one report;
    # case C's indictment (row 8) is not blamed for the unreadable intake date above it.
    assert found == {(2, "date"), (6, "event"), (7, "date"), (9, "case_no")}, report.errors


def test_sequence_rules_run_beside_type_errors_of_other_cases(org, today, tmp_path):
    a, b = make_case(org.prosecutors[0]), make_case(org.prosecutors[0])
    rows = [
        [a.case_no, "prosecution_review", "2025-03-01", "", "", ""],
        [a.case_no, "supplementary_investigation", "2025-03-10", "", "", ""],
        [a.case_no, "supplementary_investigation", "2025-04-10", "", "", ""],
        [a.case_no, "supplementary_investigation", "2025-05-10", "", "", ""],
        [a.case_no, "review_extension", "2027-01-01", "", "", ""],  # rule 1 only: a date after today
        [b.case_no, "prosecution_review", "下周一", "", "", ""],
        ["检刑受[2025]404号", "prosecution_review", "2025-03-01", "", "", ""],
    ]
    report = run_import(write_csv(tmp_path / "e.csv", EVENT_HEADER, rows), "events")
    reasons = {e.row: e.reason for e in report.errors}
    assert set(reasons) == {5, 6, 7, 8}, report.errors
    assert "规则4" in reasons[5] and "规则1" in reasons[6]


def test_a_refused_report_counts_nothing_as_new(org, today, tmp_path):
    report = run_import(mixed_file(tmp_path, org), "events")
    assert not report.ok
    assert report.summary_lines() == [] and report.as_dict()["counts"] == {}
