"""`manage.py import_worker`: the task worker for background imports, with a heartbeat.

It runs django-tasks' database worker (`db_worker`) and, beside it, a thread that stamps the
`WorkerHeartbeat` row of this worker every `--heartbeat` seconds, so that /readyz and monitoring can
tell a live worker from a dead one (uploads would otherwise wait in the queue for ever).
"""

from __future__ import annotations

import logging
import os
import socket
import threading

from django.core.management.base import BaseCommand
from django.db import OperationalError, close_old_connections, connection
from django.utils import timezone

from importjobs.models import WorkerHeartbeat

HEARTBEAT_SECONDS = 5.0
logger = logging.getLogger(__name__)


def beat(worker_id: str, started) -> None:
    """Stamp this worker's heartbeat row now."""
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id, defaults={"beat_at": timezone.now(), "started_at": started, "pid": os.getpid()}
    )


def heartbeat_loop(worker_id: str, every: float, stop: threading.Event, started=None) -> None:
    """Beat every `every` seconds until `stop` is set (its own database connection, closed at the end).

    With `started` given the first beat has been made already: the loop waits before beating.
    """
    first = started is None
    started = started or timezone.now()
    try:
        while first or not stop.wait(every):
            first = False
            close_old_connections()
            try:
                beat(worker_id, started)
            except OperationalError as error:  # a busy SQLite file: the next beat will do
                logger.warning("heartbeat of %s skipped: %s", worker_id, error)
    finally:
        connection.close()


def run_worker(worker_id: str, *, heartbeat: float, interval: float, batch: bool, signals: bool = False) -> None:
    """django-tasks' database worker with the heartbeat thread beside it (tests run this in a thread)."""
    from django_tasks_db.management.commands.db_worker import Worker

    stop = threading.Event()
    started = timezone.now()
    beat(worker_id, started)  # before the worker polls: the two never write at once on start
    thread = threading.Thread(target=heartbeat_loop, args=(worker_id, heartbeat, stop, started), daemon=True)
    thread.start()
    worker = Worker(
        queue_names=["default"],
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )
    try:
        if signals:
            worker.configure_signals()  # SIGTERM/SIGINT: finish the running import, then stop
        worker.run()
    finally:
        stop.set()
        thread.join(timeout=heartbeat + 1)
        connection.close()


class Command(BaseCommand):
    help = "Run the background import worker (django-tasks db_worker) with a heartbeat row."

    def add_arguments(self, parser):
        parser.add_argument("--worker-id", default=f"{socket.gethostname()}-{os.getpid()}"[:64])
        parser.add_argument("--heartbeat", type=float, default=HEARTBEAT_SECONDS, help="seconds between beats")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between queue polls when idle")
        parser.add_argument("--batch", action="store_true", help="exit once the queue is empty")

    def handle(self, *args, **options):
        run_worker(
            options["worker_id"],
            heartbeat=options["heartbeat"],
            interval=options["interval"],
            batch=options["batch"],
            signals=True,
        )
