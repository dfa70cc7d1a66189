"""Property tests: the engine equals a plain-Python recount, and the maintained roll-up equals a rebuild."""

import contextlib
import datetime
from collections import defaultdict

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases import indicator_facts, rollup, services
from cases.models import Case, Charge, ProceduralEvent
from cases.ratio import RatioFilters, ratio_for
from tests.factories import CaseFactory, TeamFactory

D = datetime.date
TODAY = D(2025, 12, 31)
CODES = [
    "arrest_review",
    "prosecution_review",
    "arrest_reconsideration",
    "supplementary_investigation",
    "resubmission",
    "review_extension",
    "second_instance",
    "prosecution_withdrawal",
    "indictment",
    "arrest_complaint",
]
days = st.dates(min_value=D(2024, 11, 1), max_value=D(2025, 3, 31))
event_lists = st.lists(st.tuples(st.sampled_from(CODES), days), max_size=7)
# Main charges drawn from: two of chapter 5 (盗窃, 诈骗), one of chapter 6 (帮信), or none.
CHARGE_CODES = ["264", "266", "287-2", None]
charges = st.sampled_from(range(len(CHARGE_CODES)))
case_specs = st.lists(
    st.tuples(st.integers(0, 2), st.booleans(), st.one_of(st.none(), days), event_lists, charges),
    min_size=1,
    max_size=6,
)
PROPERTY = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def build(org, specs):
    """Create cases through the service layer; events that break a rule are refused, as in real use."""
    other_team = TeamFactory(unit=org.unit)
    for prosecutor_index, in_team, closed_on, events, charge in specs:
        case = CaseFactory(
            prosecutor=org.prosecutors[prosecutor_index],
            team=org.team if in_team else other_team,
            main_charge=charge_of(charge),
        )
        for code, day in events:
            try:
                services.log_event(case, code, day)
            except services.SequenceRuleError:
                pass
            except Exception as error:  # duplicates of (case, event, date) are refused too
                assert "同一环节" in str(error)
        if closed_on:
            case.refresh_from_db()
            case.closed_on = closed_on
            with contextlib.suppress(services.SequenceRuleError):
                services.save_case(case)


def charge_of(index: int) -> Charge | None:
    code = CHARGE_CODES[index]
    return Charge.objects.get(code=code) if code else None


def recount(basis, date_from, date_to, cases=None):
    """The rule of DOMAIN §4 written the plainest way, over every case (or `cases`) and event in Python."""
    months = defaultdict(lambda: [0, 0])
    for case in cases if cases is not None else Case.objects.all():
        events = list(ProceduralEvent.objects.filter(case=case).select_related("event_type"))
        bases = [e.date for e in events if e.event_type.kind == "base"]
        if not bases:
            continue
        extras = [e for e in events if e.event_type.kind == "extra"]
        if basis == "flow":
            received = min(bases)
            if date_from <= received <= date_to:
                months[received.strftime("%Y-%m")][0] += 1
                months[received.strftime("%Y-%m")][1] += 1
            for e in extras:
                if date_from <= e.date <= date_to:
                    months[e.date.strftime("%Y-%m")][1] += e.event_type.weight
        elif case.closed_on and date_from <= case.closed_on <= date_to:
            key = case.closed_on.strftime("%Y-%m")
            months[key][0] += 1
            months[key][1] += 1 + sum(e.event_type.weight for e in extras)
    return {k: tuple(v) for k, v in months.items() if v != [0, 0]}


