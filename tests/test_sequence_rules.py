"""DOMAIN.md §5 sequence rules: each refused (naming the rule, nothing saved) beside its positive control."""

import datetime

import pytest

from cases import rollup, services
from cases.models import ProceduralEvent
from cases.sequence_rules import EventRecord, check_sequence
from tests.factories import CaseFactory, make_case

D = datetime.date
TODAY = D(2025, 6, 30)


@pytest.fixture(autouse=True)
def _today(today_fixed):
    today_fixed(TODAY)


def refused(case, code, day, rule):
    count = ProceduralEvent.objects.filter(case=case).count()
    snapshot = rollup.snapshot()
    with pytest.raises(services.SequenceRuleError) as error:
        services.log_event(case, code, day)
    assert [v.rule for v in error.value.violations] == [rule]
    assert error.value.violations[0].rule_title.startswith("规则")
    assert ProceduralEvent.objects.filter(case=case).count() == count
    assert rollup.snapshot() == snapshot
    return error.value.violations[0]


# Rule 1: no event after today (Asia/Shanghai) or before 2000-01-01.
@pytest.mark.parametrize("day", [D(2025, 7, 1), D(1999, 12, 31)])
def test_rule1_refuses_dates_out_of_range(org, day):
    case = CaseFactory(prosecutor=org.prosecutors[0])
    refused(case, "prosecution_review", day, "date_range")


@pytest.mark.parametrize("day", [TODAY, D(2000, 1, 1)])
def test_rule1_accepts_today_and_the_first_day(org, day):
    case = CaseFactory(prosecutor=org.prosecutors[0])
    services.log_event(case, "prosecution_review", day)
    assert case.events.count() == 1


def test_rule1_uses_the_shanghai_date(org, settings):
    assert settings.TIME_ZONE == "Asia/Shanghai"


# Rule 2.
@pytest.mark.parametrize(
    "code",
    ["supplementary_investigation", "review_extension", "indictment", "non_prosecution", "jurisdiction_transfer"],
)
def test_rule2_needs_prosecution_review(org, code):
    case = make_case(org.prosecutors[0], [("arrest_review", D(2025, 1, 1))])
    violation = refused(case, code, D(2025, 1, 10), "needs_prosecution_review")
    assert "审查起诉" in str(violation)
    services.log_event(case, "prosecution_review", D(2025, 1, 10))
    services.log_event(case, code, D(2025, 1, 10))  # same day: base steps come first


def test_rule2_resubmission_needs_an_open_return(org):
    case = make_case(org.prosecutors[0], [("prosecution_review", D(2025, 1, 1))])
    refused(case, "resubmission", D(2025, 1, 10), "resubmission_needs_return")
    services.log_event(case, "supplementary_investigation", D(2025, 1, 10))
    services.log_event(case, "resubmission", D(2025, 2, 1))
    refused(case, "resubmission", D(2025, 2, 5), "resubmission_needs_return")


# Rule 3.
@pytest.mark.parametrize(
    ("code", "needed", "base"),
    [
        ("arrest_reconsideration", "arrest_review", []),
        ("arrest_decision", "arrest_review", []),
        ("arrest_superior_review", "arrest_reconsideration", [("arrest_review", D(2025, 1, 1))]),
        ("non_prosecution_superior_review", "non_prosecution_reconsideration", [("prosecution_review", D(2025, 1, 1))]),
    ],
)
def test_rule3_needs_the_earlier_step(org, code, needed, base):
    case = make_case(org.prosecutors[0], base or [("prosecution_review", D(2025, 1, 1))])
    refused(case, code, D(2025, 2, 1), "needs_predecessor")
    if needed == "arrest_review":
        services.log_event(case, "arrest_review", D(2025, 1, 2))
    elif needed == "arrest_reconsideration":
        services.log_event(case, "arrest_reconsideration", D(2025, 1, 5))
    else:
        services.log_event(case, "non_prosecution", D(2025, 1, 20))
        services.log_event(case, "non_prosecution_reconsideration", D(2025, 1, 25))
    services.log_event(case, code, D(2025, 2, 1))


# Rule 4.
def test_rule4_at_most_two_returns(org):
    case = make_case(
        org.prosecutors[0],
        [
            ("prosecution_review", D(2025, 1, 1)),
            ("supplementary_investigation", D(2025, 1, 10)),
            ("resubmission", D(2025, 2, 10)),
            ("supplementary_investigation", D(2025, 2, 20)),
            ("resubmission", D(2025, 3, 20)),
        ],
    )
    refused(case, "supplementary_investigation", D(2025, 4, 1), "supplementary_limit")
    assert case.items == 3


def test_rule4_an_earlier_incoming_return_is_blamed_for_the_stored_third(org):
    stored = [
        EventRecord("prosecution_review", D(2025, 1, 1), 1),
        EventRecord("supplementary_investigation", D(2025, 3, 1), 2),
        EventRecord("resubmission", D(2025, 3, 20), 3),
        EventRecord("supplementary_investigation", D(2025, 4, 1), 4),
    ]
    incoming = [EventRecord("supplementary_investigation", D(2025, 2, 1), "row 7")]
    violations = check_sequence(stored, incoming, None, TODAY)
    rules = {(v.rule, v.event.ref, v.blamed.ref) for v in violations}
    assert ("supplementary_limit", 4, "row 7") in rules


