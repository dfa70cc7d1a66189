"""Assessment (DOMAIN.md §8) on hand-checked data: quality lines, the 错案 veto, the efficiency steps, teams."""

from decimal import Decimal

import pytest

from cases import review_workflow as wf
from cases.assessment import AssessmentError, assess_prosecutor, scheme_for, team_results
from cases.models import AssessmentScheme, TeamTarget
from tests.reviews_kit import D, at, closed_case, final_review, make_review_office

TWO_ROUNDS = [
    ("supplementary_investigation", D(2025, 2, 10)),
    ("resubmission", D(2025, 3, 1)),
    ("supplementary_investigation", D(2025, 3, 10)),
    ("resubmission", D(2025, 3, 20)),
]


@pytest.fixture
def ro(db):
    """p1 (team leader): five 1-item cases closed in 2025, reviewed 优质 ×2, 合格, 瑕疵, 不合格 (final in 2025),
    plus a draft; p2: one 3-item case closed in 2025. Unit cohort 2025: 6 cases, 8 items (1:1.33)."""
    ro = make_review_office()
    p1, p2, _p3 = ro.prosecutors
    team = ro.office.team
    grades = [([], True), ([], True), ([], False), ([("DO-F01", 1, "")], False), ([("LA-E01", 1, "")], False)]
    ro.p1_cases = []
    for n, (findings, merit) in enumerate(grades):
        case = closed_case(p1, D(2025, 4, 1 + n), team=team, case_no=f"P1-{n}")
        final_review(case, ro.reviewer, findings, merit=merit, on=D(2025, 5, 1 + n))
        ro.p1_cases.append(case)
    late = closed_case(p1, D(2024, 11, 1), case_no="P1-OLD")
    final_review(late, ro.reviewer, [], on=D(2024, 12, 20))  # final in 2024: not this year
    wf.create_review(ro.p1_cases[0], ro.reviewer2, findings=[("LA-E01", 1, "")], now=at(D(2025, 6, 1)))
    make_p2 = [("prosecution_review", D(2025, 2, 1)), *TWO_ROUNDS]
    from tests.factories import make_case

    make_case(p2, make_p2, closed_on=D(2025, 4, 20), case_no="P2-0")
    return ro


def lines(assessment):
    return {line.code: line for line in assessment.lines}


def test_quality_lines_with_their_cases(ro):
    result = assess_prosecutor(ro.prosecutors[0], 2025)
    got = lines(result)
    assert got["base"].points == 40
    assert (got["grade_excellent"].points, got["grade_excellent"].case_nos) == (6, ["P1-0", "P1-1"])
    assert (got["grade_qualified"].points, got["grade_qualified"].count) == (0, 1)
    assert (got["grade_flawed"].points, got["grade_flawed"].case_nos) == (-3, ["P1-3"])
    assert (got["grade_unqualified"].points, got["grade_unqualified"].case_nos) == (-6, ["P1-4"])
    assert result.quality == Decimal("37")


def test_efficiency_steps_against_the_unit_cohort_ratio(ro):
    p1 = assess_prosecutor(ro.prosecutors[0], 2025)
    line = lines(p1)["ratio"]
    # unit 8/6 = 1.333…, p1 5/5 = 1.00: 0.333… lower = 3 whole steps of 0.1 → +3
    assert (p1.person_ratio, p1.unit_ratio) == ("1:1.00", "1:1.33")
    assert line.points == 3 and line.case_nos == ["P1-0", "P1-1", "P1-2", "P1-3", "P1-4"]
    assert p1.total == Decimal("40")
    p2 = assess_prosecutor(ro.prosecutors[1], 2025)
    # p2 3.00 vs 1.33: 16 steps higher → −16, capped at −5; no reviews → quality is the base
    assert lines(p2)["ratio"].points == -5 and p2.quality == 40 and p2.total == 35


def test_nobody_without_closed_cases_gets_efficiency_points(ro):
    p3 = assess_prosecutor(ro.prosecutors[2], 2025)
    assert p3.efficiency == 0 and p3.total == 40


def test_a_wrongful_case_zeroes_the_quality_component(ro):
    p3 = ro.prosecutors[2]
    final_review(closed_case(p3, D(2025, 6, 1), case_no="P3-0"), ro.reviewer, [], merit=True, on=D(2025, 7, 1))
    final_review(
        closed_case(p3, D(2025, 6, 2), case_no="P3-1"),
        ro.reviewer,
        [("FA-E01", 1, "")],
        wrongful=True,
        on=D(2025, 7, 2),
    )
    got = lines(assess_prosecutor(p3, 2025))
    assert got["wrongful_veto"].case_nos == ["P3-1"] and got["wrongful_veto"].points == -(40 + 3 - 6)
    assert assess_prosecutor(p3, 2025).quality == 0


