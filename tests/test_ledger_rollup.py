"""Property: after any sequence of corrections made on the case pages (log, correct, delete an event; correct,
close, reopen a case), the maintained roll-up equals a rebuild, each case's items equal a recount of its
events, and a refused correction changed nothing (issue 12; the services' own property is in
tests/test_ratio_properties.py)."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from cases import rollup
from cases.models import Case, EventType, ProceduralEvent
from teams.models import StaffRole
from tests.factories import make_case

D = datetime.date
TODAY = D(2025, 12, 31)
CODES = [
    "prosecution_review",
    "arrest_review",
    "supplementary_investigation",
    "resubmission",
    "review_extension",
    "indictment",
    "second_instance",
    "prosecution_withdrawal",
]
days = st.dates(min_value=D(2025, 1, 1), max_value=D(2025, 6, 30))
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("log"), st.integers(0, 2), st.sampled_from(CODES), days),
        st.tuples(st.just("edit"), st.integers(0, 2), st.integers(0, 9), days),
        st.tuples(st.just("delete"), st.integers(0, 2), st.integers(0, 9), days),
        st.tuples(st.just("close"), st.integers(0, 2), st.booleans(), days),
        st.tuples(st.just("reassign"), st.integers(0, 2), st.integers(0, 2), days),
    ),
    min_size=1,
    max_size=12,
)
PROPERTY = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _state(case: Case) -> tuple:
    case.refresh_from_db()
    events = list(case.events.order_by("pk").values_list("pk", "event_type__code", "date", "version"))
    return case.version, case.closed_on, case.prosecutor_id, case.team_id, events


def _post(client: Client, org, case: Case, step) -> int:
    action, _index, arg, day = step
    events = list(case.events.order_by("pk"))
    reason = {"reason": f"更正 {action}"}
    if action == "log":
        url = reverse("cases:event_create", args=[case.pk])
        return client.post(url, {"event": arg, "date": day.isoformat(), "persons": 1}).status_code
    if action in ("edit", "delete") and not events:
        return 0
    if action == "edit":
        event = events[arg % len(events)]
        body = {"date": day.isoformat(), "persons": event.persons, "note": "", "version": event.version, **reason}
        return client.post(reverse("cases:event_edit", args=[case.pk, event.pk]), body).status_code
    if action == "delete":
        event = events[arg % len(events)]
        body = {"version": event.version, **reason}
        return client.post(reverse("cases:event_delete", args=[case.pk, event.pk]), body).status_code
    if action == "close":
        if arg:
            body = {"closed_on": day.isoformat(), "version": case.version, **reason}
            return client.post(reverse("cases:case_close", args=[case.pk]), body).status_code
        if case.closed_on is None:
            return 0
        body = {"version": case.version, **reason}
        return client.post(reverse("cases:case_reopen", args=[case.pk]), body).status_code
    prosecutor = org.prosecutors[arg]
    body = {
        "title": case.title,
        "line": case.line,
        "category": case.category,
        "department": prosecutor.department_id,
        "prosecutor": prosecutor.pk,
        "team": "" if arg == 2 else org.team.pk,
        "persons": case.persons,
        "plea_leniency": "unknown",
        "sentencing_recommendation": case.sentencing_recommendation,
        "judgment_accepted": case.judgment_accepted,
        "version": case.version,
        **reason,
    }
    return client.post(reverse("cases:case_edit", args=[case.pk]), body).status_code


def _items(case: Case) -> int:
    kinds = list(ProceduralEvent.objects.filter(case=case).values_list("event_type__kind", "event_type__weight"))
    if not any(kind == EventType.Kind.BASE for kind, _weight in kinds):
        return 0
    return 1 + sum(weight for kind, weight in kinds if kind == EventType.Kind.EXTRA)


@PROPERTY
@given(steps=STEPS)
def test_corrections_on_the_pages_keep_the_rollup_equal_to_a_rebuild(org, today_fixed, steps):
    today_fixed(TODAY)
    with transaction.atomic():
        clerk = User.objects.create(username="clerk")
        StaffRole.objects.create(user=clerk, unit=org.unit, kind=StaffRole.Kind.CASE_MANAGEMENT)
        client = Client()
        client.force_login(clerk)
        p1, p2, _p3 = org.prosecutors
        cases = [
            make_case(p1, [("prosecution_review", D(2025, 2, 1)), ("supplementary_investigation", D(2025, 2, 20))]),
            make_case(p2, [("arrest_review", D(2025, 1, 10)), ("prosecution_review", D(2025, 3, 1))], team=org.team),
            make_case(p1, [("prosecution_review", D(2025, 4, 1)), ("review_extension", D(2025, 4, 20))]),
        ]
        for step in steps:
            case = Case.objects.get(pk=cases[step[1]].pk)
            before = _state(case)
            status = _post(client, org, case, step)
            event(f"{step[0]} {status}")  # --hypothesis-show-statistics: how often each step is saved or refused
            assert status in (0, 302, 400), (step, status)  # never a 5xx, never a conflict (fresh versions)
            if status in (0, 400):
                assert _state(case) == before, step  # refused: nothing saved
        for case in cases:
            assert Case.objects.get(pk=case.pk).items == _items(case)
        maintained = rollup.snapshot()
        rollup.rebuild()
        assert maintained == rollup.snapshot()
        transaction.set_rollback(True)
