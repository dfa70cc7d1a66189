"""Issue 10 L5/L6: API throttles hold across processes, and behind the proxy the login lockout keys on
the client's forwarded address, not the proxy's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse

from teams.api.auth import issue_token
from tests.processes import child_database_url

REPO = Path(__file__).resolve().parent.parent
User = get_user_model()

# A child process: `n` API requests with one token through the whole stack; prints the status codes.
REQUESTS = (
    "import json, sys; from django.test import Client;"
    "c = Client(HTTP_AUTHORIZATION='Token ' + sys.argv[1]);"
    "print(json.dumps([c.get('/api/v1/units/').status_code for _ in range(int(sys.argv[2]))]))"
)


def _requests_in_a_child(url: str, key: str, n: int) -> list[int]:
    env = {**os.environ, "DATABASE_URL": url, "TESTING": "1", "CASEQA_API_TOKEN_RATE": "4/minute"}
    env.pop("DATABASE_REPLICA_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", "import django, sys; django.setup(); exec(sys.argv.pop(1))", REQUESTS, key, str(n)],
        cwd=REPO,
        env={**env, "DJANGO_SETTINGS_MODULE": "caseqa.settings"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_default_cache_is_shared_not_per_process():
    backend = settings.CACHES["default"]["BACKEND"]
    assert backend in ("django.core.cache.backends.db.DatabaseCache", "django.core.cache.backends.redis.RedisCache")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_token_throttle_is_counted_across_processes(tmp_path):
    """Two server processes, one token, 4 requests a minute: the second process sees the first's count."""
    cache.clear()
    User.objects.create_user("bi", password="a-long-passphrase-9", is_superuser=True)
    _token, key = issue_token(User.objects.get(username="bi"), "BI")
    url = child_database_url(tmp_path)
    try:
        assert _requests_in_a_child(url, key, 3) == [200, 200, 200]
        # Counted per process (local memory), this would be [200, 200].
        assert _requests_in_a_child(url, key, 2) == [200, 429]
    finally:
        cache.clear()


def test_a_separate_cache_client_sees_the_same_counts(db):
    """Two cache clients (as two workers hold) on the one table: what one writes, the other reads."""
    from django.core.cache import caches

    first, second = caches.create_connection("default"), caches.create_connection("default")
    assert first is not second
    first.set("throttle_token_1", [1.0, 2.0], 60)
    assert second.get("throttle_token_1") == [1.0, 2.0]
    second.delete("throttle_token_1")
    assert first.get("throttle_token_1") is None


# L6: the lockout behind the proxy ----------------------------------------------------------------

PROXY = "127.0.0.1"  # every request reaches gunicorn from nginx's address


def _login(client: Client, password: str, client_address: str, forged: str = ""):
    forwarded = f"{forged}, {client_address}" if forged else client_address
    return client.post(
        reverse("login"),
        {"username": "clerk", "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


@pytest.mark.django_db
@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=5, BEHIND_PROXY=True, TRUSTED_PROXY_COUNT=1)
def test_behind_the_proxy_one_client_is_locked_out_and_another_is_not():
    User.objects.create_user("clerk", password="a-long-passphrase-9")
    attacker, colleague = Client(), Client()
    for attempt in range(5):
        response = _login(attacker, f"guess-{attempt}", "10.1.2.3")
    assert response.status_code == 429
    # The client that failed is locked out, even with the right password ...
    assert _login(attacker, "a-long-passphrase-9", "10.1.2.3").status_code == 429
    # ... while the same account from another desk behind the same proxy still logs in.
    response = _login(colleague, "a-long-passphrase-9", "10.1.2.4")
    assert response.status_code == 302 and "_auth_user_id" in colleague.session


@pytest.mark.django_db
@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=5, BEHIND_PROXY=True, TRUSTED_PROXY_COUNT=1)
def test_a_forged_forwarded_address_cannot_lock_out_someone_else():
    """nginx appends the address it saw; what a client wrote before it does not count."""
    User.objects.create_user("clerk", password="a-long-passphrase-9")
    attacker, victim = Client(), Client()
    for attempt in range(6):
        _login(attacker, f"guess-{attempt}", "10.1.2.3", forged="10.1.2.4")
    assert _login(attacker, "a-long-passphrase-9", "10.1.2.3", forged="10.1.2.4").status_code == 429
    response = _login(victim, "a-long-passphrase-9", "10.1.2.4")
    assert response.status_code == 302 and "_auth_user_id" in victim.session


@pytest.mark.django_db
@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=5, BEHIND_PROXY=False)
def test_without_the_proxy_setting_the_header_is_ignored():
    """Directly exposed, X-Forwarded-For is whatever a client writes: the connection's address counts."""
    User.objects.create_user("clerk", password="a-long-passphrase-9")
    client = Client()
    for attempt in range(5):
        _login(client, f"guess-{attempt}", f"10.9.9.{attempt}")
    assert _login(client, "a-long-passphrase-9", "10.9.9.200").status_code == 429


def test_migrate_creates_the_cache_table(db):
    """A newcomer runs `migrate` (make demo, docs/deploy.md): the cache table comes with it."""
    from django.core.management.sql import emit_post_migrate_signal
    from django.db import connection

    table = settings.CACHES["default"]["LOCATION"]
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {connection.ops.quote_name(table)}")
    assert table not in connection.introspection.table_names()
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert table in connection.introspection.table_names()
    cache.set("after-migrate", 1, 60)
    assert cache.get("after-migrate") == 1