def test_the_scheme_is_data_with_an_effective_date(ro):
    seeded = scheme_for(D(2025, 6, 1))
    rules = {**seeded.rules, "quality": {**seeded.rules["quality"], "base": 50}}
    AssessmentScheme.objects.create(effective_from=D(2026, 1, 1), name="2026办法", rules=rules)
    assert scheme_for(D(2025, 12, 31)).effective_from == D(2020, 1, 1)
    assert scheme_for(D(2026, 1, 1)).name == scheme_for(D(2027, 5, 1)).name == "2026办法"
    assert lines(assess_prosecutor(ro.prosecutors[2], 2026))["base"].points == 50
    with pytest.raises(AssessmentError):
        assess_prosecutor(ro.prosecutors[2], 2019)


def test_team_results_track_the_target_month_by_month(ro):
    team = ro.office.team
    TeamTarget.objects.create(team=team, year=2025, target_ratio=Decimal("1.20"))
    result = team_results(team, 2025)
    assert result.target_ratio == Decimal("1.20")
    assert (result.cases, result.items, result.reviews) == (5, 5, 5)  # p1's five team cases, received in March
    march = result.months[2]
    assert (march.month, march.cases, march.ytd_cases, march.on_target) == ("2025-03", 5, 5, True)
    assert result.months[0].on_target is None and result.months[11].ytd_ratio_display == "1:1.00"
    members = {m.staff_code: m for m in result.members}
    assert set(members) == {"P-001", "P-003"}
    assert (members["P-001"].reviews, members["P-001"].average_score) == (
        5,
        Decimal("95.80"),
    )  # (100 + 100 + 100 + 99 + 80) / 5
    assert members["P-003"].cases == 0 and members["P-003"].average_score is None
    assert result.grades["excellent"] == 2


@pytest.mark.parametrize(
    "rules, fragment",
    [
        ([], "JSON"),
        ({"quality": {"grade_points": {"gold": 3}}}, "grade_points"),
        ({"quality": {"base": "forty"}}, "quality.base"),
        ({"efficiency": {"step": -0.1}}, "efficiency.step"),
    ],
)
def test_a_scheme_the_assessment_cannot_read_is_refused(db, rules, fragment):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as err:
        AssessmentScheme(effective_from=D(2030, 1, 1), name="x", rules=rules).full_clean()
    assert fragment in str(err.value)


def test_grade_scales_may_not_overlap_and_dates_are_ordered(db):
    from django.core.exceptions import ValidationError

    from cases.models import GradeScale, ReviewItem

    with pytest.raises(ValidationError, match="重叠"):
        GradeScale(code="scale-x", name="x", effective_from=D(2025, 6, 1)).full_clean()
    GradeScale(code="scale-old", name="old", effective_from=D(2010, 1, 1), effective_to=D(2016, 12, 31)).full_clean()
    item = ReviewItem(
        code="X-1",
        dimension="law",
        text="x",
        nature="flaw",
        points=1,
        effective_from=D(2025, 2, 1),
        effective_to=D(2025, 1, 1),
    )
    with pytest.raises(ValidationError, match="失效日期"):
        item.full_clean()


def test_assessment_and_team_results_on_the_api(ro):
    from django.test import Client

    client = Client()
    client.force_login(ro.prosecutors[0].user)
    body = client.get("/api/v1/assessment/?prosecutor=P-001&year=2025").json()
    assert (body["quality"], body["efficiency"], body["total"]) == (37.0, 3.0, 40.0)
    assert {line["code"]: line["cases"] for line in body["lines"]}["grade_flawed"] == ["P1-3"]
    assert client.get("/api/v1/assessment/?prosecutor=P-002&year=2025").status_code == 404  # not theirs
    assert "year" in client.get("/api/v1/assessment/?prosecutor=P-001&year=19").json()
    assert "prosecutor" in client.get("/api/v1/assessment/").json()
    team = client.get("/api/v1/team-results/?team=T-HQ&year=2025").json()  # p1 leads the team
    assert team["reviews"] == 5 and len(team["months"]) == 12 and team["months"][2]["cases"] == 5
    assert {m["staff_code"] for m in team["members"]} == {"P-001", "P-003"}
    assert "basis" in client.get("/api/v1/team-results/?team=T-HQ&basis=x").json()
