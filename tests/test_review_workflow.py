"""DOMAIN.md §7 workflow: each transition by each role, allowed and refused, the objection deadline and lapse."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from cases import review_workflow as wf
from cases.models import Grade, QualityReview, ReviewTransition
from tests.reviews_kit import D, at, closed_case, make_review_office

S = QualityReview.Status
SUBMIT_DAY = D(2025, 6, 10)


@pytest.fixture
def ro(db):
    return make_review_office()


@pytest.fixture
def case(ro):
    return closed_case(ro.prosecutors[0], D(2025, 5, 20))


@pytest.fixture
def submitted(ro, case):
    review = wf.create_review(
        case, ro.reviewer, findings=[("PR-F01", 2, "未及时告知")], reviewed_on=SUBMIT_DAY, now=at(SUBMIT_DAY)
    )
    return wf.submit(review, ro.reviewer, now=at(SUBMIT_DAY, 11))


def owner(case):
    return case.prosecutor.user


def test_create_scores_and_grades_the_draft(ro, case):
    review = wf.create_review(
        case,
        ro.reviewer,
        findings=[("DO-F01", 3, ""), {"item": "LA-F01", "note": "条文"}],
        reviewed_on=SUBMIT_DAY,
        now=at(SUBMIT_DAY),
    )
    assert review.status == S.DRAFT
    assert review.score == Decimal("94.00")
    assert review.computed_grade == review.final_grade == Grade.FLAWED
    assert review.grade_label == "瑕疵"
    assert list(review.transitions.values_list("action", "actor")) == [("create", ro.reviewer.pk)]


def test_review_on_2026_scale_says_basic_pass(ro):
    case = closed_case(ro.prosecutors[0], D(2026, 1, 5))
    review = wf.create_review(
        case, ro.reviewer, findings=[("DO-F01", 1, "")], reviewed_on=D(2026, 2, 1), now=at(D(2026, 2, 1))
    )
    assert review.grade_scale.code == "scale-2026" and review.grade_label == "基本合格"


def test_open_case_cannot_be_reviewed(ro):
    case = closed_case(ro.prosecutors[0], D(2025, 5, 20))
    case.closed_on = None
    with pytest.raises(wf.ReviewWorkflowError) as err:
        wf.create_review(case, ro.reviewer, now=at(SUBMIT_DAY))
    assert err.value.field == "case"


def test_prosecutor_cannot_review_own_case_even_as_reviewer(ro, case):
    from teams.models import StaffRole

    StaffRole.objects.create(user=owner(case), unit=ro.office.unit, kind=StaffRole.Kind.REVIEWER)
    with pytest.raises(wf.ReviewNotAllowed):
        wf.create_review(case, owner(case), now=at(SUBMIT_DAY))


def test_user_without_a_reviewer_post_cannot_review(ro, case):
    with pytest.raises(wf.ReviewNotAllowed):
        wf.create_review(case, ro.outsider, now=at(SUBMIT_DAY))


def test_only_a_lead_assigns_a_review_to_someone_else(ro, case):
    with pytest.raises(wf.ReviewNotAllowed):
        wf.create_review(case, ro.reviewer, actor=ro.reviewer2, now=at(SUBMIT_DAY))
    review = wf.create_review(case, ro.reviewer, actor=ro.lead, now=at(SUBMIT_DAY))
    assert review.transitions.get().actor == ro.lead


def test_unknown_item_is_refused_naming_the_row(ro, case):
    with pytest.raises(wf.ReviewWorkflowError) as err:
        wf.create_review(case, ro.reviewer, findings=[("DO-F01", 1, ""), ("NOPE", 1, "")], now=at(SUBMIT_DAY))
    assert err.value.field == "findings[1].item" and "NOPE" in err.value.message
    assert not QualityReview.objects.exists()


def test_only_the_reviewer_edits_and_submits_the_draft(ro, case):
    review = wf.create_review(case, ro.reviewer, reviewed_on=SUBMIT_DAY, now=at(SUBMIT_DAY))
    for intruder in (ro.reviewer2, ro.lead, owner(case)):
        with pytest.raises(wf.ReviewNotAllowed):
            wf.update_draft(review, intruder, proposes_merit=True)
        with pytest.raises(wf.ReviewNotAllowed):
            wf.submit(review, intruder)
    review = wf.update_draft(review, ro.reviewer, proposes_merit=True, findings=[])
    assert review.final_grade == Grade.EXCELLENT
    review = wf.submit(review, ro.reviewer, now=at(SUBMIT_DAY, 11))
    assert review.status == S.SUBMITTED and review.submitted_at == at(SUBMIT_DAY, 11)
    with pytest.raises(wf.ReviewWorkflowError) as err:
        wf.update_draft(review, ro.reviewer, summary="late edit")
    assert err.value.code == "wrong_status"


def test_only_the_case_prosecutor_accepts(ro, case, submitted):
    for intruder in (ro.reviewer, ro.lead, ro.prosecutors[1].user):
        with pytest.raises(wf.ReviewNotAllowed):
            wf.accept(submitted, intruder, now=at(D(2025, 6, 12)))
    review = wf.accept(submitted, owner(case), now=at(D(2025, 6, 12)))
    assert (review.status, review.finality, review.final_on) == (S.FINAL, "accepted", D(2025, 6, 12))
    with pytest.raises(wf.ReviewWorkflowError):
        wf.object_to(review, owner(case), "too late", now=at(D(2025, 6, 12)))


def test_only_the_case_prosecutor_objects_and_needs_a_reason(ro, case, submitted):
    with pytest.raises(wf.ReviewNotAllowed):
        wf.object_to(submitted, ro.reviewer2, "我不同意", now=at(D(2025, 6, 11)))
    with pytest.raises(wf.ReviewWorkflowError) as err:
        wf.object_to(submitted, owner(case), "  ", now=at(D(2025, 6, 11)))
    assert err.value.field == "objection_reason"
    review = wf.object_to(submitted, owner(case), "已当庭告知", now=at(D(2025, 6, 11)))
    assert review.status == S.OBJECTED and review.objection_reason == "已当庭告知"


def test_objection_on_day_5_is_accepted(case, submitted):
    review = wf.object_to(submitted, owner(case), "理由", now=at(D(2025, 6, 15), 23))
    assert review.status == S.OBJECTED


def test_objection_on_day_6_is_refused_and_the_review_is_final_by_lapse(case, submitted):
    with pytest.raises(wf.ReviewWorkflowError) as err:
        wf.object_to(submitted, owner(case), "理由", now=at(D(2025, 6, 16), 9))
    assert err.value.code == "objection_late"
    review = QualityReview.objects.get(pk=submitted.pk)
    assert (review.status, review.finality, review.final_on) == (S.FINAL, "lapsed", D(2025, 6, 16))
    lapse = review.transitions.get(action="lapse")
    assert lapse.actor is None and lapse.reason


def test_finalize_reviews_command_applies_the_lapse_only_after_day_5(submitted, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: at(D(2025, 6, 15), 20))
    call_command("finalize_reviews", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert QualityReview.objects.get(pk=submitted.pk).status == S.SUBMITTED
    monkeypatch.setattr("django.utils.timezone.now", lambda: at(D(2025, 6, 20)))
    assert wf.finalize_lapsed() == 1
    review = QualityReview.objects.get(pk=submitted.pk)
    assert review.status == S.FINAL and review.final_on == D(2025, 6, 16)
    assert wf.finalize_lapsed() == 0


def objected(case, review):
    return wf.object_to(review, owner(case), "程序合法", now=at(D(2025, 6, 12)))


def test_only_a_review_lead_resolves(ro, case, submitted):
    review = objected(case, submitted)
    for intruder in (ro.reviewer, ro.reviewer2, owner(case), ro.outsider):
        with pytest.raises(wf.ReviewNotAllowed):
            wf.resolve(review, intruder, "upheld", "证据充分")
    with pytest.raises(wf.ReviewWorkflowError) as err:
        wf.resolve(review, ro.lead, "upheld", "")
    assert err.value.field == "resolution_reason"
    review = wf.resolve(review, ro.lead, "upheld", "告知笔录缺失", now=at(D(2025, 6, 14)))
    assert (review.status, review.finality, review.final_on) == (S.FINAL, "resolved", D(2025, 6, 14))
    assert review.final_grade == Grade.FLAWED and review.resolved_by == ro.lead


def test_lead_amends_findings_on_objection(ro, case, submitted):
    review = wf.resolve(
        objected(case, submitted), ro.lead, "amended", "已告知，删除该项", findings=[], now=at(D(2025, 6, 14))
    )
    assert review.score == Decimal("100.00") and review.final_grade == Grade.QUALIFIED
    assert review.findings.count() == 0
    assert review.history.count() >= 4


def test_lead_cannot_resolve_without_an_objection(ro, submitted):
    with pytest.raises(wf.ReviewWorkflowError) as err:
        wf.resolve(submitted, ro.lead, "upheld", "x")
    assert err.value.code == "wrong_status"


def test_override_keeps_both_grades_and_needs_lead_and_reason(ro, case, submitted):
    with pytest.raises(wf.ReviewNotAllowed):
        wf.override_grade(submitted, ro.reviewer, Grade.QUALIFIED, "轻微", now=at(D(2025, 6, 11)))
    with pytest.raises(wf.ReviewNotAllowed):
        wf.override_grade(submitted, owner(case), Grade.QUALIFIED, "轻微", now=at(D(2025, 6, 11)))
    with pytest.raises(wf.ReviewWorkflowError):
        wf.override_grade(submitted, ro.lead, Grade.QUALIFIED, "", now=at(D(2025, 6, 11)))
    with pytest.raises(wf.ReviewWorkflowError) as err:
        wf.override_grade(submitted, ro.lead, "bogus", "理由", now=at(D(2025, 6, 11)))
    assert err.value.field == "grade"
    review = wf.override_grade(submitted, ro.lead, Grade.QUALIFIED, "告知瑕疵已补正", now=at(D(2025, 6, 11)))
    assert (review.computed_grade, review.final_grade) == (Grade.FLAWED, Grade.QUALIFIED)
    assert review.is_overridden and review.override_reason == "告知瑕疵已补正"
    review = wf.accept(review, owner(case), now=at(D(2025, 6, 12)))
    assert review.final_grade == Grade.QUALIFIED
    with pytest.raises(wf.ReviewWorkflowError):
        wf.override_grade(review, ro.lead, Grade.EXCELLENT, "final is final", now=at(D(2025, 6, 13)))


def test_every_transition_is_logged_with_who_when_why(ro, case, submitted):
    review = wf.resolve(objected(case, submitted), ro.lead, "upheld", "维持", now=at(D(2025, 6, 14)))
    log = list(
        ReviewTransition.objects.filter(review=review).values_list("action", "from_status", "to_status", "actor")
    )
    assert log == [
        ("create", "", "draft", ro.reviewer.pk),
        ("submit", "draft", "submitted", ro.reviewer.pk),
        ("object", "submitted", "objected", owner(case).pk),
        ("resolve", "objected", "final", ro.lead.pk),
    ]
    assert "维持" in review.transitions.last().reason


def test_allowed_actions_follow_the_roles(ro, case, submitted):
    assert wf.allowed_actions(submitted, owner(case), now=at(D(2025, 6, 11))) == ["accept", "object"]
    assert wf.allowed_actions(submitted, owner(case), now=at(D(2025, 6, 16))) == []
    assert wf.allowed_actions(submitted, ro.lead, now=at(D(2025, 6, 11))) == ["override"]
    assert wf.allowed_actions(submitted, ro.reviewer, now=at(D(2025, 6, 11))) == []


def test_draft_dates_stay_between_closure_and_today(ro, case):
    review = wf.create_review(case, ro.reviewer, reviewed_on=SUBMIT_DAY, now=at(SUBMIT_DAY))
    for day in (D(2025, 5, 19), D(2999, 1, 1)):
        with pytest.raises(wf.ReviewWorkflowError) as err:
            wf.update_draft(review, ro.reviewer, reviewed_on=day)
        assert err.value.field == "reviewed_on"
    assert QualityReview.objects.get(pk=review.pk).reviewed_on == SUBMIT_DAY


def test_a_reviewer_of_another_unit_reviews_only_as_a_cross_review(ro, case):
    from teams.models import StaffRole
    from tests.factories import UnitFactory

    StaffRole.objects.create(user=ro.outsider, unit=UnitFactory(code="U-FAR"), kind=StaffRole.Kind.REVIEWER)
    # Issue 10 H2: out of their reach, whatever the type, answered like an unknown case number.
    for review_type in ("routine", "cross"):
        with pytest.raises(wf.ReviewWorkflowError) as refused:
            wf.create_review(case, ro.outsider, review_type=review_type, now=at(SUBMIT_DAY))
        assert (refused.value.code, refused.value.field) == ("unknown_case", "case")
    # A cross review is assigned by a review lead of the case's unit.
    review = wf.create_review(case, ro.outsider, actor=ro.lead, review_type="cross", now=at(SUBMIT_DAY))
    assert review.get_review_type_display() == "交叉评查"
