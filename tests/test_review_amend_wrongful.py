"""Issue 13 D1 and D4 (DOMAIN.md §7): an amendment recomputes the grade and drops an earlier override;
the 错案 flag only on a review whose final grade is 不合格 with an error finding."""

from decimal import Decimal

import pytest
from django.test import Client

from cases import review_workflow as wf
from cases.assessment import assess_prosecutor
from cases.models import Grade, QualityReview, ReviewTransition
from tests.reviews_kit import D, at, closed_case, final_review, make_review_office

SUBMIT_DAY = D(2025, 6, 10)


@pytest.fixture
def ro(db):
    return make_review_office()


@pytest.fixture
def case(ro):
    return closed_case(ro.prosecutors[0], D(2025, 5, 20), case_no="AMEND-1")


def owner(case):
    return case.prosecutor.user


def submitted(ro, case, findings=(("PR-F01", 2, "未及时告知"),), wrongful=False):
    review = wf.create_review(
        case, ro.reviewer, findings=list(findings), wrongful=wrongful, reviewed_on=SUBMIT_DAY, now=at(SUBMIT_DAY)
    )
    return wf.submit(review, ro.reviewer, now=at(SUBMIT_DAY, 11))


def overridden_then_objected(ro, case, grade=Grade.UNQUALIFIED):
    review = wf.override_grade(submitted(ro, case), ro.lead, grade, "问题严重", now=at(D(2025, 6, 11)))
    return wf.object_to(review, owner(case), "已补正", now=at(D(2025, 6, 12)))


def quality_points(prosecutor):
    return {line.code: line.points for line in assess_prosecutor(prosecutor, 2025).lines}


# --- D1 ------------------------------------------------------------------------------------


def test_amended_findings_recompute_the_grade_and_drop_the_earlier_override(ro, case):
    review = overridden_then_objected(ro, case)
    assert review.final_grade == Grade.UNQUALIFIED and review.computed_grade == Grade.FLAWED
    review = wf.resolve(review, ro.lead, "amended", "告知已补正，删除该项", findings=[], now=at(D(2025, 6, 14)))
    assert review.score == Decimal("100.00")
    assert review.computed_grade == review.final_grade == Grade.QUALIFIED
    assert not review.is_overridden and review.overridden_by is None and review.override_reason == ""
    assert "原等级调整" in review.transitions.last().reason  # the dropped override is on record
    # Assessment follows: 合格 (0), not the overridden 不合格 (−6).
    points = quality_points(case.prosecutor)
    assert "grade_unqualified" not in points and points["grade_qualified"] == 0
    assert assess_prosecutor(case.prosecutor, 2025).quality == 40


def test_amended_findings_that_keep_flaws_give_the_computed_grade_not_the_override(ro, case):
    review = overridden_then_objected(ro, case, grade=Grade.EXCELLENT)
    review = wf.resolve(review, ro.lead, "amended", "次数更正", findings=[("PR-F01", 1, "")], now=at(D(2025, 6, 14)))
    assert (review.score, review.final_grade) == (Decimal("98.00"), Grade.FLAWED)
    assert quality_points(case.prosecutor)["grade_flawed"] == -3


def test_a_grade_given_with_the_amendment_is_a_new_override_and_stands(ro, case):
    review = overridden_then_objected(ro, case)
    review = wf.resolve(
        review, ro.lead, "amended", "补正后评为优质", findings=[], grade=Grade.EXCELLENT, now=at(D(2025, 6, 14))
    )
    assert (review.computed_grade, review.final_grade) == (Grade.QUALIFIED, Grade.EXCELLENT)
    assert review.overridden_by == ro.lead and review.override_reason == "补正后评为优质"
    assert quality_points(case.prosecutor)["grade_excellent"] == 3


def test_an_upheld_objection_keeps_the_override(ro, case):
    review = wf.resolve(overridden_then_objected(ro, case), ro.lead, "upheld", "维持", now=at(D(2025, 6, 14)))
    assert (review.computed_grade, review.final_grade) == (Grade.FLAWED, Grade.UNQUALIFIED)


def test_amendment_through_the_api_drops_the_override(ro, case):
    review = overridden_then_objected(ro, case)
    client = Client()
    client.force_login(ro.lead)
    body = {"resolution": "amended", "reason": "删除该项", "findings": []}
    answer = client.post(f"/api/v1/reviews/{review.pk}/resolve/", body, content_type="application/json")
    assert answer.status_code == 200, answer.json()
    data = answer.json()
    assert (data["computed_grade"], data["final_grade"], data["overridden_by"]) == ("qualified", "qualified", None)


# --- D4 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "findings, why",
    [
        ([], "不合格"),  # 合格 without findings
        ([("PR-F01", 1, "")], "不合格"),  # 瑕疵
        ([("EV-F01", 9, "")], "错误"),  # score 55: 不合格 by score, but no error finding
    ],
)
def test_the_wrongful_flag_is_refused_on_a_review_that_cannot_carry_it(ro, case, findings, why):
    with pytest.raises(wf.ReviewWorkflowError) as err:
        wf.create_review(
            case, ro.reviewer, findings=findings, wrongful=True, reviewed_on=SUBMIT_DAY, now=at(SUBMIT_DAY)
        )
    assert err.value.field == "wrongful" and why in err.value.message
    assert not QualityReview.objects.exists()  # nothing half-saved


