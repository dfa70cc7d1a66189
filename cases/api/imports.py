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
    """A file to import, its kind (optional for a workbook with sheets staff/teams/cases/events) and dry-run."""

    file = serializers.FileField(help_text="CSV（UTF-8 / UTF-8 BOM / GB18030）或 XLSX / the file")
    kind = serializers.ChoiceField(
        choices=KINDS, required=False, allow_blank=True, help_text="staff / teams / cases / events；工作簿可省略"
    )
    dry_run = serializers.BooleanField(default=False, help_text="只校验不写入 / validate only, write nothing")

    def validate_file(self, upload):
        suffix = os.path.splitext(upload.name or "")[1].lower()
        if suffix not in SUFFIXES:
            raise serializers.ValidationError(_("只接受 .csv 或 .xlsx 文件"))
        if upload.size > settings.IMPORT_MAX_UPLOAD_BYTES:
            raise serializers.ValidationError(_("文件过大"))
        return upload


class ImportView(APIView):
    """Run an import (validate every row; any error → nothing written) and answer its row report."""

    parser_classes = [parsers.MultiPartParser, parsers.FormParser]
    permission_classes = [*api_settings.DEFAULT_PERMISSION_CLASSES, MayImport]

    @extend_schema(
        summary="导入 / import a file",
        description=(
            "与 `manage.py import_data` 相同的校验与报告：任何一行出错则不写入任何数据，报告列出每一个错误行"
            "（行号、列、值、原因）。/ Same validation and report as the command; any error → nothing written."
        ),
        request={"multipart/form-data": ImportRequestSerializer},
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="导入报告 / the report (ok true)"),
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="参数错误或报告含错误行 / bad request or bad rows"),
        },
    )
    def post(self, request):
        params = ImportRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        upload = params.validated_data["file"]
        if not access.can_write(request.user):
            raise exceptions.PermissionDenied
        from cases.importer import run_import  # loaded only when a file arrives

        with upload_on_disk(upload, "caseqa-api-import-") as path:
            refused = scope_errors(path, params.validated_data.get("kind") or None, request.user)
            if refused:
                body = {"ok": False, "dry_run": params.validated_data["dry_run"], "written": False}
                body.update({"errors": refused, "warnings": [], "counts": {}})
                return Response(body, status=status.HTTP_403_FORBIDDEN)
            report = run_import(
                path,
                kind=params.validated_data.get("kind") or None,
                dry_run=params.validated_data["dry_run"],
                user=request.user,
            )
        report.sort()
        return Response(report.as_dict(), status=status.HTTP_200_OK if report.ok else status.HTTP_400_BAD_REQUEST)
