"""Take the README and docs/teams.md screenshots with the demo data (Playwright + Debian Chromium).

    .venv/bin/python manage.py seed_demo && .venv/bin/python manage.py seed_demo_reviews
    .venv/bin/python manage.py runserver 127.0.0.1:8000 &
    .venv/bin/python docs/screenshots/take_screenshots.py [http://127.0.0.1:8000]

Logs in as the demo accounts (password caseqa-demo) and writes PNGs next to this file. It works the
pages as their users would, so it changes the demo database: the clerk corrects one case (for the
history), the team lead submits this year's 述职 and the leader rates it (skipped when already done).
"""

from __future__ import annotations

import datetime
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
PASSWORD = "caseqa-demo"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def sign_in(page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_load_state("networkidle")


def shot(page, name: str, full: bool = False) -> None:
    """The page as it stands once its charts have drawn (they animate for 300 ms)."""
    charts = page.locator("[data-chart]").count()
    if charts:
        page.wait_for_function(f"window.caseqaCharts && Object.keys(window.caseqaCharts).length >= {charts}")
        page.wait_for_timeout(500)
    page.screenshot(path=str(HERE / f"{name}.png"), full_page=full)
    print("wrote", name)


def go(page, locator: str) -> None:
    page.locator(locator).first.click()
    page.wait_for_load_state("networkidle")


def correct_a_step(page, case_url: str) -> None:
    """The clerk logs the case's 重新移送 (after its 退回补充侦查) two days ago, then corrects its date with
    a reason, so the history shows the step, the correction and what changed."""
    today = datetime.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    page.goto(case_url)
    page.select_option("#id_event", "resubmission")
    page.fill("#id_date", (today - datetime.timedelta(days=2)).isoformat())
    page.click("#id_event >> xpath=ancestor::form//button[@type='submit']")
    page.wait_for_load_state("networkidle")
    if page.locator("[data-violations]").count():
        raise SystemExit("the demo case refused 重新移送; pick another case for the correction shot")
    go(page, "[data-event-actions] >> nth=-1 >> a >> nth=0")
    page.fill("#id_date", (today - datetime.timedelta(days=1)).isoformat())
    page.fill("#id_reason", "重新移送日期登记错误，按移送函更正")
    page.click("form button[type=submit].primary")
    page.wait_for_load_state("networkidle")
    page.locator("#history").scroll_into_view_if_needed()


def main(base: str) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport=LAPTOP, locale="zh-CN")

        # The team lead: dashboard, what moved the ratio, a drill-down, a case.
        sign_in(page, base, "team_lead")
        team_url = page.url
        shot(page, "team-dashboard")
        page.locator("#table-change").scroll_into_view_if_needed()
        shot(page, "team-dashboard-details")
        go(page, "table[data-table=change] tbody th a")
        shot(page, "drill-down-case-list")
        go(page, "table[data-table=cases] tbody a")
        case_url = page.url
        shot(page, "case-page", full=True)

        # The team's year: the plan, the 述职 (drafted and submitted by the lead).
        page.goto(team_url)
        go(page, "a[data-link=plan]")
        shot(page, "team-plan", full=True)
        go(page, "a[data-link=yearend]")
        yearend_url = page.url
        submit = page.locator("button[name=action][value=submit]")
        if submit.count():
            narrative = page.locator("#id_narrative")
            filled = narrative.input_value()
            problems = "三、存在的问题\n"
            written = problems + "部分案件退回补充侦查偏多，引导侦查取证还需加强。\n"
            if problems in filled:
                narrative.fill(filled.replace(problems, written))
            submit.click()
            page.wait_for_load_state("networkidle")
        shot(page, "team-yearend", full=True)

        # The leadership: unit dashboard, the 评议, the unit's monthly report.
        sign_in(page, base, "leader")
        unit_url = page.url
        shot(page, "unit-dashboard")
        page.goto(yearend_url)
        go(page, "a[data-link=rating]")
        if not page.locator("[data-figure=rated]").count():
            page.select_option("#id_level", label="良好")
            page.select_option("#id_outcome", label="无")
            page.fill("#id_comment", "年度计划基本完成；流量口径案-件比仍高于目标，退回补充侦查偏多，明年重点改进。")
            page.click("form button[type=submit].primary")
            page.wait_for_load_state("networkidle")
        shot(page, "team-rating", full=True)
        # The unit's report of the last complete month (the dashboard links to the month not over yet).
        page.goto(unit_url)
        report_url = page.locator("a[data-link=unit-report]").get_attribute("href")
        last_month = datetime.date.fromisoformat(report_url.rstrip("/").rsplit("/", 1)[1] + "-01")
        previous = (last_month - datetime.timedelta(days=1)).strftime("%Y-%m")
        page.goto(base + report_url.replace(last_month.strftime("%Y-%m"), previous))
        shot(page, "unit-monthly-report")

        sign_in(page, base, "prosecutor")
        shot(page, "prosecutor-dashboard")

        # Case management: the work queue, a correction with its reason, a refused import.
        sign_in(page, base, "clerk")
        shot(page, "work-queue")
        correct_a_step(page, case_url)
        shot(page, "case-history-correction")
        page.goto(f"{base}/imports/upload/")
        bad = HERE / "bad-events.csv"
        bad.write_text("case_no,event,date\n无此案号,supplementary_investigation,2025-03-01\n", encoding="utf-8")
        page.set_input_files("#id_file", str(bad))
        page.click("#import-form button[type=submit]")
        page.wait_for_selector("[data-import-ok]")
        bad.unlink()
        shot(page, "import-report")

        # The review lead's monthly sample.
        sign_in(page, base, "review_lead")
        page.goto(f"{base}/reviews/sampling/")
        draw = page.locator("form.stacked button[type=submit].primary")
        if draw.count():  # the month not drawn yet: draw it (5 %, the proposed seed)
            draw.click()
            page.wait_for_load_state("networkidle")
        shot(page, "review-sampling", full=True)

        # English.
        sign_in(page, base, "team_lead")
        page.select_option("#language-select", "en")
        page.click("#language-submit")
        page.wait_for_load_state("networkidle")
        shot(page, "team-dashboard-en")
        page.close()

        # A phone, 390 px wide: the team and the unit dashboards.
        phone = browser.new_page(viewport=PHONE, locale="zh-CN", device_scale_factor=1)
        sign_in(phone, base, "team_lead")
        shot(phone, "team-dashboard-phone")
        sign_in(phone, base, "leader")
        shot(phone, "unit-dashboard-phone")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
