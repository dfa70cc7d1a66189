"""Issue 13 D6 and month-over-month: a team's cards show the year to date against this year's target;
the members table shows roles (带头人, 核心成员, others) and assessments; month-over-month compares the
last two complete months unless the month not over yet is asked for, and then says it is partial."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from cases.assessment import assess_prosecutor, team_results
from cases.models import TeamTarget
from cases.ratio import RatioFilters, Scope, ratio_for
from teams import dashboards
from teams.models import Membership
from teams.periods import Period, default_period, month_label
from tests.factories import make_case

D = datetime.date
pytestmark = pytest.mark.django_db


def team_subject(org) -> dashboards.Subject:
    subject = dashboards.Subject(
        "team", "T-HQ", org.team.name, RatioFilters(team="T-HQ"), Scope(everything=True), {"team": "T-HQ"}
    )
    subject.team_id = org.team.pk
    return subject


@pytest.fixture
def march(org, today_fixed):
    """Today 2026-03-02. Last November: two heavy cases (3 items each); January: one plain case;
    February: one case with a 退补; March 1: one case. Targets: 2025 1:1.80, 2026 1:1.30."""
    today = today_fixed(D(2026, 3, 2))
    p1, _p2, p3 = org.prosecutors
    for n in range(2):
        make_case(
            p3,
            [
                ("prosecution_review", D(2025, 11, 3 + n)),
                ("supplementary_investigation", D(2025, 11, 10 + n)),
                ("review_extension", D(2025, 11, 12 + n)),
            ],
            team=org.team,
        )
    make_case(p1, [("prosecution_review", D(2026, 1, 5))], team=org.team)
    returned = [("prosecution_review", D(2026, 2, 5)), ("supplementary_investigation", D(2026, 2, 9))]
    make_case(p1, returned, team=org.team)
    make_case(p1, [("prosecution_review", D(2026, 3, 1))], team=org.team)
    TeamTarget.objects.create(team=org.team, year=2025, target_ratio="1.80")
    TeamTarget.objects.create(team=org.team, year=2026, target_ratio="1.30")
    return today


def test_cards_show_the_year_to_date_against_this_years_target(org, march):
    period = default_period(march)  # 2025-04 … 2026-03: the rolling window holds last November
    dash = dashboards.build(team_subject(org), period, {2025: 1.80, 2026: 1.30}, today=march)
    flow = next(c for c in dash.cards if c["basis"] == "flow")
    # Year to date 2026-01-01 … 03-02: 3 cases, 4 items → 1:1.33 (the rolling 12 months: 5 cases, 10 items).
    assert (flow["total"].cases, flow["total"].items, flow["total"].ratio_display) == (3, 4, "1:1.33")
    assert dash.totals["flow"].cases == 5  # the range itself is still in the trend table
    assert flow["target"] == 1.30 and flow["year"] == 2026
    assert flow["on_target"] is False and round(flow["gap"], 4) == round(4 / 3 - 1.30, 4)
    assert "2026" in flow["label"]
    assert "date_from=2026-01-01" in flow["cases_url"] and "date_to=2026-03-02" in flow["cases_url"]


def test_cards_carry_the_year_end_projection_and_its_status(org, march):
    dash = dashboards.build(team_subject(org), default_period(march), {2026: 1.30}, today=march)
    p = next(c for c in dash.cards if c["basis"] == "flow")["projection"]
    # As of 02-28: YTD 2 cases / 3 items; Dec–Feb 2 cases / 3 items → 2/3 case and 1 item a month, 10 left.
    assert p.as_of == D(2026, 2, 28) and (p.ytd_cases, p.ytd_items, p.remaining_months) == (2, 3, 10)
    assert p.projected == pytest.approx(13 / (2 + 20 / 3))
    # Monthly ratios Sep–Feb: Nov 3.0, Jan 1.0, Feb 2.0 → a range straddling the target 1.30.
    assert p.low == pytest.approx((3 + 20 / 3) / (2 + 20 / 3)) and p.high == pytest.approx((3 + 20) / (2 + 20 / 3))
    assert p.status == "at_risk"


def test_a_past_range_counts_its_year_up_to_the_ranges_end(org, march):
    period = Period(D(2025, 1, 1), D(2025, 11, 1))
    dash = dashboards.build(team_subject(org), period, {2025: 1.80, 2026: 1.30}, today=march)
    flow = next(c for c in dash.cards if c["basis"] == "flow")
    assert (flow["total"].cases, flow["total"].items, flow["target"]) == (2, 6, 1.80)
    assert flow["on_target"] is False


def test_month_over_month_compares_the_last_two_complete_months_by_default(org, march):
    dash = dashboards.build(team_subject(org), default_period(march), today=march)
    assert dash.change_months == ("2026-01", "2026-02") and not dash.change_partial
    assert dash.change_partial_available
    # January 1 case / 1 item, February 1 case / 2 items: +1.00, all from the 退补.
    assert dash.change_by_event.delta_display == "+1.00"
    assert [d.key for d in dash.change_by_event.drivers] == ["supplementary_investigation"]


def test_the_partial_month_is_compared_only_when_asked_and_says_so(org, march):
    dash = dashboards.build(team_subject(org), default_period(march), today=march, partial_change=True)
    assert dash.change_months == ("2026-02", "2026-03") and dash.change_partial
    assert "不完整" in dash.tables["change"].title


def test_a_range_of_past_months_compares_its_last_two(org, march):
    dash = dashboards.build(team_subject(org), Period(D(2025, 10, 1), D(2026, 1, 1)), today=march)
    assert dash.change_months == ("2025-12", "2026-01") and not dash.change_partial_available


def test_members_in_role_order_with_role_and_assessment(org, march):
    p1, p2, p3 = org.prosecutors
    Membership.objects.create(team=org.team, prosecutor=p2, role=Membership.Role.MEMBER)
    dash = dashboards.build(team_subject(org), default_period(march), today=march)
    from teams.assessment_section import member_assessments

    member_assessments(dash)
    table = dash.tables["members"]
    titles = [c.title for c in table.columns]
    role_at, score_at = titles.index("团队角色"), titles.index("2026年考核得分")
    # p3 (核心成员) has more cases than p1 (带头人) in the range; the leader still comes first.
    assert [row[0].value for row in table.rows] == ["张检察官", "王检察官", "李检察官"]
    assert [row[role_at].text for row in table.rows] == ["带头人", "核心成员", "其他组成人员"]
    expected = [float(assess_prosecutor(p, 2026).total) for p in (p1, p3, p2)]
    assert [row[score_at].value for row in table.rows] == expected
    assert [m.staff_code for m in team_results(org.team, 2026).members] == ["P-001", "P-003", "P-002"]


def test_the_team_page_over_http(client, org):
    """Real request, real today: the cards' year-to-date figures equal the engine's for Jan 1 … today."""
    today = timezone.localdate()
    p1 = org.prosecutors[0]
    make_case(
        p1,
        [("prosecution_review", D(today.year - 1, 12, 10)), ("supplementary_investigation", D(today.year - 1, 12, 12))],
        team=org.team,
    )
    make_case(p1, [("prosecution_review", D(today.year, 1, 1))], team=org.team)
    TeamTarget.objects.create(team=org.team, year=today.year, target_ratio="1.20")
    TeamTarget.objects.create(team=org.team, year=today.year - 1, target_ratio="1.50")
    user = get_user_model().objects.create(username="lead")
    p1.user = user
    p1.save()
    client.force_login(user)
    query = {"from": f"{today.year - 1}-12", "to": month_label(today)}
    page = client.get(reverse("teams:team", args=["T-HQ"]), query)
    assert page.status_code == 200
    flow = next(c for c in page.context["dash"].cards if c["basis"] == "flow")
    engine = ratio_for(date_from=D(today.year, 1, 1), date_to=today, filters=RatioFilters(team="T-HQ")).total
    assert (flow["total"].cases, flow["total"].items) == (engine.cases, engine.items) == (1, 1)
    assert flow["target"] == 1.20
    html = page.content.decode()
    assert "change=partial" in html and f"{today.year}年目标" in html
    api = client.get("/api/v1/team-results/", {"team": "T-HQ", "year": today.year}).json()
    projection = api["projection"]
    assert projection["year"] == today.year and projection["target"] == 1.20
    assert projection["status"] in ("on_track", "at_risk", "off_track")
    assert projection["low"] <= projection["projected"] <= projection["high"]
