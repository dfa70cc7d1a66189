"""The team's monthly report (月度汇报): a page and its Word document (`?format=docx`)."""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.http import content_disposition_header

from teams import unit_report
from teams.access import subtree_ids
from teams.models import Team, Unit
from teams.monthly_report import build_half_year_report, build_report, card_lines, render_docx
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
    return _answer(request, build_report(subject, first, request.user, today))


@login_required
def team_half_year_report(request: HttpRequest, team_code: str, year: int, half: int) -> HttpResponse:
    """A team's half-year report (1: January–June, 2: July–December; begun, from 2000); the dashboard's readers."""
    _team, subject = team_subject(request, team_code)
    today = timezone.localdate()
    if half not in (1, 2) or year < 2000 or year > today.year or datetime.date(year, 6 * half - 5, 1) > today:
        raise Http404
    return _answer(request, build_half_year_report(subject, year, half, request.user, today))


def _answer(request: HttpRequest, report) -> HttpResponse:
    """The report as its page, or as a Word document with `?format=docx`."""
    if request.GET.get("format") == "docx":
        response = HttpResponse(render_docx(report), content_type=DOCX_TYPE)
        response["Content-Disposition"] = content_disposition_header(True, f"{report.title}.docx")
        return response
    return render(request, "teams/monthly_report.html", {"report": report, "lines": card_lines(report)})


@login_required
def unit_monthly_report(request: HttpRequest, code: str, month: str) -> HttpResponse:
    """A unit's teams side by side for a month (YYYY-MM, not after this month); the unit dashboard's readers."""
    overseen = Unit.objects.overseen_by(request.user)
    unit = get_object_or_404(overseen, code=code)
    today = timezone.localdate()
    try:
        first = parse_month(month)
    except ValueError:
        raise Http404 from None
    if first > today.replace(day=1) or first.year < 2000:
        raise Http404
    unit_ids = list(overseen.filter(pk__in=subtree_ids([unit.pk])).values_list("pk", flat=True))
    teams = list(Team.objects.overseen_by(request.user).filter(unit_id__in=unit_ids).order_by("team_code"))
    report = unit_report.build_unit_report(unit, teams, unit_ids, first, today)
    if request.GET.get("format") == "docx":
        response = HttpResponse(unit_report.render_docx(report), content_type=DOCX_TYPE)
        response["Content-Disposition"] = content_disposition_header(True, f"{report.title}.docx")
        return response
    return render(request, "teams/unit_report.html", {"report": report, "unit": unit})
