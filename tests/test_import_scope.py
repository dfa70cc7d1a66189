"""The importer checks what it writes against the importing user's write scope (issue 10: H1, M4).

Every file is imported three ways a user can: the web page, `POST /api/v1/imports/` and
`run_import(user=…)` (what both call). The clerk of unit A (A and its child A1) must not write into
unit B, whatever column carries the reference: unit and department (by name, code or a second
code column), prosecutor, team, team members, staff rows and events. A refused file writes nothing
and every error names its row and column. The management command runs as an operator (no user):
unrestricted, but a row whose two unit columns disagree is refused there too.
"""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.test import APIClient

from cases.importer import run_import
from cases.models import Case, ProceduralEvent
from teams.models import Membership, Prosecutor
from tests.builders import build_world
from tests.factories import TeamFactory
from tests.import_kit import imported, table_counts, write_xlsx

D = datetime.date
PATHS = ("page", "api", "function")
CASE_COLUMNS = ["case_no", "title", "unit", "unit_code", "department", "prosecutor", "team"]
EVENT_COLUMNS = ["case_no", "event", "date", "prosecutor"]
TEAM_COLUMNS = ["team_code", "team_name", "unit", "staff_code", "team_role", "date_from"]
STAFF_COLUMNS = ["staff_code", "name", "unit", "department", "unit_code", "department_code"]


@pytest.fixture
def world(db, today_fixed):
    today_fixed(D(2025, 12, 31))
    world = build_world()
    world.team_b = TeamFactory(team_code="TB", name="丙市团队", unit=world.units["B"])
    return world


def state() -> tuple:
    """Everything an import could change: row counts (history included) and every reference it may move."""
    return (
        table_counts(),
        sorted(Case.objects.values_list("case_no", "unit_id", "department_id", "prosecutor_id", "team_id")),
        sorted(Prosecutor.objects.values_list("staff_code", "unit_id", "department_id")),
        sorted(Membership.objects.values_list("team_id", "prosecutor_id", "role", "date_from", "date_to")),
    )


def import_as(how: str, user, path, tmp_path) -> tuple[bool, list[tuple[str, int, str, str]]]:
    """Import `path` as `user` by the page, the API or the function: (ok, [(kind, row, column, reason)])."""
    if how == "function":
        report = run_import(path, user=user)
        return report.ok, [(e.kind, e.row, e.column, e.reason) for e in report.errors]
    upload = SimpleUploadedFile(path.name, path.read_bytes())
    if how == "api":
        client = APIClient()
        client.force_authenticate(user)
        body = imported(client, {"file": upload})  # 202, then the job's report from its status URL
        return body["ok"], [(e["kind"], e["row"], e["column"], e["reason"]) for e in body["errors"]]
    client = Client()
    client.force_login(user)
    response = client.post("/imports/upload/", {"file": upload}, follow=True)  # to the job's page
    report = response.context["report"]
    return report.ok, [(e.kind, e.row, e.column, e.reason) for e in report.errors]


def refused(how, world, tmp_path, sheets, user="clerk") -> set[tuple[str, int, str]]:
    """Import the workbook as `user`; assert nothing was written; the (kind, row, column) of its errors."""
    path = write_xlsx(tmp_path / "book.xlsx", sheets)
    before = state()
    ok, errors = import_as(how, world.users[user], path, tmp_path)
    assert not ok
    assert state() == before
    assert all(reason for *_, reason in errors)
    return {(kind, row, column) for kind, row, column, _ in errors}


def case_row(case_no="NEW-1", unit="A", unit_code="", department="A-D1", prosecutor="PA-3", team=""):
    return [case_no, "某某盗窃案", unit, unit_code, department, prosecutor, team]


