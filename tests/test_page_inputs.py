"""Date inputs carry ISO values in every language; pages hold no inline handlers the CSP would block."""

import re

import pytest
from django.test import Client

from cases import review_workflow as wf
from tests.reviews_kit import D, at, closed_case, make_review_office


@pytest.fixture
def draft(db):
    ro = make_review_office()
    case = closed_case(ro.prosecutors[0], D(2025, 5, 20), case_no="检刑受[2025]0042号")
    review = wf.create_review(case, ro.reviewer, findings=[], reviewed_on=D(2025, 6, 10), now=at(D(2025, 6, 10)))
    review.ro = ro
    return review


def client_in(user, language):
    client = Client(headers={"accept-language": language})
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def date_values(html: str) -> list[str]:
    return re.findall(r'<input type="date"[^>]*value="([^"]*)"', html)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_drafts_review_date_is_iso_in_the_date_input(draft, language):
    html = client_in(draft.ro.reviewer, language).get(f"/reviews/{draft.pk}/edit/").content.decode()
    assert date_values(html) == ["2025-06-10"]


def test_the_report_prints_without_an_inline_handler(draft):
    html = client_in(draft.ro.reviewer, "zh-hans").get(f"/reviews/{draft.pk}/report/").content.decode()
    assert "onclick" not in html
    assert re.search(r'<button[^>]*data-action="print"', html)
    assert re.search(r'<script src="/static/caseqa/print\.js"', html)


def test_pages_carry_a_favicon_and_the_admin_names_the_product(draft, admin_client):
    html = client_in(draft.ro.reviewer, "zh-hans").get("/reviews/").content.decode()
    assert re.search(r'<link rel="icon"[^>]*href="/static/caseqa/favicon\.svg"', html)
    admin = admin_client.get("/admin/").content.decode()
    assert "caseqa" in admin and "Django administration" not in admin and "Django 站点管理" not in admin


def event_choices(html: str) -> tuple[list[str], list[str]]:
    """The labels of the event select's first option group, and the group names."""
    select = html[html.index('name="event"') : html.index("</select>", html.index('name="event"'))]
    groups = re.findall(r'<optgroup label="([^"]*)">(.*?)</optgroup>', select, re.S)
    first = re.findall(r"<option[^>]*>([^<]*)</option>", groups[0][1])
    return first, [name for name, _ in groups]


def test_event_form_offers_the_next_steps_first_and_no_codes_in_chinese(db, client):
    from django.contrib.auth.models import User

    from teams.models import StaffRole
    from tests.factories import make_case, make_office

    org = make_office()
    case = make_case(org.prosecutors[0], [("prosecution_review", D(2025, 3, 3))])
    clerk = User.objects.create(username="clerk")
    StaffRole.objects.create(user=clerk, unit=org.unit, kind=StaffRole.Kind.CASE_MANAGEMENT)
    client.force_login(clerk)
    html = client.get(f"/cases/{case.pk}/").content.decode()
    first, groups = event_choices(html)
    assert groups[0] == "可接续的环节"
    assert "退回补充侦查" in first and "提起公诉" in first
    assert "不批捕复核" not in first and "补充侦查后重新移送" not in first  # rules 3 and 2 refuse them now
    select = html[html.index('name="event"') : html.index("</select>", html.index('name="event"'))]
    assert not re.search(r"（[a-z_]+）", select)  # labels only: the codes are for files and the API
