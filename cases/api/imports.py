"""POST /api/v1/imports/: upload a CSV or XLSX and get the row report of `import_data` (same code path)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, parsers, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from cases.case_numbers import normalise_case_no
from cases.models import Case
from teams import access
from teams.models import Prosecutor, Team, Unit

KINDS = ("staff", "teams", "cases", "events")
SUFFIXES = (".csv", ".xlsx")


class MayImport(permissions.BasePermission):
    """Imports write: case-management staff and superusers only."""

    message = _("没有导入权限")

    def has_permission(self, request, view):
        return access.can_write(request.user)


def _unit_lookup(values: set[str]) -> dict[str, int]:
    """{code or exact name: unit id} for the values that name a unit."""
    found: dict[str, int] = {}
    for pk, code, name in Unit.objects.filter(Q(code__in=values) | Q(name__in=values)).values_list(
        "pk", "code", "name"
    ):
        found.setdefault(code, pk)
        found.setdefault(name, pk)
    return found


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


def scope_errors(path: str, kind: str | None, user) -> list[dict]:
    """Rows of the file that would write outside the units `user` may write (empty for superusers).

    The importer itself knows no users; this check runs first, over the unit column of staff, teams
    and cases and over the case numbers of events, so that case-management staff import only into
    their own units (a new unit may be created by a superuser only). Other problems are left to the
    importer's report.
    """
    allowed = access.writable_unit_ids(user)
    if allowed is None:
        return []
    from cases.importer.readers import FileError, open_sheets

    errors: list[dict] = []
    new_case_units: dict[str, bool] = {}

    def refuse(sheet_kind, row, column, value, reason):
        errors.append({"kind": sheet_kind, "row": int(row), "column": column, "value": value, "reason": reason})

    try:
        sheets = open_sheets(path, kind)
        for sheet in sheets:
            for frame in sheet.frames():
                if sheet.kind == "events":
                    _check_events(sheet.kind, frame, allowed, new_case_units, refuse)
                else:
                    _check_units(sheet.kind, frame, allowed, new_case_units, refuse)
    except FileError:
        return []  # the importer reports an unreadable file in its own words
    return errors


# Records an import may change, by sheet: (key column, model, key field); each belongs to a unit.
KEYED = {
    "staff": ("staff_code", Prosecutor, "staff_code"),
    "teams": ("team_code", Team, "team_code"),
    "cases": ("case_no", Case, "case_no"),
}


def _check_units(kind, frame, allowed, new_case_units, refuse) -> None:
    column, model, key_field = KEYED[kind]
    _normalise_case_numbers(frame)
    if column in frame.columns:
        keys = {v for v in frame[column] if v}
        stored = dict(model.objects.filter(**{f"{key_field}__in": keys}).values_list(key_field, "unit_id"))
        for row, key in frame[column].items():
            if key in stored and stored[key] not in allowed:
                refuse(kind, row, column, key, _("该记录属于无权导入的单位"))
    if "unit" not in frame.columns:
        return
    codes = frame["unit_code"] if "unit_code" in frame.columns else None
    values = {v for v in frame["unit"] if v} | ({v for v in codes if v} if codes is not None else set())
    units = _unit_lookup(values)
    for row, value in frame["unit"].items():
        given = (codes[row] if codes is not None else "") or value
        if not given:
            continue
        unit_id = units.get(given)
        ok = unit_id in allowed
        if kind == "cases" and "case_no" in frame.columns:
            new_case_units[frame.at[row, "case_no"]] = ok
        if unit_id is None:
            refuse(kind, row, "unit", given, _("只有管理员可以新建单位"))
        elif not ok:
            refuse(kind, row, "unit", given, _("无权导入到该单位"))


def _check_events(kind, frame, allowed, new_case_units, refuse) -> None:
    if "case_no" not in frame.columns:
        return
    _normalise_case_numbers(frame)
    numbers = {v for v in frame["case_no"] if v}
    stored = dict(Case.objects.filter(case_no__in=numbers).values_list("case_no", "unit_id"))
    for row, case_no in frame["case_no"].items():
        # A case neither stored nor in this file is the importer's to report.
        ok = stored[case_no] in allowed if case_no in stored else new_case_units.get(case_no, True)
        if not ok:
            refuse(kind, row, "case_no", case_no, _("无权导入该案件的诉讼环节"))


def _normalise_case_numbers(frame) -> None:
    """Case numbers in their stored form, as the importer reads them: `[2026]` is the stored 〔2026〕 case."""
    if "case_no" in frame.columns:
        frame["case_no"] = [normalise_case_no(str(v).strip()) if v else v for v in frame["case_no"]]


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
