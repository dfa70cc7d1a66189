"""The import page: upload a CSV / XLSX and read the row report (the same `run_import` as the command).

The uploaded file is handed to `cases.importer.run_import` as it is (the history names it). Any refused row →
nothing is written, and the report lists every bad row (row, column, value, reason). In the browser
the form is sent by script so the upload shows a progress bar and the importer's stages are listed;
without script it is an ordinary form post answered by the same page.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from cases.api.imports import scope_errors, upload_on_disk
from cases.importer import run_import
from cases.importer.report import ImportReport
from cases.views.forms import ImportForm
from teams.access import can_write

MAX_STAGES_SHOWN = 200


def _stage_text(args: tuple, kwargs: dict) -> str:
    """A readable line from whatever the importer reports as progress."""
    parts = [str(a) for a in args] + [f"{k}={v}" for k, v in kwargs.items()]
    numbers = [a for a in args if isinstance(a, int) and not isinstance(a, bool)]
    if len(numbers) >= 2 and numbers[1]:
        parts.append(f"({numbers[0] * 100 // numbers[1]}%)")
    return " ".join(parts)


@login_required
def import_upload(request: HttpRequest) -> HttpResponse:
    """GET: the upload form. POST: run the import and show the row report."""
    if not can_write(request.user):
        raise Http404
    form = ImportForm(request.POST or None, request.FILES or None)
    partial = request.headers.get("X-Requested-With") == "fetch"
    template = "cases/_import_result.html" if partial else "cases/import.html"
    if request.method != "POST" or not form.is_valid():
        return render(request, template, {"form": form}, status=400 if form.errors else 200)
    upload = form.cleaned_data["file"]
    stages: list[str] = []

    def progress(*args, **kwargs) -> None:
        if len(stages) < MAX_STAGES_SHOWN:
            stages.append(_stage_text(args, kwargs))

    kind = form.cleaned_data["kind"] or None
    report = _refused_outside_scope(upload, kind, request.user)
    if report is None:
        # An upload over FILE_UPLOAD_MAX_MEMORY_SIZE is already streamed to a temporary file on disk.
        report = run_import(
            upload, kind=kind, dry_run=form.cleaned_data["dry_run"], progress=progress, user=request.user
        )
    report.sort()
    context = {"form": ImportForm(), "report": report, "filename": upload.name, "stages": stages}
    return render(request, template, context, status=200 if report.ok else 422)


def _refused_outside_scope(upload, kind: str | None, user) -> ImportReport | None:
    """A report of the rows that would write outside the user's units (the API's check), or None."""
    with upload_on_disk(upload, "caseqa-web-import-") as path:
        refused = scope_errors(path, kind, user)
    upload.seek(0)
    if not refused:
        return None
    report = ImportReport()
    for row in refused:
        report.error(row["kind"], row["row"], row["column"], row["value"], row["reason"])
    return report
