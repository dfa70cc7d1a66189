"""An upload waiting for, or run by, the task worker; and the worker's heartbeat."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImportJob(models.Model):
    """One uploaded file to import in the background: its options, progress and final report.

    The id is a UUID: it is the status URL, and must not let one user guess another's jobs (the
    views answer 404 to anyone but the uploader and superusers anyway).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("进行中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    file_name = models.CharField(_("文件名"), max_length=255)
    path = models.CharField(max_length=1000, help_text="the upload spooled on disk until the job has run")
    kind = models.CharField(max_length=10, blank=True)
    dry_run = models.BooleanField(default=False)
    encoding = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    phase = models.CharField(max_length=20, blank=True, help_text="staff/teams/cases/events, sequence, written")
    done = models.BigIntegerField(default=0)
    total = models.BigIntegerField(null=True)
    report = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True)
    finished_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int | None:
        """Share of the current phase done, when its total is known."""
        if self.total:
            return min(100, int(self.done * 100 / self.total))
        return None


class WorkerHeartbeat(models.Model):
    """The last sign of life of each task worker (`manage.py import_worker` beats every few seconds).

    /readyz and the monitoring read it: a worker whose `beat_at` is older than a few intervals is
    gone, and uploads would wait for ever.
    """

    worker_id = models.CharField(max_length=64, unique=True)
    beat_at = models.DateTimeField()
    started_at = models.DateTimeField()
    pid = models.IntegerField()

    def __str__(self) -> str:
        return f"{self.worker_id} @ {self.beat_at:%Y-%m-%d %H:%M:%S}"
