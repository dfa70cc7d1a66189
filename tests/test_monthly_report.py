"""Issue 13: the team's monthly report (月度汇报), as a page and as a Word document with its tables."""

import datetime
import io

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from docx import Document

from cases.models import TeamTarget
from teams.periods import add_months, month_label
from tests.factories import make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(org):
    today = timezone.localdate()
    this_month = today.replace(day=1)
    last_month = add_months(this_month, -1)
    p1, _p2, p3 = org.prosecutors
    make_case(p1, [("prosecution_review", last_month), ("supplementary_investigation", last_month)], team=org.team)
    make_case(p3, [("prosecution_review", last_month + datetime.timedelta(days=1))], team=org.team)
    make_case(p1, [("prosecution_review", this_month)], team=org.team)
    TeamTarget.objects.create(team=org.team, year=last_month.year, target_ratio="1.30")
    User = get_user_model()
    org.lead = User.objects.create(username="lead")
    p1.user = org.lead
    p1.save()
    org.outsider = User.objects.create(username="outsider")
    org.months = (month_label(last_month), month_label(this_month), month_label(add_months(this_month, 1)))
    return org


def url(month):
    return reverse("teams:team_report", args=["T-HQ", month])


def test_the_report_page_for_a_complete_month(client, office):
    client.force_login(office.lead)
    page = client.get(url(office.months[0]))
    assert page.status_code == 200
    report = page.context["report"]
    assert not report.partial and office.months[0] in report.title
    names = [t.name for t in report.tables]
    assert names[:2] == ["change", "members"] and "at_risk" in names
    members = next(t for t in report.tables if t.name == "members")
    assert [row[0].value for row in members.rows] == ["张检察官", "王检察官"]  # 带头人 first
    flow = next(c for c in report.dash.cards if c["basis"] == "flow")
    # Year to date up to the reported month's end (for January: that month alone).
    assert flow["total"].cases >= 2 and flow["projection"].as_of.strftime("%Y-%m") == office.months[0]
    assert flow["target"] == 1.30 and "年度目标 1:1.30" in page.content.decode()


def test_the_current_month_is_reported_to_date_and_marked_partial(client, office):
    client.force_login(office.lead)
    page = client.get(url(office.months[1]))
    assert page.status_code == 200 and page.context["report"].partial
    assert 'data-figure="partial"' in page.content.decode()


def test_the_word_document_opens_with_its_tables(client, office):
    client.force_login(office.lead)
    answer = client.get(url(office.months[0]), {"format": "docx"})
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("application/vnd.openxmlformats-officedocument")
    doc = Document(io.BytesIO(answer.content))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert headings[0].endswith("月度汇报") and office.months[0] in headings[0]
    assert any("年度进度与预测" in h for h in headings)
    page = client.get(url(office.months[0])).context["report"]
    with_rows = [t for t in page.tables if t.rows]
    assert len(doc.tables) == len(with_rows)
    members_table = next(t for t in doc.tables if t.rows[0].cells[0].text == "检察官")
    assert [r.cells[0].text[:4] for r in members_table.rows[1:3]] == ["张检察官", "王检察官"]
    roles = [c.text for c in members_table.rows[0].cells]
    assert "团队角色" in roles


def test_the_report_follows_the_dashboards_access(client, office):
    client.force_login(office.outsider)
    assert client.get(url(office.months[0])).status_code == 404
    client.force_login(office.lead)
    assert client.get(url(office.months[2])).status_code == 404  # a month not begun
    assert client.get(url("2025-13")).status_code == 404
    dashboard = client.get(reverse("teams:team", args=["T-HQ"])).content.decode()
    assert 'data-link="monthly-report"' in dashboard


def half_url(year, half):
    return reverse("teams:team_half_report", args=["T-HQ", year, half])


def test_the_half_year_report_covers_six_months_with_the_plan(client, office):
    from teams.models import AnnualPlan, OverallTask, PlanGoal

    year = timezone.localdate().year - 1
    p1 = office.prosecutors[0]
    make_case(p1, [("prosecution_review", datetime.date(year, 2, 3))], team=office.team)
    make_case(p1, [("prosecution_review", datetime.date(year, 8, 3))], team=office.team)  # second half
    plan = AnnualPlan.objects.create(team=office.team, year=year)
    PlanGoal.objects.create(plan=plan, task=OverallTask.objects.get(code="courses"), target=1)
    client.force_login(office.lead)
    page = client.get(half_url(year, 1))
    assert page.status_code == 200
    report = page.context["report"]
    assert report.title == f"合规护企 {year}年上半年 半年汇报" and not report.partial
    assert report.dash.period.months == [f"{year}-{m:02d}" for m in range(1, 7)]
    assert [t.name for t in report.tables][:2] == ["trend", "extras"]
    flow = next(c for c in report.dash.cards if c["basis"] == "flow")
    assert flow["total"].cases == 1  # the year to date ends with June
    plan_table = next(t for t in report.tables if t.name == "plan")
    assert len(plan_table.columns) == 4 + 6
    answer = client.get(half_url(year, 1), {"format": "docx"})
    doc = Document(io.BytesIO(answer.content))
    assert doc.paragraphs[0].text == report.title
    assert any(t.rows[0].cells[0].text == "总任务" for t in doc.tables)
    second = client.get(half_url(year, 2)).context["report"]
    assert next(c for c in second.dash.cards if c["basis"] == "flow")["total"].cases == 2


def test_the_half_year_report_refuses_what_does_not_exist(client, office):
    client.force_login(office.outsider)
    assert client.get(half_url(2025, 1)).status_code == 404
    client.force_login(office.lead)
    this_year = timezone.localdate().year
    assert client.get(half_url(this_year + 1, 1)).status_code == 404
    assert client.get(half_url(2025, 3)).status_code == 404
    assert client.get(half_url(99999, 1)).status_code == 404
    assert client.get(half_url(1999, 1)).status_code == 404
    dashboard = client.get(reverse("teams:team", args=["T-HQ"])).content.decode()
    month = timezone.localdate().month
    assert f'data-link="half-year-report" href="{half_url(this_year, 1 if month <= 6 else 2)}"' in dashboard
