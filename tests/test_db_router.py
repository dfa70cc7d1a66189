"""Statistics reads go to the read replica when one is configured (DESIGN.md "Scale-out").

The integration test creates a real second database (PostgreSQL: a second database on the same server;
SQLite: a second file), gives it a roll-up row the primary does not have, and shows that the ratio
engine answers from it, while writes and reads inside a primary transaction stay on the primary.
"""

import datetime
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import connections, router, transaction
from django.http import HttpResponse
from django.test import RequestFactory

from caseqa import db_router
from caseqa.db_router import REPLICA, StatisticsReadsMiddleware, StatisticsReplicaRouter, statistics_reads
from cases.models import Case, RatioFact
from cases.ratio import ratio_for
from teams.models import ApiToken, StaffRole, Unit

ROUTERS = ["caseqa.db_router.StatisticsReplicaRouter"]
REAL_REPLICA = REPLICA in django_settings.DATABASES
# A configured replica alias must be declared to be usable (and is only declarable when configured).
TEST_DATABASES = ["default", REPLICA] if REAL_REPLICA else ["default"]
MARCH = datetime.date(2025, 3, 1)


@pytest.fixture
def replica_on(monkeypatch):
    monkeypatch.setattr(db_router, "replica_configured", lambda: True)


def test_without_a_replica_everything_stays_on_the_primary(monkeypatch):
    monkeypatch.setattr(db_router, "replica_configured", lambda: False)
    routes = StatisticsReplicaRouter()
    with statistics_reads():
        assert routes.db_for_read(RatioFact) is None
        assert routes.db_for_read(Case) is None


def test_roll_up_reads_go_to_the_replica_and_raw_reads_only_inside_statistics(replica_on):
    routes = StatisticsReplicaRouter()
    assert routes.db_for_read(RatioFact) == REPLICA
    assert routes.db_for_read(Case) is None
    with statistics_reads():
        assert routes.db_for_read(Case) == REPLICA
        assert routes.db_for_read(Unit) == REPLICA
        # Who may see what is decided on the primary: a revoked token or role never lags.
        assert routes.db_for_read(ApiToken) is None
        assert routes.db_for_read(StaffRole) is None
    assert routes.db_for_read(Case) is None
    assert routes.db_for_write(RatioFact) == "default"
    assert routes.allow_migrate(REPLICA, "cases") is False
    assert routes.allow_migrate("default", "cases") is True


def test_the_middleware_opens_statistics_reads_for_statistics_gets_only(replica_on):
    seen = []

    def view(request):
        seen.append(StatisticsReplicaRouter().db_for_read(Case))
        return HttpResponse()

    middleware = StatisticsReadsMiddleware(view)
    factory = RequestFactory()
    middleware(factory.get("/api/v1/stats/ratio/", {"group_by": "month"}))
    middleware(factory.get("/api/v1/cases/"))
    middleware(factory.post("/api/v1/stats/ratio/"))
    assert seen == [REPLICA, None, None]


def _routes_while(middleware_request, status=200):
    """Serve one request through the middleware; the route a roll-up read took inside it."""
    seen = []

    def view(request):
        seen.append(StatisticsReplicaRouter().db_for_read(RatioFact))
        return HttpResponse(status=status)

    StatisticsReadsMiddleware(view)(middleware_request)
    return seen[0]


def _as(request, user):
    request.user = user
    return request


@pytest.fixture
def pins(settings):
    """A local cache for the pins: no database, so no test transaction keeps the reads on the primary."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pins"}}
    settings.REPLICA_PIN_SECONDS = 30
    cache.clear()
    yield
    cache.clear()


def _user(pk):
    return SimpleNamespace(pk=pk, is_authenticated=True)


def test_a_writer_reads_the_primary_during_its_write_and_for_the_pin_after_it(replica_on, pins):
    factory = RequestFactory()
    clerk, other = _user(1), _user(2)
    ratio = "/api/v1/stats/ratio/"
    assert _routes_while(_as(factory.get(ratio), clerk)) == REPLICA
    # A refused write writes nothing: no pin.
    assert _routes_while(_as(factory.post("/api/v1/imports/"), clerk), status=400) is None
    assert _routes_while(_as(factory.get(ratio), clerk)) == REPLICA
    # The writing request itself reads the primary, and its user's following reads do too ...
    assert _routes_while(_as(factory.post("/api/v1/imports/"), clerk), status=202) is None
    assert _routes_while(_as(factory.get(ratio), clerk)) is None
    assert _routes_while(_as(factory.get("/teams/dashboard/"), clerk)) is None
    # ... while everyone else still reads the replica; and when the pin expires, so does the writer.
    assert _routes_while(_as(factory.get(ratio), other)) == REPLICA
    assert _routes_while(_as(factory.get(ratio), AnonymousUser())) == REPLICA
    cache.delete(db_router.PIN_KEY.format(clerk.pk))
    assert _routes_while(_as(factory.get(ratio), clerk)) == REPLICA


def test_a_token_user_known_only_after_authentication_is_pinned_too(replica_on, pins):
    """DRF authenticates a token inside the view and then sets request.user: the route follows it."""
    clerk = _user(1)
    db_router.pin_primary(clerk.pk)
    seen = []

    def view(request):
        seen.append(StatisticsReplicaRouter().db_for_read(RatioFact))  # still the anonymous session user
        request.user = clerk  # what rest_framework.request.Request.user's setter does
        seen.append(StatisticsReplicaRouter().db_for_read(RatioFact))
        return HttpResponse()

    StatisticsReadsMiddleware(view)(_as(RequestFactory().get("/api/v1/stats/ratio/"), AnonymousUser()))
    assert seen == [REPLICA, None]


def test_no_pin_without_a_replica(monkeypatch, pins):
    monkeypatch.setattr(db_router, "replica_configured", lambda: False)
    clerk = _user(1)
    db_router.pin_primary(clerk.pk)
    assert cache.get(db_router.PIN_KEY.format(clerk.pk)) is None


def _admin(settings_dict: dict, *statements: str) -> None:
    """Run statements on the server's maintenance database (CREATE/DROP DATABASE cannot run in a transaction)."""
    import psycopg

    conninfo = {
        "dbname": "postgres",
        "host": settings_dict.get("HOST") or "127.0.0.1",
        "port": settings_dict.get("PORT") or 5432,
        "user": settings_dict.get("USER"),
        "password": settings_dict.get("PASSWORD"),
    }
    with psycopg.connect(**{k: v for k, v in conninfo.items() if v}, autocommit=True) as admin:
        for statement in statements:
            admin.execute(statement)


