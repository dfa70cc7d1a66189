"""Year-end 述职 + 评议 pages: the lead drafts and submits, the unit's leadership rates, results per unit.

- `team_yearend`: the 述职 of a team and year. Its lead (`Team.objects.led_by`) drafts it, prefilled
  with the year's figures, edits and submits it; the dashboard's readers see it once submitted;
  `?format=docx` is the 述职报告 as a Word document.
- `team_rating`: the 评议, by the leadership of the team's unit (`Team.objects.rateable_by`), never by
  the team's own lead; a submitted 述职 is rated.
- `unit_yearend`: the results table of a unit's teams, for its leadership (`Unit.objects.led_by`).

A team the user may not read is a 404; a step they may not take on a team they read is a 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from teams import yearend
from teams.access import scope_for
from teams.models import Team, Unit, YearEndRating, YearEndReport
from teams.tables import EXPORT_FORMATS, export_response
from teams.views.plans import plan_year, readable_team
from teams.views.reports import DOCX_TYPE
from teams.year_forms import RatingForm, YearEndReportForm


def yearend_year(year: int) -> int:
    """A year a 述职 may be about: begun, from 2000 (404 otherwise; a plan may look a year ahead)."""
    if plan_year(year) > timezone.localdate().year:
        raise Http404
    return year


def _report(team: Team, year: int) -> YearEndReport | None:
    return YearEndReport.objects.filter(team=team, year=year).select_related("submitted_by", "drafted_by").first()


@login_required
def team_yearend(request: HttpRequest, team_code: str, year: int) -> HttpResponse:
    """The team's 述职 for `year` (see module docstring)."""
    year = yearend_year(year)
    team = readable_team(request, team_code)
    is_lead = Team.objects.led_by(request.user).filter(pk=team.pk).exists()
    report = _report(team, year)
    # Before submission the 述职 is the lead's draft: others see that it is not in yet.
    shown = report if report is not None and (report.submitted or is_lead) else None
    if request.GET.get("format") == "docx":
        if shown is None:
            raise Http404
        response = HttpResponse(yearend.render_docx(shown), content_type=DOCX_TYPE)
        title = _("%(team)s %(year)d年度述职报告") % {"team": team.name, "year": year}
        response["Content-Disposition"] = content_disposition_header(True, f"{title}.docx")
        return response
    form = None
    if request.method == "POST":
        if not is_lead:
            raise PermissionDenied(_("只有团队带头人可以起草和提交述职"))
        if report is not None and report.submitted:
            messages.error(request, _("述职已提交，不能再修改"))
            return redirect("teams:team_yearend", team.team_code, year)
        form = YearEndReportForm(request.POST)
        if form.is_valid():
            submit = request.POST.get("action") == "submit"
            save_report(team, year, form.cleaned_data["narrative"], request.user, submit=submit)
            messages.success(request, _("述职已提交") if submit else _("述职草稿已保存"))
            return redirect("teams:team_yearend", team.team_code, year)
    elif is_lead and (report is None or not report.submitted):
        narrative = report.narrative if report else yearend.prefill(team, _figures(request, team, year))
        form = YearEndReportForm(initial={"narrative": narrative})
    context = {
        "team": team,
        "year": year,
        "report": shown,
        "form": form,
        "is_lead": is_lead,
        "may_rate": Team.objects.rateable_by(request.user).filter(pk=team.pk).exists(),
        "rating": getattr(shown, "rating", None) if shown is not None else None,
        "leads": yearend.current_leads(team, timezone.localdate()),
    }
    return render(request, "teams/yearend.html", context, status=400 if form is not None and form.errors else 200)


def _figures(request: HttpRequest, team: Team, year: int) -> dict:
    return yearend.year_figures(team, year, scope_for(request.user), timezone.localdate())


@transaction.atomic
def save_report(team: Team, year: int, narrative: str, user, *, submit: bool = False) -> YearEndReport:
    """Save the lead's draft (figures refreshed from the engines) and, with `submit`, hand it in."""
    figures = yearend.year_figures(team, year, scope_for(user), timezone.localdate())
    report, created = YearEndReport.objects.select_for_update().get_or_create(
        team=team, year=year, defaults={"narrative": narrative, "figures": figures, "drafted_by": user}
    )
    if report.submitted:
        raise PermissionDenied(_("述职已提交，不能再修改"))
    if created and not submit:
        return report
    report.narrative, report.figures = narrative, figures
    if submit:
        report.status, report.submitted_by, report.submitted_at = YearEndReport.Status.SUBMITTED, user, timezone.now()
    report.save()
    return report


@login_required
def team_rating(request: HttpRequest, team_code: str, year: int) -> HttpResponse:
    """The leadership's 评议 of a team's year (403 for a reader who may not rate it, e.g. its own lead)."""
    year = yearend_year(year)
    team = readable_team(request, team_code)
    if not Team.objects.rateable_by(request.user).filter(pk=team.pk).exists():
        raise PermissionDenied(_("只有本院院领导可以评议，且不能评议自己带领的团队"))
    report = _report(team, year)
    submitted = report is not None and report.submitted
    rating = getattr(report, "rating", None) if report is not None else None
    if request.method == "POST":
        if not submitted:
            messages.error(request, _("该团队尚未提交述职，不能评议"))
            return redirect("teams:team_rating", team.team_code, year)
        form = RatingForm(request.POST, instance=rating or YearEndRating(report=report))
        if form.is_valid():
            item = form.save(commit=False)
            item.report, item.rated_by, item.rated_at = report, request.user, timezone.now()
            item.save()
            messages.success(request, _("评议已保存"))
            return redirect("teams:team_rating", team.team_code, year)
    else:
        form = RatingForm(instance=rating) if submitted else None
    context = {"team": team, "year": year, "report": report if submitted else None, "form": form, "rating": rating}
    return render(request, "teams/rating.html", context, status=400 if form is not None and form.errors else 200)


@login_required
def unit_yearend(request: HttpRequest, code: str, year: int) -> HttpResponse:
    """The 述职 + 评议 results of a unit's teams for `year` (its leadership); `?export=yearend` downloads it."""
    year = yearend_year(year)
    unit = get_object_or_404(Unit.objects.led_by(request.user), code=code)
    teams = list(Team.objects.overseen_by(request.user).filter(unit=unit).order_by("team_code"))
    table = yearend.results_table(teams, year)
    if request.GET.get("export") == table.name:
        fmt = request.GET.get("format", "csv")
        if fmt not in EXPORT_FORMATS:
            raise Http404
        return export_response(table, fmt, f"yearend-{unit.code}-{year}")
    rows = list(zip(teams, table.rows, strict=True))
    return render(request, "teams/unit_yearend.html", {"unit": unit, "year": year, "table": table, "rows": rows})
