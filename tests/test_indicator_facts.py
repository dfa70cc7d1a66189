"""Property tests of the indicators' count table (`IndicatorFact`, issue 14).

After random writes, corrections and deletions through the service layer, the maintained table
equals `indicator_facts.rebuild()`, and `indicators_for` (whole months from the table, partial months
raw) answers exactly what the raw path (`raw=True`, the counting of every figure straight from the
case and event rows) answers, for every indicator, both bases, ranges of whole and partial months
over several months (distinct cases counted once), and several groupings. Imports are held to the
same rule in tests/test_rollup_bulk.py. Runs on SQLite and PostgreSQL (DATABASE_URL).
"""

import contextlib
import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from cases import indicator_facts, services
from cases.indicators import indicators_for
from cases.models import Case, IndicatorFact
from cases.ratio import RatioFilters
from tests.factories import CaseFactory, TeamFactory

D = datetime.date
TODAY = D(2025, 12, 31)
# A plausible order of steps with the outcomes each may record; a random subset is logged in order.
CHAIN = [
    ("arrest_review", [None]),
    ("arrest_decision", ["批准逮捕", "不批准逮捕", "批准逮捕:1;不批准逮捕:1", None]),
    ("prosecution_review", [None]),
    ("supplementary_investigation", [None]),
    ("self_supplementary_investigation", [None]),
    ("review_extension", [None]),
    ("resubmission", [None]),
    ("supplementary_investigation", [None]),
    ("resubmission", [None]),
    ("indictment", [None]),
    ("non_prosecution", [None]),
    ("judgment", ["无罪", "有罪", "无罪:1;有罪:1", None]),
    ("second_instance", ["改判", "维持", "发回重审", None]),
    ("retrial", ["改判", None]),
]
START = D(2024, 11, 1)
steps = st.lists(
    st.tuples(st.integers(0, len(CHAIN) - 1), st.integers(0, 3), st.integers(1, 3), st.integers(0, 40)),
    max_size=8,
)
case_specs = st.lists(
    st.tuples(
        st.integers(0, 2),  # prosecutor
        st.booleans(),  # in the team
        st.integers(0, 150),  # first event, days after START
        steps,
        st.one_of(st.none(), st.integers(0, 150)),  # closed, days after the last event
        st.integers(1, 3),  # persons
        st.sampled_from(Case.Sentencing.values),
        st.sampled_from(Case.Acceptance.values),
        st.booleans(),  # 认罪认罚
    ),
    min_size=1,
    max_size=5,
)
days = st.dates(min_value=D(2024, 11, 1), max_value=D(2025, 6, 30))
WRITES = st.lists(
    st.one_of(
        st.tuples(st.just("log"), st.integers(0, 4), st.integers(0, len(CHAIN) - 1), days),
        st.tuples(st.just("move"), st.integers(0, 4), st.integers(0, 20), days),
        st.tuples(st.just("persons"), st.integers(0, 4), st.integers(0, 20), days),
        st.tuples(st.just("delete"), st.integers(0, 4), st.integers(0, 20), days),
        st.tuples(st.just("reassign"), st.integers(0, 4), st.integers(0, 2), days),
        st.tuples(st.just("close"), st.integers(0, 4), st.booleans(), days),
        st.tuples(st.just("fields"), st.integers(0, 4), st.integers(0, 8), days),
        st.tuples(st.just("delete_case"), st.integers(0, 4), st.integers(0, 20), days),
    ),
    max_size=15,
)
# Ranges: whole months, partial months at either end, one month, several quarters.
RANGES = [
    (D(2024, 11, 1), D(2025, 6, 30)),
    (D(2025, 1, 1), D(2025, 3, 31)),
    (D(2024, 12, 10), D(2025, 4, 20)),
    (D(2025, 2, 1), D(2025, 2, 14)),
    (D(2024, 11, 16), D(2025, 2, 28)),
    (D(2025, 1, 1), D(2025, 5, 3)),
]
GROUPINGS = ["", "month", "quarter", "month,team", "year,unit", "prosecutor", "charge_chapter", "quarter,department"]
PROPERTY = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _refused(call, *args, **kwargs) -> None:
    """A write that breaks a rule is refused, as in real use."""
    try:
        call(*args, **kwargs)
    except (services.SequenceRuleError, ValidationError):  # persons of the outcomes ≠ persons, too
        pass
    except Exception as error:  # duplicates of (case, event, date) are refused too
        assert "同一环节" in str(error)


def build(org, specs) -> None:
    other_team = TeamFactory(unit=org.unit)
    for prosecutor, in_team, first, chain, closed_after, persons, sentencing, acceptance, plea in specs:
        case = CaseFactory(
            prosecutor=org.prosecutors[prosecutor],
            team=org.team if in_team else other_team,
            persons=persons,
            sentencing_recommendation=sentencing,
            judgment_accepted=acceptance,
            plea_leniency=plea,
        )
        day = START + datetime.timedelta(days=first)
        # Every case is received for 审查起诉 (the other steps need it), arrest steps before it or not.
        for index, outcome, n, gap in sorted([(2, 0, 1, 0), *chain]):
            day += datetime.timedelta(days=gap)
            code, outcomes = CHAIN[index]
            _refused(services.log_event, case, code, day, persons=n, outcomes=outcomes[outcome % len(outcomes)])
        if closed_after is not None:
            case.refresh_from_db()
            case.closed_on = day + datetime.timedelta(days=closed_after)
            with contextlib.suppress(services.SequenceRuleError):
                services.save_case(case)


