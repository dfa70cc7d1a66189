"""Statistics endpoints: equal to the engines and to a hand-written SQL recount; CSV/XLSX equal the JSON; bad input."""

from __future__ import annotations

import csv
import datetime
import io
import random

import openpyxl
import pytest
from django.db import connection
from rest_framework.test import APIClient

from cases import rollup, services
from cases.indicators import indicators_for
from cases.models import Case
from cases.ratio import RatioFilters, Scope, ratio_for
from tests.builders import rolled_back
from tests.factories import CaseFactory, DepartmentFactory, ProsecutorFactory, TeamFactory, UnitFactory

D = datetime.date
YEAR = (D(2025, 1, 1), D(2025, 12, 31))

# Valid histories (DOMAIN §5) as (code, days after the first step).
PATTERNS = [
    [("prosecution_review", 0)],
    [("arrest_review", 0), ("prosecution_review", 12)],
    [("prosecution_review", 0), ("supplementary_investigation", 20), ("resubmission", 45)],
    [("prosecution_review", 0), ("review_extension", 25)],
    [("arrest_review", 0), ("arrest_reconsideration", 5), ("arrest_superior_review", 9)],
    [
        ("prosecution_review", 0),
        ("supplementary_investigation", 10),
        ("resubmission", 35),
        ("supplementary_investigation", 50),
    ],
    [("self_supplementary_investigation", 3)],  # no base step: counts nothing
]


def build_office(seed: int = 7) -> dict:
    """Two units, two teams and 36 cases with deterministic histories spread over 2024-11 … 2025-11."""
    rng = random.Random(seed)
    unit = UnitFactory(code="S", name="统计院")
    other_unit = UnitFactory(code="S2", name="统计二院")
    depts = [DepartmentFactory(unit=unit, code="S-D1"), DepartmentFactory(unit=other_unit, code="S2-D1")]
    people = [
        ProsecutorFactory(staff_code=f"SP-{i}", department=depts[i % 2], unit=depts[i % 2].unit) for i in range(4)
    ]
    teams = [TeamFactory(team_code="ST-1", name="=1+1 团队", unit=unit), TeamFactory(team_code="ST-2", unit=unit)]
    cases = []
    for n in range(36):
        who = people[n % 4]
        start = D(2024, 11, 1) + datetime.timedelta(days=rng.randrange(0, 360))
        case = CaseFactory(
            case_no=f"检刑受[2025]{n:06d}号",
            prosecutor=who,
            team=teams[n % 3] if n % 3 < 2 else None,
            category=["ordinary", "major", ""][n % 3],
        )
        pattern = PATTERNS[n % len(PATTERNS)]
        for code, offset in pattern:
            services.log_event(case, code, start + datetime.timedelta(days=offset))
        if n % 5 == 0:
            # Another line's case with criminal steps, as stored before rule 9: statistics still group it.
            Case.objects.filter(pk=case.pk).update(line="public_interest")
        case.refresh_from_db()
        if n % 4 == 0 and case.received_on:
            last = start + datetime.timedelta(days=pattern[-1][1])
            case.closed_on = last + datetime.timedelta(days=rng.randrange(1, 30))
            services.save_case(case)
            if n % 8 == 0 and n % 5 and case.events.filter(event_type__code="prosecution_review").exists():
                services.log_event(case, "indictment", case.closed_on)  # rule 8: the 二审 needs it
                services.log_event(case, "second_instance", case.closed_on + datetime.timedelta(days=20))
        cases.append(case)
    rollup.rebuild()  # the line updates above bypass the services
    return {"unit": unit, "cases": cases, "people": people, "teams": teams}


@pytest.fixture(scope="module")
def office(django_db_setup, django_db_blocker):
    """Built once per module inside a transaction rolled back at the end; each test runs in its own savepoint."""
    with django_db_blocker.unblock(), rolled_back():
        yield build_office()


@pytest.fixture
def admin_client(db, office, django_user_model):
    client = APIClient()
    client.force_authenticate(django_user_model.objects.create_superuser("root", "root@example.org", None))
    return client


