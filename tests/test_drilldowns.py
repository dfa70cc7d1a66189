"""The team lead's drill-downs (issue 15): month-over-month rows, assessment lines and review deductions
link to their cases, and the linked case list carries the figure's cases and items."""

from __future__ import annotations

import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.test_views import client_for, office  # noqa: F401  (the office fixture)

pytestmark = pytest.mark.django_db


def listed(client, href: str) -> tuple[int, int | None, list[str]]:
    """(cases, items, case numbers on the first page) of the case list at `href`."""
    assert href.startswith(reverse("cases:list") + "?")
    context = client.get(href).context
    assert not context["errors"], context["errors"]
    return context["page"].paginator.count, context["items"], [c.case_no for c in context["page"].object_list]


def query(href: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(href).query).items()}


@pytest.fixture
def reviewed(office):  # noqa: F811
    """A case of P-001 closed today with a final review finding PR-F01 twice (a 办案程序 deduction)."""
    from tests.reviews_kit import closed_case, final_review

    today = timezone.localdate()
    case = closed_case(office.prosecutors[0], today, team=office.team)
    final_review(case, office.users["reviewer"], [("PR-F01", 2, "")], on=today)
    office.reviewed = case
    return office


def test_the_case_list_carries_the_items_of_the_figure_it_drills_down_from(client, reviewed):
    client_for(client, reviewed.users["lead"])
    dash = client.get(reverse("teams:team", args=["T-HQ"])).context["dash"]
    footer = dash.tables["trend"].footer
    # 合计 | flow cases, items, ratio | cohort cases, items, ratio
    for cases_cell, items_cell in ((footer[1], footer[2]), (footer[4], footer[5])):
        if not cases_cell.value:  # nothing to list, no link
            assert cases_cell.href is None and items_cell.href is None
            continue
        assert listed(client, cases_cell.href)[0] == cases_cell.value
        _n, items, _nos = listed(client, items_cell.href)
        assert items == items_cell.value
    # Flow: 4 team cases + 1 退补 + 1 延长; cohort: the one closed today.
    assert (footer[1].value, footer[2].value, footer[4].value, footer[5].value) == (4, 6, 1, 1)
    extras = dash.tables["extras"]
    for column, total in enumerate(extras.footer[1:-1], start=1):
        _n, items, _nos = listed(client, total.href)
        assert items == total.value, extras.columns[column].title
    page = client.get(footer[2].href).content.decode()
    assert 'data-figure="item-count"' in page and "件数合计 6" in page


def test_month_over_month_rows_link_to_the_cases_of_the_two_months(client, office):  # noqa: F811
    client_for(client, office.users["lead"])
    last, this = office.months
    dash = client.get(reverse("teams:team", args=["T-HQ"]), {"change": "partial"}).context["dash"]
    assert dash.change_months == (last, this)
    rows = {row[0].value: row[0].href for row in dash.tables["change"].rows}
    assert all(rows.values()), rows
    first_day = datetime.date.fromisoformat(f"{last}-01")
    for href in rows.values():
        params = query(href)
        assert (params["team"], params["basis"], params["date_from"]) == ("T-HQ", "flow", first_day.isoformat())
    # The case count over both months is the trend's two months added up.
    trend = {row[0].value: row[1].value for row in dash.tables["trend"].rows}
    assert listed(client, rows["案件数变化"])[0] == trend[last] + trend[this] == 3
    supplementary = listed(client, rows["环节：退回补充侦查"])
    assert supplementary[:2] == (1, 1) and supplementary[2] == [office.cases[0].case_no]
    assert listed(client, rows["环节：延长审查起诉期限"])[:2] == (1, 1)
    members = {label: href for label, href in rows.items() if label.startswith("成员：")}
    assert members  # 王检察官 had a case last month and none this month
    by_code = {query(h)["prosecutor"]: listed(client, h)[0] for h in members.values()}
    assert by_code.items() <= {"P-001": 2, "P-003": 1}.items()


