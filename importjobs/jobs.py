"""Starting an import in the background and running it in the worker (the web page and the API share this).

The upload is spooled to `IMPORT_SPOOL_DIR` (the web servers and the worker must share it), an
`ImportJob` row records the options, and a django-tasks task runs `cases.importer.run_import` in the
worker. The worker writes the progress (phase, rows done) into the job row as it goes, outside the
import's own transaction, so the page can show it; the final report goes in the same row.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from caseqa.db_router import pin_primary
from importjobs.models import ImportJob

PROGRESS_EVERY_SECONDS = 0.5
_UNSAFE = re.compile(r"[^\w.\-（）()\[\]【】〔〕 ]+")


def start(upload, user, *, kind: str = "", dry_run: bool = False, encoding: str = "") -> ImportJob:
    """Spool `upload` to disk, record the job and enqueue it; returns the job (status queued)."""
    job = ImportJob(user=user if user and user.is_authenticated else None, kind=kind or "", dry_run=dry_run)
    job.encoding = encoding or ""
    name = Path(upload.name or "upload").name
    job.file_name = name[:255]
    folder = Path(settings.IMPORT_SPOOL_DIR) / str(job.id)
    folder.mkdir(parents=True, exist_ok=True)
    # The history's change reason names the file (`导入 <name>`): keep the office's own file name.
    path = folder / (_UNSAFE.sub("_", name)[-200:] or "upload")
    with open(path, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    job.path = str(path)
    job.save()
    run_import_job.enqueue(str(job.id))
    return job


@task()
def run_import_job(job_id: str) -> bool:
    """Run one queued import (in the worker); the report is stored on the job. Returns report.ok."""
    from cases.importer import run_import

    job = ImportJob.objects.select_related("user").get(pk=job_id)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, started_at=timezone.now())
    progress = _Progress(job.pk)
    status, body = ImportJob.Status.FAILED, _failure("")
    try:
        # The importer checks every row against the uploader's write scope in the same pass as the other
        # checks (every bad row in one round); the history names the uploaded file, not the stored copy.
        report = run_import(
            job.path,
            job.kind or None,
            dry_run=job.dry_run,
            progress=progress,
            user=job.user,
            encoding=job.encoding or None,
            name=job.file_name,
        )
        body, status = report.as_dict(), ImportJob.Status.DONE
    except Exception as error:  # anything unforeseen: the job says so instead of staying "running"
        body = _failure(str(error))
        raise
    finally:
        ImportJob.objects.filter(pk=job.pk).update(status=status, report=body, finished_at=timezone.now())
        shutil.rmtree(Path(job.path).parent, ignore_errors=True)
    if body.get("written"):
        # The uploader's next pages read the primary until the standby has replayed the import.
        pin_primary(job.user_id)
    return bool(body["ok"])


def _failure(detail: str) -> dict:
    reason = _("导入意外中断，未写入任何数据：%(detail)s") % {"detail": detail}
    issue = {"kind": "file", "row": 1, "column": "", "value": "", "reason": reason}
    return {"ok": False, "dry_run": False, "written": False, "errors": [issue], "warnings": [], "counts": {}}


class _Progress:
    """The importer's progress callback: writes phase and rows done into the job row, at most twice a second.

    Inside the import's transaction the row would only change at its commit, so nothing is written there
    (the page keeps showing the last phase, "checking and writing").
    """

    def __init__(self, job_id):
        self.job_id = job_id
        self.last = 0.0
        self.phase = ""

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        if connection.in_atomic_block or (phase == self.phase and now - self.last < PROGRESS_EVERY_SECONDS):
            return
        self.last, self.phase = now, phase
        ImportJob.objects.filter(pk=self.job_id).update(phase=phase[:20], done=done, total=total)
