"""The review statistics' count table (`ReviewFact`, issue 14): whole months read from it, partial months
from the raw rows, and every write that moves a final review's counts keeps it equal to a rebuild."""

from decimal import Decimal

import pytest

from cases import review_facts, services
from cases import review_workflow as wf
from cases.importer import run_import
from cases.models import Case, ReviewFact
from cases.ratio import RatioFilters
from cases.review_stats import review_stats_for
from tests.import_kit import EVENT_HEADER, write_xlsx
from tests.reviews_kit import D, at, closed_case, final_review, make_review_office


@pytest.fixture
def ro(db):
    """Final reviews on 3 and 30 June and on 1 and 31 July 2025 (the month ends are the point)."""
    ro = make_review_office()
    p1, p2, p3 = ro.prosecutors
    team = ro.office.team
    final_review(closed_case(p1, D(2025, 5, 2), team=team), ro.reviewer, [("PR-F01", 2, "")], on=D(2025, 6, 3))
    final_review(closed_case(p1, D(2025, 5, 3), team=team), ro.reviewer, [], merit=True, on=D(2025, 6, 30))
    final_review(closed_case(p2, D(2025, 5, 4)), ro.reviewer2, [("LA-E01", 1, "")], on=D(2025, 7, 1))
    final_review(
        closed_case(p3, D(2025, 5, 7), team=team),
        ro.reviewer,
        [("DO-F01", 3, ""), ("EV-F01", 1, "")],
        on=D(2025, 7, 31),
    )
    return ro


def months(report) -> dict:
    return {row.keys["month"]: (row.reviews, row.score_sum, row.average_score) for row in report.rows}


def test_the_table_is_kept_as_reviews_become_final(ro):
    maintained = review_facts.snapshot()
    review_facts.rebuild()
    assert review_facts.snapshot() == maintained
    unit = ReviewFact.objects.filter(level="unit", item_id=0)
    assert sorted((f.month, f.reviews) for f in unit) == [(D(2025, 6, 1), 2), (D(2025, 7, 1), 2)]


def test_partial_months_at_both_ends_are_read_from_the_raw_rows(ro):
    # 15 June – 15 July: only the 30 June and 1 July reviews fall in it.
    report = review_stats_for(group_by="month", date_from=D(2025, 6, 15), date_to=D(2025, 7, 15))
    assert months(report) == {
        "2025-06": (1, Decimal("100.00"), Decimal("100.00")),
        "2025-07": (1, Decimal("80.00"), Decimal("80.00")),
    }
    assert report.total.grades == {"excellent": 1, "qualified": 0, "flawed": 0, "unqualified": 1}
    # Whole June from the table, 1–30 July raw: the 31 July review is left out.
    mixed = review_stats_for(group_by="month", date_from=D(2025, 6, 1), date_to=D(2025, 7, 30))
    assert months(mixed) == {
        "2025-06": (2, Decimal("196.00"), Decimal("98.00")),
        "2025-07": (1, Decimal("80.00"), Decimal("80.00")),
    }
    assert mixed.total.top_findings == [("PR-F01", 2), ("LA-E01", 1)]
    # One day, the last of a month; and a range inside one month.
    assert months(review_stats_for(group_by="month", date_from=D(2025, 7, 31), date_to=D(2025, 7, 31))) == {
        "2025-07": (1, Decimal("92.00"), Decimal("92.00"))
    }
    assert review_stats_for(date_from=D(2025, 6, 4), date_to=D(2025, 6, 29)).total.reviews == 0


def test_whole_months_come_from_the_table_and_partial_ones_do_not(ro):
    """A table changed behind the product's back shows in whole months only: the split is real."""
    ReviewFact.objects.filter(month=D(2025, 6, 1), item_id=0).update(reviews=50)
    assert review_stats_for(date_from=D(2025, 6, 1), date_to=D(2025, 6, 30)).total.reviews == 50
    assert review_stats_for(date_from=D(2025, 6, 2), date_to=D(2025, 6, 30)).total.reviews == 2
    review_facts.rebuild()
    assert review_stats_for(date_from=D(2025, 6, 1), date_to=D(2025, 6, 30)).total.reviews == 2


