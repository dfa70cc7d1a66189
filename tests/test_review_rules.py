"""DOMAIN.md §7 score and grade rules, every boundary, and the grade scale chosen by the review's date."""

import datetime
from decimal import Decimal

import pytest

from cases.models import Grade, GradeScale, ReviewItem
from cases.review_rules import Deduction, grade_scale_for, review_grade, review_score

ERR, FLAW = "error", "flaw"


def d(nature, points, count=1):
    return Deduction(nature, Decimal(str(points)), count)


def test_score_is_100_minus_points_times_count():
    assert review_score([d(FLAW, 3, 2), d(FLAW, 1.5)]) == Decimal("92.50")


def test_score_has_a_floor_at_zero():
    assert review_score([d(ERR, 20, 4), d(FLAW, 30)]) == Decimal("0.00")


def test_no_findings_scores_100_and_is_qualified():
    assert review_score([]) == Decimal("100.00")
    assert review_grade([]) == Grade.QUALIFIED


def test_merit_without_findings_is_excellent():
    assert review_grade([], proposes_merit=True) == Grade.EXCELLENT


def test_merit_with_a_flaw_finding_is_only_flawed():
    assert review_grade([d(FLAW, 1)], proposes_merit=True) == Grade.FLAWED


def test_merit_with_a_zero_point_finding_is_still_not_excellent():
    assert review_grade([d(FLAW, 0)], proposes_merit=True) == Grade.FLAWED


def test_flaw_findings_scoring_exactly_60_are_flawed():
    assert review_score([d(FLAW, 10, 4)]) == Decimal("60.00")
    assert review_grade([d(FLAW, 10, 4)]) == Grade.FLAWED


def test_flaw_findings_scoring_59_5_fail():
    findings = [d(FLAW, 10, 4), d(FLAW, 0.5)]
    assert review_score(findings) == Decimal("59.50")
    assert review_grade(findings) == Grade.UNQUALIFIED


def test_score_59_99_fails():
    assert review_grade([d(FLAW, "40.01")]) == Grade.UNQUALIFIED


def test_an_error_fails_even_with_a_high_score():
    findings = [d(ERR, 1)]
    assert review_score(findings) == Decimal("99.00")
    assert review_grade(findings, proposes_merit=True) == Grade.UNQUALIFIED


@pytest.mark.django_db
def test_scale_2017_until_end_of_2025_and_2026_from_new_year():
    old = grade_scale_for(datetime.date(2025, 12, 31))
    new = grade_scale_for(datetime.date(2026, 1, 1))
    assert old.code == "scale-2017" and old.label(Grade.FLAWED) == "瑕疵"
    assert new.code == "scale-2026" and new.label(Grade.FLAWED) == "基本合格"
    assert [new.label(g) for g in (Grade.EXCELLENT, Grade.QUALIFIED, Grade.UNQUALIFIED)] == ["优质", "合格", "不合格"]


@pytest.mark.django_db
def test_scale_before_any_configured_range_falls_back_to_the_earliest():
    assert grade_scale_for(datetime.date(2010, 5, 1)).code == "scale-2017"


@pytest.mark.django_db
def test_an_office_moves_the_switch_date_as_data():
    GradeScale.objects.filter(code="scale-2017").update(effective_to=datetime.date(2026, 6, 30))
    GradeScale.objects.filter(code="scale-2026").update(effective_from=datetime.date(2026, 7, 1))
    assert grade_scale_for(datetime.date(2026, 3, 1)).code == "scale-2017"
    assert grade_scale_for(datetime.date(2026, 7, 1)).code == "scale-2026"


@pytest.mark.django_db
def test_seeded_catalogue_covers_all_eight_dimensions_with_errors_and_flaws():
    from cases.models import Dimension

    for dim in Dimension.values:
        natures = set(ReviewItem.objects.filter(dimension=dim).values_list("nature", flat=True))
        assert natures == {"error", "flaw"}, dim
    assert ReviewItem.objects.in_force_on(datetime.date(2025, 1, 1)).count() == ReviewItem.objects.count() >= 24