def test_the_wrongful_flag_is_accepted_with_an_error_finding(ro, case):
    review = wf.create_review(
        case, ro.reviewer, findings=[("LA-E01", 1, "")], wrongful=True, reviewed_on=SUBMIT_DAY, now=at(SUBMIT_DAY)
    )
    assert review.wrongful and review.final_grade == Grade.UNQUALIFIED


def test_a_draft_edit_that_removes_the_error_finding_is_refused_while_flagged(ro, case):
    review = wf.create_review(
        case, ro.reviewer, findings=[("LA-E01", 1, "")], wrongful=True, reviewed_on=SUBMIT_DAY, now=at(SUBMIT_DAY)
    )
    with pytest.raises(wf.ReviewWorkflowError) as err:
        wf.update_draft(review, ro.reviewer, findings=[("DO-F01", 1, "")])
    assert err.value.field == "wrongful"
    review.refresh_from_db()
    assert list(review.findings.values_list("item__code", flat=True)) == ["LA-E01"]
    with pytest.raises(wf.ReviewWorkflowError):
        plain = wf.create_review(case, ro.reviewer2, reviewed_on=SUBMIT_DAY, now=at(SUBMIT_DAY))
        wf.update_draft(plain, ro.reviewer2, wrongful=True)


def test_an_override_away_from_unqualified_clears_the_flag_with_a_recorded_step(ro, case):
    review = submitted(ro, case, findings=[("LA-E01", 1, "")], wrongful=True)
    review = wf.override_grade(review, ro.lead, Grade.FLAWED, "罪名争议已由判决解决", now=at(D(2025, 6, 11)))
    assert review.final_grade == Grade.FLAWED and not review.wrongful
    step = review.transitions.last()
    assert (step.action, step.actor) == (ReviewTransition.Action.UNFLAG, ro.lead)
    assert "不合格" in step.reason
    wf.accept(review, owner(case), now=at(D(2025, 6, 12)))
    assert "wrongful_veto" not in quality_points(case.prosecutor)


def test_an_amendment_without_error_findings_clears_the_flag(ro, case):
    review = submitted(ro, case, findings=[("LA-E01", 1, "")], wrongful=True)
    review = wf.object_to(review, owner(case), "罪名正确", now=at(D(2025, 6, 12)))
    amended = [("DO-F01", 1, "")]
    review = wf.resolve(review, ro.lead, "amended", "罪名适用无误", findings=amended, now=at(D(2025, 6, 14)))
    assert review.final_grade == Grade.FLAWED and not review.wrongful
    assert ReviewTransition.objects.filter(review=review, action="unflag").count() == 1
    assert assess_prosecutor(case.prosecutor, 2025).quality == 37


def test_an_override_that_keeps_unqualified_keeps_the_flag(ro, case):
    review = submitted(ro, case, findings=[("LA-E01", 1, "")], wrongful=True)
    review = wf.override_grade(review, ro.lead, Grade.UNQUALIFIED, "确认", now=at(D(2025, 6, 11)))
    assert review.wrongful


def test_the_veto_needs_a_valid_flag(ro, case):
    """A flag written around the workflow on a review without an error finding does not zero the component."""
    review = final_review(case, ro.reviewer, [("EV-F01", 9, "")], on=SUBMIT_DAY)  # score 55: 不合格, no error
    QualityReview.objects.filter(pk=review.pk).update(wrongful=True)
    points = quality_points(case.prosecutor)
    assert "wrongful_veto" not in points and points["grade_unqualified"] == -6
    other = closed_case(case.prosecutor, D(2025, 5, 21), case_no="AMEND-2")
    final_review(other, ro.reviewer, [("LA-E01", 1, "")], wrongful=True, on=SUBMIT_DAY)
    assert quality_points(case.prosecutor)["wrongful_veto"] == -(40 - 12)


def test_the_database_refuses_the_flag_on_a_grade_other_than_unqualified(ro, case):
    from django.db import IntegrityError, transaction

    review = final_review(case, ro.reviewer, [], on=SUBMIT_DAY)
    with pytest.raises(IntegrityError), transaction.atomic():
        QualityReview.objects.filter(pk=review.pk).update(wrongful=True)


def test_the_api_refuses_the_flag_naming_the_field(ro, case):
    client = Client()
    client.force_login(ro.reviewer)
    body = {"case": case.case_no, "reviewed_on": "2025-06-10", "wrongful": True, "findings": []}
    answer = client.post("/api/v1/reviews/", body, content_type="application/json")
    assert answer.status_code == 400 and "wrongful" in answer.json()
    assert not QualityReview.objects.exists()


def test_the_form_refuses_the_flag_on_the_field(ro, case):
    client = Client()
    client.force_login(ro.reviewer)
    data = {
        "case": case.case_no,
        "review_type": "routine",
        "reviewed_on": "2025-06-10",
        "wrongful": "on",
        "findings-TOTAL_FORMS": "1",
        "findings-INITIAL_FORMS": "0",
        "findings-0-item": "DO-F01",
        "findings-0-count": "1",
    }
    page = client.post("/reviews/new/", data)
    assert page.status_code == 200
    assert "wrongful" in page.context["form"].errors
    assert not QualityReview.objects.exists()


def test_the_model_refuses_the_flag_in_clean(ro, case):
    from django.core.exceptions import ValidationError

    review = wf.create_review(case, ro.reviewer, reviewed_on=SUBMIT_DAY, now=at(SUBMIT_DAY))
    review.wrongful = True
    with pytest.raises(ValidationError) as err:
        review.full_clean()
    assert "wrongful" in err.value.message_dict