@pytest.fixture
def replica_database(django_db_blocker, settings, tmp_path):
    """A second real database registered as `replica`, with the roll-up table only; dropped afterwards."""
    with django_db_blocker.unblock():
        primary = connections["default"].settings_dict
        replica = dict(primary, TEST=dict(primary.get("TEST") or {}))
        postgres = primary["ENGINE"].endswith("postgresql")
        if postgres:
            replica["NAME"] = f"{primary['NAME']}_replica"
            drop = f'DROP DATABASE IF EXISTS "{replica["NAME"]}"'
            _admin(primary, drop, f'CREATE DATABASE "{replica["NAME"]}"')
        else:
            replica["NAME"] = str(tmp_path / "replica.sqlite3")
        # With a real standby configured (tests/test_real_standby.py) its alias is set aside meanwhile.
        real = (connections.settings[REPLICA], connections[REPLICA]) if REAL_REPLICA else None
        if real:
            del connections[REPLICA]
        connections.settings[REPLICA] = replica
        settings.DATABASE_ROUTERS = ROUTERS
        configured = db_router.replica_configured
        db_router.replica_configured = lambda: True
        try:
            with connections[REPLICA].schema_editor() as editor:
                editor.create_model(RatioFact)
            yield
        finally:
            db_router.replica_configured = configured
            connections[REPLICA].close()
            del connections[REPLICA]
            del connections.settings[REPLICA]
            if real:
                connections.settings[REPLICA], connections[REPLICA] = real
            if postgres:
                _admin(primary, drop)


# Not inside a test transaction: reads inside a primary transaction stay on the primary by design.
# serialized_rollback restores the seeded catalogue after the flush that ends a transactional test.
@pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=TEST_DATABASES)
def test_the_ratio_engine_reads_the_roll_up_from_the_replica(replica_database, django_db_blocker):
    with django_db_blocker.unblock():
        fact = {
            "level": "unit",  # the level the engine reads for an ungrouped, unfiltered question
            "basis": "flow",
            "month": MARCH,
            "unit_id": 1,
            "department_id": 1,
            "team_id": 0,
            "prosecutor_id": 1,
            "line": "criminal",
            "category": "",
            "event_code": "",
        }
        RatioFact.objects.using(REPLICA).create(**fact, cases=7, items=7)
        RatioFact.objects.using(REPLICA).create(**{**fact, "event_code": "review_extension"}, cases=0, items=2)
        assert router.db_for_read(RatioFact) == REPLICA
        assert not RatioFact.objects.using("default").filter(month=MARCH).exists()

        report = ratio_for(date_from=MARCH, date_to=datetime.date(2025, 3, 31))
        assert (report.total.cases, report.total.items) == (7, 9)  # only the replica holds these rows
        assert report.total.extras == {"review_extension": 2}

        # A writer inside a primary transaction reads its own rows from the primary.
        with transaction.atomic():
            inside = ratio_for(date_from=MARCH, date_to=datetime.date(2025, 3, 31))
        assert (inside.total.cases, inside.total.items) == (0, 0)


@pytest.mark.django_db
@pytest.mark.parametrize("dry_run", [True, False])
def test_an_import_job_that_wrote_pins_its_uploader(replica_on, pins, world, tmp_path, dry_run):
    """The worker may finish long after the upload's request: the pin starts when the rows are committed."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from importjobs import jobs
    from tests.import_kit import EVENT_HEADER, write_csv

    clerk = world.users["clerk"]
    row = [world.cases["lead_own"].case_no, "supplementary_investigation", "2025-03-20", "", "", ""]
    path = write_csv(tmp_path / "events.csv", EVENT_HEADER, [row])
    job = jobs.start(SimpleUploadedFile(path.name, path.read_bytes()), clerk, dry_run=dry_run)  # tasks run at once
    job.refresh_from_db()
    assert job.report["ok"] and job.report["written"] is not dry_run
    assert cache.get(db_router.PIN_KEY.format(clerk.pk)) == (None if dry_run else 1)
