"""Liveness and readiness for the office's monitoring (docs/deploy.md "Monitoring").

`/healthz` answers 200 as long as the process serves requests: it touches no database, so a
database outage does not make a supervisor restart healthy web workers. `/readyz` answers 200 only
when the database answers, every migration is applied and a background worker's heartbeat is fresh;
otherwise 503 with a JSON body naming each check that failed.
"""

from __future__ import annotations

import datetime

from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@never_cache
@require_GET
def healthz(request):
    return HttpResponse("ok\n", content_type="text/plain")


def _database() -> str | None:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # any driver error means "not ready"; the type names it
        return f"database does not answer ({type(error).__name__})"
    return None


def _migrations() -> str | None:
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _backwards in plan[:5])
        return f"{len(plan)} migration(s) not applied: {names}"
    return None


def _worker() -> str | None:
    if not apps.is_installed("importjobs"):
        return "no background worker is configured"
    # The worker (`manage.py import_worker`) stamps its row every few seconds from a thread of its own,
    # so a worker busy with a long import is still fresh.
    from importjobs.models import WorkerHeartbeat

    max_age = datetime.timedelta(seconds=settings.WORKER_HEARTBEAT_MAX_AGE)
    last = WorkerHeartbeat.objects.order_by("-beat_at").values_list("beat_at", flat=True).first()
    if last is None:
        return "no background worker has ever reported (start caseqa-worker: manage.py import_worker)"
    age = timezone.now() - last
    if age > max_age:
        return (
            f"background worker heartbeat is {int(age.total_seconds())} s old (limit {int(max_age.total_seconds())} s)"
        )
    return None


@never_cache
@require_GET
def readyz(request):
    problems = {}
    database = _database()
    if database:
        problems["database"] = database
    else:
        for name, check in (("migrations", _migrations), ("worker", _worker)):
            problem = check()
            if problem:
                problems[name] = problem
    if problems:
        return JsonResponse({"status": "unavailable", "problems": problems}, status=503)
    return JsonResponse({"status": "ready"})