def _month(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"to_char({column}, 'YYYY-MM')"
    return f"strftime('%%Y-%%m', {column})"


def sql_recount(basis: str, date_from: datetime.date, date_to: datetime.date) -> dict:
    """{(month, team code): (cases, items)} by one GROUP BY over the raw case and event tables."""
    if basis == "flow":
        case_date, event_date = "c.received_on", "e.date"
    else:
        case_date, event_date = "c.closed_on", "c.closed_on"
    sql = f"""
        SELECT m, team_code, SUM(n_cases), SUM(n_items) FROM (
            SELECT {_month(case_date)} AS m, t.team_code AS team_code, 1 AS n_cases, 1 AS n_items
            FROM cases_case c LEFT JOIN teams_team t ON t.id = c.team_id
            WHERE c.received_on IS NOT NULL AND {case_date} BETWEEN %s AND %s
            UNION ALL
            SELECT {_month(event_date)}, t.team_code, 0, et.weight
            FROM cases_proceduralevent e
            JOIN cases_case c ON c.id = e.case_id
            JOIN cases_eventtype et ON et.id = e.event_type_id
            LEFT JOIN teams_team t ON t.id = c.team_id
            WHERE et.kind = 'extra' AND c.received_on IS NOT NULL AND {event_date} BETWEEN %s AND %s
        ) facts GROUP BY m, team_code
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [date_from, date_to, date_from, date_to])
        return {(m, team): (int(c), int(i)) for m, team, c, i in cursor.fetchall()}


@pytest.mark.parametrize("basis", ["flow", "cohort"])
@pytest.mark.parametrize("dates", [YEAR, (D(2025, 1, 15), D(2025, 11, 20))])
def test_ratio_equals_engine_and_sql_recount(office, admin_client, basis, dates):
    query = f"group_by=month,team&basis={basis}&date_from={dates[0]}&date_to={dates[1]}"
    body = admin_client.get(f"/api/v1/stats/ratio/?{query}").json()
    assert (body["basis"], body["date_from"], body["date_to"]) == (basis, str(dates[0]), str(dates[1]))
    assert body["group_by"] == ["month", "team"]
    got = {(r["month"], r["team"]): (r["cases"], r["items"]) for r in body["results"]}
    assert got == sql_recount(basis, *dates)
    report = ratio_for(group_by="month,team", basis=basis, date_from=dates[0], date_to=dates[1])
    assert got == {(r.keys["month"], r.keys["team"]): (r.cases, r.items) for r in report.rows}
    assert body["total"]["cases"] == report.total.cases and body["total"]["items"] == report.total.items
    assert body["total"]["cases"] > 0


def test_ratio_row_shape(office, admin_client):
    body = admin_client.get("/api/v1/stats/ratio/?group_by=quarter,team,line&date_from=2025-01-01&date_to=2025-12-31")
    rows = body.json()["results"]
    named = next(r for r in rows if r["team"] == "ST-1")
    assert named["team_name"] == "=1+1 团队" and named["quarter"].startswith("2025-Q")
    assert any(r["team"] is None and r["team_name"] is None for r in rows)
    for row in rows:
        assert set(row) >= {"quarter", "team", "line", "line_name", "cases", "items", "ratio", "ratio_display"}
        if row["cases"]:
            assert row["ratio"] == pytest.approx(row["items"] / row["cases"])
            assert row["ratio_display"] == f"1:{row['items'] / row['cases']:.2f}"
            assert row["index"] == round(row["items"] / row["cases"] * 100, 2)
        else:
            assert row["ratio"] is None and row["ratio_display"] is None and row["index"] is None
        assert all(isinstance(v, int) for v in row["extras"].values())
    year = admin_client.get("/api/v1/stats/ratio/?group_by=year&date_from=2024-01-01&date_to=2025-12-31").json()
    assert {r["year"] for r in year["results"]} <= {"2024", "2025"}


def test_ratio_filters_and_scope(office, admin_client, django_user_model):
    body = admin_client.get("/api/v1/stats/ratio/?team=ST-2&date_from=2025-01-01&date_to=2025-12-31").json()
    expected = ratio_for(date_from=YEAR[0], date_to=YEAR[1], filters=RatioFilters(team="ST-2"))
    assert (body["total"]["cases"], body["total"]["items"]) == (expected.total.cases, expected.total.items)
    assert [(r["cases"], r["items"]) for r in body["results"]] == [(expected.total.cases, expected.total.items)]
    person = office["people"][1]
    person.user = django_user_model.objects.create_user("sp1")
    person.save()
    client = APIClient()
    client.force_authenticate(person.user)
    own = client.get("/api/v1/stats/ratio/?group_by=prosecutor&date_from=2025-01-01&date_to=2025-12-31").json()
    assert {r["prosecutor"] for r in own["results"]} <= {"SP-1"}
    mine = ratio_for(date_from=YEAR[0], date_to=YEAR[1], scope=Scope(prosecutor_ids=frozenset({person.pk})))
    assert own["total"]["items"] == mine.total.items


def test_outsider_gets_empty_statistics(office, django_user_model):
    client = APIClient()
    client.force_authenticate(django_user_model.objects.create_user("nobody"))
    for path in ("ratio", "indicators", "reviews"):
        body = client.get(f"/api/v1/stats/{path}/?group_by=month&date_from=2025-01-01&date_to=2025-12-31").json()
        assert body["results"] == [], path
    ratio = client.get("/api/v1/stats/ratio/?date_from=2025-01-01&date_to=2025-12-31").json()
    assert ratio["total"]["cases"] == 0 and ratio["total"]["ratio"] is None


def test_defaults_are_this_year_to_today(office, admin_client):
    body = admin_client.get("/api/v1/stats/ratio/").json()
    today = services.today()
    assert (body["basis"], body["date_from"], body["date_to"]) == ("flow", f"{today.year}-01-01", str(today))
    assert body["group_by"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("group_by=week", "group_by"),
        ("group_by=month,unit,colour", "group_by"),
        ("basis=stock", "basis"),
        ("date_from=2025-02-30", "date_from"),
        ("date_to=yesterday", "date_to"),
        ("date_from=2025-06-01&date_to=2025-05-01", "date_from"),
        ("date_from=0001-01-01", "date_from"),
        ("date_to=9999-12-31", "date_to"),
        ("unit=NOPE", "unit"),
        ("team=NOPE", "team"),
        ("prosecutor=NOPE", "prosecutor"),
        ("department=NOPE", "department"),
        ("line=space", "line"),
        ("category=petty", "category"),
        ("format=pdf", "format"),
    ],
)
@pytest.mark.parametrize("path", ["ratio", "indicators", "reviews"])
def test_bad_statistics_parameters_are_400_naming_the_field(office, admin_client, query, field, path):
    response = admin_client.get(f"/api/v1/stats/{path}/?{query}")
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/json")
    assert field in response.json()


def test_bad_parameters_with_csv_format_still_answer_json(office, admin_client):
    response = admin_client.get("/api/v1/stats/ratio/?group_by=week&format=csv")
    assert response.status_code == 400 and "group_by" in response.json()


def test_codes_of_other_units_are_refused_like_unknown_ones(office, django_user_model):
    from teams.models import StaffRole

    user = django_user_model.objects.create_user("leader-s2")
    StaffRole.objects.create(user=user, unit=office["people"][1].unit, kind=StaffRole.Kind.LEADERSHIP)
    client = APIClient()
    client.force_authenticate(user)
    assert client.get("/api/v1/stats/ratio/?unit=S").status_code == 400
    assert client.get("/api/v1/stats/ratio/?unit=S2").status_code == 200


def _csv_rows(response) -> list[dict]:
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def _xlsx_rows(response) -> list[dict]:
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    return [dict(zip(values[0], row, strict=True)) for row in values[1:]]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_ratio_exports_hold_the_json_numbers(office, admin_client, fmt):
    query = "group_by=month,team&date_from=2025-01-01&date_to=2025-12-31"
    body = admin_client.get(f"/api/v1/stats/ratio/?{query}").json()
    response = admin_client.get(f"/api/v1/stats/ratio/?{query}&format={fmt}")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    rows = _csv_rows(response) if fmt == "csv" else _xlsx_rows(response)
    assert len(rows) == len(body["results"]) + 1
    assert [r["row_type"] for r in rows] == ["result"] * len(body["results"]) + ["total"]
    codes = {code for r in [*body["results"], body["total"]] for code in r["extras"]}
    for row, expected in zip(rows, [*body["results"], body["total"]], strict=True):
        assert int(row["cases"]) == expected["cases"] and int(row["items"]) == expected["items"]
        assert (row["ratio_display"] or None) == expected["ratio_display"]
        for code in codes:
            assert int(row[f"extras.{code}"] or 0) == expected["extras"].get(code, 0)
        if expected.get("team_name") == "=1+1 团队":
            assert row["team_name"] == "'=1+1 团队"  # neutralised against formula injection
        if expected["ratio"] is not None and fmt == "xlsx":
            assert row["ratio"] == pytest.approx(expected["ratio"])


def test_indicators_equal_the_engine_and_export(office, admin_client):
    query = "group_by=quarter&basis=cohort&date_from=2025-01-01&date_to=2025-12-31"
    body = admin_client.get(f"/api/v1/stats/indicators/?{query}").json()
    report = indicators_for(group_by="quarter", basis="cohort", date_from=YEAR[0], date_to=YEAR[1])
    assert [r["quarter"] for r in body["results"]] == [r.keys["quarter"] for r in report.rows]
    for row, expected in zip(body["results"], report.rows, strict=True):
        for name, indicator in expected.values.items():
            assert {k: row[name][k] for k in ("numerator", "denominator", "value")} == indicator.as_dict()
    total = body["total"]["supplementary_rate"]
    assert {k: total[k] for k in ("numerator", "denominator", "value")} == report.total.values[
        "supplementary_rate"
    ].as_dict()
    rows = _csv_rows(admin_client.get(f"/api/v1/stats/indicators/?{query}&format=csv"))
    for row, expected in zip(rows, [*body["results"], body["total"]], strict=True):
        assert int(row["supplementary_rate.numerator"]) == expected["supplementary_rate"]["numerator"]


def test_review_statistics_answer_the_final_shape(office, admin_client):
    from cases.review_stats import review_stats_for

    body = admin_client.get("/api/v1/stats/reviews/?group_by=month&date_from=2025-01-01&date_to=2025-12-31").json()
    assert set(body) == {"basis", "date_from", "date_to", "group_by", "results", "total"}
    assert set(body["total"]) >= {"reviews", "average_score", "grades", "deductions"}
    expected = review_stats_for(group_by="month", date_from=YEAR[0], date_to=YEAR[1]).total.reviews
    assert body["total"]["reviews"] == expected
    rows = _csv_rows(admin_client.get("/api/v1/stats/reviews/?group_by=month&format=csv"))
    assert rows[-1]["row_type"] == "total"


def test_at_risk_lists_open_cases_near_their_deadline(office, admin_client, today_fixed, django_user_model):
    today = today_fixed(D(2025, 6, 20))
    near = CaseFactory(case_no="检刑受[2025]100001号", prosecutor=office["people"][0], title="-cmd 案")
    services.log_event(near, "prosecution_review", D(2025, 5, 23))  # due 2025-06-23: 3 days left
    far = CaseFactory(case_no="检刑受[2025]100002号", prosecutor=office["people"][0])
    services.log_event(far, "prosecution_review", D(2025, 6, 10))  # due 2025-07-10
    body = admin_client.get("/api/v1/cases/at-risk/?within_days=5&prosecutor=SP-0").json()
    assert body["today"] == str(today) and body["within_days"] == 5
    mine = [r for r in body["results"] if r["case_no"] == near.case_no]
    assert mine and mine[0]["due_on"] == "2025-06-23" and mine[0]["days_left"] == 3 and mine[0]["status"] == "at_risk"
    assert far.case_no not in {r["case_no"] for r in body["results"]}
    rows = _csv_rows(admin_client.get("/api/v1/cases/at-risk/?within_days=5&prosecutor=SP-0&format=csv"))
    assert [r["case_no"] for r in rows] == [r["case_no"] for r in body["results"]]
    assert next(r for r in rows if r["case_no"] == near.case_no)["title"] == "'-cmd 案"
    assert admin_client.get("/api/v1/cases/at-risk/?within_days=-1").status_code == 400
    outsider = APIClient()
    outsider.force_authenticate(django_user_model.objects.create_user("outsider"))
    assert outsider.get("/api/v1/cases/at-risk/").json()["results"] == []
