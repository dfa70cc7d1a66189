"""Prometheus metrics: django-prometheus' requests, latencies and database queries, plus the imports
(duration, rows) and the background task queue depth. `/metrics` is readable only from the addresses
in METRICS_ALLOWED_ADDRESSES or with `Authorization: Bearer <METRICS_TOKEN>`."""

from __future__ import annotations

import hmac
import ipaddress
import os

from django.apps import apps
from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY

from ops.proxy import client_address

IMPORT_SECONDS = Histogram(
    "caseqa_import_duration_seconds",
    "Wall time of one import (validation and writing), by kind and outcome.",
    ["kind", "outcome"],
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
)
IMPORT_ROWS = Counter(
    "caseqa_import_rows_total",
    "Rows written by imports (created + updated + unchanged), by kind of row.",
    ["kind"],
)


class TaskQueueCollector:
    """Background tasks waiting and running, read from the task table at each scrape."""

    def describe(self):
        # Registration asks for the names: answer without a query (the database may not exist yet).
        yield GaugeMetricFamily("caseqa_task_queue_depth", "Background tasks by status.", labels=["status"])

    def collect(self):
        depth = GaugeMetricFamily("caseqa_task_queue_depth", "Background tasks by status.", labels=["status"])
        if apps.is_installed("django_tasks_db"):
            from django.db.models import Count
            from django_tasks_db.models import DBTaskResult

            counts = dict(DBTaskResult.objects.values_list("status").annotate(n=Count("id")).order_by())
            for status in ("READY", "RUNNING"):
                depth.add_metric([status.lower()], counts.get(status, 0))
        yield depth


_collector = TaskQueueCollector()
REGISTRY.register(_collector)


def _allowed(request) -> bool:
    token = getattr(settings, "METRICS_TOKEN", "")
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].encode(), token.encode()):
        return True
    address = client_address(request)
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(net, strict=False) for net in settings.METRICS_ALLOWED_ADDRESSES)


@never_cache
@require_GET
def metrics(request):
    if not _allowed(request):
        return HttpResponse("forbidden\n", status=403, content_type="text/plain")
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)


def _registry():
    """This process's registry; with several processes (gunicorn workers and the task worker writing
    to PROMETHEUS_MULTIPROC_DIR) one that adds up all of them, plus the queue depth read now."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    registry.register(_collector)
    return registry
