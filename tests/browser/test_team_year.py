"""The team's year in a real browser (issue 13): the lead sets a goal and records an achievement on the
plan, drafts and submits the 述职, and the leadership rates it (评议)."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from teams.models import Achievement, AnnualPlan, YearEndRating, YearEndReport
from tests.browser.test_layout import OVERFLOWS

pytestmark = pytest.mark.browser


def test_plan_achievement_yearend_and_rating(demo_office, sign_in, page, live_server):
    today = timezone.localdate()
    year = today.year
    team = demo_office.team
    sign_in("lead")
    # The dashboard leads to the plan of the year.
    page.locator("a[data-link=plan]").click()
    page.wait_for_url(f"**/teams/{team.team_code}/plan/{year}/")
    expect(page.locator("[data-figure=no-plan]")).to_be_visible()

    # A goal against 打造典型案例, saved with the plan's summary.
    page.get_by_label("计划要点").fill("打造精品案件")
    page.get_by_label("打造典型案例", exact=False).fill("2")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator("ul.messages")).to_contain_text("年度计划已保存")
    row = page.locator("table[data-table=plan] tbody tr", has=page.locator("th", has_text="打造典型案例"))
    expect(row.locator("td").nth(0)).to_have_text("2")
    expect(row.locator("td").nth(1)).to_have_text("0")

    # An achievement against it, by the lead, dated today.
    page.locator("a[data-link=achievement-new]").click()
    page.get_by_label("总任务").select_option(label="打造典型案例")
    page.get_by_label("成果名称").fill("涉企合规典型案例")
    page.get_by_label("取得日期").fill(today.isoformat())
    page.get_by_label("张检察官").check()
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator("ul.messages")).to_contain_text("成果已登记")
    expect(page.locator("table[data-table=achievements] tbody")).to_contain_text("涉企合规典型案例")
    expect(row.locator("td").nth(1)).to_have_text("1")
    expect(row.locator("td").nth(2)).to_have_text("50%")

    # The 述职: prefilled from the year's figures, saved as a draft, then submitted.
    page.locator("a[data-link=yearend]").first.click()
    page.wait_for_url(f"**/teams/{team.team_code}/yearend/{year}/")
    narrative = page.get_by_label("述职内容")
    prefilled = narrative.input_value()
    assert "案件比" in prefilled and "打造典型案例：目标 2，完成 1" in prefilled
    narrative.fill(prefilled + "\n补充：涉企合规典型案例一件。")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator("[data-section=yearend-report]")).to_have_attribute("data-status", "draft")
    page.get_by_role("button", name="提交述职").click()
    expect(page.locator("[data-section=yearend-report]")).to_have_attribute("data-status", "submitted")
    expect(page.get_by_role("button", name="提交述职")).to_have_count(0)  # no form once submitted
    expect(page.locator("a[data-link=rating]")).to_have_count(0)  # a lead never rates their own team
    report = YearEndReport.objects.get(team=team, year=year)
    assert report.submitted_by == demo_office.users["lead"] and report.narrative.endswith("典型案例一件。")

    # The leadership rates it.
    page.get_by_role("button", name="退出").click()
    page.wait_for_url("**/accounts/login/")
    sign_in("leadership")
    page.goto(f"{live_server.url}/teams/{team.team_code}/yearend/{year}/")
    expect(page.locator("[data-section=yearend-report]")).to_contain_text("补充：涉企合规典型案例一件。")
    page.locator("a[data-link=rating]").click()
    page.get_by_label("等次").select_option(label="优秀")
    page.get_by_label("评议结果运用").select_option(label="表彰奖励")
    page.get_by_label("评议意见").fill("年度计划完成较好。")
    page.get_by_role("button", name="保存评议").click()
    expect(page.locator("[data-figure=rated]")).to_contain_text("优秀")
    page.locator("a", has_text="年终述职").first.click()
    expect(page.locator("[data-section=rating]")).to_contain_text("表彰奖励")
    rating = YearEndRating.objects.get(report=report)
    assert (rating.level.name, rating.outcome, rating.rated_by) == (
        "优秀",
        "commendation",
        demo_office.users["leadership"],
    )
    plan = AnnualPlan.objects.get(team=team, year=year)
    assert list(Achievement.objects.filter(plan=plan).values_list("title", flat=True)) == ["涉企合规典型案例"]

    # The year's pages fit a phone as the dashboards do (tables scroll inside their cards).
    page.set_viewport_size({"width": 390, "height": 844})
    for path in (f"plan/{year}/", f"yearend/{year}/", f"yearend/{year}/rating/"):
        page.goto(f"{live_server.url}/teams/{team.team_code}/{path}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        measured = page.evaluate(OVERFLOWS)
        assert measured["page"] <= 0 and measured["blocks"] == [], (path, measured)
