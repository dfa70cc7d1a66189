"""Issue 13: the year-end projection of the ratio, its range and status, and its back-test."""

import datetime

import pytest

from cases.projection import (
    AT_RISK,
    OFF_TRACK,
    ON_TRACK,
    _project,
    backtest,
    last_complete_month_end,
    project_ratio,
    status_of,
)
from cases.ratio import RatioFilters
from tests.factories import make_case

D = datetime.date


def idx(year, month):
    return year * 12 + month - 1


def test_projection_by_hand():
    """As of 2025-04-30: Jan–Apr 10 cases / 14 items; window Feb–Apr 3, 2, 4 cases with 4, 3, 5 items.
    Rate 3 cases, 4 items a month; 8 months left → (14 + 32) / (10 + 24) = 46 / 34."""
    months = {
        idx(2025, 1): (1, 2),
        idx(2025, 2): (3, 4),
        idx(2025, 3): (2, 3),
        idx(2025, 4): (4, 5),
        idx(2024, 11): (2, 2),
        idx(2024, 12): (5, 10),
    }
    p = _project(2025, D(2025, 4, 30), "flow", months, 1.40)
    assert (p.ytd_cases, p.ytd_items, p.remaining_months) == (10, 14, 8)
    assert p.window == ("2025-02", "2025-04")
    assert (p.cases_per_month, p.items_per_month) == (3, 4)
    assert p.projected == pytest.approx(46 / 34)
    # Range: monthly ratios of Nov–Apr are 1.0, 2.0, 2.0, 1.333, 1.5, 1.25 → remaining 24 cases at 1.0 … 2.0.
    assert p.low == pytest.approx((14 + 24 * 1.0) / 34) and p.high == pytest.approx((14 + 24 * 2.0) / 34)
    assert p.status == AT_RISK  # 1.12 … 1.82 straddles 1.40


def test_status_against_the_target():
    assert status_of(1.2, 1.3, 1.35) == ON_TRACK
    assert status_of(1.2, 1.35, 1.35) == ON_TRACK
    assert status_of(1.36, 1.5, 1.35) == OFF_TRACK
    assert status_of(1.3, 1.4, 1.35) == AT_RISK
    assert status_of(1.3, 1.4, None) is None


def test_december_is_the_actual_and_january_starts_from_the_window():
    months = {idx(2024, 10): (4, 4), idx(2024, 11): (4, 6), idx(2024, 12): (4, 8), idx(2025, 12): (2, 3)}
    end = _project(2025, D(2025, 12, 31), "flow", months, None)
    assert end.remaining_months == 0 and end.projected == end.low == end.high == 1.5
    start = _project(2025, D(2024, 12, 31), "flow", months, None)  # before the year: nothing to date
    assert (start.ytd_cases, start.remaining_months) == (0, 12)
    assert start.projected == pytest.approx(18 / 12)


def test_no_cases_anywhere_projects_nothing():
    p = _project(2025, D(2025, 5, 31), "flow", {}, 1.3)
    assert p.projected is None and p.status is None


def test_last_complete_month_end():
    assert last_complete_month_end(D(2026, 3, 2)) == D(2026, 2, 28)
    assert last_complete_month_end(D(2026, 1, 31)) == D(2025, 12, 31)


def test_project_ratio_reads_the_engine(org, today_fixed):
    today_fixed(D(2025, 6, 30))
    p1 = org.prosecutors[0]
    make_case(p1, [("prosecution_review", D(2025, 1, 10))], team=org.team)
    make_case(p1, [("prosecution_review", D(2025, 3, 10)), ("review_extension", D(2025, 3, 12))], team=org.team)
    make_case(p1, [("prosecution_review", D(2025, 5, 10))], team=org.team)
    p = project_ratio(2025, D(2025, 5, 31), filters=RatioFilters(team="T-HQ"), target=1.2)
    # YTD 3 cases / 4 items; window Mar–May: 2 cases, 3 items → 2/3 and 1 per month; 7 months left.
    assert (p.ytd_cases, p.ytd_items) == (3, 4)
    assert p.projected == pytest.approx((4 + 7) / (3 + 7 * 2 / 3))
    assert p.as_dict()["window"] == {"from": "2025-03", "to": "2025-05"}


@pytest.mark.slow
def test_backtest_on_the_demos_past_year(db):
    """The demo office's 2025 projected from each month-end against its actual, for every team.

    Bounds from the measurement in docs/teams.md (small demo, seed 2026, ten teams): the mean absolute
    error was 0.02–0.41 items per case (0.41 at the end of April), 0.08 or less from September's end on.
    Bounds: below 0.45 at every month-end, below 0.10 from September's end on.
    """
    from cases.demo.generator import generate
    from teams.models import Team

    generate("small", seed=2026, today=D(2026, 3, 15))
    groups = {t.team_code: RatioFilters(team=t.team_code) for t in Team.objects.all()}
    rows = backtest(2025, groups)
    for row in rows:
        print(f"month-end {row.month:2d}: {row.groups} teams, MAE {row.mean_absolute_error}, in {row.within_range}")
    assert [r.month for r in rows] == list(range(1, 12))
    assert all(r.groups == len(groups) for r in rows)
    assert all(r.mean_absolute_error < 0.45 for r in rows)
    assert all(r.mean_absolute_error < 0.10 for r in rows if r.month >= 9)
    # Errors shrink as the year fills up: the last month-end is far better than the first.
    assert rows[-1].mean_absolute_error < rows[0].mean_absolute_error
