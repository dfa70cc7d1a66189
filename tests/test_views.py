"""Pages: landing by role, dashboards (same numbers as the engine, pinned query counts), drill-down, exports."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from cases.ratio import RatioFilters, ratio_for
from teams.models import StaffRole
from teams.periods import add_months, month_label
from tests.factories import make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(org):
    """The test office with logins for each role and cases over the last two months."""
    today = timezone.localdate()
    this_month, last_month = today.replace(day=1), add_months(today.replace(day=1), -1)
    p1, p2, p3 = org.prosecutors

    def login(name, prosecutor=None, kind=None):
        user = User.objects.create(username=name)  # force_login: no password hashing needed
        if prosecutor:
            prosecutor.user = user
            prosecutor.save()
        if kind:
            StaffRole.objects.create(user=user, unit=org.unit, kind=kind)
        return user

    org.users = {
        "lead": login("lead", p1),
        "prosecutor": login("prosecutor", p2),
        "leadership": login("leadership", kind=StaffRole.Kind.LEADERSHIP),
        "clerk": login("clerk", kind=StaffRole.Kind.CASE_MANAGEMENT),
        "outsider": login("outsider"),
        "reviewer": login("reviewer", kind=StaffRole.Kind.REVIEWER),
    }
    day1, day2 = last_month + datetime.timedelta(days=2), this_month
    org.cases = [
        make_case(p1, [("prosecution_review", day1), ("supplementary_investigation", day1)], team=org.team),
        make_case(p3, [("prosecution_review", day1)], team=org.team, closed_on=None),
        make_case(p1, [("prosecution_review", day2), ("review_extension", day2)], team=org.team),
        make_case(p2, [("arrest_review", day2)]),
    ]
    org.months = (month_label(last_month), month_label(this_month))
    return org


def client_for(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "who, target",
    [
        ("lead", ("teams:team", "T-HQ")),
        ("prosecutor", ("teams:prosecutor", "P-002")),
        ("leadership", ("teams:unit", "U-MAIN")),
        ("clerk", ("teams:work", None)),
        ("outsider", ("cases:list", None)),
        ("reviewer", ("cases:reviews", None)),
    ],
)
def test_each_role_lands_on_its_own_page(client, office, who, target):
    response = client_for(client, office.users[who]).get(reverse("home"))
    name, arg = target
    assert response.status_code == 302
    assert response["Location"] == reverse(name, args=[arg] if arg else [])


def test_team_dashboard_shows_the_engine_numbers(client, office, django_assert_max_num_queries):
    client_for(client, office.users["lead"])
    # 26 (with the grade scale's wording), +6 for the year-to-date cards (two bases; the month not over is
    # read from raw rows), +4 for their year-end projections, +8 for the members' assessments, +2 for the
    # indicators by month (counterweight chart), +1 for the team's specialisations (charges): fixed,
    # whatever the number of members or months.
    with django_assert_max_num_queries(47):
        response = client.get(reverse("teams:team", args=["T-HQ"]))
    assert response.status_code == 200
    dash = response.context["dash"]
    period = dash.period
    for basis in ("flow", "cohort"):
        report = ratio_for(
            group_by="month",
            basis=basis,
            date_from=period.date_from,
            date_to=period.date_to,
            filters=RatioFilters(team="T-HQ"),
        )
        assert dash.totals[basis].items == report.total.items and dash.totals[basis].cases == report.total.cases
        by_month = {r.keys["month"]: r.ratio for r in report.rows}
        series = next(s for s in dash.trend_chart["series"] if s["key"] == basis)
        expected = [round(by_month[m], 4) if by_month.get(m) is not None else None for m in period.months]
        assert series["data"] == expected
    # Flow: 3 team cases, +1 退补 +1 延长 = 5 items.
    assert (dash.totals["flow"].cases, dash.totals["flow"].items) == (3, 5)
    members = {row[0].value: row[1].value for row in dash.tables["members"].rows}
    assert members == {"张检察官": 2, "王检察官": 1}


def test_dashboards_refuse_what_the_viewer_may_not_see(client, office):
    client_for(client, office.users["prosecutor"])
    assert client.get(reverse("teams:team", args=["T-HQ"])).status_code == 404
    assert client.get(reverse("teams:unit", args=["U-MAIN"])).status_code == 404
    assert client.get(reverse("teams:prosecutor", args=["P-001"])).status_code == 404
    assert client.get(reverse("teams:prosecutor", args=["P-002"])).status_code == 200


@pytest.mark.parametrize(
    "name, arg, who, limit",
    [
        ("teams:prosecutor", "P-001", "lead", 29),  # +1: the indicators by month for the counterweight chart
        ("teams:department", "D-1", "leadership", 29),
        ("teams:unit", "U-MAIN", "leadership", 23),
        ("teams:work", None, "clerk", 10),  # +1: who handles the cases at risk, one query for all
        ("cases:list", None, "leadership", 11),  # +1: the items the listed cases carry
    ],
)
def test_pages_answer_in_a_fixed_number_of_queries(
    client, office, django_assert_max_num_queries, name, arg, who, limit
):
    client_for(client, office.users[who])
    with django_assert_max_num_queries(limit):
        response = client.get(reverse(name, args=[arg] if arg else []))
    assert response.status_code == 200


def test_a_figure_drills_down_to_exactly_its_cases(client, office):
    client_for(client, office.users["leadership"])
    dash = client.get(reverse("teams:team", args=["T-HQ"])).context["dash"]
    last, this = office.months
    trend = {row[0].value: row for row in dash.tables["trend"].rows}
    for month, expected in ((last, 2), (this, 1)):
        cases_cell = trend[month][1]
        assert cases_cell.value == expected
        listed = client.get(cases_cell.href).context["page"].paginator.count
        assert listed == expected
    extras = dash.tables["extras"]
    column = [c.title for c in extras.columns].index("退回补充侦查")
    row = next(r for r in extras.rows if r[0].value == last)
    listed = client.get(row[column].href).context["page"].paginator.count
    assert row[column].value == listed == 1


def test_tables_export_as_csv_with_bom_and_as_xlsx(client, office):
    client_for(client, office.users["lead"])
    url = reverse("teams:team", args=["T-HQ"])
    response = client.get(url, {"export": "members", "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0][:3] == ["检察官", "案件数", "件数"]
    assert {r[0]: r[1] for r in rows[1:]} == {"张检察官": "2", "王检察官": "1"}
    response = client.get(url, {"export": "trend", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[-1][0] == "合计" and values[-1][1] == 3
    assert client.get(url, {"export": "nope", "format": "csv"}).status_code == 404


def test_bad_period_is_reported_not_a_500(client, office):
    client_for(client, office.users["lead"])
    response = client.get(reverse("teams:team", args=["T-HQ"]), {"from": "2025-13", "basis": "sideways"})
    assert response.status_code == 200
    assert any("from" in e for e in response.context["errors"])
    assert any("basis" in e for e in response.context["errors"])


def test_logging_an_event_moves_the_items_and_a_refusal_names_the_rule(client, office):
    client_for(client, office.users["clerk"])
    case = office.cases[3]  # 审查逮捕 only: 1 item
    url = reverse("cases:event_create", args=[case.pk])
    day = case.received_on.isoformat()
    response = client.post(url, {"event": "review_extension", "date": day, "persons": 1})
    assert response.status_code == 400
    assert "规则2" in response.content.decode()
    case.refresh_from_db()
    assert case.items == 1 and case.events.count() == 1
    response = client.post(url, {"event": "arrest_reconsideration", "date": day, "persons": 1})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.items == 2


def test_case_page_shows_timeline_and_history(client, office, django_assert_max_num_queries):
    client_for(client, office.users["leadership"])
    case = office.cases[0]
    with django_assert_max_num_queries(15):
        response = client.get(reverse("cases:detail", args=[case.pk]))
    text = response.content.decode()
    assert response.status_code == 200
    assert "退回补充侦查" in text and "变更记录" in text
    assert response.context["form"] is None  # leadership reads, does not write
    client_for(client, office.users["outsider"])
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 404


def test_registering_a_case(client, office):
    client_for(client, office.users["clerk"])
    data = {
        "case_no": "检刑受[2026]999号",
        "title": "测试案",
        "line": "criminal",
        "department": office.departments[0].pk,
        "prosecutor": office.prosecutors[0].pk,
        "persons": 1,
        "sentencing_recommendation": "none",
        "judgment_accepted": "unknown",
        "intake": "arrest_review",
        "received_on": office.cases[0].received_on.isoformat(),
    }
    response = client.post(reverse("cases:create"), data)
    assert response.status_code == 302
    client_for(client, office.users["prosecutor"])
    assert client.get(reverse("cases:create")).status_code == 404


def test_english_pages(client, office):
    client_for(client, office.users["lead"])
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("teams:team", args=["T-HQ"])})
    response = client.get(response["Location"])
    text = response.content.decode()
    assert "Team dashboard" in text and "Flow basis" in text


def test_prosecutor_page_shows_the_assessment_and_rows_link_to_their_dashboards(client, office):
    client_for(client, office.users["leadership"])
    dash = client.get(reverse("teams:prosecutor", args=["P-001"])).context["dash"]
    assessment = dash.tables["assessment"]
    assert assessment.rows, "the seeded scheme yields at least the quality base line"
    assert assessment.footer[-1].value == sum(row[-1].value for row in assessment.rows)
    team = client.get(reverse("teams:team", args=["T-HQ"])).context["dash"]
    first = team.tables["members"].rows[0][0]
    assert first.href.startswith(reverse("teams:prosecutor", args=["P-001"]))
    assert client.get(first.href).status_code == 200


def test_import_page_reports_bad_rows_and_a_good_import_shows_in_the_work_queue(client, office):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cases.models import ProceduralEvent

    client_for(client, office.users["clerk"])
    case = office.cases[3]
    before = ProceduralEvent.objects.count()
    bad = f"case_no,event,date\n{case.case_no},arrest_decision,2025-02-30\n无此案号,arrest_review,2025-03-01\n"
    response = client.post(
        reverse("cases:import"),
        {"file": SimpleUploadedFile("events.csv", bad.encode()), "kind": "events"},
        follow=True,  # to the background import's page (tests run tasks immediately)
    )
    assert response.redirect_chain[0][0].startswith("/imports/jobs/")
    report = response.context["report"]
    assert not report.ok
    assert sorted(issue.row for issue in report.errors) == [2, 3]
    assert ProceduralEvent.objects.count() == before
    day = case.received_on.isoformat()
    good = f"case_no,event,date\n{case.case_no},arrest_decision,{day}\n"
    response = client.post(
        reverse("cases:import"), {"file": SimpleUploadedFile("good.csv", good.encode()), "kind": "events"}, follow=True
    )
    assert response.status_code == 200 and response.context["report"].ok
    assert ProceduralEvent.objects.count() == before + 1
    recent = client.get(reverse("teams:work")).context["recent_imports"]
    assert recent and recent[0]["events"] == 1 and "good.csv" in recent[0]["label"]


def test_review_grades_and_deductions_drill_down_to_their_cases(client, office):
    from tests.reviews_kit import closed_case, final_review

    reviewer = office.users["reviewer"]
    last_month_day = office.cases[0].received_on
    case = closed_case(office.prosecutors[0], last_month_day, team=office.team)
    final_review(case, reviewer, [("PR-F01", 2, "")], on=last_month_day + datetime.timedelta(days=1))
    client_for(client, office.users["leadership"])
    dash = client.get(reverse("teams:team", args=["T-HQ"])).context["dash"]
    grades = {row[0].value: row[1] for row in dash.tables["grades"].rows}
    # One vocabulary: the dashboard words a grade as the scale in force does, as the review pages do.
    from cases.models import GradeScale

    scale = GradeScale.objects.in_force_on(timezone.localdate()).order_by("-effective_from").first()
    assert set(grades) == {scale.label(g) for g in ("excellent", "qualified", "flawed", "unqualified")}
    flawed = grades[scale.label("flawed")]
    assert flawed.value == 1 and "/" not in scale.label("flawed")
    listed = client.get(flawed.href).context["page"].object_list
    assert [c.case_no for c in listed] == [case.case_no]
    deductions = dash.tables["deductions"]
    assert [str(c.title) for c in deductions.columns] == ["维度或评查项", "扣分", "次数"]
    by_name = {row[0].value: (row[1].value, row[2].value) for row in deductions.rows}
    assert by_name["办案程序"] == (4.0, None)  # points only on the dimension's row
    assert [v for k, v in by_name.items() if k.startswith("PR-F01")] == [(None, 2)]  # times only on the item's
    members = dash.tables["members"]
    column = [c.title for c in members.columns].index("评查件数")
    assert sum(row[column].value for row in members.rows) == 1


def test_team_members_without_cases_in_the_period_are_listed_with_zeros(client, office):
    from teams.models import Membership

    Membership.objects.create(team=office.team, prosecutor=office.prosecutors[1], role=Membership.Role.MEMBER)
    client_for(client, office.users["lead"])
    members = client.get(reverse("teams:team", args=["T-HQ"])).context["dash"].tables["members"]
    assert {row[0].value: row[1].value for row in members.rows} == {"张检察官": 2, "王检察官": 1, "李检察官": 0}


def test_import_page_refuses_rows_outside_the_clerks_units(client, office):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cases.models import Case
    from tests.factories import ProsecutorFactory

    outsider = ProsecutorFactory()  # in another unit, outside the clerk's scope
    client_for(client, office.users["clerk"])
    before = Case.objects.count()
    rows = (
        "case_no,unit,department,prosecutor\n"
        f"越权-1,{outsider.unit.code},{outsider.department.code},{outsider.staff_code}\n"
    )
    response = client.post(
        reverse("cases:import"), {"file": SimpleUploadedFile("cases.csv", rows.encode()), "kind": "cases"}, follow=True
    )
    errors = response.context["report"].errors
    assert {(issue.row, issue.column) for issue in errors} == {(2, "unit"), (2, "prosecutor")}  # each bad cell
    assert Case.objects.count() == before
