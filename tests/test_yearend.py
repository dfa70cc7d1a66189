"""Issue 13, the year's end: the lead's 述职 (prefilled from the engines, edited, submitted), the leadership's
评议 (never by the team's own lead), the unit's results table and the 述职报告 as a Word document."""

import datetime
import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from docx import Document

from cases.models import TeamTarget
from cases.ratio import EVERYTHING, RatioFilters, ratio_for
from teams.models import RatingLevel, StaffRole, YearEndRating, YearEndReport
from tests.factories import TeamFactory, UnitFactory, make_case
from tests.test_team_year import achieve, make_plan, setup_office

pytestmark = pytest.mark.django_db

User = get_user_model()
D = datetime.date


@pytest.fixture
def office(org):
    return setup_office(org)


@pytest.fixture
def year_of(office):
    """Office's last year: two cases of the team (one with a 退补), a target of 1:1.20 and a plan."""
    y = office.year
    p1, _p2, p3 = office.prosecutors
    make_case(
        p1,
        [("prosecution_review", D(y, 3, 1)), ("supplementary_investigation", D(y, 3, 20))],
        team=office.team,
        closed_on=D(y, 6, 30),
    )
    make_case(p3, [("prosecution_review", D(y, 4, 2))], team=office.team, closed_on=D(y, 5, 10))
    make_case(p1, [("prosecution_review", D(y, 4, 2))])  # not the team's
    TeamTarget.objects.create(team=office.team, year=y, target_ratio="1.20")
    plan = make_plan(office, {"typical_cases": 3, "research": 2})
    achieve(plan, "typical_cases", D(y, 5, 1), "串通投标案入选典型案例", [p1])
    achieve(plan, "research", D(y, 9, 1), "涉企合规调研报告")
    return office


def url(office, name="teams:team_yearend"):
    return reverse(name, args=[office.team.team_code, office.year])


def draft(client, office, narrative="述职正文", action="save"):
    client.force_login(office.users["lead"])
    return client.post(url(office), {"narrative": narrative, "action": action})


def test_the_draft_is_prefilled_with_the_engines_figures(client, year_of):
    office = year_of
    client.force_login(office.users["lead"])
    page = client.get(url(office))
    assert page.status_code == 200
    narrative = page.context["form"].initial["narrative"]
    y = office.year
    for basis, label in (("flow", "流量口径"), ("cohort", "审结口径")):
        total = ratio_for(
            basis=basis, date_from=D(y, 1, 1), date_to=D(y, 12, 31), filters=RatioFilters(team="T-HQ"), scope=EVERYTHING
        ).total
        assert (total.cases, total.items) == (2, 3)
        line = next(line for line in narrative.splitlines() if line.startswith(label))
        assert total.ratio_display in line and f"案件数 {total.cases}" in line and f"件数 {total.items}" in line
        assert "年度目标 1:1.20" in line and "高于目标 0.30" in line
    assert "打造典型案例：目标 3，完成 1（串通投标案入选典型案例）" in narrative
    assert "加强理论研究：目标 2，完成 1（涉企合规调研报告）" in narrative
    assert draft(client, office, narrative).status_code == 302
    report = YearEndReport.objects.get()
    assert report.figures["ratio"]["flow"] == {"cases": 2, "items": 3, "ratio": 1.5, "ratio_display": "1:1.50"}
    assert report.figures["target"] == 1.2
    assert [(t["code"], t["target"], t["achieved"]) for t in report.figures["tasks"]] == [
        ("research", 2, 1),
        ("typical_cases", 3, 1),
    ]


def test_the_lead_drafts_and_submits_and_each_step_is_recorded(client, year_of):
    office = year_of
    client.force_login(office.users["leader"])
    assert client.post(url(office), {"narrative": "代写"}).status_code == 403  # leadership does not write it
    client.force_login(office.users["member"])
    assert client.post(url(office), {"narrative": "代写"}).status_code == 404
    assert not YearEndReport.objects.exists()
    assert draft(client, office, "初稿").status_code == 302
    report = YearEndReport.objects.get()
    assert (report.status, report.drafted_by, report.submitted_at) == ("draft", office.users["lead"], None)
    client.force_login(office.users["leader"])  # a draft is the lead's: others see it is not in yet
    page = client.get(url(office))
    assert page.context["report"] is None and "初稿" not in page.content.decode()
    assert client.get(url(office), {"format": "docx"}).status_code == 404
    assert draft(client, office, "终稿", action="submit").status_code == 302
    report.refresh_from_db()
    assert (report.status, report.narrative, report.submitted_by) == ("submitted", "终稿", office.users["lead"])
    assert report.submitted_at is not None and report.history.count() == 2
    answer = draft(client, office, "改稿")
    assert answer.status_code == 302 and any(m.level_tag == "error" for m in get_messages(answer.wsgi_request))
    report.refresh_from_db()
    assert report.narrative == "终稿"
    client.force_login(office.users["clerk"])  # a reader of the dashboard reads the submitted 述职
    assert "终稿" in client.get(url(office)).content.decode()
    client.force_login(office.users["outsider"])
    assert client.get(url(office)).status_code == 404


def rate(client, user, office, level="good", outcome="commendation"):
    client.force_login(user)
    level_id = RatingLevel.objects.get(code=level).pk
    return client.post(url(office, "teams:team_rating"), {"level": level_id, "comment": "成效明显", "outcome": outcome})


