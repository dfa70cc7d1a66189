"""Issue 13, the team's year: annual plan with goals and achievements, progress by month, its place on the
dashboard and the monthly report, and who may read and edit it."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from teams import plans
from teams.models import Achievement, AnnualPlan, OverallTask, PlanGoal, RatingLevel, StaffRole
from tests.factories import UnitFactory, make_case

pytestmark = pytest.mark.django_db

User = get_user_model()
D = datetime.date


@pytest.fixture
def office(org):
    return setup_office(org)


def setup_office(org):
    """The org's team T-HQ (lead 张, core 王, 李 outside it) with the posts and users each test needs."""
    org.year = timezone.localdate().year - 1
    p1, _p2, p3 = org.prosecutors
    org.users = {name: User.objects.create_user(name) for name in ("lead", "member", "leader", "clerk", "outsider")}
    org.users["other_leader"] = User.objects.create_user("other_leader")
    for person, name in ((p1, "lead"), (p3, "member")):
        person.user = org.users[name]
        person.save()
    StaffRole.objects.create(user=org.users["leader"], unit=org.unit, kind=StaffRole.Kind.LEADERSHIP)
    StaffRole.objects.create(user=org.users["clerk"], unit=org.unit, kind=StaffRole.Kind.CASE_MANAGEMENT)
    other = UnitFactory(code="U-OTHER", name="别区人民检察院")
    StaffRole.objects.create(user=org.users["other_leader"], unit=other, kind=StaffRole.Kind.LEADERSHIP)
    org.tasks = {t.code: t for t in OverallTask.objects.all()}
    return org


def make_plan(office, goals: dict[str, int]) -> AnnualPlan:
    plan = AnnualPlan.objects.create(team=office.team, year=office.year, summary="年度计划")
    for code, target in goals.items():
        PlanGoal.objects.create(plan=plan, task=office.tasks[code], target=target)
    return plan


def achieve(plan, code: str, day: datetime.date, title: str = "成果", members=()) -> Achievement:
    item = Achievement.objects.create(plan=plan, task=OverallTask.objects.get(code=code), title=title, date=day)
    item.members.set(members)
    return item


def plan_url(office, year=None):
    return reverse("teams:team_plan", args=[office.team.team_code, year or office.year])


def test_the_articles_five_tasks_and_the_rating_scale_are_seeded():
    assert list(OverallTask.objects.values_list("name", flat=True)) == [
        "集中承办专业领域案件",
        "推动机制创新",
        "加强理论研究",
        "打造典型案例",
        "强化课程研发",
    ]
    assert list(RatingLevel.objects.values_list("name", flat=True)) == ["优秀", "良好", "一般", "较差"]


def test_progress_counts_achievements_against_goals_month_by_month(office):
    plan = make_plan(office, {"typical_cases": 3, "research": 2, "mechanism": 1})
    y = office.year
    achieve(plan, "typical_cases", D(y, 2, 10))
    achieve(plan, "typical_cases", D(y, 5, 1))
    achieve(plan, "research", D(y, 5, 31))
    achieve(plan, "courses", D(y, 7, 1))  # no goal for courses: counted, goal 0
    result = plans.progress(plan, y)
    rows = {row.task.code: row for row in result.tasks}
    assert [r.task.code for r in result.tasks] == ["mechanism", "research", "typical_cases", "courses"]
    typical = rows["typical_cases"]
    assert typical.by_month == [0, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2]
    assert (typical.achieved, typical.target, round(typical.rate, 4), typical.met) == (2, 3, 0.6667, False)
    assert rows["research"].by_month[3:5] == [0, 1] and rows["research"].achieved == 1
    assert rows["mechanism"].achieved == 0 and rows["mechanism"].rate == 0
    assert rows["courses"].target == 0 and rows["courses"].rate is None and rows["courses"].achieved == 1
    assert result.achieved_by(4) == {"mechanism": 0, "research": 0, "typical_cases": 1, "courses": 0}
    table = plans.progress_table(result, through_month=5)
    typical_row = next(r for r in table.rows if r[0].value == "打造典型案例")
    assert [c.value for c in typical_row[1:3]] == [3, 2] and typical_row[3].shown == "67%"
    assert len(table.columns) == 4 + 5


def test_the_plan_page_is_read_by_the_dashboards_readers(client, office):
    make_plan(office, {"typical_cases": 3})
    expected = {"lead": 200, "leader": 200, "clerk": 200, "member": 404, "outsider": 404, "other_leader": 404}
    for name, status in expected.items():
        client.force_login(office.users[name])
        assert client.get(plan_url(office)).status_code == status, name
    client.force_login(office.users["lead"])
    assert client.get(plan_url(office, 1999)).status_code == 404
    assert client.get(plan_url(office, timezone.localdate().year + 2)).status_code == 404


