"""DOMAIN.md §6: statutory deadlines of open cases and the at-risk list."""

import datetime

import pytest
from django.test import override_settings

from cases import deadlines, services
from cases.models import Case, ProceduralEvent
from cases.services import log_event, save_case
from tests.factories import make_case

D = datetime.date
TODAY = D(2025, 6, 30)


@pytest.fixture
def pinned(today_fixed):
    """Every event of these tests is logged before TODAY, the day rule 1 checks against."""
    return today_fixed(TODAY)


def kinds(found):
    return {d.kind: d for d in found}


def test_arrest_review_runs_seven_days_until_a_decision(org, pinned):
    case = make_case(org.prosecutors[0], [("arrest_review", D(2025, 3, 1))])
    (deadline,) = deadlines.current_deadlines(case, today=D(2025, 3, 2))
    assert (deadline.kind, deadline.starts_on, deadline.due_on) == ("arrest_review", D(2025, 3, 1), D(2025, 3, 8))
    assert deadline.days_left == 6 and deadline.status == "ok"
    assert deadline.label == "审查逮捕期限"
    assert (deadline.case_id, deadline.case_no) == (case.pk, case.case_no)

    log_event(case, "arrest_decision", D(2025, 3, 6))
    assert deadlines.current_deadlines(case, today=D(2025, 3, 7)) == []


def test_a_decision_before_a_new_arrest_review_does_not_stop_its_clock(org, pinned):
    case = make_case(org.prosecutors[0], [("arrest_review", D(2025, 3, 1)), ("arrest_decision", D(2025, 3, 5))])
    # A second intake is refused since rule 7; rows stored before it still fold to the latest clock.
    ProceduralEvent.objects.create(
        case=case, event_type=services.event_type_for("arrest_review"), date=D(2025, 4, 10), prosecutor=case.prosecutor
    )
    (deadline,) = deadlines.current_deadlines(case, today=D(2025, 4, 12))
    assert deadline.starts_on == D(2025, 4, 10) and deadline.due_on == D(2025, 4, 17)


def test_prosecution_review_supersedes_a_never_decided_arrest_review(org, pinned):
    case = make_case(org.prosecutors[0], [("arrest_review", D(2025, 1, 3)), ("prosecution_review", D(2025, 5, 2))])
    found = deadlines.current_deadlines(case, today=D(2025, 5, 10))
    assert [d.kind for d in found] == ["prosecution_review"]


@pytest.mark.parametrize(
    "received, due",
    [
        (D(2025, 1, 31), D(2025, 2, 28)),  # calendar month, clamped to February's end
        (D(2024, 1, 31), D(2024, 2, 29)),  # leap year
        (D(2025, 3, 31), D(2025, 4, 30)),
        (D(2025, 2, 15), D(2025, 3, 15)),
        # D0: a period starting on a month's last day ends on the next month's last day (第202条).
        (D(2025, 2, 28), D(2025, 3, 31)),
        (D(2024, 2, 29), D(2024, 3, 31)),
        (D(2025, 4, 30), D(2025, 5, 31)),
        (D(2025, 1, 30), D(2025, 2, 28)),
    ],
)
def test_prosecution_review_is_one_calendar_month(org, pinned, received, due):
    case = make_case(org.prosecutors[0], [("prosecution_review", received)])
    (deadline,) = deadlines.current_deadlines(case, today=received)
    assert deadline.kind == "prosecution_review" and deadline.label == "审查起诉期限"
    assert (deadline.starts_on, deadline.due_on) == (received, due)


def test_review_extension_adds_fifteen_days(org, pinned):
    case = make_case(org.prosecutors[0], [("prosecution_review", D(2025, 1, 31)), ("review_extension", D(2025, 2, 20))])
    (deadline,) = deadlines.current_deadlines(case, today=D(2025, 3, 1))
    assert deadline.due_on == D(2025, 3, 15)  # Feb 28 + 15 days
    assert deadline.days_left == 14


def test_supplementary_investigation_pauses_review_and_gives_the_police_a_month(org, pinned):
    case = make_case(
        org.prosecutors[0], [("prosecution_review", D(2025, 1, 10)), ("supplementary_investigation", D(2025, 1, 31))]
    )
    (deadline,) = deadlines.current_deadlines(case, today=D(2025, 2, 1))
    assert (deadline.kind, deadline.label) == ("supplementary_investigation", "退回补充侦查期限")
    assert (deadline.starts_on, deadline.due_on) == (D(2025, 1, 31), D(2025, 2, 28))