def write(org, cases, action, index, arg, day) -> None:
    alive = [c for c in cases if Case.objects.filter(pk=c).exists()]
    if not alive:
        return
    case = Case.objects.get(pk=alive[index % len(alive)])
    events = list(case.events.order_by("pk"))
    if action == "log":
        code, outcomes = CHAIN[arg]
        _refused(services.log_event, case, code, day, persons=1 + arg % 3, outcomes=outcomes[0])
    elif action == "move" and events:
        _refused(services.update_event, events[arg % len(events)], date=day)
    elif action == "persons" and events:
        _refused(services.update_event, events[arg % len(events)], persons=1 + day.day % 4)
    elif action == "delete" and events:
        _refused(services.delete_event, events[arg % len(events)])
    elif action == "reassign":
        case.prosecutor = org.prosecutors[arg]
        case.department = case.prosecutor.department
        case.team = None if arg == 2 else org.team
        _refused(services.save_case, case)
    elif action == "close":
        case.closed_on = day if arg else None
        _refused(services.save_case, case)
    elif action == "fields":
        case.persons = 1 + arg % 3
        case.plea_leniency = bool(arg % 2)
        case.sentencing_recommendation = Case.Sentencing.values[arg % len(Case.Sentencing.values)]
        case.judgment_accepted = Case.Acceptance.values[arg % len(Case.Acceptance.values)]
        _refused(services.save_case, case)
    elif action == "delete_case":
        for event in reversed(events):  # a case is removed event by event, as the clerk does
            _refused(services.delete_event, event)


def assert_table_equals_raw() -> None:
    for basis in ("flow", "cohort"):
        for date_from, date_to in RANGES:
            for group_by in GROUPINGS:
                kwargs = {"group_by": group_by, "basis": basis, "date_from": date_from, "date_to": date_to}
                got, expected = indicators_for(**kwargs), indicators_for(**kwargs, raw=True)
                assert [r.as_dict() for r in got.rows] == [r.as_dict() for r in expected.rows], kwargs
                assert got.total.as_dict() == expected.total.as_dict(), kwargs
        for filters in (RatioFilters(team="T-HQ"), RatioFilters(line="criminal")):
            kwargs = {"group_by": "month", "basis": basis, "filters": filters}
            kwargs |= {"date_from": RANGES[0][0], "date_to": RANGES[0][1]}
            got, expected = indicators_for(**kwargs), indicators_for(**kwargs, raw=True)
            assert [r.as_dict() for r in got.rows] == [r.as_dict() for r in expected.rows], kwargs
            assert got.total.as_dict() == expected.total.as_dict(), kwargs


@PROPERTY
@given(specs=case_specs, writes=WRITES)
def test_maintained_table_equals_a_rebuild_and_the_raw_count(org, today_fixed, specs, writes):
    today_fixed(TODAY)
    with transaction.atomic():
        build(org, specs)
        cases = list(Case.objects.order_by("pk").values_list("pk", flat=True))
        for action, index, arg, day in writes:
            write(org, cases, action, index, arg, day)
        maintained = indicator_facts.snapshot()
        links = sum(1 for key, counts in maintained.items() if key[2] != key[3])
        event(f"table rows: {'none' if not maintained else 'some'}, link rows: {'none' if not links else 'some'}")
        assert_table_equals_raw()
        indicator_facts.rebuild()
        assert maintained == indicator_facts.snapshot()
        transaction.set_rollback(True)


def test_a_case_returned_in_two_months_is_one_case_over_both(org, today_fixed):
    """The link rows: per month the case counts in each, over the range once, from the table alone."""
    today_fixed(TODAY)
    case = CaseFactory(prosecutor=org.prosecutors[0], team=org.team)
    for code, day in [
        ("prosecution_review", D(2025, 1, 5)),
        ("supplementary_investigation", D(2025, 1, 10)),
        ("resubmission", D(2025, 2, 10)),
        ("supplementary_investigation", D(2025, 3, 10)),
    ]:
        services.log_event(case, code, day)
    links = IndicatorFact.objects.filter(level="full", basis="flow", returned__lt=0)
    assert list(links.values_list("first_month", "month", "returned")) == [(D(2025, 1, 1), D(2025, 3, 1), -1)]
    by_month = indicators_for(group_by="month", date_from=D(2025, 1, 1), date_to=D(2025, 3, 31))
    returned = {r.keys["month"]: r.values["supplementary_rate"].numerator for r in by_month.rows}
    assert returned == {"2025-01": 1, "2025-03": 1}  # nothing counted in February
    assert by_month.total.values["supplementary_rate"].numerator == 1
    quarter = indicators_for(group_by="quarter", date_from=D(2025, 1, 1), date_to=D(2025, 3, 31))
    assert quarter.rows[0].values["supplementary_rate"].numerator == 1
    later = indicators_for(date_from=D(2025, 2, 1), date_to=D(2025, 3, 31))
    assert later.total.values["supplementary_rate"].as_dict() == {"numerator": 1, "denominator": 0, "value": None}
    partial = indicators_for(date_from=D(2025, 1, 8), date_to=D(2025, 3, 31))
    assert partial.total.values["supplementary_rate"].numerator == 1