@PROPERTY
@given(specs=case_specs, start=days, length=st.integers(0, 150), basis=st.sampled_from(["flow", "cohort"]))
def test_engine_equals_a_plain_recount(org, today_fixed, specs, start, length, basis):
    today_fixed(TODAY)
    with transaction.atomic():
        build(org, specs)
        date_to = start + datetime.timedelta(days=length)
        report = ratio_for(group_by="month", basis=basis, date_from=start, date_to=date_to)
        got = {row.keys["month"]: (row.cases, row.items) for row in report.rows}
        assert got == recount(basis, start, date_to)
        assert sum(c for c, _ in got.values()) == report.total.cases
        assert sum(i for _, i in got.values()) == report.total.items
        for row in ratio_for(group_by="prosecutor,team", basis=basis, date_from=start, date_to=date_to).rows:
            assert row.items >= row.cases
        # Every roll-up level (unit, department, team, full) gives the same totals.
        for group_by in ("unit", "department", "team", "prosecutor", "line", "charge", "charge_chapter"):
            other = ratio_for(group_by=f"month,{group_by}", basis=basis, date_from=start, date_to=date_to)
            assert (other.total.cases, other.total.items, other.total.extras) == (
                report.total.cases,
                report.total.items,
                report.total.extras,
            )
        # Cut by main charge and by its chapter (whole months from the roll-up, partial ones raw).
        for code in CHARGE_CODES[:-1]:
            cut = ratio_for(
                group_by="month", basis=basis, date_from=start, date_to=date_to, filters=RatioFilters(charge=code)
            )
            mine = Case.objects.filter(main_charge__code=code)
            assert {r.keys["month"]: (r.cases, r.items) for r in cut.rows} == recount(basis, start, date_to, mine)
        by_chapter = ratio_for(group_by="charge_chapter", basis=basis, date_from=start, date_to=date_to)
        for row in by_chapter.rows:
            mine = Case.objects.filter(main_charge__chapter=row.keys["charge_chapter"])
            if row.keys["charge_chapter"] is None:
                mine = Case.objects.filter(main_charge__isnull=True)
            expected = recount(basis, start, date_to, mine)
            assert (row.cases, row.items) == (
                sum(c for c, _ in expected.values()),
                sum(i for _, i in expected.values()),
            )
        chapter = ratio_for(
            basis=basis, date_from=start, date_to=date_to, filters=RatioFilters(charge_chapter="第五章")
        )
        expected = recount(basis, start, date_to, Case.objects.filter(main_charge__chapter=5))
        assert (chapter.total.cases, chapter.total.items) == (
            sum(c for c, _ in expected.values()),
            sum(i for _, i in expected.values()),
        )
        transaction.set_rollback(True)


WRITES = st.lists(
    st.one_of(
        st.tuples(st.just("log"), st.integers(0, 5), st.sampled_from(CODES), days),
        st.tuples(st.just("move"), st.integers(0, 5), st.integers(0, 20), days),
        st.tuples(st.just("delete"), st.integers(0, 5), st.integers(0, 20), days),
        st.tuples(st.just("reassign"), st.integers(0, 5), st.integers(0, 2), days),
        st.tuples(st.just("close"), st.integers(0, 5), st.booleans(), days),
        st.tuples(st.just("charge"), st.integers(0, 5), charges, days),
    ),
    max_size=25,
)


@PROPERTY
@given(specs=case_specs, writes=WRITES)
def test_maintained_rollup_always_equals_a_rebuild(org, today_fixed, specs, writes):
    today_fixed(TODAY)
    with transaction.atomic():
        build(org, specs)
        cases = list(Case.objects.order_by("pk"))
        for action, case_index, arg, day in writes:
            case = Case.objects.get(pk=cases[case_index % len(cases)].pk)
            events = list(case.events.order_by("pk"))
            try:
                if action == "log":
                    services.log_event(case, arg, day)
                elif action == "move" and events:
                    services.update_event(events[arg % len(events)], date=day)
                elif action == "delete" and events:
                    services.delete_event(events[arg % len(events)])
                elif action == "reassign":
                    case.prosecutor = org.prosecutors[arg]
                    case.department = case.prosecutor.department
                    case.team = None if arg == 2 else org.team
                    services.save_case(case)
                elif action == "close":
                    case.closed_on = day if arg else None
                    services.save_case(case)
                elif action == "charge":
                    case.main_charge = charge_of(arg)
                    services.save_case(case)
            except services.SequenceRuleError:
                pass
            except Exception as error:
                assert "同一环节" in str(error)
        maintained, indicators = rollup.snapshot(), indicator_facts.snapshot()
        rollup.rebuild()
        assert maintained == rollup.snapshot()
        assert indicators == indicator_facts.snapshot()  # rebuilt with the roll-up
        transaction.set_rollback(True)
