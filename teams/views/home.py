"""Home: each user lands on the page that fits their role; the case-management work queue."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from teams import sections
from teams.access import access_for, can_write
from teams.glossary import TERMS, indicator_entries
from teams.models import Prosecutor, StaffRole, Team, Unit
from teams.queue import WorkQueueFilter
from teams.tables import EXPORT_FORMATS, export_response


def landing_url(user) -> str:
    """Where `user` starts: leadership → unit, case management → work queue, team lead → team,
    prosecutor → own dashboard, reviewer → reviews; anyone else → the case list."""
    access = access_for(user)
    roles = access.roles
    if access.everything or StaffRole.Kind.LEADERSHIP in roles:
        kinds = [StaffRole.Kind.LEADERSHIP]
        unit = (
            Unit.objects.filter(staff_roles__user=user, staff_roles__kind__in=kinds).order_by("code").first()
            if not access.everything
            else Unit.objects.filter(parent__isnull=True).order_by("code").first()
        )
        if unit:
            return reverse("teams:unit", args=[unit.code])
    if StaffRole.Kind.CASE_MANAGEMENT in roles:
        return reverse("teams:work")
    if access.led_team_ids:
        team = Team.objects.filter(pk__in=access.led_team_ids).order_by("team_code").first()
        return reverse("teams:team", args=[team.team_code])
    if access.prosecutor_id:
        code = Prosecutor.objects.filter(pk=access.prosecutor_id).values_list("staff_code", flat=True).first()
        return reverse("teams:prosecutor", args=[code])
    if roles & {StaffRole.Kind.REVIEWER, StaffRole.Kind.REVIEW_LEAD, "reviewer"}:
        return reverse("cases:reviews")
    return reverse("cases:list")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect(landing_url(request.user))


@login_required
def work_queue(request: HttpRequest) -> HttpResponse:
    """Case-management staff: open cases at risk (filtered, sorted), recent imports and quick links."""
    today = timezone.localdate()
    form = WorkQueueFilter(request.GET)  # every field is optional: no parameters is a valid, default queue
    if form.is_valid():
        table = sections.at_risk_table(
            request.user,
            form.case_q(),
            today,
            within_days=form.within_days(),
            status=form.cleaned_data["status"],
            sort=form.cleaned_data["sort"],
        )
    else:
        # A filter the queue cannot apply lists nothing (never "everything") and says why on the form.
        table = sections.at_risk_table(request.user, Q(pk__in=[]), today)
    if request.GET.get("export") == "at_risk" and request.GET.get("format") in EXPORT_FORMATS:
        if not form.is_valid():
            return HttpResponse(form.errors.as_text(), status=400, content_type="text/plain; charset=utf-8")
        return export_response(table, request.GET["format"], f"at-risk-{today.isoformat()}")
    query = request.GET.copy()
    for key in ("export", "format"):
        query.pop(key, None)
    context = {
        "table": table,
        "form": form,
        "query": query.urlencode(),
        "can_write": can_write(request.user),
        "recent_imports": sections.recent_imports(request.user),
        "today": today,
        "horizon": form.within_days() if form.is_valid() else None,
    }
    return render(request, "teams/work_queue.html", context, status=200 if form.is_valid() else 400)


@login_required
def glossary(request: HttpRequest) -> HttpResponse:
    """术语说明: the ratio, its index and bases, and every §9 indicator with its counterweight."""
    context = {"terms": [{"key": k, "term": t, "text": d} for k, (t, d) in TERMS.items()]}
    context["indicators"] = indicator_entries()
    return render(request, "teams/glossary.html", context)