def test_resubmission_restarts_the_review_and_drops_the_old_periods_extension(org, pinned):
    case = make_case(
        org.prosecutors[0],
        [
            ("prosecution_review", D(2025, 1, 10)),
            ("review_extension", D(2025, 2, 1)),
            ("supplementary_investigation", D(2025, 2, 5)),
            ("resubmission", D(2025, 3, 1)),
        ],
    )
    (deadline,) = deadlines.current_deadlines(case, today=D(2025, 3, 2))
    assert (deadline.kind, deadline.starts_on, deadline.due_on) == ("prosecution_review", D(2025, 3, 1), D(2025, 4, 1))


def test_extension_dated_on_the_resubmission_day_belongs_to_the_new_period(org, pinned):
    case = make_case(
        org.prosecutors[0],
        [
            ("prosecution_review", D(2025, 1, 10)),
            ("supplementary_investigation", D(2025, 2, 5)),
            ("resubmission", D(2025, 3, 1)),
            ("review_extension", D(2025, 3, 1)),
        ],
    )
    (deadline,) = deadlines.current_deadlines(case, today=D(2025, 3, 2))
    assert deadline.due_on == D(2025, 4, 16)


def test_second_round_of_supplementary_investigation(org, pinned):
    case = make_case(
        org.prosecutors[0],
        [
            ("prosecution_review", D(2025, 1, 10)),
            ("supplementary_investigation", D(2025, 2, 5)),
            ("resubmission", D(2025, 3, 1)),
            ("supplementary_investigation", D(2025, 3, 20)),
        ],
    )
    (deadline,) = deadlines.current_deadlines(case, today=D(2025, 3, 21))
    assert (deadline.kind, deadline.starts_on, deadline.due_on) == (
        "supplementary_investigation",
        D(2025, 3, 20),
        D(2025, 4, 20),
    )


def test_jurisdiction_transfer_restarts_the_review(org, pinned):
    case = make_case(
        org.prosecutors[0], [("prosecution_review", D(2025, 1, 10)), ("jurisdiction_transfer", D(2025, 1, 25))]
    )
    (deadline,) = deadlines.current_deadlines(case, today=D(2025, 1, 26))
    assert (deadline.starts_on, deadline.due_on) == (D(2025, 1, 25), D(2025, 2, 25))


@pytest.mark.parametrize("ending", ["indictment", "non_prosecution"])
def test_a_decision_in_the_current_period_ends_the_review(org, pinned, ending):
    case = make_case(org.prosecutors[0], [("prosecution_review", D(2025, 1, 10)), (ending, D(2025, 2, 1))])
    assert deadlines.current_deadlines(case, today=D(2025, 3, 1)) == []


def test_a_decision_of_an_earlier_period_does_not_end_the_current_one(org, pinned):
    case = make_case(
        org.prosecutors[0],
        [
            ("prosecution_review", D(2025, 1, 10)),
            ("indictment", D(2025, 1, 20)),
            ("jurisdiction_transfer", D(2025, 2, 3)),
        ],
    )
    (deadline,) = deadlines.current_deadlines(case, today=D(2025, 2, 4))
    assert (deadline.starts_on, deadline.due_on) == (D(2025, 2, 3), D(2025, 3, 3))


def test_status_boundaries(org, pinned):
    """At risk with exactly N days left (and on the due day), fine with N+1, overdue after it."""
    case = make_case(org.prosecutors[0], [("arrest_review", D(2025, 3, 1))])  # due 2025-03-08
    cases = Case.objects.all()
    expectations = {
        D(2025, 3, 2): (6, "ok"),
        D(2025, 3, 3): (5, "at_risk"),
        D(2025, 3, 8): (0, "at_risk"),
        D(2025, 3, 9): (-1, "overdue"),
        D(2025, 6, 1): (-85, "overdue"),
    }
    for today, (days_left, status) in expectations.items():
        (deadline,) = deadlines.current_deadlines(case, today=today)
        assert (deadline.days_left, deadline.status) == (days_left, status), today
        listed = deadlines.at_risk(cases, today=today)
        assert [(d.case_id, d.days_left) for d in listed] == ([] if status == "ok" else [(case.pk, days_left)])


def test_within_days_argument_and_settings_override(org, pinned):
    make_case(org.prosecutors[0], [("arrest_review", D(2025, 3, 1))])  # due 2025-03-08
    cases = Case.objects.all()
    assert deadlines.at_risk(cases, today=D(2025, 3, 1), within_days=7)[0].days_left == 7
    assert deadlines.at_risk(cases, today=D(2025, 3, 1), within_days=6) == []
    with override_settings(CASEQA_AT_RISK_DAYS=2):
        assert deadlines.at_risk(cases, today=D(2025, 3, 5)) == []
        assert deadlines.at_risk(cases, today=D(2025, 3, 6))[0].status == "at_risk"
    with override_settings(CASEQA_DEADLINE_TERMS={"arrest_review": {"days": 10}}):
        assert deadlines.at_risk(cases, today=D(2025, 3, 6))[0].due_on == D(2025, 3, 11)


