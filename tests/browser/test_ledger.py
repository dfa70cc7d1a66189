"""The ledger in a real browser (issue 12): a clerk deletes an event with a reason and reads it in the history."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from cases.models import Case, ProceduralEvent

pytestmark = pytest.mark.browser


def test_a_clerk_deletes_an_event_with_a_reason_and_sees_it_in_the_history(demo_office, sign_in, page, live_server):
    refused = []  # the pages keep the Content Security Policy: no inline script or handler is blocked
    page.on("console", lambda message: "Content Security Policy" in message.text and refused.append(message.text))
    sign_in("clerk")
    case = demo_office.cases[2]  # 审查起诉 and one 延长 this month: 2 items
    extension = case.events.get(event_type__code="review_extension")
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    expect(page.locator("[data-figure=items]")).to_contain_text("2")
    page.locator(f"[data-event-actions='{extension.pk}']").get_by_role("link", name="删除").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("删除诉讼环节")
    page.get_by_role("button", name="删除").click()  # no reason: the browser keeps the form (the server refuses too)
    assert page.get_by_label("更正理由").evaluate("field => field.validity.valueMissing")
    expect(page.get_by_role("heading", level=1)).to_contain_text("删除诉讼环节")
    assert ProceduralEvent.objects.filter(pk=extension.pk).exists()
    page.get_by_label("更正理由").fill("延长审查起诉期限重复登记")
    page.get_by_role("button", name="删除").click()
    page.wait_for_url(f"**/cases/{case.pk}/#history")
    expect(page.locator(".messages")).to_contain_text("已删除诉讼环节")
    expect(page.locator("[data-figure=items]")).to_contain_text("1")
    row = page.locator("[data-history] tr", has_text="延长审查起诉期限重复登记")
    expect(row).to_contain_text("删除")
    expect(row).to_contain_text("clerk")
    expect(row).to_contain_text("延长审查起诉期限")
    assert not ProceduralEvent.objects.filter(pk=extension.pk).exists()
    assert Case.objects.get(pk=case.pk).items == 1
    assert not refused, refused
