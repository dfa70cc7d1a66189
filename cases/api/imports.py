"""POST /api/v1/imports/: upload a CSV or XLSX and get the row report of `import_data` (same code path)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, parsers, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from teams import access

KINDS = ("staff", "teams", "cases", "events")
SUFFIXES = (".csv", ".xlsx")


class MayImport(permissions.BasePermission):
    """Imports write: case-management staff and superusers only."""

    message = _("没有导入权限")

    def has_permission(self, request, view):
        return access.can_write(request.user)


@contextlib.contextmanager
def upload_on_disk(upload, prefix: str) -> Iterator[str]:
    """The uploaded file as a path on disk, for the length of the block (the readers open paths)."""
    handle, path = tempfile.mkstemp(suffix=os.path.splitext(upload.name)[1].lower(), prefix=prefix)
    try:
        with os.fdopen(handle, "wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        yield path
    finally:
        os.unlink(path)


class ImportRequestSerializer(serializers.Serializer):
    """A file to import, its kind (optional: recognised from the header), dry-run and, for a CSV, its encoding."""

    file = serializers.FileField(help_text="CSV（UTF-8 / UTF-8 BOM / GB18030）或 XLSX / the file")
    kind = serializers.ChoiceField(
        choices=KINDS, required=False, allow_blank=True, help_text="staff / teams / cases / events；可省略，按表头识别"
    )
    dry_run = serializers.BooleanField(default=False, help_text="只校验不写入 / validate only, write nothing")
    encoding = serializers.CharField(
        required=False, allow_blank=True, max_length=40, help_text="CSV 的编码（如 big5）；留空自动识别 UTF-8 / GB18030"
    )

    def validate_file(self, upload):
        from cases.views.forms import too_large_message

        suffix = os.path.splitext(upload.name or "")[1].lower()
        if suffix not in SUFFIXES:
            raise serializers.ValidationError(_("只接受 .csv 或 .xlsx 文件"))
        if upload.size > settings.IMPORT_MAX_UPLOAD_BYTES:
            raise serializers.ValidationError(too_large_message(upload.size))
        return upload

    def validate_encoding(self, value):
        from cases.views.forms import clean_encoding_name

        return clean_encoding_name(value, serializers.ValidationError)


def job_body(job, request) -> dict:
    """An import job as the API shows it: status, progress and, once finished, the report."""
    from django.urls import reverse

    return {
        "id": str(job.id),
        "status": job.status,
        "status_url": request.build_absolute_uri(reverse("import-status", args=[job.id])),
        "file_name": job.file_name,
        "kind": job.kind or None,
        "dry_run": job.dry_run,
        "phase": job.phase or None,
        "done": job.done,
        "total": job.total,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "report": job.report if job.finished else None,
    }


class ImportView(APIView):
    """Queue an import (run by the task worker) and answer 202 with its status URL."""

    parser_classes = [parsers.MultiPartParser, parsers.FormParser]
    permission_classes = [*api_settings.DEFAULT_PERMISSION_CLASSES, MayImport]

    @extend_schema(
        summary="导入 / import a file (background)",
        description=(
            "文件交由后台任务导入，立即返回 202 与状态地址（status_url）；状态地址给出进度（phase、done、total）与"
            "完成后的报告：与 `manage.py import_data` 相同的校验，任何一行出错则不写入任何数据，报告列出每一个"
            "错误行（行号、列、值、原因）。/ The file is imported by the task worker: 202 with a status URL that "
            "shows progress and, once done, the report (any error → nothing written)."
        ),
        request={"multipart/form-data": ImportRequestSerializer},
        responses={
            202: OpenApiResponse(OpenApiTypes.OBJECT, description="已排队 / queued: id, status, status_url"),
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="参数错误 / bad request"),
        },
    )
    def post(self, request):
        params = ImportRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        if not access.can_write(request.user):
            raise exceptions.PermissionDenied
        from importjobs import jobs  # loaded only when a file arrives

        data = params.validated_data
        job = jobs.start(
            data["file"],
            request.user,
            kind=data.get("kind") or "",
            dry_run=data["dry_run"],
            encoding=data.get("encoding") or "",
        )
        job.refresh_from_db()  # a backend that ran it already (tests: immediate) has finished it
        body = job_body(job, request)
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["status_url"]})


class ImportStatusView(APIView):
    """The status of one import job: progress while it runs, the report once finished (the uploader's only)."""

    permission_classes = [*api_settings.DEFAULT_PERMISSION_CLASSES, MayImport]

    @extend_schema(
        summary="导入状态 / import status",
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="状态与报告 / status and report")},
    )
    def get(self, request, job_id):
        from importjobs.models import ImportJob

        job = ImportJob.objects.filter(pk=job_id).first()
        if job is None or not (request.user.is_superuser or job.user_id == request.user.pk):
            raise exceptions.NotFound
        return Response(job_body(job, request))
