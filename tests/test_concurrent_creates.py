"""Parallel creates of one unique key answer one 201 and 400s naming the field, never a 500 (issue 10 L3).

Eight clients post the same case number (or the same case + event + date) through the API at once,
each on its own database connection. A barrier between validation and the write holds every writer
until all eight have passed the serializer's uniqueness check, so they all reach the INSERT: the
database's unique index decides, and the write path must turn the loser's IntegrityError into the
same 400 as a number taken earlier. On SQLite the writes take turns (`one_writer`, see
tests/test_concurrency.py); on PostgreSQL they overlap and block on the index.
"""

from __future__ import annotations

import datetime
import threading
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db.models import prefetch_related_objects
from django.test import Client
from rest_framework.test import APIClient

from cases import messages, services
from cases.models import Case, ProceduralEvent
from cases.views.forms import CaseRegistrationForm
from tests.builders import build_world
from tests.test_concurrency import CONCURRENT, one_writer, run_together

D = datetime.date
WRITERS = 8


def gate_writes(monkeypatch, name: str, new) -> None:
    """Hold each call of `services.<name>` for a new row until all writers have arrived, then write in turn."""
    real = getattr(services, name)
    barrier = threading.Barrier(WRITERS)

    def gated(*args, **kwargs):
        if new(*args):
            barrier.wait(timeout=120)
        with one_writer():
            result = real(*args, **kwargs)
            if isinstance(result, Case):
                # The 201's body lists the case's events: read them in this turn, as SQLite's in-memory
                # test database refuses a read of a table another connection is writing.
                prefetch_related_objects([result], "events")
            return result

    monkeypatch.setattr(services, name, gated)


def api_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def statuses_and_bodies(outcomes) -> list[tuple[int, dict]]:
    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    return sorted((response.status_code, response.json()) for _, response in outcomes)


# PostgreSQL, as issue 10 asks: on the in-memory SQLite test database the API's reads beside another
# thread's write transaction meet SQLite's table lock ("database table is locked"), which is SQLite's
# single-writer design, not the unique-key race this test is about (the page and event tests cover SQLite).
@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"), reason="the race needs concurrent writers"
)
@CONCURRENT
def test_eight_parallel_creates_of_one_case_number_are_one_201_and_seven_400(monkeypatch):
    world = build_world()
    gate_writes(monkeypatch, "save_case", lambda case: case.pk is None)
    data = {"case_no": "检刑受[2026]000777号", "title": "某某盗窃案", "prosecutor": "PA-3"}
    clients = [api_client(world.users["clerk"]) for _ in range(WRITERS)]
    outcomes = run_together([lambda c=c: c.post("/api/v1/cases/", data, format="json") for c in clients])
    results = statuses_and_bodies(outcomes)
    assert [code for code, _ in results] == [201] + [400] * (WRITERS - 1)
    for _, body in results[1:]:
        assert body == {"case_no": [str(messages.CASE_NO_UNAVAILABLE)]}
    assert Case.objects.filter(case_no=data["case_no"]).count() == 1


@CONCURRENT
def test_eight_parallel_page_creates_of_one_case_number_are_one_redirect_and_seven_form_errors(monkeypatch):
    """The registration page: every form passes its uniqueness check, then all save (case and intake, one
    transaction the view opens) — on SQLite each request's rest is its turn of the single writer."""
    world = build_world()
    barrier, turn = threading.Barrier(WRITERS), threading.local()
    real_check = CaseRegistrationForm.validate_unique

    def checked_then_gated(form):
        real_check(form)
        if getattr(turn, "writer", None) is None:  # once per request, however often the form checks
            barrier.wait(timeout=120)
            turn.writer = one_writer()
            turn.writer.__enter__()

    monkeypatch.setattr(CaseRegistrationForm, "validate_unique", checked_then_gated)
    form = {
        "case_no": "检刑受[2026]000778号",
        "title": "某某盗窃案",
        "intake": "prosecution_review",
        "received_on": "2025-03-03",
        "line": "criminal",
        "department": world.prosecutors["other"].department_id,
        "prosecutor": world.prosecutors["other"].pk,
        "persons": 1,
        "sentencing_recommendation": "none",
        "judgment_accepted": "unknown",
    }

    def register(client):
        try:
            return client.post("/cases/new/", form)
        finally:
            turn.writer.__exit__(None, None, None)

    clients = []
    for _ in range(WRITERS):  # logged in beforehand: a login writes the session table
        clients.append(Client())
        clients[-1].force_login(world.users["clerk"])
    outcomes = run_together([lambda c=c: register(c) for c in clients])
    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    codes = sorted(response.status_code for _, response in outcomes)
    assert codes == [302] + [400] * (WRITERS - 1)
    for _, response in outcomes:
        if response.status_code == 400:
            assert str(messages.CASE_NO_UNAVAILABLE) in response.content.decode()
    assert Case.objects.filter(case_no__contains="000778").count() == 1


@CONCURRENT
def test_eight_parallel_logs_of_one_event_are_one_201_and_seven_400(monkeypatch):
    world = build_world()
    gate_writes(monkeypatch, "log_event", lambda case, code, date: True)
    case = world.cases["a_other"]
    data = {"case": case.case_no, "event": "review_extension", "date": "2025-03-25"}
    clients = [api_client(world.users["clerk"]) for _ in range(WRITERS)]
    outcomes = run_together([lambda c=c: c.post("/api/v1/events/", data, format="json") for c in clients])
    results = statuses_and_bodies(outcomes)
    assert [code for code, _ in results] == [201] + [400] * (WRITERS - 1)
    assert all("event" in body for _, body in results[1:])
    assert ProceduralEvent.objects.filter(case=case, event_type__code="review_extension").count() == 1


@pytest.mark.django_db
def test_a_taken_case_number_answers_the_same_whoever_holds_it():
    """L7: the API does not say that a number belongs to another unit (nor to this one): only that it is taken."""
    world = build_world()
    client = api_client(world.users["clerk"])
    base = {"title": "某某盗窃案", "prosecutor": "PA-3"}
    own = client.post("/api/v1/cases/", {**base, "case_no": world.cases["a_other"].case_no}, format="json")
    other = client.post("/api/v1/cases/", {**base, "case_no": world.cases["b"].case_no}, format="json")
    assert own.status_code == other.status_code == 400
    assert own.json() == other.json() == {"case_no": [str(messages.CASE_NO_UNAVAILABLE)]}
    url = f"/api/v1/cases/{quote(world.cases['a_other'].case_no)}/"
    patched = client.patch(url, {"case_no": world.cases["b"].case_no}, format="json")
    assert patched.status_code == 400 and patched.json() == own.json()
