"""axe-core on every main page, signed in as the role that uses it: no serious or critical violation.

axe-core is vendored from its npm package (tests/browser/vendor/axe-core/) and injected into the page;
the context bypasses the CSP for that injection only (the product itself never loads it).
"""

from __future__ import annotations

import pathlib

import pytest

from tests.browser.conftest import PASSWORD
from tests.reviews_kit import closed_case, final_review

pytestmark = pytest.mark.browser

AXE = pathlib.Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
RUN_AXE = """async () => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21aa"]}});
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" "))}));
}"""


@pytest.fixture
def axe_page(browser, live_server):
    context = browser.new_context(bypass_csp=True, locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = context.new_page()

    def sign_in(username: str):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state("load")

    page.sign_in = sign_in
    yield page
    context.close()


def serious_violations(page, url: str) -> list:
    page.goto(url)
    page.wait_for_load_state("load")
    page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN_AXE)


def test_main_pages_have_no_serious_accessibility_violations(demo_office, axe_page, live_server):
    from django.contrib.auth.models import User

    from teams.models import StaffRole

    reviewer = User.objects.create_user("reviewer", password=PASSWORD)
    StaffRole.objects.create(user=reviewer, unit=demo_office.unit, kind=StaffRole.Kind.REVIEWER)
    case = closed_case(demo_office.prosecutors[1], demo_office.cases[0].received_on)
    review = final_review(case, reviewer, [("DO-F01", 1)], on=demo_office.cases[0].received_on)
    # The ledger's correction pages (issue 12), and the case page's history after a correction.
    from cases import services

    event = case.events.order_by("pk").first()
    services.update_event(event, note="更正", reason="登记错误")
    corrections = [f"/cases/{case.pk}/{step}/" for step in ("edit", "close", "reopen")]
    corrections += [f"/cases/{case.pk}/events/{event.pk}/{step}/" for step in ("edit", "delete")]
    # The sampling page, drawn (with its reviewer selects) and not drawn (the draw form).
    from cases.review_assignment import draw_sample

    review_lead = User.objects.create_user("review_lead", password=PASSWORD)
    StaffRole.objects.create(user=review_lead, unit=demo_office.unit, kind=StaffRole.Kind.REVIEW_LEAD)
    drawn = demo_office.cases[0].received_on.replace(day=1)
    closed_case(demo_office.prosecutors[2], demo_office.cases[0].received_on)  # not reviewed: it is drawn
    assert draw_sample(review_lead, demo_office.unit, drawn, 100, "axe").entries.exists()
    sampling = f"/reviews/sampling/?unit={demo_office.unit.code}&month="
    pages = {
        "clerk": ["/work/", "/cases/", f"/cases/{case.pk}/", "/cases/new/", "/imports/upload/", *corrections],
        "lead": ["/teams/T-HQ/"],
        "prosecutor": ["/prosecutors/P-002/"],
        "leadership": ["/units/U-MAIN/", "/departments/D-1/"],
        "reviewer": ["/reviews/", f"/reviews/{review.pk}/", f"/reviews/new/?case={case.case_no}", "/reviews/mine/"],
        "review_lead": [f"{sampling}{drawn:%Y-%m}", f"{sampling}2020-01"],
    }
    found = {}
    axe_page.goto(f"{live_server.url}/accounts/login/")
    axe_page.add_script_tag(path=str(AXE))
    found["/accounts/login/"] = axe_page.evaluate(RUN_AXE)
    for username, paths in pages.items():
        axe_page.sign_in(username)
        for path in paths:
            found[path] = serious_violations(axe_page, live_server.url + path)
        axe_page.get_by_role("button", name="退出").click()
        axe_page.wait_for_url("**/accounts/login/")
    assert {path: v for path, v in found.items() if v} == {}