@pytest.mark.parametrize("how", PATHS)
def test_h1_a_case_naming_another_unit_in_one_of_two_unit_columns_is_refused(world, tmp_path, how):
    """The probe's file: `unit` names unit B, `unit_code` the clerk's own unit A, with events for the case."""
    b_cases = Case.objects.filter(unit=world.units["B"]).count()
    sheets = {
        "cases": (CASE_COLUMNS, [case_row(unit="B", unit_code="A", department="B-D1", prosecutor="PB-1")]),
        "events": (EVENT_COLUMNS, [["NEW-1", "prosecution_review", D(2025, 3, 3), ""]]),
    }
    assert ("cases", 2, "unit") in refused(how, world, tmp_path, sheets)
    # Swapped: the code names B and the name the clerk's unit.
    sheets["cases"] = (CASE_COLUMNS, [case_row(unit="甲市人民检察院", unit_code="B")])
    assert ("cases", 2, "unit_code") in refused(how, world, tmp_path, sheets)
    # Both in scope but not the same unit: which one was meant is unknown, so the row is an error.
    sheets["cases"] = (CASE_COLUMNS, [case_row(unit="A", unit_code="A1")])
    assert ("cases", 2, "unit_code") in refused(how, world, tmp_path, sheets)
    assert Case.objects.filter(unit=world.units["B"]).count() == b_cases


@pytest.mark.parametrize("how", PATHS)
def test_a_case_in_another_units_department_is_refused(world, tmp_path, how):
    columns = [*CASE_COLUMNS, "department_code"]
    sheets = {"cases": (columns, [[*case_row(department="B-D1"), ""], [*case_row("NEW-2"), "B-D1"]])}
    assert {("cases", 2, "department"), ("cases", 3, "department_code")} <= refused(how, world, tmp_path, sheets)


@pytest.mark.parametrize("how", PATHS)
def test_m4_a_case_with_another_units_prosecutor_or_team_is_refused(world, tmp_path, how):
    rows = [case_row(prosecutor="PB-1"), case_row("NEW-2", team="TB")]
    errors = refused(how, world, tmp_path, {"cases": (CASE_COLUMNS, rows)})
    assert {("cases", 2, "prosecutor"), ("cases", 3, "team")} <= errors


@pytest.mark.parametrize("how", PATHS)
def test_m4_a_teams_sheet_with_another_units_member_or_team_is_refused(world, tmp_path, how):
    rows = [
        ["TA", "合规护企", "A", "PB-1", "member", D(2025, 1, 1)],  # own team, member of unit B
        ["TB", "丙市团队", "A", "PA-3", "member", D(2025, 1, 1)],  # unit B's team moved into A
        ["TB2", "新团队", "B", "PA-3", "leader", D(2025, 1, 1)],  # a new team in unit B
    ]
    errors = refused(how, world, tmp_path, {"teams": (TEAM_COLUMNS, rows)})
    assert {("teams", 2, "staff_code"), ("teams", 3, "team_code"), ("teams", 4, "unit")} <= errors


@pytest.mark.parametrize("how", PATHS)
def test_staff_rows_outside_the_scope_are_refused(world, tmp_path, how):
    rows = [
        ["PB-1", "丙一", "A", "A-D1", "", ""],  # unit B's prosecutor moved into A
        ["NEW-S", "新人", "B", "B-D1", "", ""],  # a new prosecutor in unit B
        ["NEW-T", "新人二", "A", "A-D1", "B", ""],  # two unit columns, the code names B
        ["NEW-U", "新人三", "新设检察院", "第一检察部", "", ""],  # a new unit: an operator's import only
    ]
    errors = refused(how, world, tmp_path, {"staff": (STAFF_COLUMNS, rows)})
    assert {("staff", 2, "staff_code"), ("staff", 3, "unit"), ("staff", 4, "unit_code"), ("staff", 5, "unit")} <= errors


@pytest.mark.parametrize("how", PATHS)
def test_events_of_another_units_case_or_by_its_prosecutor_are_refused(world, tmp_path, how):
    own, other = world.cases["a_other"].case_no, world.cases["b"].case_no
    rows = [[other, "review_extension", D(2025, 3, 25), ""], [own, "review_extension", D(2025, 3, 25), "PB-1"]]
    errors = refused(how, world, tmp_path, {"events": (EVENT_COLUMNS, rows)})
    assert {("events", 2, "case_no"), ("events", 3, "prosecutor")} <= errors