def test_closed_cases_have_no_deadlines(org, pinned):
    case = make_case(org.prosecutors[0], [("prosecution_review", D(2025, 1, 10))])
    assert deadlines.at_risk(Case.objects.all(), today=D(2025, 3, 1))[0].status == "overdue"
    case.closed_on = D(2025, 2, 1)
    save_case(case)
    assert deadlines.current_deadlines(case, today=D(2025, 3, 1)) == []
    assert deadlines.at_risk(Case.objects.all(), today=D(2025, 3, 1)) == []


def test_at_risk_lists_only_the_given_cases_sorted_by_due_date(org, pinned):
    p1, p2, _p3 = org.prosecutors
    late = make_case(p1, [("prosecution_review", D(2025, 6, 1))], team=org.team)  # due 07-01
    early = make_case(p1, [("arrest_review", D(2025, 6, 20))], team=org.team)  # due 06-27
    fine = make_case(p1, [("prosecution_review", D(2025, 6, 25))], team=org.team)  # due 07-25
    other_team = make_case(p2, [("arrest_review", D(2025, 6, 1))])  # overdue
    found = deadlines.at_risk(Case.objects.filter(team=org.team), today=D(2025, 6, 29))
    assert [(d.case_no, d.due_on, d.status) for d in found] == [
        (early.case_no, D(2025, 6, 27), "overdue"),
        (late.case_no, D(2025, 7, 1), "at_risk"),
    ]
    everyone = {d.case_id for d in deadlines.at_risk(Case.objects.all(), today=D(2025, 6, 29))}
    assert everyone == {early.pk, late.pk, other_team.pk} and fine.pk not in everyone


def test_today_defaults_to_the_office_day(org, today_fixed):
    today_fixed(D(2025, 3, 10))
    case = make_case(org.prosecutors[0], [("arrest_review", D(2025, 3, 1))])
    (deadline,) = deadlines.current_deadlines(case)
    assert deadline.days_left == -2 and deadline.status == "overdue"
    assert deadlines.at_risk(Case.objects.all())[0].as_dict()["due_on"] == "2025-03-08"


def test_at_risk_takes_one_query_whatever_the_number_of_cases(org, pinned, django_assert_num_queries):
    def add_cases(count, first_day):
        for n in range(count):
            make_case(
                org.prosecutors[n % 3],
                [("prosecution_review", first_day), ("supplementary_investigation", first_day + datetime.timedelta(n))],
            )

    add_cases(1, D(2025, 5, 1))
    with django_assert_num_queries(1):
        assert len(deadlines.at_risk(Case.objects.all(), today=D(2025, 6, 1))) == 1
    add_cases(8, D(2025, 5, 2))
    with django_assert_num_queries(1):
        found = deadlines.at_risk(Case.objects.select_related("team").order_by("case_no"), today=D(2025, 6, 5))
    assert len(found) == 9
    assert [d.due_on for d in found] == sorted(d.due_on for d in found)


@pytest.mark.parametrize(
    "returned, due",
    [(D(2025, 2, 28), D(2025, 3, 31)), (D(2025, 4, 30), D(2025, 5, 31)), (D(2025, 5, 15), D(2025, 6, 15))],
)
def test_police_month_to_resubmit_follows_the_month_end_rule(org, pinned, returned, due):
    case = make_case(
        org.prosecutors[0], [("prosecution_review", D(2025, 1, 10)), ("supplementary_investigation", returned)]
    )
    (deadline,) = deadlines.current_deadlines(case, today=returned)
    assert (deadline.kind, deadline.due_on) == ("supplementary_investigation", due)


def test_extension_days_follow_the_month_end_rule(org, pinned):
    case = make_case(org.prosecutors[0], [("prosecution_review", D(2025, 2, 28)), ("review_extension", D(2025, 3, 20))])
    (deadline,) = deadlines.current_deadlines(case, today=D(2025, 3, 21))
    assert deadline.due_on == D(2025, 4, 15)  # 02-28 + 1 month = 03-31, + 15 days


def test_the_at_risk_list_uses_the_same_rule(org, pinned):
    case = make_case(org.prosecutors[0], [("prosecution_review", D(2025, 4, 30))])
    (deadline,) = deadlines.at_risk(Case.objects.filter(pk=case.pk), today=D(2025, 5, 30), within_days=5)
    assert deadline.due_on == D(2025, 5, 31) and deadline.days_left == 1


@override_settings(CASEQA_DEADLINE_TERMS={"prosecution_review": {"months": 2}})
def test_configured_terms_in_months_use_the_rule(org, pinned):
    case = make_case(org.prosecutors[0], [("prosecution_review", D(2025, 2, 28))])
    (deadline,) = deadlines.current_deadlines(case, today=D(2025, 3, 1))
    assert deadline.due_on == D(2025, 4, 30)