def test_a_case_moved_to_another_prosecutor_and_team_moves_its_reviews(ro):
    p1, p2, _ = ro.prosecutors
    case = Case.objects.filter(prosecutor=p2).get()
    services.update_case(case, {"prosecutor": p1, "department": p1.department, "team": ro.office.team})
    year = {"date_from": D(2025, 1, 1), "date_to": D(2025, 12, 31)}
    team = review_stats_for(filters=RatioFilters(team=ro.office.team.team_code), **year)
    assert team.total.reviews == 4 and team.total.grades["unqualified"] == 1
    people = {r.keys["prosecutor"]: r.reviews for r in review_stats_for(group_by="prosecutor", **year).rows}
    assert people == {p1.staff_code: 3, ro.prosecutors[2].staff_code: 1}
    maintained = review_facts.snapshot()
    review_facts.rebuild()
    assert review_facts.snapshot() == maintained


def test_an_objection_amended_after_an_override_counts_the_amended_grade_once(ro):
    p1 = ro.prosecutors[0]
    case = closed_case(p1, D(2025, 8, 1))
    review = wf.create_review(
        case, ro.reviewer, findings=[("LA-E01", 1, "")], reviewed_on=D(2025, 8, 5), now=at(D(2025, 8, 5))
    )
    wf.override_grade(review, ro.lead, "flawed", "组长调整", now=at(D(2025, 8, 5), 11))
    wf.submit(review, ro.reviewer, now=at(D(2025, 8, 5), 12))
    wf.object_to(review, p1.user, "不同意", now=at(D(2025, 8, 6)))
    wf.resolve(review, ro.lead, "amended", "改为无问题", findings=[], now=at(D(2025, 8, 8)))
    august = review_stats_for(date_from=D(2025, 8, 1), date_to=D(2025, 8, 31)).total
    assert (august.reviews, august.average_score, august.grades["qualified"]) == (1, Decimal("100.00"), 1)
    assert not august.findings


CASES = ["case_no", "title", "unit", "department", "prosecutor", "team", "persons", "received_on", "closed_on"]


def _workbook(tmp_path, prosecutor: str, team: str | None, name: str):
    return write_xlsx(
        tmp_path / name,
        {
            "cases": (CASES, [["K-2", "乙案", "U-MAIN", "D-2", prosecutor, team, 3, None, "2025-06-30"]]),
            "events": (
                EVENT_HEADER,
                [
                    ["K-2", "prosecution_review", "2025-03-01"],
                    ["K-2", "indictment", "2025-06-30"],
                ],
            ),
        },
    )


def test_an_import_that_reattributes_a_case_moves_its_reviews(db, today_fixed, tmp_path):
    today_fixed(D(2025, 12, 31))
    ro = make_review_office()
    assert run_import(_workbook(tmp_path, "P-003", None, "first.xlsx")).ok
    case = Case.objects.get(case_no="K-2")
    final_review(case, ro.reviewer, [("PR-F01", 1, "")], on=D(2025, 7, 10))
    report = run_import(_workbook(tmp_path, "P-002", "T-HQ", "fixed.xlsx"))
    assert report.ok, report.errors
    assert Case.objects.get(case_no="K-2").prosecutor.staff_code == "P-002"
    year = {"date_from": D(2025, 1, 1), "date_to": D(2025, 12, 31)}
    people = {r.keys["prosecutor"]: r.reviews for r in review_stats_for(group_by="prosecutor", **year).rows}
    assert people == {"P-002": 1}
    assert review_stats_for(filters=RatioFilters(team="T-HQ"), **year).total.reviews == 1
    maintained = review_facts.snapshot()
    review_facts.rebuild()
    assert review_facts.snapshot() == maintained


@pytest.mark.parametrize("reviewed_before", [False, True])
def test_a_review_made_final_inside_a_case_write_is_counted_once(ro, reviewed_before):
    """Blocks nest either way: a case block whose cases had no review leaves them to the review block."""
    from cases import rollup

    p1 = ro.prosecutors[0]
    case = closed_case(p1, D(2025, 8, 1))
    if reviewed_before:
        final_review(case, ro.reviewer, [("PR-F01", 1, "")], on=D(2025, 8, 3))
    with rollup.maintained([case.pk]):
        final_review(case, ro.reviewer2, [("LA-E01", 1, "")], on=D(2025, 8, 5))
    maintained = review_facts.snapshot()
    review_facts.rebuild()
    assert review_facts.snapshot() == maintained
    august = review_stats_for(date_from=D(2025, 8, 1), date_to=D(2025, 8, 31)).total
    assert august.reviews == (2 if reviewed_before else 1)
