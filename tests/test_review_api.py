"""The review endpoints: catalogue by code, reviews by id, the workflow through the API, refusals as 403/400."""

import pytest
from django.test import Client

from tests.reviews_kit import D, closed_case, make_review_office


@pytest.fixture
def ro(db):
    ro = make_review_office()
    ro.case = closed_case(ro.prosecutors[0], D(2025, 5, 20), case_no="检刑受[2025]0001号")
    return ro


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def open_review(ro, **extra):
    body = {"case": ro.case.case_no, "reviewed_on": "2025-06-10", "findings": [{"item": "DO-F01", "count": 2}]}
    return client_for(ro.reviewer).post("/api/v1/reviews/", {**body, **extra}, content_type="application/json")


def test_catalogue_by_code_and_filter(ro):
    client = client_for(ro.outsider)
    item = client.get("/api/v1/review-items/EV-E01/").json()
    assert item["dimension"] == "evidence" and item["nature"] == "error" and item["points"] == "20.00"
    flaws = client.get("/api/v1/review-items/?dimension=law&nature=flaw").json()["results"]
    assert {i["code"] for i in flaws} == {"LA-F01", "LA-F02"}
    assert client.get("/api/v1/review-items/NOPE/").status_code == 404


def test_open_submit_object_resolve_through_the_api(ro):
    created = open_review(ro)
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["status"], body["score"], body["final_grade"], body["grade_label"]) == (
        "draft",
        "98.00",
        "flawed",
        "瑕疵",
    )
    url = f"/api/v1/reviews/{body['id']}/"
    owner = client_for(ro.case.prosecutor.user)
    assert owner.get(url).status_code == 404  # drafts stay with the reviewer
    assert client_for(ro.reviewer).post(url + "submit/").json()["status"] == "submitted"
    assert owner.get(url).json()["objection_deadline"] is not None
    refused = client_for(ro.reviewer2).post(url + "accept/")
    assert refused.status_code in (403, 404)
    missing = owner.post(url + "object/", {"reason": ""}, content_type="application/json")
    assert missing.status_code == 400 and "objection_reason" in missing.json()
    objected = owner.post(url + "object/", {"reason": "文书已更正"}, content_type="application/json")
    assert objected.json()["status"] == "objected"
    lead = client_for(ro.lead)
    assert (
        client_for(ro.reviewer)
        .post(url + "resolve/", {"resolution": "upheld", "reason": "x"}, content_type="application/json")
        .status_code
        == 403
    )
    resolved = lead.post(
        url + "resolve/",
        {"resolution": "amended", "reason": "已更正", "grade": "qualified"},
        content_type="application/json",
    ).json()
    assert (resolved["status"], resolved["computed_grade"], resolved["final_grade"]) == ("final", "flawed", "qualified")
    assert [t["action"] for t in resolved["transitions"]] == ["create", "submit", "object", "resolve"]


def test_bad_input_is_a_400_naming_the_field(ro):
    unknown_item = open_review(ro, findings=[{"item": "NOPE"}])
    assert unknown_item.status_code == 400 and "findings[0].item" in unknown_item.json()
    unknown_case = open_review(ro, case="nope")
    assert unknown_case.status_code == 400 and "case" in unknown_case.json()
    bad_type = open_review(ro, review_type="planet")
    assert bad_type.status_code == 400 and "review_type" in bad_type.json()


def test_refusals_by_role(ro):
    not_a_reviewer = client_for(ro.outsider).post(
        "/api/v1/reviews/", {"case": ro.case.case_no}, content_type="application/json"
    )
    assert not_a_reviewer.status_code == 403
    review_id = open_review(ro).json()["id"]
    assert client_for(ro.outsider).get(f"/api/v1/reviews/{review_id}/").status_code == 404
    edit = client_for(ro.lead).patch(f"/api/v1/reviews/{review_id}/", {"summary": "x"}, content_type="application/json")
    assert edit.status_code == 403
    mine = client_for(ro.reviewer).patch(
        f"/api/v1/reviews/{review_id}/", {"findings": [], "proposes_merit": True}, content_type="application/json"
    )
    assert mine.status_code == 200 and mine.json()["final_grade"] == "excellent"
    assert client_for(ro.reviewer).get("/api/v1/reviews/abc/").status_code == 404


def test_reviewer_reads_the_case_they_review(ro):
    client = client_for(ro.reviewer)
    assert client.get(f"/api/v1/cases/{ro.case.pk}/").status_code == 404
    open_review(ro)
    assert client.get(f"/api/v1/cases/{ro.case.pk}/").status_code == 200
