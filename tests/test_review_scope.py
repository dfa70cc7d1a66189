"""Issue 10 H2: a review starts only on a case in the reviewer's reach or assigned by a review lead.

Reproduces the probe: a reviewer of a sibling unit opened a "cross" review of another unit's closed
case (201) and read the case from then on; unknown and out-of-scope case numbers were answered
differently; drafts could not be withdrawn. Every check goes through real HTTP (the test client).
"""

from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from cases.models import QualityReview, ReviewTransition
from teams.models import StaffRole
from tests.factories import CaseFactory, DepartmentFactory, ProsecutorFactory, UnitFactory
from tests.reviews_kit import D, closed_case, make_review_office

REVIEWS = "/api/v1/reviews/"


@pytest.fixture
def ro(db):
    """The review office (unit U-MAIN) plus a sibling unit U-SIB with its own reviewer and a closed case."""
    ro = make_review_office()
    ro.case = closed_case(ro.prosecutors[0], D(2025, 5, 20), case_no="检刑受[2025]0101号")
    ro.open_case = CaseFactory(prosecutor=ro.prosecutors[1], case_no="检刑受[2025]0102号")
    sibling = UnitFactory(code="U-SIB", name="兄弟区人民检察院")
    far_prosecutor = ProsecutorFactory(
        staff_code="S-001", department=DepartmentFactory(unit=sibling, code="S-D1"), unit=sibling
    )
    ro.far_case = closed_case(far_prosecutor, D(2025, 5, 20), case_no="检刑受[2025]0103号")
    ro.far = get_user_model().objects.create_user(username="reviewer-far")
    StaffRole.objects.create(user=ro.far, unit=sibling, kind=StaffRole.Kind.REVIEWER)
    return ro


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post_review(user, case_no: str, **extra):
    body = {"case": case_no, "reviewed_on": "2025-06-10", **extra}
    return client_for(user).post(REVIEWS, body, content_type="application/json")


def _message(response, case_no: str) -> str:
    """The answer with the number taken out, so two answers can be compared."""
    assert response.status_code == 400, response.content
    return str(response.json()).replace(case_no, "<no>")


@pytest.mark.parametrize("review_type", ["cross", "routine", "key"])
def test_a_sibling_reviewer_cannot_take_another_units_case(ro, review_type):
    unknown = post_review(ro.far, "检刑受[2025]9999号", review_type=review_type)
    closed = post_review(ro.far, ro.case.case_no, review_type=review_type)
    still_open = post_review(ro.far, ro.open_case.case_no, review_type=review_type)
    # One answer for unknown, out-of-scope and out-of-scope-and-open: no existence oracle.
    expected = _message(unknown, "检刑受[2025]9999号")
    assert _message(closed, ro.case.case_no) == expected
    assert _message(still_open, ro.open_case.case_no) == expected
    assert not QualityReview.objects.filter(reviewer=ro.far).exists()
    reader = client_for(ro.far)
    assert reader.get(f"/api/v1/cases/{ro.case.pk}/").status_code == 404
    assert reader.get(f"/cases/{ro.case.pk}/").status_code == 404
    # Reads: another unit's case number and an unknown one get the same 404.
    foreign = reader.get("/api/v1/cases/" + quote(ro.case.case_no, safe="") + "/")
    missing = reader.get("/api/v1/cases/" + quote("检刑受[2025]9999号", safe="") + "/")
    assert (foreign.status_code, foreign.json()) == (missing.status_code, missing.json()) == (404, missing.json())


def test_the_review_page_answers_unknown_and_out_of_scope_alike(ro):
    form = {"review_type": "cross", "reviewed_on": "2025-06-10", "method": "阅卷"}
    form |= {"findings-TOTAL_FORMS": "0", "findings-INITIAL_FORMS": "0"}
    client = client_for(ro.far)
    unknown = client.post("/reviews/new/", {**form, "case": "检刑受[2025]9999号"})
    foreign = client.post("/reviews/new/", {**form, "case": ro.case.case_no})
    assert unknown.status_code == foreign.status_code == 200
    unknown_errors = unknown.context["form"].errors["case"]
    assert [e.replace("检刑受[2025]9999号", "<no>") for e in unknown_errors] == [
        e.replace(ro.case.case_no, "<no>") for e in foreign.context["form"].errors["case"]
    ]
    assert not QualityReview.objects.filter(reviewer=ro.far).exists()