# Rule 5.
def test_rule5_one_extension_per_review_period(org):
    case = make_case(
        org.prosecutors[0],
        [("prosecution_review", D(2025, 1, 1)), ("review_extension", D(2025, 1, 25))],
    )
    refused(case, "review_extension", D(2025, 2, 1), "one_extension_per_period")
    services.log_event(case, "supplementary_investigation", D(2025, 2, 5))
    services.log_event(case, "resubmission", D(2025, 3, 5))
    services.log_event(case, "review_extension", D(2025, 3, 5))  # the new period starts that day
    refused(case, "review_extension", D(2025, 3, 30), "one_extension_per_period")
    services.log_event(case, "jurisdiction_transfer", D(2025, 4, 10))
    services.log_event(case, "review_extension", D(2025, 4, 20))


# Rule 6.
@pytest.mark.parametrize(
    "code", ["supplementary_investigation", "review_extension", "resubmission", "self_supplementary_investigation"]
)
def test_rule6_no_review_stage_step_after_closure(org, code):
    events = [("prosecution_review", D(2025, 1, 1))]
    if code == "resubmission":
        events.append(("supplementary_investigation", D(2025, 1, 5)))
    case = make_case(org.prosecutors[0], events, closed_on=D(2025, 2, 1))
    refused(case, code, D(2025, 2, 2), "after_closure")
    services.log_event(case, code, D(2025, 2, 1))  # on the closed date itself it is still the review stage


def test_rule6_trial_and_post_closure_steps_may_follow(org):
    case = make_case(
        org.prosecutors[0],
        [("prosecution_review", D(2025, 1, 1)), ("indictment", D(2025, 2, 1))],
        closed_on=D(2025, 2, 1),
    )
    for code in ("second_instance", "prosecution_withdrawal", "retrial", "judgment"):
        services.log_event(case, code, D(2025, 3, 1))
    case.refresh_from_db()
    assert case.items == 4


def test_rule6_checked_when_a_closed_date_is_set(org):
    case = make_case(
        org.prosecutors[0], [("prosecution_review", D(2025, 1, 1)), ("supplementary_investigation", D(2025, 2, 10))]
    )
    case.closed_on = D(2025, 2, 1)
    with pytest.raises(services.SequenceRuleError) as error:
        services.save_case(case)
    assert error.value.violations[0].rule == "after_closure" and error.value.violations[0].blamed is None
    case.refresh_from_db()
    assert case.closed_on is None
    case.closed_on = D(2025, 2, 10)
    services.save_case(case)


def test_nothing_saved_when_a_correction_breaks_a_rule(org):
    case = make_case(
        org.prosecutors[0],
        [("prosecution_review", D(2025, 1, 1)), ("supplementary_investigation", D(2025, 1, 10))],
    )
    event = case.events.get(event_type__code="supplementary_investigation")
    with pytest.raises(services.SequenceRuleError):
        services.update_event(event, date=D(2024, 12, 1))
    event.refresh_from_db()
    assert event.date == D(2025, 1, 10)
    services.update_event(event, date=D(2025, 1, 2), note="更正日期")
    event.refresh_from_db()
    assert (event.date, event.note) == (D(2025, 1, 2), "更正日期")
    assert event.history.count() == 2


def test_deleting_a_return_that_a_resubmission_needs_is_refused(org):
    case = make_case(
        org.prosecutors[0],
        [
            ("prosecution_review", D(2025, 1, 1)),
            ("supplementary_investigation", D(2025, 1, 10)),
            ("resubmission", D(2025, 2, 1)),
        ],
    )
    with pytest.raises(services.SequenceRuleError):
        services.delete_event(case.events.get(event_type__code="supplementary_investigation"))
    services.delete_event(case.events.get(event_type__code="resubmission"))
    services.delete_event(case.events.get(event_type__code="supplementary_investigation"))
    case.refresh_from_db()
    assert case.items == 1


def test_same_day_orders_base_steps_first_then_entry_order():
    events = [
        EventRecord("supplementary_investigation", D(2025, 1, 1), "a", True),
        EventRecord("prosecution_review", D(2025, 1, 1), "b", True),
    ]
    assert check_sequence([], events, None, TODAY) == []
    later_base = [
        EventRecord("resubmission", D(2025, 1, 1), "a", True),
        EventRecord("supplementary_investigation", D(2025, 1, 1), "b", True),
    ]
    assert [v.rule for v in check_sequence([], later_base, None, TODAY)] == [
        "resubmission_needs_return",
        "needs_prosecution_review",
    ]


def test_stored_violations_are_not_blamed_on_new_rows():
    stored = [EventRecord("supplementary_investigation", D(2025, 1, 10), 1)]  # legacy data without a base step
    incoming = [EventRecord("arrest_review", D(2025, 2, 1), "row 2")]
    assert check_sequence(stored, incoming, None, TODAY) == []


def test_moving_a_stored_step_cannot_break_the_steps_that_needed_it(org):
    case = make_case(
        org.prosecutors[0],
        [("prosecution_review", D(2025, 3, 1)), ("supplementary_investigation", D(2025, 3, 12))],
    )
    review = case.events.get(event_type__code="prosecution_review")
    with pytest.raises(services.SequenceRuleError) as error:
        services.update_event(review, date=D(2025, 3, 20))
    violation = error.value.violations[0]
    assert violation.rule == "needs_prosecution_review" and violation.blamed.ref == review.pk
    with pytest.raises(services.SequenceRuleError):
        services.update_event(review, code="arrest_review")
    review.refresh_from_db()
    assert (review.date, review.event_type.code) == (D(2025, 3, 1), "prosecution_review")
    services.update_event(review, date=D(2025, 3, 12))  # still on or before the 退补: accepted
