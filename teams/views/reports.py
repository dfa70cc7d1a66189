"""The team's monthly report (月度汇报): a page and its Word document (`?format=docx`)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header

from teams.monthly_report import build_report, card_lines, render_docx
from teams.periods import parse_month
from teams.views.dashboards import team_subject

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@login_required
def team_monthly_report(request: HttpRequest, team_code: str, month: str) -> HttpResponse:
    """A team's report for a month (YYYY-MM, not after this month); the same readers as its dashboard."""
    _team, subject = team_subject(request, team_code)
    today = timezone.localdate()
    try:
        first = parse_month(month)
    except ValueError:
        raise Http404 from None
    if first > today.replace(day=1):
        raise Http404
    report = build_report(subject, first, request.user, today)
    if request.GET.get("format") == "docx":
        response = HttpResponse(render_docx(report), content_type=DOCX_TYPE)
        response["Content-Disposition"] = content_disposition_header(True, f"{report.title}.docx")
        return response
    return render(request, "teams/monthly_report.html", {"report": report, "lines": card_lines(report)})
