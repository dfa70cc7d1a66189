"""Import of the staff and teams sheets: upserts, memberships, conflicting rows (DESIGN.md "Import")."""

import datetime

import pytest

from cases.importer import run_import
from teams.models import Membership, Prosecutor, Team
from tests.import_kit import table_counts, write_csv

D = datetime.date
STAFF = ["staff_code", "name", "unit", "department", "role", "unit_code", "department_code"]
TEAMS = ["team_code", "team_name", "unit", "staff_code", "team_role", "date_from", "date_to"]


@pytest.fixture
def today(today_fixed):
    return today_fixed(D(2025, 12, 31))


def test_staff_upsert_by_staff_code(org, today, tmp_path):
    path = write_csv(
        tmp_path / "s.csv",
        STAFF,
        [
            ["P-001", "张检察官", "U-MAIN", "D-1", "", "", ""],
            ["P-002", "李检察官（更名）", "U-MAIN", "D-2", "assistant", "", ""],
        ],
    )
    report = run_import(path, "staff")
    assert report.ok, report.errors
    assert report.counts["staff"] == {"created": 0, "updated": 1, "unchanged": 1}
    p2 = Prosecutor.objects.get(staff_code="P-002")
    assert (p2.name, p2.department, p2.role) == ("李检察官（更名）", org.departments[1], "assistant")
    assert Prosecutor.objects.get(staff_code="P-001").role == "prosecutor"  # blank role keeps the stored one
    again = run_import(path, "staff")
    assert again.counts["staff"] == {"created": 0, "updated": 0, "unchanged": 2}


def test_staff_rows_that_disagree_and_bad_roles_are_refused(org, today, tmp_path):
    before = table_counts()
    path = write_csv(
        tmp_path / "s.csv",
        STAFF,
        [
            ["N-1", "新人", "U-MAIN", "D-1", "检察官", "", ""],
            ["N-1", "新人", "U-MAIN", "D-2", "检察官", "", ""],
            ["N-2", "", "U-MAIN", "D-1", "", "", ""],
            ["N-3", "某", "U-MAIN", "D-1", "法官", "", ""],
            ["N-4", "某", "示范区人民检察院", "D-1", "", "U-OTHER", ""],
        ],
    )
    report = run_import(path, "staff")
    assert [(e.row, e.column, e.value) for e in report.errors] == [
        (3, "staff_code", "N-1"),
        (4, "name", ""),
        (5, "role", "法官"),
        (6, "unit_code", "U-OTHER"),
    ]
    assert table_counts() == before


def test_teams_and_memberships_upsert(org, today, tmp_path):
    path = write_csv(
        tmp_path / "t.csv",
        TEAMS,
        [
            ["T-HQ", "合规护企", "U-MAIN", "P-001", "leader", "", ""],
            ["T-HQ", "合规护企", "U-MAIN", "P-003", "member", "", "2025-06-30"],  # was core
            ["T-HQ", "合规护企", "U-MAIN", "P-002", "核心成员", "2025年1月1日", ""],
            ["T-NEW", "长江保护", "示范区人民检察院", "P-002", "带头人", "2025-01-01", ""],
        ],
    )
    report = run_import(path, "teams")
    assert report.ok, report.errors
    assert report.counts["teams"] == {"created": 1, "updated": 0, "unchanged": 1}
    assert report.counts["memberships"] == {"created": 2, "updated": 1, "unchanged": 1}
    roles = {
        (m.team.team_code, m.prosecutor.staff_code): (m.role, m.date_from, m.date_to)
        for m in Membership.objects.select_related("team", "prosecutor")
    }
    assert roles[("T-HQ", "P-003")] == ("member", None, D(2025, 6, 30))
    assert roles[("T-HQ", "P-002")] == ("core", D(2025, 1, 1), None)
    assert roles[("T-NEW", "P-002")] == ("leader", D(2025, 1, 1), None)
    assert Team.objects.get(team_code="T-NEW").unit == org.unit
    again = run_import(path, "teams")
    assert again.counts["memberships"] == {"created": 0, "updated": 0, "unchanged": 4}


def test_team_rows_refused(org, today, tmp_path):
    before = table_counts()
    path = write_csv(
        tmp_path / "t.csv",
        TEAMS,
        [
            ["T-A", "甲队", "U-MAIN", "P-001", "leader", "", ""],
            ["T-A", "乙队", "U-MAIN", "P-002", "member", "", ""],  # another name for the same team
            ["T-B", "丙队", "U-MAIN", "P-404", "member", "", ""],
            ["T-B", "丙队", "U-MAIN", "P-001", "boss", "", ""],
            ["T-B", "丙队", "U-MAIN", "P-002", "member", "2025-05-01", "2025-04-01"],
            ["T-B", "丙队", "U-MAIN", "P-003", "member", "2025-05-01", ""],
            ["T-B", "丙队", "U-MAIN", "P-003", "core", "2025-05-01", ""],  # same membership, other role
        ],
    )
    report = run_import(path, "teams")
    assert [(e.row, e.column, e.value) for e in report.errors] == [
        (3, "team_name", "乙队"),
        (4, "staff_code", "P-404"),
        (5, "team_role", "boss"),
        (6, "date_to", "2025-04-01"),
        (8, "staff_code", "P-003"),
    ]
    assert table_counts() == before