def test_assessment_lines_link_to_the_cases_they_count(client, reviewed):
    client_for(client, reviewed.users["leadership"])
    dash = client.get(reverse("teams:prosecutor", args=["P-001"])).context["dash"]
    lines = dash.tables["assessment"].rows
    # Columns: period, line, detail, count, points.
    linked = [row for row in lines if row[3].href]
    assert linked, [row[1].value for row in lines]
    for row in linked:
        assert row[1].href == row[3].href  # the line's name and its count open the same list
        n, _items, _nos = listed(client, row[3].href)
        assert n == row[3].value, row[1].value
    grade = next(row for row in linked if query(row[3].href).get("review_grade"))
    assert listed(client, grade[3].href)[2] == [reviewed.reviewed.case_no]
    ratio = next(row for row in linked if query(row[3].href).get("basis") == "cohort")
    assert query(ratio[3].href)["prosecutor"] == "P-001"


def test_deduction_rows_link_to_the_reviewed_cases(client, reviewed):
    client_for(client, reviewed.users["lead"])
    dash = client.get(reverse("teams:team", args=["T-HQ"])).context["dash"]
    rows = {row[0].value: row for row in dash.tables["deductions"].rows}
    dimension = rows["办案程序"]
    assert dimension[1].href == dimension[0].href and dimension[2].href is None  # points here, no count
    item = next(row for label, row in rows.items() if label.startswith("PR-F01"))
    assert item[2].value == 2 and item[2].href == item[0].href
    for row in (dimension, item):
        assert listed(client, row[0].href)[2] == [reviewed.reviewed.case_no]
    other = reverse("cases:list") + "?finding_dimension=evidence&team=T-HQ"
    assert client.get(other).context["page"].paginator.count == 0
    bad = client.get(reverse("cases:list") + "?finding_dimension=nonsense").context["errors"]
    assert any("finding_dimension" in e for e in bad)


def test_case_numbers_list_exactly_those_cases_and_a_long_list_is_refused(client, office):  # noqa: F811
    client_for(client, office.users["leadership"])
    nos = [office.cases[0].case_no, office.cases[2].case_no]
    n, items, listed_nos = listed(client, reverse("cases:list") + "?case_nos=" + ",".join(nos))
    assert n == 2 and sorted(listed_nos) == sorted(nos) and items == 4  # 1 + 退补, 1 + 延长
    too_many = ",".join(f"X{i}" for i in range(201))
    assert any("case_nos" in e for e in client.get(reverse("cases:list"), {"case_nos": too_many}).context["errors"])


def test_indicator_names_and_basis_cards_explain_themselves(client, office):  # noqa: F811
    client_for(client, office.users["lead"])
    response = client.get(reverse("teams:team", args=["T-HQ"]))
    glossary = reverse("teams:glossary")
    names = [row[0].href for row in response.context["dash"].tables["indicators"].rows[1:]]
    assert names and all(h.startswith(glossary + "#indicator-") for h in names)
    html = response.content.decode()
    assert html.count('<h2><abbr title="按期间统计') == 1 and html.count('<h2><abbr title="按审结统计') == 1


def test_the_items_line_in_english(client, office):  # noqa: F811
    client_for(client, office.users["lead"])
    client.cookies["django_language"] = "en"
    last = office.months[0]
    html = client.get(
        reverse("cases:list"), {"team": "T-HQ", "basis": "flow", "month": last, "event": "supplementary_investigation"}
    ).content.decode()
    assert "of which Return for supplementary investigation: 1 items" in html
    summary = html[html.index('class="summary"') : html.index("</p>", html.index('class="summary"'))]
    assert "(Flow basis)" in summary and not any("\u4e00" <= ch <= "\u9fff" for ch in summary)


def test_the_unit_reports_figures_link_to_their_cases(client, office):  # noqa: F811
    client_for(client, office.users["leadership"])
    last = office.months[0]
    report = client.get(reverse("teams:unit_report", args=["U-MAIN", last])).context["report"]
    row = report.table.rows[report.table.keys.index("T-HQ")]
    assert row[0].href == reverse("teams:team_report", args=["T-HQ", last])
    cases, items = row[1], row[2]
    assert (cases.value, items.value) == (2, 3)  # last month: two team cases, one 退补
    assert listed(client, cases.href)[0] == cases.value
    assert listed(client, items.href)[1] == items.value
    assert client.get(row[-1].href).status_code == 200  # the achievements: the team's plan
