"""Background imports (issue 12): uploads queue a job that the task worker runs (django-tasks, database backend);
the page shows progress and the report, the API answers 202 with a status URL. End to end with a real worker."""

import datetime
import io
import threading
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from cases.models import ProceduralEvent
from importjobs.management.commands.import_worker import run_worker
from importjobs.models import ImportJob, WorkerHeartbeat
from tests.factories import make_case
from tests.import_kit import EVENT_HEADER

D = datetime.date
DB_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# The worker's thread has its own connection: rows must be committed, and the seeded catalogue restored after.
WORKER_DB = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def today(today_fixed):
    return today_fixed(D(2025, 12, 31))


@pytest.fixture
def clerk(org, django_user_model):
    from teams.models import StaffRole

    user = django_user_model.objects.create_user("clerk-jobs", password="x")
    StaffRole.objects.create(user=user, unit=org.unit, kind=StaffRole.Kind.CASE_MANAGEMENT)
    return user


def events_csv(cases, *, bad: bool = False) -> SimpleUploadedFile:
    lines = [",".join(EVENT_HEADER)]
    for case in cases:
        lines.append(f"{case.case_no},prosecution_review,2025-03-01,,,")
    if bad:
        lines.append("不存在的案号,prosecution_review,2025-03-01,,,")
    return SimpleUploadedFile("环节.csv", ("\n".join(lines) + "\n").encode(), content_type="text/csv")


