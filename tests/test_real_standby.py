"""Against a real PostgreSQL streaming standby (scripts/standby.sh): statistics read there, writers and
tokens do not (docs/scaling.md, "A real standby").

Runs only when DATABASE_REPLICA_URL is set (the `standby` marker; tests/conftest.py deselects it
otherwise), with the standby's port and the same database name as DATABASE_URL:

    scripts/standby.sh
    TESTING=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/caseqa_standby \\
        DATABASE_REPLICA_URL=postgres://postgres@127.0.0.1:5433/caseqa_standby \\
        .venv/bin/pytest tests/test_real_standby.py

The replica alias is a test MIRROR of the default database, which here means: the same test database
name, on the standby's server, where it exists because the primary's CREATE DATABASE replicated. So
the tests are transactional (what they write must be committed to reach the standby), wait for the
standby to replay up to the primary's current WAL position instead of sleeping, and make the standby
lag on purpose by pausing its replay: a figure only a lagging standby can give proves where it was read.
"""

from __future__ import annotations

import contextlib
import datetime
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from caseqa.db_router import REPLICA
from teams.api.auth import issue_token
from tests.builders import build_world
from tests.factories import make_case
from tests.import_kit import EVENT_HEADER, write_csv

pytestmark = [
    pytest.mark.standby,
    # Committed rows only reach the standby; the flush that ends a transactional test empties the seeded
    # catalogue, which serialized_rollback restores.
    pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=["default", REPLICA]),
]

RATIO = "/api/v1/stats/ratio/?date_from=2025-01-01&date_to=2025-12-31"
REPLAY_DEADLINE_SECONDS = 30
MARCH_5 = datetime.date(2025, 3, 5)


def _one(alias: str, sql: str, params=()):
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


@pytest.fixture(autouse=True)
def standby():
    """The replica alias must be a standby of the default database's server, not another primary."""
    assert connections["default"].vendor == "postgresql", "the standby test needs DATABASE_URL on PostgreSQL"
    assert _one(REPLICA, "SELECT pg_is_in_recovery()"), "DATABASE_REPLICA_URL is not a standby"
    yield
    _one(REPLICA, "SELECT pg_wal_replay_resume()")  # whatever a failed test left


def caught_up() -> float:
    """Wait until the standby has replayed everything the primary has written so far; seconds waited."""
    target = _one("default", "SELECT pg_current_wal_lsn()::text")
    started = time.monotonic()
    while not _one(REPLICA, "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]):
        assert time.monotonic() - started < REPLAY_DEADLINE_SECONDS, f"standby did not replay up to {target}"
        time.sleep(0.01)
    return time.monotonic() - started


@contextlib.contextmanager
def replay_paused():
    """The standby stops applying WAL (it still receives it): a lag as long as the block."""
    _one(REPLICA, "SELECT pg_wal_replay_pause()")
    started = time.monotonic()
    while _one(REPLICA, "SELECT pg_get_wal_replay_pause_state()") != "paused":
        assert time.monotonic() - started < REPLAY_DEADLINE_SECONDS
        time.sleep(0.01)
    try:
        yield
    finally:
        _one(REPLICA, "SELECT pg_wal_replay_resume()")


def token_client(user, *, can_write=False) -> tuple[APIClient, object]:
    token, key = issue_token(user, "standby test", can_write=can_write)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client, token


def total(client) -> tuple[int, int]:
    response = client.get(RATIO)
    assert response.status_code == 200, response.content
    body = response.json()["total"]
    return body["cases"], body["items"]


def replica_reads(client) -> list[str]:
    """The statements a statistics request ran on the standby."""
    with CaptureQueriesContext(connections[REPLICA]) as queries:
        total(client)
    return [query["sql"] for query in queries.captured_queries]


def test_statistics_are_read_on_the_standby():
    world = build_world()
    reader, _ = token_client(world.users["leader"])
    caught_up()
    before = total(reader)
    assert any("cases_ratiofact" in sql for sql in replica_reads(reader))

    with replay_paused():
        # Written on the primary, not through a request of the reader's: nobody is pinned.
        make_case(world.prosecutors["other"], [("prosecution_review", MARCH_5)], case_no="检刑受[2025]000099号")
        assert total(reader) == before  # the primary already counts the new case; only the standby does not
    caught_up()
    assert total(reader) == (before[0] + 1, before[1] + 1)


def test_a_writer_sees_its_import_at_once_and_a_reader_the_old_figures_until_replay(tmp_path):
    world = build_world()
    writer, _ = token_client(world.users["clerk"], can_write=True)
    reader, _ = token_client(world.users["leader"])
    caught_up()
    before = total(reader)
    assert total(writer) == before
    rows = [
        [world.cases[k].case_no, "supplementary_investigation", "2025-03-20", "", "", ""]
        for k in ("lead_own", "a_other")
    ]
    upload = write_csv(tmp_path / "events.csv", EVENT_HEADER, rows)

    with replay_paused():
        # Tests run tasks immediately: the import has committed when the POST answers.
        response = writer.post("/api/v1/imports/", {"file": SimpleUploadedFile(upload.name, upload.read_bytes())})
        assert response.status_code == 202 and response.json()["status"] == "done", response.content
        with CaptureQueriesContext(connections[REPLICA]) as writer_on_standby:
            after = total(writer)
        assert after == (before[0], before[1] + 2)  # the writer's own figures, from the primary
        assert writer_on_standby.captured_queries == []
        assert total(reader) == before  # the lagging standby: the old figures, whole
    waited = caught_up()
    assert total(reader) == after, f"after {waited:.3f} s of replay"


def test_a_revoked_token_is_refused_while_the_standby_still_has_it():
    world = build_world()
    reader, token = token_client(world.users["leader"])
    owner = APIClient()
    owner.force_authenticate(world.users["leader"])
    caught_up()
    assert reader.get(RATIO).status_code == 200

    with replay_paused():
        assert owner.delete(f"/api/v1/tokens/{token.pk}/").status_code == 204
        revoked_on_standby = _one(REPLICA, "SELECT revoked_at FROM teams_apitoken WHERE id = %s", [token.pk])
        assert revoked_on_standby is None  # the standby has not seen the revocation ...
        assert reader.get(RATIO).status_code == 401  # ... and is never asked
    caught_up()
    assert reader.get(RATIO).status_code == 401
