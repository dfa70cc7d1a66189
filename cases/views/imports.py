"""The import page: upload a CSV / XLSX, follow the background import's progress and read its row report.

The upload becomes an `importjobs.ImportJob` run by the task worker (`manage.py import_worker`), the same
`run_import` as the command: no request waits on a large file. The job's page shows the phase and rows
validated while it runs (polled by script, or refreshed every two seconds without it) and the report
once finished: any refused row → nothing written, every bad row listed (row, column, value, reason).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cases.importer.report import ImportReport
from cases.views.forms import ImportForm
from importjobs import jobs
from importjobs.models import ImportJob
from teams.access import can_write

PHASES = {
    "staff": _("校验人员"),
    "teams": _("校验团队"),
    "cases": _("校验案件"),
    "events": _("校验诉讼环节"),
    "sequence": _("检查顺序规则"),
    "checking": _("校验完毕，正在检查顺序规则并写入"),
    "written": _("写入"),
}


@login_required
def import_upload(request: HttpRequest) -> HttpResponse:
    """GET: the upload form. POST: queue the import and show (or redirect to) its progress."""
    if not can_write(request.user):
        raise Http404
    form = ImportForm(request.POST or None, request.FILES or None)
    partial = request.headers.get("X-Requested-With") == "fetch"
    if request.method != "POST" or not form.is_valid():
        template = "cases/_import_result.html" if partial else "cases/import.html"
        return render(request, template, {"form": form}, status=400 if form.errors else 200)
    data = form.cleaned_data
    job = jobs.start(
        data["file"], request.user, kind=data["kind"] or "", dry_run=data["dry_run"], encoding=data["encoding"]
    )
    if partial:
        job.refresh_from_db()
        return render(request, "cases/_import_result.html", _job_context(job), status=202)
    return redirect(reverse("cases:import_job", args=[job.id]), permanent=False)


@login_required
def import_job(request: HttpRequest, pk) -> HttpResponse:
    """One import's progress and, once finished, its report (the uploader's and superusers' only)."""
    job = ImportJob.objects.filter(pk=pk).first()
    if job is None or not can_write(request.user) or not (request.user.is_superuser or job.user_id == request.user.pk):
        raise Http404
    partial = request.headers.get("X-Requested-With") == "fetch"
    context = _job_context(job)
    if partial:
        return render(request, "cases/_import_result.html", context)
    return render(request, "cases/import.html", {"form": ImportForm(), **context})


def _job_context(job: ImportJob) -> dict:
    report = ImportReport.from_dict(job.report) if job.finished and job.report else None
    return {
        "job": job,
        "phase_label": PHASES.get(job.phase, job.phase),
        "report": report,
        "filename": job.file_name,
        "status_url": reverse("cases:import_job", args=[job.id]),
    }


@login_required
def import_template(request: HttpRequest) -> HttpResponse:
    """The XLSX import template with its 说明 sheet (columns, Chinese headers, codes, date forms)."""
    if not can_write(request.user):
        raise Http404
    from cases.importer.template import template_workbook

    response = HttpResponse(
        template_workbook(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = 'attachment; filename="caseqa-import-template.xlsx"'
    return response