def test_the_lead_and_the_units_leadership_edit_the_goals(client, office):
    goals = {f"goal_{office.tasks['typical_cases'].pk}": "3", f"goal_{office.tasks['research'].pk}": "2"}
    refused = {"clerk": 403, "member": 404, "outsider": 404, "other_leader": 404}
    for name, status in refused.items():
        client.force_login(office.users[name])
        assert client.post(plan_url(office), {"summary": "x", **goals}).status_code == status, name
    assert not AnnualPlan.objects.exists()
    client.force_login(office.users["lead"])
    assert client.post(plan_url(office), {"summary": "打造精品", **goals}).status_code == 302
    plan = AnnualPlan.objects.get(team=office.team, year=office.year)
    assert plan.created_by == office.users["lead"] and plan.summary == "打造精品"
    assert dict(plan.goals.values_list("task__code", "target")) == {"typical_cases": 3, "research": 2}
    client.force_login(office.users["leader"])
    goals[f"goal_{office.tasks['research'].pk}"] = "0"  # 0 removes the goal
    assert client.post(plan_url(office), {"summary": "打造精品", **goals}).status_code == 302
    plan.refresh_from_db()
    assert plan.updated_by == office.users["leader"] and plan.history.count() == 2
    assert dict(plan.goals.values_list("task__code", "target")) == {"typical_cases": 3}
    assert client.post(plan_url(office), {f"goal_{office.tasks['research'].pk}": "-1"}).status_code == 400