@pytest.mark.parametrize("how", PATHS)
def test_another_units_case_number_cannot_be_taken_over_and_answers_like_an_unknown_case(world, tmp_path, how):
    """A stored case of unit B named in the cases sheet is refused; in events it reads as an unknown case."""
    other = world.cases["b"].case_no
    sheets = {"cases": (CASE_COLUMNS, [case_row(other)])}
    assert ("cases", 2, "case_no") in refused(how, world, tmp_path, sheets)
    event = ["review_extension", D(2025, 3, 25), ""]
    path = write_xlsx(tmp_path / "events.xlsx", {"events": (EVENT_COLUMNS, [[other, *event]])})
    unknown = write_xlsx(tmp_path / "unknown.xlsx", {"events": (EVENT_COLUMNS, [["NO-SUCH-1", *event]])})
    _, errors = import_as(how, world.users["clerk"], path, tmp_path)
    _, unknown_errors = import_as(how, world.users["clerk"], unknown, tmp_path)
    assert [reason for *_, reason in errors] == [reason for *_, reason in unknown_errors]


@pytest.mark.parametrize("how", PATHS)
def test_the_same_rows_inside_the_scope_are_written(world, tmp_path, how):
    """The clerk of A writes into A and its child unit A1, with their prosecutors and team."""
    sheets = {
        "staff": (STAFF_COLUMNS, [["NEW-S", "新人", "A1", "A1-D1", "A1", ""]]),
        "teams": (TEAM_COLUMNS, [["TA", "合规护企", "A", "PA-3", "member", D(2025, 1, 1)]]),
        "cases": (
            CASE_COLUMNS,
            [case_row(unit="A", unit_code="A", team="TA"), case_row("NEW-2", "A1", "", "A1-D1", "NEW-S")],
        ),
        "events": (EVENT_COLUMNS, [["NEW-1", "prosecution_review", D(2025, 3, 3), "PA-1"]]),
    }
    path = write_xlsx(tmp_path / "book.xlsx", sheets)
    ok, errors = import_as(how, world.users["clerk"], path, tmp_path)
    assert ok, errors
    assert Case.objects.get(case_no="NEW-1").unit == world.units["A"]
    assert Case.objects.get(case_no="NEW-2").prosecutor.staff_code == "NEW-S"
    assert ProceduralEvent.objects.filter(case__case_no="NEW-1").count() == 1
    assert Membership.objects.filter(team=world.team, prosecutor=world.prosecutors["other"]).exists()


def test_the_operators_command_is_unrestricted_but_refuses_disagreeing_unit_columns(world, tmp_path):
    sheets = {"cases": (CASE_COLUMNS, [case_row(unit="B", unit_code="A", department="B-D1", prosecutor="PB-1")])}
    path = write_xlsx(tmp_path / "book.xlsx", sheets)
    before = state()
    with pytest.raises(CommandError):
        call_command("import_data", str(path))
    assert state() == before
    row = case_row(unit="B", unit_code="B", department="B-D1", prosecutor="PB-1", team="TB")
    sheets = {"cases": (CASE_COLUMNS, [row])}
    call_command("import_data", str(write_xlsx(tmp_path / "ok.xlsx", sheets)))
    assert Case.objects.get(case_no="NEW-1").unit == world.units["B"]


def test_a_superuser_imports_anywhere(world, tmp_path):
    sheets = {"cases": (CASE_COLUMNS, [case_row(unit="B", department="B-D1", prosecutor="PB-1", team="TB")])}
    report = run_import(write_xlsx(tmp_path / "book.xlsx", sheets), user=world.users["admin"])
    assert report.ok, report.errors
    assert Case.objects.get(case_no="NEW-1").unit == world.units["B"]
