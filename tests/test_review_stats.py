"""Roll-ups of final reviews (DOMAIN.md §7, DESIGN stats/reviews) on hand-checked data."""

from decimal import Decimal

import pytest

from cases import review_workflow as wf
from cases.ratio import RatioFilters, RatioQueryError, Scope
from cases.review_stats import review_stats_for
from tests.reviews_kit import D, at, closed_case, final_review, make_review_office

YEAR = {"date_from": D(2025, 1, 1), "date_to": D(2025, 12, 31)}


@pytest.fixture
def ro(db):
    """p1 (team): 96 瑕疵 and 100 优质 in June; p2 (no team): 80 不合格 in July plus a draft and a pending one;
    p3 (team): 92 瑕疵 in July."""
    ro = make_review_office()
    p1, p2, p3 = ro.prosecutors
    team = ro.office.team
    final_review(closed_case(p1, D(2025, 5, 2), team=team), ro.reviewer, [("PR-F01", 2, "")], on=D(2025, 6, 3))
    final_review(closed_case(p1, D(2025, 5, 3), team=team), ro.reviewer, [], merit=True, on=D(2025, 6, 30))
    final_review(closed_case(p2, D(2025, 5, 4)), ro.reviewer2, [("LA-E01", 1, "")], on=D(2025, 7, 1))
    wf.create_review(closed_case(p2, D(2025, 5, 5)), ro.reviewer, findings=[("LA-E01", 1, "")], now=at(D(2025, 7, 2)))
    pending = wf.create_review(closed_case(p2, D(2025, 5, 6)), ro.reviewer, now=at(D(2025, 7, 2)))
    wf.submit(pending, ro.reviewer, now=at(D(2025, 7, 2)))
    final_review(
        closed_case(p3, D(2025, 5, 7), team=team),
        ro.reviewer,
        [("DO-F01", 3, ""), ("EV-F01", 1, "")],
        on=D(2025, 7, 31),
    )
    return ro


def by(report, key):
    return {row.keys[key]: row for row in report.rows}


def test_only_final_reviews_count_grouped_by_month_of_final_date(ro):
    report = review_stats_for(group_by="month", **YEAR)
    months = by(report, "month")
    assert set(months) == {"2025-06", "2025-07"}
    june, july = months["2025-06"], months["2025-07"]
    assert (june.reviews, june.average_score) == (2, Decimal("98.00"))
    assert june.grades == {"excellent": 1, "qualified": 0, "flawed": 1, "unqualified": 0}
    assert june.deductions["procedure"] == Decimal("4.00") and sum(june.deductions.values()) == 4
    assert (july.reviews, july.average_score) == (2, Decimal("86.00"))
    assert july.grades["unqualified"] == 1 and july.grades["flawed"] == 1
    assert {k: v for k, v in july.deductions.items() if v} == {"law": 20, "documents": 3, "evidence": 5}
    assert report.total.reviews == 4 and report.total.average_score == Decimal("92.00")
    assert report.total.top_findings == [("DO-F01", 3), ("PR-F01", 2), ("EV-F01", 1), ("LA-E01", 1)]


def test_grouped_by_team_with_the_teamless_row_and_by_prosecutor(ro):
    teams = by(review_stats_for(group_by="team", **YEAR), "team")
    assert teams["T-HQ"].reviews == 3 and teams["T-HQ"].average_score == Decimal("96.00")
    assert teams[None].reviews == 1 and teams[None].grades["unqualified"] == 1
    people = by(review_stats_for(group_by="quarter,prosecutor", **YEAR), "prosecutor")
    assert {code: row.reviews for code, row in people.items()} == {"P-001": 2, "P-002": 1, "P-003": 1}
    assert people["P-001"].keys["quarter"] == "2025-Q2" and people["P-001"].labels["prosecutor"] == "张检察官"


def test_filters_dates_and_scope(ro):
    p1 = ro.prosecutors[0]
    assert review_stats_for(filters=RatioFilters(prosecutor="P-002"), **YEAR).total.reviews == 1
    assert review_stats_for(filters=RatioFilters(department="第二检察部"), **YEAR).total.reviews == 1
    assert review_stats_for(date_from=D(2025, 7, 1), date_to=D(2025, 7, 30)).total.reviews == 1
    assert review_stats_for(scope=Scope(prosecutor_ids=frozenset({p1.pk})), **YEAR).total.reviews == 2
    nothing = review_stats_for(scope=Scope(), **YEAR)
    assert nothing.rows == [] and nothing.total.reviews == 0 and nothing.total.average_score is None


def test_bad_parameters_name_the_field(ro):
    for kwargs, field in [
        ({"group_by": "planet"}, "group_by"),
        ({"basis": "x"}, "basis"),
        ({"filters": RatioFilters(team="T-NONE")}, "team"),
        ({"date_from": D(2025, 2, 1), "date_to": D(2025, 1, 1)}, "date_from"),
    ]:
        with pytest.raises(RatioQueryError) as err:
            review_stats_for(**kwargs)
        assert err.value.field == field


def test_as_dict_carries_the_api_fields(ro):
    row = review_stats_for(group_by="month", **YEAR).rows[0].as_dict()
    assert row["month"] == "2025-06" and row["reviews"] == 2 and row["average_score"] == 98.0
    assert row["grades"]["excellent"] == 1 and row["deductions"]["procedure"] == 4.0
    assert row["top_findings"] == [{"item": "PR-F01", "count": 2}]


def test_a_fixed_number_of_queries(ro, django_assert_max_num_queries):
    # grades, scores and findings in one statement, then one query per dimension named (unit, team, prosecutor)
    with django_assert_max_num_queries(4):
        review_stats_for(group_by="month,unit,team,prosecutor", **YEAR)
