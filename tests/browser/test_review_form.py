"""The review form in a real browser: any number of finding rows, added on the page before saving."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from cases.models import QualityReview
from tests.browser.conftest import PASSWORD, restore_migrated_contents
from tests.reviews_kit import D, closed_case, make_review_office

pytestmark = pytest.mark.browser


@pytest.fixture
def review_office(transactional_db, migrated_contents, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    restore_migrated_contents(migrated_contents)
    ro = make_review_office()
    ro.reviewer.set_password(PASSWORD)
    ro.reviewer.save()
    ro.case = closed_case(ro.prosecutors[0], D(2025, 5, 20))
    return ro


def test_a_reviewer_adds_finding_rows_without_saving_first(review_office, sign_in, page, live_server):
    sign_in(review_office.reviewer.username)
    page.goto(f"{live_server.url}/reviews/new/?case={review_office.case.case_no}")
    rows = page.locator('tbody[data-formset="findings"] tr')
    expect(rows).to_have_count(2)
    add = page.get_by_role("button", name="添加一行评查发现")
    for expected in (3, 4, 5):
        add.click()
        expect(rows).to_have_count(expected)
    page.locator("#id_reviewed_on").fill("2025-06-10")
    page.locator("#id_findings-0-item").select_option("DO-F01")
    page.locator("#id_findings-4-item").select_option("LA-F01")
    page.locator("#id_findings-4-count").fill("2")
    page.get_by_role("button", name="保存草稿").click()
    page.wait_for_url("**/reviews/*/")
    review = QualityReview.objects.get()
    found = sorted(review.findings.values_list("item__code", "count"))
    assert found == [("DO-F01", 1), ("LA-F01", 2)]