def test_only_the_units_leadership_rates_and_never_their_own_team(client, year_of):
    office = year_of
    answer = rate(client, office.users["leader"], office)  # before the 述职 is in: refused, nothing saved
    assert any(m.level_tag == "error" for m in get_messages(answer.wsgi_request))
    assert not YearEndRating.objects.exists()
    draft(client, office, "终稿", action="submit")
    # The team's lead is also 院领导 of the unit: still may not rate the team they lead.
    StaffRole.objects.create(user=office.users["lead"], unit=office.unit, kind=StaffRole.Kind.LEADERSHIP)
    refused = {"lead": 403, "clerk": 403, "member": 404, "outsider": 404, "other_leader": 404}
    for name, status in refused.items():
        assert rate(client, office.users[name], office).status_code == status, name
        assert client.get(url(office, "teams:team_rating")).status_code == status, name
    assert not YearEndRating.objects.exists()
    assert rate(client, office.users["leader"], office, "poor", "reminder_talk").status_code == 302
    rating = YearEndRating.objects.get()
    assert (rating.level.name, rating.outcome, rating.rated_by) == ("较差", "reminder_talk", office.users["leader"])
    assert rating.get_outcome_display() == "提醒谈话" and rating.rated_at is not None
    assert rate(client, office.users["leader"], office, "excellent").status_code == 302  # revised: one row, history
    rating.refresh_from_db()
    assert rating.level.name == "优秀" and rating.history.count() == 2 and YearEndRating.objects.count() == 1
    answer = client.post(url(office, "teams:team_rating"), {"level": 999999, "outcome": "none"})
    assert answer.status_code == 400
    client.force_login(office.users["lead"])  # the lead reads the result on the 述职 page
    assert "优秀" in client.get(url(office)).content.decode()


def test_the_units_results_table(client, year_of):
    office = year_of
    second = TeamFactory(team_code="T-ENV", name="长江保护", unit=office.unit)
    TeamFactory(team_code="T-ELSE", name="他院团队", unit=UnitFactory(code="U-X", name="某院"))
    draft(client, office, "终稿", action="submit")
    rate(client, office.users["leader"], office, "excellent", "commendation")
    results = reverse("teams:unit_yearend", args=[office.unit.code, office.year])
    for name in ("lead", "clerk", "member", "outsider", "other_leader"):
        client.force_login(office.users[name])
        assert client.get(results).status_code == 404, name
    client.force_login(office.users["leader"])
    page = client.get(results)
    assert page.status_code == 200
    table = page.context["table"]
    assert table.keys == ["T-ENV", "T-HQ"] and second.name == table.rows[0][0].value
    row = {c.title: cell.shown for c, cell in zip(table.columns, table.rows[1], strict=True)}
    assert row["述职状态"] == "已提交" and row["案件比（流转口径）"] == "1:1.50"
    assert (row["等次"], row["评议结果运用"], row["评议人"]) == ("优秀", "表彰奖励", "leader")
    assert table.rows[0][1].shown == "未起草" and table.rows[0][4].shown == "—"
    csv = client.get(results, {"export": "yearend", "format": "csv"})
    assert csv.status_code == 200 and "表彰奖励" in csv.content.decode("utf-8-sig")
    assert client.get(results, {"export": "yearend", "format": "pdf"}).status_code == 404


def test_the_word_document_of_the_yearend_report(client, year_of):
    office = year_of
    draft(client, office, "一、办案质效\n全年办理涉企案件", action="submit")
    rate(client, office.users["leader"], office, "good", "none")
    client.force_login(office.users["leader"])
    answer = client.get(url(office), {"format": "docx"})
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.wordprocessingml")
    doc = Document(io.BytesIO(answer.content))
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == f"合规护企 {office.year}年度述职报告"
    assert "全年办理涉企案件" in texts and "等次：良好；结果运用：无" in texts
    ratio, tasks = doc.tables
    assert [c.text for c in ratio.rows[0].cells] == ["口径", "案件数", "件数", "案件比", "年度目标"]
    assert [c.text for c in ratio.rows[1].cells] == ["流量口径", "2", "3", "1:1.50", "1:1.20"]
    cohort = ratio_for(
        basis="cohort",
        date_from=D(office.year, 1, 1),
        date_to=D(office.year, 12, 31),
        filters=RatioFilters(team="T-HQ"),
    ).total
    assert [c.text for c in ratio.rows[2].cells][1:4] == [str(cohort.cases), str(cohort.items), cohort.ratio_display]
    assert [[c.text for c in r.cells] for r in tasks.rows] == [
        ["总任务", "目标数", "完成数"],
        ["加强理论研究", "2", "1"],
        ["打造典型案例", "3", "1"],
    ]


def test_a_year_not_over_is_reported_to_today(client, office):
    this_year = timezone.localdate().year
    client.force_login(office.users["lead"])
    page = client.get(reverse("teams:team_yearend", args=["T-HQ", this_year]))
    assert page.status_code == 200
    assert f"{this_year}-01-01至{timezone.localdate().isoformat()}" in page.context["form"].initial["narrative"]
    assert "本年度未制定计划" in page.context["form"].initial["narrative"]
    for name in ("teams:team_yearend", "teams:team_rating"):  # a year not begun has no 述职
        assert client.get(reverse(name, args=["T-HQ", this_year + 1])).status_code == 404
    client.force_login(office.users["leader"])
    assert client.get(reverse("teams:team_rating", args=["T-HQ", this_year + 1])).status_code == 404
    assert client.get(reverse("teams:unit_yearend", args=["U-MAIN", this_year + 1])).status_code == 404
    assert client.get(reverse("teams:unit_yearend", args=["U-MAIN", 10**12])).status_code == 404