def until(condition, seconds: float = 60.0):
    """Wait for `condition()` to hold (checked every 50 ms), failing after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            value = condition()
        except OperationalError:  # SQLite's table lock while the worker thread writes: look again
            value = None
        if value:
            return value
        threading.Event().wait(0.05)
    raise AssertionError("condition not met in time")


def start_worker() -> threading.Thread:
    """The real worker (`manage.py import_worker` minus its signal handlers), in a thread, until the queue is empty."""
    thread = threading.Thread(
        target=run_worker, args=("test-worker",), kwargs={"heartbeat": 30, "interval": 0.05, "batch": True}
    )
    thread.start()
    return thread


@WORKER_DB
def test_page_upload_runs_in_the_worker_and_shows_progress_then_the_report(client, org, clerk, today, settings):
    settings.TASKS = DB_BACKEND
    cases = [make_case(org.prosecutors[0]) for _ in range(3)]
    client.force_login(clerk)

    response = client.post(reverse("cases:import"), {"file": events_csv(cases)})

    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("cases:import_job", args=[job.id])
    queued = client.get(response["Location"])
    assert queued.status_code == 200 and queued.context["report"] is None
    assert job.status == "queued" and ProceduralEvent.objects.count() == 0  # nothing ran in the request

    worker = start_worker()
    worker.join(300)  # batch mode: the worker exits once the queue is empty
    assert not worker.is_alive()

    job.refresh_from_db()
    assert job.status == "done" and job.report["ok"] and job.report["written"]
    assert ProceduralEvent.objects.count() == 3
    assert job.phase == "checking" and job.done == 0  # the last progress written outside the import's transaction
    page = client.get(reverse("cases:import_job", args=[job.id]))
    assert page.context["report"].ok and "环节.csv" in page.content.decode()
    assert WorkerHeartbeat.objects.get(worker_id="test-worker").beat_at <= job.started_at  # beat on start


@WORKER_DB
def test_api_upload_answers_202_and_the_status_url_gives_the_report(org, clerk, today, settings):
    settings.TASKS = DB_BACKEND
    cases = [make_case(org.prosecutors[0]) for _ in range(2)]
    api = APIClient()
    api.force_authenticate(clerk)

    response = api.post("/api/v1/imports/", {"file": events_csv(cases, bad=True), "kind": "events"})

    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "queued" and body["report"] is None and response["Location"] == body["status_url"]
    worker = start_worker()
    worker.join(300)  # SQLite's shared in-memory test database: no reads beside the worker's writes
    assert not worker.is_alive()
    status = api.get(body["status_url"]).json()
    assert status["status"] == "done" and status["finished_at"]
    report = status["report"]
    assert report["ok"] is False and report["written"] is False and report["counts"] == {}
    assert [(e["row"], e["column"]) for e in report["errors"]] == [(4, "case_no")]
    assert ProceduralEvent.objects.count() == 0


def test_the_page_shows_a_running_jobs_phase_and_rows(client, org, clerk):
    job = ImportJob.objects.create(
        user=clerk, file_name="大文件.csv", path="/nonexistent", status="running", phase="events", done=200_000
    )
    job.total = 2_500_000
    job.save()
    client.force_login(clerk)
    page = client.get(reverse("cases:import_job", args=[job.id]))
    text = page.content.decode()
    assert page.status_code == 200 and "校验诉讼环节" in text and "200000" in text and "2500000" in text
    assert 'http-equiv="refresh"' in text  # without script the page refreshes itself
    partial = client.get(reverse("cases:import_job", args=[job.id]), headers={"X-Requested-With": "fetch"})
    assert "data-status-url" in partial.content.decode()


def test_a_job_is_visible_to_its_uploader_only(client, org, clerk, django_user_model):
    from teams.models import StaffRole

    other = django_user_model.objects.create_user("clerk-2", password="x")
    StaffRole.objects.create(user=other, unit=org.unit, kind=StaffRole.Kind.CASE_MANAGEMENT)
    job = ImportJob.objects.create(user=clerk, file_name="a.csv", path="/nonexistent")
    client.force_login(other)
    assert client.get(reverse("cases:import_job", args=[job.id])).status_code == 404
    api = APIClient()
    api.force_authenticate(other)
    assert api.get(f"/api/v1/imports/{job.id}/").status_code == 404


def test_an_upload_over_the_limit_is_refused_with_both_sizes(client, org, clerk, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 1024
    client.force_login(clerk)
    upload = SimpleUploadedFile("big.csv", b"case_no,event,date\n" + b"x" * 4096)
    response = client.post(reverse("cases:import"), {"file": upload})
    assert response.status_code == 400 and not ImportJob.objects.exists()
    assert "文件过大" in response.content.decode() and "上限" in response.content.decode()
    api = APIClient()
    api.force_authenticate(clerk)
    upload.seek(0)
    response = api.post("/api/v1/imports/", {"file": upload})
    assert response.status_code == 400 and "文件过大" in response.json()["file"][0]


def test_the_template_lists_columns_codes_and_date_forms(client, org, clerk, tmp_path, today):
    client.force_login(clerk)
    page = client.get(reverse("cases:import"))
    assert reverse("cases:import_template") in page.content.decode()
    response = client.get(reverse("cases:import_template"))
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["staff", "teams", "cases", "events", "说明"]
    notes = "\n".join(
        " ".join(str(c) for c in row if c is not None) for row in book["说明"].iter_rows(values_only=True)
    )
    for expected in ("统一受案号", "supplementary_investigation", "退回补充侦查", "2025年3月1日", "带头人", "case_no"):
        assert expected in notes
    # The template itself imports (its example rows are valid): the importer ignores the 说明 sheet.
    from cases.importer import run_import

    path = tmp_path / "template.xlsx"
    path.write_bytes(response.content)
    report = run_import(path, dry_run=True)
    assert [s.kind for s in report.skipped if "说明" in s.reason] == []
    assert report.ok, report.errors


@WORKER_DB
def test_the_worker_heartbeat_keeps_beating():
    from importjobs.management.commands.import_worker import heartbeat_loop

    stop = threading.Event()
    thread = threading.Thread(target=heartbeat_loop, args=("beating", 0.05, stop))
    thread.start()
    try:
        first = until(lambda: WorkerHeartbeat.objects.filter(worker_id="beating").first())
        until(lambda: WorkerHeartbeat.objects.get(worker_id="beating").beat_at > first.beat_at)
    finally:
        stop.set()
        thread.join(5)
