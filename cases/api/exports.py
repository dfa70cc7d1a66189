"""CSV and XLSX answers of the statistics endpoints: the same rows as the JSON, flattened.

A JSON answer `{"results": [...], "total": {...}}` becomes one flat row per result (nested maps such
as `extras` expanded into `extras.<code>` columns) and, when there is a total, a last row whose
`row_type` is "total". CSV is UTF-8 with a BOM so that Excel and WPS open Chinese correctly; XLSX
keeps numbers as numbers. Text cells starting with = + - @ (or a tab / carriage return) are prefixed
with an apostrophe so that a spreadsheet never runs them as formulas (CSV injection).
"""

from __future__ import annotations

import csv
import io

from django.utils import timezone
from openpyxl import Workbook
from rest_framework import renderers

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXPORT_FORMATS = ("csv", "xlsx")


def neutralise(value):
    """A cell value safe to open in a spreadsheet: text that looks like a formula is made plain text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _flatten(row: dict, prefix: str = "") -> dict:
    flat: dict = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        elif isinstance(value, list):
            # e.g. top findings [{"item": "E01", "count": 3}, ...] → "E01:3; ..."
            flat[name] = "; ".join(":".join(map(str, v.values())) if isinstance(v, dict) else str(v) for v in value)
        else:
            flat[name] = value
    return flat


def table(data) -> tuple[list[str], list[list]]:
    """(header, rows) for an answer with `results` and an optional `total` (or a bare list of rows)."""
    if isinstance(data, list):
        results, total = data, None
    else:
        results, total = data.get("results", []), data.get("total")
    flat_rows = [_flatten(r) for r in results]
    with_type = total is not None
    if with_type:
        flat_rows = [{"row_type": "result", **r} for r in flat_rows] + [{"row_type": "total", **_flatten(total)}]
    header: list[str] = []
    seen: set[str] = set()
    for row in flat_rows:
        for column in row:
            if column not in seen:
                seen.add(column)
                header.append(column)
    return header, [[row.get(c) for c in header] for row in flat_rows]


def _filename(renderer_context, extension: str) -> str:
    view = renderer_context.get("view")
    stem = getattr(view, "export_name", "caseqa")
    return f"{stem}-{timezone.localdate():%Y%m%d}.{extension}"


class _ExportRenderer(renderers.BaseRenderer):
    extension = ""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        renderer_context = renderer_context or {}
        response = renderer_context.get("response")
        if response is not None:
            response["Content-Disposition"] = f'attachment; filename="{_filename(renderer_context, self.extension)}"'
        return self.write(*table(data or {}))


class CSVRenderer(_ExportRenderer):
    """text/csv, UTF-8 with BOM, header row first."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"
    extension = "csv"

    def write(self, header, rows) -> bytes:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if v is None else neutralise(v) for v in row])
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")


class XLSXRenderer(_ExportRenderer):
    """An .xlsx workbook with one sheet, header row first; numbers stay numbers."""

    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    format = "xlsx"
    charset = None
    render_style = "binary"
    extension = "xlsx"

    def write(self, header, rows) -> bytes:
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("caseqa")
        sheet.append(header)
        for row in rows:
            sheet.append([neutralise(v) for v in row])
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()


class ExportMixin:
    """An APIView answering JSON, `?format=csv` and `?format=xlsx`; errors are always JSON."""

    renderer_classes = [renderers.JSONRenderer, CSVRenderer, XLSXRenderer]
    export_name = "caseqa"

    def wants_export(self) -> bool:
        return getattr(self.request, "accepted_renderer", None) is not None and (
            self.request.accepted_renderer.format in EXPORT_FORMATS
        )

    def finalize_response(self, request, response, *args, **kwargs):
        renderer = getattr(request, "accepted_renderer", None)
        if response.status_code >= 400 and renderer is not None and renderer.format in EXPORT_FORMATS:
            request.accepted_renderer = renderers.JSONRenderer()
            request.accepted_media_type = request.accepted_renderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)