def test_an_achievement_with_members_and_an_attachment(client, office, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    url = reverse("teams:plan_achievement", args=[office.team.team_code, office.year])
    p1, p2, p3 = office.prosecutors
    data = {
        "task": office.tasks["typical_cases"].pk,
        "title": "某公司串通投标案入选最高检典型案例",
        "date": f"{office.year}-06-18",
        "members": [p1.pk, p3.pk],
    }
    client.force_login(office.users["clerk"])
    assert client.get(url).status_code == 403
    client.force_login(office.users["member"])
    assert client.get(url).status_code == 404
    client.force_login(office.users["lead"])
    page = client.get(url)
    assert page.status_code == 200 and list(page.context["form"].fields["members"].queryset) == [p1, p3]
    # Outside the plan's year, or a member not in the team: refused, nothing saved.
    assert client.post(url, {**data, "date": f"{office.year - 1}-12-31"}).status_code == 400
    assert client.post(url, {**data, "members": [p2.pk]}).status_code == 400
    assert not Achievement.objects.exists()
    upload = SimpleUploadedFile("典型案例.pdf", b"%PDF-1.4 case", content_type="application/pdf")
    assert client.post(url, {**data, "attachment": upload}).status_code == 302
    item = Achievement.objects.get()
    assert item.plan.year == office.year and item.recorded_by == office.users["lead"]
    assert set(item.members.all()) == {p1, p3}
    file_url = reverse("teams:achievement_file", args=[office.team.team_code, office.year, item.pk])
    client.force_login(office.users["clerk"])  # a reader of the dashboard reads the attachment
    answer = client.get(file_url)
    assert answer.status_code == 200 and b"".join(answer.streaming_content) == b"%PDF-1.4 case"
    huge = reverse("teams:achievement_file", args=[office.team.team_code, 10**12, 10**19])
    assert client.get(huge).status_code == 404
    client.force_login(office.users["outsider"])
    assert client.get(file_url).status_code == 404
    page = client.get(plan_url(office))
    assert page.status_code == 404
    client.force_login(office.users["leader"])
    assert "某公司串通投标案" in client.get(plan_url(office)).content.decode()
    delete_url = reverse("teams:achievement_delete", args=[office.team.team_code, office.year, item.pk])
    client.force_login(office.users["clerk"])
    assert client.post(delete_url).status_code == 403 and Achievement.objects.exists()
    client.force_login(office.users["leader"])
    assert client.post(delete_url).status_code == 302 and not Achievement.objects.exists()


def test_the_dashboard_and_the_monthly_report_show_the_plans_progress(client, office):
    plan = make_plan(office, {"typical_cases": 3, "courses": 1})
    achieve(plan, "typical_cases", D(office.year, 3, 5))
    achieve(plan, "courses", D(office.year, 11, 20))
    make_case(office.prosecutors[0], [("prosecution_review", D(office.year, 3, 1))], team=office.team)
    client.force_login(office.users["lead"])
    page = client.get(reverse("teams:team", args=["T-HQ"]), {"from": f"{office.year}-01", "to": f"{office.year}-12"})
    assert page.status_code == 200
    table = page.context["dash"].tables["plan"]
    assert {r[0].value: (r[1].value, r[2].value) for r in table.rows} == {
        "打造典型案例": (3, 1),
        "强化课程研发": (1, 1),
    }
    html = page.content.decode()
    assert 'data-section="plan"' in html and plan_url(office) in html
    report = client.get(reverse("teams:team_report", args=["T-HQ", f"{office.year}-04"])).context["report"]
    in_report = next(t for t in report.tables if t.name == "plan")
    assert {r[0].value: r[2].value for r in in_report.rows} == {"打造典型案例": 1, "强化课程研发": 0}  # through April


def test_the_plan_page_in_english(client, office):
    make_plan(office, {"typical_cases": 3})
    client.force_login(office.users["lead"])
    html = client.get(plan_url(office), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"Progress of the {office.year} plan" in html and "Record an achievement" in html
    assert "Overall task" in html and "年度计划完成进度" not in html


def test_the_units_monthly_report_sets_its_teams_side_by_side(client, office):
    import io

    from docx import Document

    from cases.models import TeamTarget
    from tests.factories import TeamFactory

    y = office.year
    p1, _p2, p3 = office.prosecutors
    second = TeamFactory(team_code="T-ENV", name="长江保护", unit=office.unit)
    elsewhere = TeamFactory(team_code="T-X", name="他院团队", unit=UnitFactory(code="U-X", name="某院"))
    make_case(p1, [("prosecution_review", D(y, 2, 1)), ("supplementary_investigation", D(y, 3, 2))], team=office.team)
    make_case(p3, [("prosecution_review", D(y, 3, 5))], team=office.team)
    make_case(p3, [("prosecution_review", D(y, 3, 6))], team=second)
    TeamTarget.objects.create(team=office.team, year=y, target_ratio="1.40")
    plan = make_plan(office, {"typical_cases": 3, "courses": 1})
    achieve(plan, "typical_cases", D(y, 3, 1))
    achieve(plan, "courses", D(y, 4, 1))  # after the month
    url = reverse("teams:unit_report", args=[office.unit.code, f"{y}-03"])
    for name, status in {"leader": 200, "clerk": 200, "lead": 404, "member": 404, "outsider": 404}.items():
        client.force_login(office.users[name])
        assert client.get(url).status_code == status, name
    client.force_login(office.users["leader"])
    report = client.get(url).context["report"]
    assert report.table.keys == ["T-ENV", "T-HQ"] and elsewhere.team_code not in report.table.keys
    env, hq = (
        {c.title: cell.shown for c, cell in zip(report.table.columns, row, strict=True)} for row in report.table.rows
    )
    # March: T-HQ received one case and one 退补 of February's case → 1 case, 2 items; the year: 2 cases, 3 items.
    assert (hq["本月案件数"], hq["本月件数"], hq["本月案件比"], hq["年累计案件比"]) == ("1", "2", "1:2.00", "1:1.50")
    assert (hq["年度目标"], hq["计划目标数"], hq["完成数"]) == ("1:1.40", "4", "1")
    assert (env["本月案件数"], env["年度目标"], env["计划目标数"]) == ("1", "—", "0")
    doc = Document(io.BytesIO(client.get(url, {"format": "docx"}).content))
    assert doc.paragraphs[0].text == f"示范区人民检察院 {y}-03 办案团队月度汇报"
    assert [c.text for c in doc.tables[0].rows[2].cells][:4] == ["合规护企", "1", "2", "1:2.00"]
    future = reverse("teams:unit_report", args=[office.unit.code, f"{timezone.localdate().year + 1}-01"])
    assert client.get(future).status_code == 404
    assert client.get(reverse("teams:unit_report", args=[office.unit.code, "2025-13"])).status_code == 404
    dashboard = client.get(reverse("teams:unit", args=[office.unit.code])).content.decode()
    assert 'data-link="unit-report"' in dashboard


def test_progress_takes_a_fixed_number_of_queries(office, django_assert_num_queries):
    plan = make_plan(office, {"typical_cases": 3})
    achieve(plan, "typical_cases", D(office.year, 1, 2))
    with django_assert_num_queries(2):
        plans.progress(plan, office.year)
    for code in ("research", "mechanism", "courses", "specialised_cases"):
        PlanGoal.objects.create(plan=plan, task=office.tasks[code], target=2)
        for month in (3, 6, 9):
            achieve(plan, code, D(office.year, month, 1))
    with django_assert_num_queries(2):
        result = plans.progress(plan, office.year)
    assert sum(row.achieved for row in result.tasks) == 13
