"""POST /api/v1/imports/: upload a CSV or XLSX and get the row report of `import_data` (same code path)."""

from __future__ import annotations

import os
import tempfile

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

        suffix = os.path.splitext(upload.name)[1].lower()
        handle, path = tempfile.mkstemp(suffix=suffix, prefix="caseqa-api-import-")
        try:
            with os.fdopen(handle, "wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            report = run_import(
                path,
                kind=params.validated_data.get("kind") or None,
                dry_run=params.validated_data["dry_run"],
                user=request.user,
            )
        finally:
            os.unlink(path)
        report.sort()
        return Response(report.as_dict(), status=status.HTTP_200_OK if report.ok else status.HTTP_400_BAD_REQUEST)
