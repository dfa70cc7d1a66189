"""The pages in a real browser: landing by role, dashboard numbers = engine, drill-down, exports,
logging an event, a refused import, the language switch."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from cases.models import Case, ProceduralEvent
from cases.ratio import RatioFilters, ratio_for
from teams.periods import add_months, parse_month

pytestmark = pytest.mark.browser


def test_each_role_lands_on_its_page_and_the_language_switches(demo_office, sign_in, page, live_server):
    landings = {
        "lead": "/teams/T-HQ/",
        "prosecutor": "/prosecutors/P-002/",
        "leadership": "/units/U-MAIN/",
        "clerk": "/work/",
    }
    for username, path in landings.items():
        sign_in(username)
        assert page.url.startswith(live_server.url + path), (username, page.url)
        if username == "lead":
            expect(page.get_by_role("heading", level=1)).to_contain_text("团队看板：合规护企")
            page.get_by_label("语言").select_option("en")
            page.get_by_role("button", name="切换").click()
            expect(page.get_by_role("heading", level=1)).to_contain_text("Team dashboard: 合规护企")
            expect(page.locator("html")).to_have_attribute("lang", "en")
            page.get_by_label("Language").select_option("zh-hans")
            page.get_by_role("button", name="Switch").click()
            expect(page.get_by_role("heading", level=1)).to_contain_text("团队看板")
        page.get_by_role("button", name="退出").click()
        page.wait_for_url("**/accounts/login/")


def test_team_dashboard_chart_and_tables_match_the_engine_and_drill_down(demo_office, sign_in, page):
    sign_in("lead")
    page.wait_for_function("window.caseqaCharts && window.caseqaCharts['chart-trend']")
    chart = page.evaluate("window.caseqaCharts['chart-trend'].data")
    option = page.evaluate("window.caseqaCharts['chart-trend'].chart.getOption().toolbox[0].feature")
    assert "saveAsImage" in option  # every chart saves as an image
    months = chart["months"]
    first, last = parse_month(months[0]), add_months(parse_month(months[-1]), 1) - datetime.timedelta(days=1)
    for series in chart["series"][:2]:
        report = ratio_for(
            group_by="month", basis=series["key"], date_from=first, date_to=last, filters=RatioFilters(team="T-HQ")
        )
        by_month = {r.keys["month"]: r.ratio for r in report.rows}
        assert series["data"] == [round(by_month[m], 4) if by_month.get(m) is not None else None for m in months]
    # A point of the chart opens the cases behind it (the flow series, last month). The line draws
    # itself in over about a second, so the point may not be under the pointer yet: click it again
    # once drawn, as a person would (a missed click leaves the page where it was).
    for _attempt in range(5):
        page.wait_for_timeout(600)
        x, y = page.evaluate(
            """() => { const c = window.caseqaCharts['chart-trend'];
                       const i = c.data.months.length - 1;
                       const p = c.chart.convertToPixel({seriesIndex: 0}, [i, c.data.series[0].data[i]]);
                       const box = document.getElementById('chart-trend').getBoundingClientRect();
                       return [box.left + p[0], box.top + p[1]]; }"""
        )
        page.mouse.click(x, y)
        try:
            page.wait_for_url("**/cases/?*", timeout=5_000)
            break
        except PlaywrightTimeoutError:
            assert "/cases/" not in page.url
    else:
        raise AssertionError("clicking the chart's last point never opened its cases")
    assert f"month={months[-1]}" in page.url and "basis=flow" in page.url
    expect(page.locator("table[data-table=cases] tbody tr")).to_have_count(1)
    page.go_back()
    # The monthly table shows the same counts; a count drills down to exactly its cases.
    last_month = demo_office.months[0]
    row = page.locator("table[data-table=trend] tbody tr", has=page.locator(f"th:text-is('{last_month}')"))
    cases_link = row.locator("td").nth(0).locator("a")
    expect(cases_link).to_have_text("2")
    cases_link.click()
    expect(page.locator("[data-figure=case-count]")).to_contain_text("2")
    expect(page.locator("table[data-table=cases] tbody tr")).to_have_count(2)


def test_exports_download_and_match_the_table(demo_office, sign_in, page):
    sign_in("lead")
    with page.expect_download() as info:
        page.locator("[data-export=members-csv]").click()
    assert info.value.suggested_filename.endswith(".csv")
    with open(info.value.path(), encoding="utf-8") as download:
        text = download.read()
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    shown = page.locator("table[data-table=members] tbody tr").all_inner_texts()
    assert len(rows) - 1 == len(shown)
    assert {r[0]: r[1] for r in rows[1:]} == {"张检察官": "2", "王检察官": "1"}
    with page.expect_download() as info:
        page.locator("[data-export=trend-xlsx]").click()
    assert info.value.suggested_filename.endswith(".xlsx")
    with open(info.value.path(), "rb") as download:
        sheet = load_workbook(io.BytesIO(download.read())).active
    footer = list(sheet.iter_rows(values_only=True))[-1]
    expect(page.locator("table[data-table=trend] tfoot td").first).to_have_text(str(footer[1]))


def test_logging_an_event_moves_the_ratio_and_a_refusal_names_the_rule(demo_office, sign_in, page, live_server):
    sign_in("clerk")
    case = demo_office.cases[1]  # a team case with 审查起诉 only
    page.goto(f"{live_server.url}/teams/T-HQ/")
    before = int(page.locator("[data-figure=items-flow]").inner_text())
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    # Dated today: the team card counts the year to date, which a step dated last month (in December,
    # last year) would not move.
    day = timezone.localdate().isoformat()
    page.locator("#id_event").select_option("arrest_superior_review")  # needs 不捕复议 first: rule 3
    page.locator("#id_date").fill(day)
    page.get_by_role("button", name="保存").click()
    expect(page.locator("[data-violations]")).to_contain_text("规则3")
    assert ProceduralEvent.objects.filter(case=case).count() == 1
    page.locator("#id_event").select_option("review_extension")
    page.locator("#id_date").fill(day)
    page.get_by_role("button", name="保存").click()
    expect(page.locator("[data-figure=items]")).to_contain_text("2")
    page.goto(f"{live_server.url}/teams/T-HQ/")
    assert int(page.locator("[data-figure=items-flow]").inner_text()) == before + 1


def test_a_bad_import_lists_its_rows_and_writes_nothing(demo_office, sign_in, page, live_server, tmp_path):
    sign_in("clerk")
    bad = tmp_path / "events.csv"
    bad.write_text(
        "case_no,event,date\n"
        f"{demo_office.cases[0].case_no},review_extension,2025-02-30\n"
        "无此案号,supplementary_investigation,2025-03-01\n",
        encoding="utf-8",
    )
    events_before, cases_before = ProceduralEvent.objects.count(), Case.objects.count()
    page.goto(f"{live_server.url}/imports/upload/")
    page.get_by_label("文件（.csv 或 .xlsx）").set_input_files(str(bad))
    page.get_by_role("button", name="上传并导入").click()
    report = page.locator("[data-import-ok=false]")
    expect(report).to_be_visible()
    rows = page.locator("table[data-table=import-errors] tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator("td").nth(0)).to_have_text("2")
    expect(rows.nth(1).locator("td").nth(0)).to_have_text("3")
    assert (ProceduralEvent.objects.count(), Case.objects.count()) == (events_before, cases_before)