def test_cross_reviews_are_assigned_by_a_review_lead_not_self_served(ro):
    # Even a reviewer of the case's own unit may not take a cross review: the lead assigns it.
    self_served = post_review(ro.reviewer, ro.case.case_no, review_type="cross")
    assert self_served.status_code == 403
    assigned = post_review(ro.lead, ro.case.case_no, review_type="cross", reviewer=ro.far.username)
    assert assigned.status_code == 201, assigned.content
    body = assigned.json()
    assert (body["reviewer"], body["review_type"], body["status"]) == (ro.far.username, "cross", "draft")
    assert client_for(ro.far).get(f"/api/v1/cases/{ro.case.pk}/").status_code == 200
    creation = ReviewTransition.objects.get(review_id=body["id"])
    assert (creation.action, creation.actor) == ("create", ro.lead)


def test_a_lead_cannot_assign_a_case_of_a_unit_they_do_not_lead(ro):
    answer = post_review(ro.lead, ro.far_case.case_no, review_type="cross", reviewer=ro.reviewer.username)
    assert _message(answer, ro.far_case.case_no) == _message(
        post_review(ro.lead, "检刑受[2025]9999号", review_type="cross", reviewer=ro.reviewer.username),
        "检刑受[2025]9999号",
    )


def test_a_draft_is_withdrawn_by_its_author_and_the_step_is_recorded(ro):
    created = post_review(ro.reviewer, ro.case.case_no)
    assert created.status_code == 201, created.content
    url = f"{REVIEWS}{created.json()['id']}/"
    reviewer = client_for(ro.reviewer)
    assert reviewer.get(f"/api/v1/cases/{ro.case.pk}/").status_code == 200
    assert client_for(ro.reviewer2).post(url + "withdraw/").status_code == 404  # a peer's draft stays private
    done = reviewer.post(url + "withdraw/", {"reason": "误选案件"}, content_type="application/json")
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "withdrawn"
    step = ReviewTransition.objects.filter(review_id=created.json()["id"]).order_by("at", "id").last()
    assert (step.action, step.from_status, step.to_status, step.actor, step.reason) == (
        "withdraw",
        "draft",
        "withdrawn",
        ro.reviewer,
        "误选案件",
    )
    # The grant to read the case ended with the draft; a second withdrawal is refused.
    assert reviewer.get(f"/api/v1/cases/{ro.case.pk}/").status_code == 404
    lead = client_for(ro.lead)
    assert lead.get(url).json()["status"] == "withdrawn"
    assert lead.post(url + "withdraw/").status_code == 400


def test_the_lead_withdraws_an_assigned_draft_others_may_not(ro):
    assigned = post_review(ro.lead, ro.case.case_no, review_type="cross", reviewer=ro.far.username)
    url = f"{REVIEWS}{assigned.json()['id']}/"
    # The case's prosecutor sees no draft; a reviewer who is neither author nor lead is refused.
    assert client_for(ro.prosecutors[0].user).post(url + "withdraw/").status_code == 404
    ro.reviewer2.staff_roles.update(kind=StaffRole.Kind.LEADERSHIP)  # reads the unit, leads no review
    assert client_for(ro.reviewer2).post(url + "withdraw/").status_code == 403
    assert client_for(ro.lead).post(url + "withdraw/").status_code == 200
    assert client_for(ro.far).get(f"/api/v1/cases/{ro.case.pk}/").status_code == 404


def test_a_submitted_review_cannot_be_withdrawn(ro):
    review_id = post_review(ro.reviewer, ro.case.case_no).json()["id"]
    reviewer = client_for(ro.reviewer)
    assert reviewer.post(f"{REVIEWS}{review_id}/submit/").status_code == 200
    refused = reviewer.post(f"{REVIEWS}{review_id}/withdraw/")
    assert refused.status_code == 400 and "status" in refused.json()


def test_the_review_page_withdraws_a_draft(ro):
    review_id = post_review(ro.reviewer, ro.case.case_no).json()["id"]
    reviewer = client_for(ro.reviewer)
    page = reviewer.get(f"/reviews/{review_id}/").content.decode()
    assert f"/reviews/{review_id}/withdraw/" in page
    assert reviewer.post(f"/reviews/{review_id}/withdraw/", {"reason": "重复"}).status_code == 302
    assert QualityReview.objects.get(pk=review_id).status == "withdrawn"
