"""The review pages: list with the to-do, the form with findings, each workflow step, refusals as messages."""

import pytest
from django.test import Client

from cases import review_workflow as wf
from cases.models import QualityReview
from tests.reviews_kit import D, at, closed_case, make_review_office


@pytest.fixture
def ro(db):
    ro = make_review_office()
    ro.case = closed_case(ro.prosecutors[0], D(2025, 5, 20), case_no="检刑受[2025]0077号")
    return ro


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def form_data(case_no, rows):
    data = {
        "case": case_no,
        "review_type": "routine",
        "reviewed_on": "2025-06-10",
        "method": "阅卷",
        "findings-TOTAL_FORMS": str(len(rows)),
        "findings-INITIAL_FORMS": "0",
    }
    for n, (item, count) in enumerate(rows):
        data.update({f"findings-{n}-item": item, f"findings-{n}-count": str(count), f"findings-{n}-note": ""})
    return data


def test_reviewer_opens_edits_and_submits_through_the_pages(ro):
    reviewer = client_for(ro.reviewer)
    assert reviewer.get("/reviews/new/?case=" + ro.case.case_no).status_code == 200
    response = reviewer.post("/reviews/new/", form_data(ro.case.case_no, [("DO-F01", 2), ("", 1)]))
    review = QualityReview.objects.get()
    assert response.status_code == 302 and response.url == f"/reviews/{review.pk}/"
    assert review.findings.get().count == 2 and str(review.score) == "98.00"
    page = reviewer.get(f"/reviews/{review.pk}/").content.decode()
    assert "修改草稿" in page and "提交承办检察官确认" in page and "文书制作和使用" in page
    edit = form_data(ro.case.case_no, [("LA-F01", 1)])
    edit.pop("case")
    assert reviewer.post(f"/reviews/{review.pk}/edit/", edit).status_code == 302
    assert list(QualityReview.objects.get().findings.values_list("item__code", flat=True)) == ["LA-F01"]
    reviewer.post(f"/reviews/{review.pk}/submit/")
    assert QualityReview.objects.get().status == "submitted"


def test_form_shows_workflow_refusals_on_the_field(ro):
    reviewer = client_for(ro.reviewer)
    open_case = closed_case(ro.prosecutors[1], D(2025, 5, 21))
    open_case.closed_on = None
    open_case.save()
    page = reviewer.post("/reviews/new/", form_data(open_case.case_no, [])).content.decode()
    assert "只能评查已审结的案件" in page and not QualityReview.objects.exists()
    page = reviewer.post("/reviews/new/", form_data("nope", [])).content.decode()
    assert "未知的案件" in page
    assert client_for(ro.outsider).get("/reviews/new/").status_code == 404


def test_prosecutor_objects_and_lead_resolves_with_messages_for_refusals(ro):
    review = wf.create_review(ro.case, ro.reviewer, findings=[("DO-F01", 1, "")], now=at(D(2025, 6, 10)))
    wf.submit(review, ro.reviewer)
    owner = client_for(ro.case.prosecutor.user)
    listing = owner.get("/reviews/").content.decode()
    assert "待我处理" in listing and ro.case.case_no in listing
    detail = owner.get(f"/reviews/{review.pk}/").content.decode()
    assert "确认评查结论" in detail and "提出异议" in detail
    refused = owner.post(f"/reviews/{review.pk}/object/", {"reason": ""}, follow=True).content.decode()
    assert "理由" in refused and QualityReview.objects.get().status == "submitted"
    owner.post(f"/reviews/{review.pk}/object/", {"reason": "已更正"})
    assert QualityReview.objects.get().status == "objected"
    stranger = client_for(ro.reviewer2).post(
        f"/reviews/{review.pk}/resolve/", {"resolution": "upheld", "reason": "x"}, follow=True
    )
    assert stranger.status_code == 404 or "只有评查组长" in stranger.content.decode()
    lead = client_for(ro.lead)
    lead.post(f"/reviews/{review.pk}/resolve/", {"resolution": "amended", "grade": "qualified", "reason": "已更正"})
    review = QualityReview.objects.get()
    assert (review.status, review.final_grade, review.computed_grade) == ("final", "qualified", "flawed")
    report = lead.get(f"/reviews/{review.pk}/report/").content.decode()
    assert "案件质量评查意见书" in report and "已更正" in report
    assert lead.post(f"/reviews/{review.pk}/planet/").status_code == 404
