"""Health, readiness, metrics and the request/import log lines (issue 17)."""

from __future__ import annotations

import io
import json
import logging
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client, override_settings

from caseqa.logging_filters import PersonalDataFilter
from cases.importer import run_import
from ops.logformat import JsonFormatter

REPO = Path(__file__).resolve().parent.parent
User = get_user_model()


def test_healthz_answers_without_touching_the_database():
    """No `db` fixture: any query would raise here (pytest-django blocks database access)."""
    response = Client().get("/healthz")
    assert response.status_code == 200 and response.content == b"ok\n"


@pytest.mark.django_db
def test_readyz_is_not_ready_without_a_worker():
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["problems"]["worker"].startswith("no background worker")


@pytest.mark.django_db
def test_readyz_names_unapplied_migrations():
    latest = MigrationRecorder.Migration.objects.filter(app="cases").order_by("-id").first()
    latest.delete()
    response = Client().get("/readyz")
    assert response.status_code == 503
    problems = response.json()["problems"]
    assert re.match(r"\d+ migration\(s\) not applied: ", problems["migrations"])
    assert f"cases.{latest.name}" in problems["migrations"]


@pytest.mark.django_db
def test_readyz_names_a_database_that_does_not_answer(monkeypatch):
    from django.db.backends.utils import CursorWrapper

    def refuse(self, sql, params=None):
        raise __import__("django.db").db.OperationalError("connection refused")

    monkeypatch.setattr(CursorWrapper, "execute", refuse)
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["problems"] == {"database": "database does not answer (OperationalError)"}


# /metrics -----------------------------------------------------------------------------------------


@pytest.mark.django_db
@override_settings(METRICS_ALLOWED_ADDRESSES=["127.0.0.1", "10.8.0.0/16"], METRICS_TOKEN="s3cret-token")
def test_metrics_are_readable_only_from_configured_addresses_or_with_the_token():
    client = Client()
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.8.3.4").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.9.3.4").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="10.9.3.4", HTTP_AUTHORIZATION="Bearer s3cret-token").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.9.3.4", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403


@pytest.mark.django_db
@override_settings(METRICS_ALLOWED_ADDRESSES=["127.0.0.1"], BEHIND_PROXY=True)
def test_behind_the_proxy_metrics_judge_the_forwarded_address():
    client = Client()
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.1.1.1").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="127.0.0.1").status_code == 200


def _sample(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        if line.startswith(f"{name}{{{wanted}}} ") or (not labels and line.startswith(f"{name} ")):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


@pytest.mark.django_db
def test_metrics_count_requests_queries_imports_and_rows(org, tmp_path):
    client = Client()
    before = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    path = tmp_path / "staff.csv"
    path.write_text("staff_code,name,unit,department,role\nM01,甲,U-MAIN,D-1,prosecutor\n", encoding="utf-8")
    admin = User.objects.create_superuser("admin", password="a-long-passphrase-9")
    report = run_import(path, "staff", user=admin)
    assert report.ok, report.errors
    client.get("/accounts/login/")
    after = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    assert (
        _sample(after, "caseqa_import_rows_total", kind="staff")
        == _sample(before, "caseqa_import_rows_total", kind="staff") + 1
    )
    seconds = ("caseqa_import_duration_seconds_count", {"kind": "staff", "outcome": "written"})
    assert _sample(after, seconds[0], **seconds[1]) == _sample(before, seconds[0], **seconds[1]) + 1
    assert "django_http_requests_total_by_method_total" in after
    assert re.search(r"^django_db_execute_total\{.*\} [1-9]", after, flags=re.M)
    assert "caseqa_task_queue_depth" in after


# Logs -------------------------------------------------------------------------------------------------


@pytest.fixture
def product_log():
    """What the `caseqa` loggers write, through the configured handler and its personal-data filter."""
    logger = logging.getLogger("caseqa")
    handler = next(h for h in logger.handlers if any(isinstance(f, PersonalDataFilter) for f in h.filters))
    stream = io.StringIO()
    previous = handler.setStream(stream)
    formatter = handler.formatter
    handler.setFormatter(JsonFormatter())
    try:
        yield stream
    finally:
        handler.setStream(previous)
        handler.setFormatter(formatter)


def _entries(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]


@pytest.mark.django_db
def test_one_json_line_per_request_with_user_duration_and_outcome(product_log):
    user = User.objects.create_superuser("clerk_wang", password="a-long-passphrase-9")
    client = Client()
    client.force_login(user)
    client.get("/cases/", HTTP_X_FORWARDED_FOR="10.1.2.3", HTTP_USER_AGENT="Mozilla/5.0 secret-agent")
    client.get("/api/v1/cases/张三丰涉嫌盗窃案/")
    Client().get("/cases/")
    requests = [e for e in _entries(product_log) if e.get("event") == "request"]
    assert [(e["method"], e["status"], e["user"], e["outcome"]) for e in requests] == [
        ("GET", 200, "clerk_wang", "ok"),
        ("GET", 404, "clerk_wang", "refused"),
        ("GET", 302, "-", "ok"),
    ]
    assert all(isinstance(e["duration_ms"], int) and e.get("user_id") in (user.pk, None) for e in requests)
    written = product_log.getvalue()
    for personal in ("张三丰", "10.1.2.3", "secret-agent", "127.0.0.1"):
        assert personal not in written


@pytest.mark.django_db
def test_one_line_per_import_names_user_outcome_rows_and_no_personal_data(org, tmp_path, product_log):
    admin = User.objects.create_superuser("admin", password="a-long-passphrase-9")
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text("staff_code,name,unit,department,role\nL01,李四,U-MAIN,D-1,prosecutor\n", encoding="utf-8")
    bad.write_text("staff_code,name,unit,department,role\nL02,王五,U-MAIN,D-1,janitor\n", encoding="utf-8")
    assert run_import(good, "staff", user=admin).ok
    assert not run_import(bad, "staff", user=admin).ok
    assert run_import(good, "staff", dry_run=True, user=admin).ok
    imports = [e for e in _entries(product_log) if e.get("event") == "import"]
    assert [(e["user"], e["outcome"], e["rows"], e["errors"] > 0) for e in imports] == [
        ("admin", "written", 1, False),
        ("admin", "refused", 0, True),
        ("admin", "checked", 0, False),
    ]
    assert (imports[0]["kind"], imports[0]["counts"]) == ("staff", {"staff": 1})
    assert all(e["duration_ms"] >= 0 for e in imports)
    for personal in ("李四", "王五"):
        assert personal not in product_log.getvalue()
