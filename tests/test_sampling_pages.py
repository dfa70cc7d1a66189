"""The sampling page (the review lead draws a month and assigns each case) and each reviewer's task list."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from cases import review_workflow as wf
from cases.models import Case, QualityReview, ReviewSample, ReviewSampleCase
from cases.sampling import KEY, sample_cases
from teams.models import StaffRole
from tests.factories import DepartmentFactory, ProsecutorFactory, UnitFactory
from tests.reviews_kit import D, closed_case, make_review_office

PAGE = "/reviews/sampling/"
MINE = "/reviews/mine/"


@pytest.fixture
def ro(db):
    ro = make_review_office()
    p1, p2, _p3 = ro.prosecutors
    for n in range(5):
        closed_case(p1, D(2025, 6, 1 + n), case_no=f"A-{n:02d}")
    closed_case(p1, D(2025, 6, 20), [("non_prosecution", D(2025, 6, 20))], case_no="A-KEY")
    for n in range(3):
        closed_case(p2, D(2025, 6, 2 + n), case_no=f"B-{n:02d}")
    User = get_user_model()
    # Another unit with its own review lead, reviewer and a closed case; and a clerk of ours.
    ro.other_unit = UnitFactory(code="U-OTHER", name="邻区人民检察院")
    other_dept = DepartmentFactory(unit=ro.other_unit)
    other_p = ProsecutorFactory(staff_code="P-OTH", department=other_dept, unit=ro.other_unit)
    ro.other_case = closed_case(other_p, D(2025, 6, 9), case_no="X-01")
    ro.other_lead = User.objects.create_user("lead-other")
    ro.other_reviewer = User.objects.create_user("reviewer-other")
    ro.clerk = User.objects.create_user("clerk")
    StaffRole.objects.create(user=ro.other_lead, unit=ro.other_unit, kind=StaffRole.Kind.REVIEW_LEAD)
    StaffRole.objects.create(user=ro.other_reviewer, unit=ro.other_unit, kind=StaffRole.Kind.REVIEWER)
    StaffRole.objects.create(user=ro.clerk, unit=ro.office.unit, kind=StaffRole.Kind.CASE_MANAGEMENT)
    return ro


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def page_of(ro, client=None, unit="U-MAIN"):
    return (client or client_for(ro.lead)).get(PAGE, {"month": "2025-06", "unit": unit})


def draw(client, unit="U-MAIN", percentage="30", seed="7"):
    return client.post(PAGE, {"month": "2025-06", "unit": unit, "percentage": percentage, "seed": seed})


def listed_numbers(html: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/cases/\d+/">([^<]+)</a>', html)


def assign_all(client, sample, choose=lambda entry: entry.proposed_reviewer_id):
    data = {f"reviewer-{e.pk}": choose(e) or "" for e in sample.entries.all()}
    return client.post(f"/reviews/sampling/{sample.pk}/assign/", data)


def test_the_page_shows_the_draw_of_sample_cases_and_the_same_after_assigning(ro):
    expected = sample_cases("2025-06", 30, "7", ro.office.unit)
    lead = client_for(ro.lead)
    first = page_of(ro, lead)
    assert first.status_code == 200 and "抽取" in first.content.decode() and not ReviewSample.objects.exists()
    response = draw(lead)
    assert response.status_code == 302
    sample = ReviewSample.objects.get()
    stored = [(e.case.case_no, e.reason, e.proposed_reviewer) for e in sample.entries.all()]
    assert stored == [(s.case.case_no, s.reason, s.reviewer) for s in expected.cases]
    html = page_of(ro, lead).content.decode()
    assert listed_numbers(html) == [s.case.case_no for s in expected.cases]

    assign_all(lead, sample)
    reviews = {r.case.case_no: r for r in QualityReview.objects.select_related("case")}
    assert set(reviews) == {s.case.case_no for s in expected.cases}
    for s in expected.cases:
        review = reviews[s.case.case_no]
        assert review.status == "draft" and review.reviewer == s.reviewer
        assert review.review_type == ("key" if s.reason == KEY else "routine")
        assert review.transitions.get().actor == ro.lead  # the lead created it: an assignment
    # Re-opening the month: the same cases in the same order, each with its reviewer; drawing again adds nothing.
    draw(lead, seed="another")
    again = page_of(ro, lead).content.decode()
    assert listed_numbers(again) == [s.case.case_no for s in expected.cases]
    assert ReviewSample.objects.count() == 1 and ReviewSampleCase.objects.filter(review__isnull=True).count() == 0
    assert again.count(">reviewer-a</a>") + again.count(">reviewer-b</a>") == len(expected.cases)
    assert 'name="reviewer-' not in again


def test_only_the_units_lead_opens_draws_and_assigns(ro):
    lead = client_for(ro.lead)
    draw(lead)
    sample = ReviewSample.objects.get()
    for user in (ro.reviewer, ro.clerk, ro.other_lead, ro.outsider, ro.prosecutors[0].user):
        client = client_for(user)
        assert page_of(ro, client).status_code == 404, user
        assert draw(client, seed="x").status_code == 404, user
        assert assign_all(client, sample).status_code == 404, user
    assert not QualityReview.objects.exists() and ReviewSample.objects.count() == 1
    # The other unit's lead draws their own unit, which is outside ours: our lead gets a 404 for it.
    other = client_for(ro.other_lead)
    assert page_of(ro, other, unit="U-OTHER").status_code == 200
    draw(other, unit="U-OTHER")
    theirs = ReviewSample.objects.get(unit=ro.other_unit)
    assert [e.case for e in theirs.entries.all()] == [ro.other_case]
    assert page_of(ro, lead, unit="U-OTHER").status_code == 404
    assert draw(lead, unit="U-OTHER").status_code == 404
    assert assign_all(lead, theirs, lambda e: ro.reviewer.pk).status_code == 404
    assert not QualityReview.objects.filter(case=ro.other_case).exists()


def test_assigning_someone_who_may_not_review_the_case_is_a_message_not_a_review(ro):
    lead = client_for(ro.lead)
    draw(lead, percentage="100")
    sample = ReviewSample.objects.get()
    entry = sample.entries.select_related("case__prosecutor").first()
    url = f"/reviews/sampling/{sample.pk}/assign/"
    for value in (entry.case.prosecutor.user_id, ro.outsider.pk, ro.clerk.pk, "abc", "999999"):
        response = lead.post(url, {f"reviewer-{entry.pk}": value}, follow=True)
        assert response.status_code == 200
        assert "所选人员不能评查该案件" in response.content.decode(), value
    assert not QualityReview.objects.exists()
    # Assigned once; a second assignment of the same case is refused until that draft is withdrawn.
    lead.post(url, {f"reviewer-{entry.pk}": ro.reviewer.pk})
    response = lead.post(url, {f"reviewer-{entry.pk}": ro.reviewer2.pk}, follow=True)
    assert "该案件已分配评查员" in response.content.decode()
    review = QualityReview.objects.get()
    assert review.reviewer == ro.reviewer
    wf.withdraw(review, ro.lead)
    lead.post(url, {f"reviewer-{entry.pk}": ro.reviewer2.pk})
    assert QualityReview.objects.exclude(status="withdrawn").get().reviewer == ro.reviewer2


def test_a_reviewer_of_another_unit_gets_a_cross_review_and_starts_it_from_the_task_list(ro):
    lead = client_for(ro.lead)
    draw(lead, percentage="100")
    sample = ReviewSample.objects.get()
    entry = sample.entries.select_related("case").get(case__case_no="A-01")
    assert not Case.objects.visible_to(ro.other_reviewer).filter(pk=entry.case.pk).exists()
    html = page_of(ro, lead).content.decode()
    assert f'<option value="{ro.other_reviewer.pk}">reviewer-other（交叉评查）</option>' in html
    lead.post(f"/reviews/sampling/{sample.pk}/assign/", {f"reviewer-{entry.pk}": ro.other_reviewer.pk})
    review = QualityReview.objects.get()
    assert review.review_type == "cross" and review.reviewer == ro.other_reviewer

    theirs = client_for(ro.other_reviewer)
    mine = theirs.get(MINE).content.decode()
    assert "A-01" in mine and "未开始" in mine and "开始评查" in mine and ">lead<" in mine
    start = re.search(r'href="(/reviews/\d+/edit/)"', mine).group(1)
    assert start == f"/reviews/{review.pk}/edit/"
    form = theirs.get(start)
    body = form.content.decode()
    assert form.status_code == 200 and "A-01" in body and 'name="findings-TOTAL_FORMS"' in body
    assert theirs.get(f"/cases/{entry.case.pk}/").status_code == 200  # the assignment lets them read the case


def test_the_task_list_shows_exactly_the_reviewers_own_reviews_with_their_next_step(ro):
    lead = client_for(ro.lead)
    draw(lead, percentage="100")
    sample = ReviewSample.objects.get()
    entries = list(sample.entries.select_related("case"))
    assign_all(lead, sample, lambda e: (ro.reviewer if e.position % 2 == 0 else ro.reviewer2).pk)
    own = QualityReview.objects.filter(reviewer=ro.reviewer).select_related("case")
    submitted = own.first()
    wf.submit(submitted, ro.reviewer)
    page = client_for(ro.reviewer).get(MINE).content.decode()
    shown = re.findall(r'<th scope="row">([^<]+)</th>', page)
    assert sorted(shown) == sorted(r.case.case_no for r in own)
    assert not set(shown) & {r.case.case_no for r in QualityReview.objects.filter(reviewer=ro.reviewer2)}
    assert len(shown) == len(entries[::2])
    assert f'href="/reviews/{submitted.pk}/"' in page and f'href="/reviews/{submitted.pk}/edit/"' not in page
    for review in own.exclude(pk=submitted.pk):
        assert f'href="/reviews/{review.pk}/edit/"' in page
    assert shown[-1] == submitted.case.case_no  # drafts first
    # Someone with no reviews sees an empty list, not an error.
    assert "暂无分配给您的评查" in client_for(ro.clerk).get(MINE).content.decode()


def test_a_superuser_may_delete_a_draw_in_the_admin_and_the_month_can_be_drawn_again(ro, admin_client):
    lead = client_for(ro.lead)
    draw(lead)
    sample = ReviewSample.objects.get()
    assert admin_client.get(f"/admin/cases/reviewsample/{sample.pk}/change/").status_code == 200
    response = admin_client.post(f"/admin/cases/reviewsample/{sample.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not ReviewSample.objects.exists()
    assert not ReviewSampleCase.objects.exists()
    draw(lead, seed="8")
    assert ReviewSample.objects.get().seed == "8"


def test_bad_draw_parameters_are_form_errors_and_the_page_costs_few_queries(ro, django_assert_max_num_queries):
    lead = client_for(ro.lead)
    for percentage in ("120", "-1", "abc"):
        response = draw(lead, percentage=percentage)
        assert response.status_code == 200 and 'class="errorlist' in response.content.decode(), percentage
    assert not ReviewSample.objects.exists()
    draw(lead, percentage="100")
    assert ReviewSample.objects.get().entries.count() == 9
    with django_assert_max_num_queries(25):  # not one set of queries per case
        assert page_of(ro, lead).status_code == 200
