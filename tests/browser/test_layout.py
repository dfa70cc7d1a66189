"""Layout in a real browser: no table spills out of its card at 1366 px (tables scroll inside themselves
with sticky headers) and the dashboards fit a 390 px phone without sideways page scrolling."""

from __future__ import annotations

import datetime

import pytest

from tests.factories import make_case

pytestmark = pytest.mark.browser

# Each block's overflow measured in the page: how far its content or the block itself passes its box.
OVERFLOWS = """() => {
  const page = document.scrollingElement.scrollWidth - window.innerWidth;
  const blocks = [...document.querySelectorAll('.table-block, .chart-box, .card')].map((el) => {
    const box = el.getBoundingClientRect();
    const parent = el.parentElement.getBoundingClientRect();
    return {id: el.id || el.className, spill: Math.round(box.right - parent.right)};
  }).filter((b) => b.spill > 1);
  return {page, blocks};
}"""


@pytest.fixture
def wide_office(demo_office):
    """The demo office plus cases with many kinds of extra steps, so the extras tables grow wide."""
    day = demo_office.cases[0].received_on + datetime.timedelta(days=1)
    steps = [
        ("arrest_review", day),
        ("arrest_reconsideration", day),
        ("arrest_superior_review", day),
        ("arrest_complaint", day),
        ("detention_extension", day),
        ("detention_recalculation", day),
        ("prosecution_review", day),
        ("supplementary_investigation", day),
        ("resubmission", day),
        ("review_extension", day),
        ("non_prosecution", day),
        ("non_prosecution_reconsideration", day),
        ("non_prosecution_superior_review", day),
        ("non_prosecution_complaint", day),
    ]
    for prosecutor in demo_office.prosecutors:
        make_case(prosecutor, steps, team=demo_office.team)
    return demo_office


@pytest.mark.parametrize("path", ["/units/U-MAIN/", "/teams/T-HQ/", "/work/"])
def test_no_table_spills_out_of_its_card_at_1366(wide_office, sign_in, page, live_server, path):
    sign_in("leadership" if path != "/work/" else "clerk")
    page.goto(live_server.url + path)
    page.wait_for_load_state("load")
    measured = page.evaluate(OVERFLOWS)
    assert measured["page"] <= 0 and measured["blocks"] == [], measured
    # A table wider than its card scrolls inside its own region, keeping the header row in view.
    assert page.evaluate(
        "[...document.querySelectorAll('.scroll')].every(s => getComputedStyle(s).overflowX === 'auto')"
    )
    assert page.evaluate(
        "[...document.querySelectorAll('table.data thead th')].every(th => getComputedStyle(th).position === 'sticky')"
    )


@pytest.mark.parametrize("path", ["/units/U-MAIN/", "/teams/T-HQ/"])
def test_dashboards_fit_a_phone(wide_office, sign_in, page, live_server, path):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in("leadership")
    page.goto(live_server.url + path)
    page.wait_for_load_state("load")
    measured = page.evaluate(OVERFLOWS)
    assert measured["page"] <= 0 and measured["blocks"] == [], measured
