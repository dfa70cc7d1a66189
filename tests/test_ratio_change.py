"""teams.ratio_change: the month-over-month change of the ratio splits exactly into its drivers."""

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.ratio import RatioRow
from teams.ratio_change import CASES_DRIVER, change_by_event, change_by_group, signed

LABELS = {"supplementary_investigation": "退回补充侦查", "review_extension": "延长审查起诉期限"}


def row(cases, extras, **keys):
    return RatioRow(keys=keys, cases=cases, items=cases + sum(extras.values()), extras=dict(extras))


def test_more_supplementary_investigations_drive_the_rise():
    before = row(100, {"supplementary_investigation": 10, "review_extension": 5})
    after = row(100, {"supplementary_investigation": 19, "review_extension": 9})
    change = change_by_event(before, after, LABELS, "案件数变化")
    assert change.delta_display == "+0.13"
    assert [(d.label, d.display) for d in change.drivers] == [("退回补充侦查", "+0.09"), ("延长审查起诉期限", "+0.04")]


def test_fewer_cases_with_the_same_extras_raise_the_ratio_through_the_case_count():
    before = row(100, {"supplementary_investigation": 20})
    after = row(80, {"supplementary_investigation": 20})
    change = change_by_event(before, after, LABELS, "案件数变化")
    # 1.20 → 1.25: no more extras, the whole +0.05 is the smaller case count.
    assert change.delta_display == "+0.05"
    assert [(d.key, d.display) for d in change.drivers] == [(CASES_DRIVER, "+0.05")]


def test_no_cases_in_a_period_means_nothing_to_compare():
    change = change_by_event(row(0, {"review_extension": 2}), row(10, {}), LABELS, "案件数变化")
    assert not change.comparable
    assert change.delta is None and change.drivers == [] and change.delta_display == "—"


def test_by_member_an_unchanged_member_contributes_nothing():
    before = [row(10, {"review_extension": 5}, prosecutor="P1"), row(10, {}, prosecutor="P2")]
    after = [row(10, {"review_extension": 5}, prosecutor="P1"), row(10, {"review_extension": 4}, prosecutor="P2")]
    total_before, total_after = row(20, {"review_extension": 5}), row(20, {"review_extension": 9})
    change = change_by_group(total_before, total_after, before, after, "prosecutor", "无")
    assert change.delta_display == "+0.20"
    assert [(d.key, d.display) for d in change.drivers] == [("P2", "+0.20")]


def test_signed_uses_a_true_minus_and_rounds_half_up():
    assert signed(-0.005) == "−0.01"
    assert signed(0.125) == "+0.13"
    assert signed(0.0) == "0.00"


counts = st.integers(min_value=0, max_value=50)


# Pure arithmetic: a loaded CI box must not fail the generation-speed health check.
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=150)
@given(
    st.lists(st.tuples(st.integers(1, 40), counts, counts, st.integers(1, 40), counts, counts), min_size=1, max_size=5)
)
def test_drivers_always_add_up_to_the_change(members):
    before_rows, after_rows = [], []
    for n, (c1, a1, b1, c2, a2, b2) in enumerate(members):
        before_rows.append(row(c1, {"supplementary_investigation": a1, "review_extension": b1}, prosecutor=f"P{n}"))
        after_rows.append(row(c2, {"supplementary_investigation": a2, "review_extension": b2}, prosecutor=f"P{n}"))

    def total(rows):
        extras = {}
        for r in rows:
            for code, value in r.extras.items():
                extras[code] = extras.get(code, 0) + value
        return row(sum(r.cases for r in rows), extras)

    before, after = total(before_rows), total(after_rows)
    by_event = change_by_event(before, after, LABELS, "案件数变化")
    by_member = change_by_group(before, after, before_rows, after_rows, "prosecutor", "无")
    assert math.isclose(sum(d.amount for d in by_event.drivers), by_event.delta, abs_tol=1e-9)
    assert math.isclose(sum(d.amount for d in by_member.drivers), by_member.delta, abs_tol=1e-9)
