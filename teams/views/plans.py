"""The team's annual plan (年度工作计划): goals per overall task, achievements and their progress.

Read by the team dashboard's readers (`Team.objects.overseen_by`); edited by the team's lead and the
leadership of its unit (`Team.objects.plannable_by`). A team the user may not read is a 404; one
they read but may not edit answers 403 to a write.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from teams import plans
from teams.models import Achievement, AnnualPlan, OverallTask, PlanGoal, Team
from teams.year_forms import AchievementForm, PlanForm


def plan_year(year: int) -> int:
    """A year a plan may be about: from 2000 to next year (404 otherwise)."""
    if not 2000 <= year <= timezone.localdate().year + 1:
        raise Http404
    return year


def readable_team(request: HttpRequest, team_code: str) -> Team:
    """The team, if the user reads its dashboard (404 otherwise)."""
    return get_object_or_404(Team.objects.overseen_by(request.user).select_related("unit"), team_code=team_code)


def may_plan(user, team: Team) -> bool:
    return Team.objects.plannable_by(user).filter(pk=team.pk).exists()


def _editable_team(request: HttpRequest, team_code: str) -> Team:
    team = readable_team(request, team_code)
    if not may_plan(request.user, team):
        raise PermissionDenied(_("只有团队带头人和院领导可以修改年度计划"))
    return team


@login_required
def team_plan(request: HttpRequest, team_code: str, year: int) -> HttpResponse:
    """The plan page: goals and progress by month, achievements; POST saves the goals."""
    year = plan_year(year)
    team = readable_team(request, team_code)
    editable = may_plan(request.user, team)
    plan = plans.plan_for(team, year)
    tasks = list(OverallTask.objects.filter(active=True))
    goals = {g.task_id: g.target for g in plan.goals.all()} if plan else {}
    form = None
    if request.method == "POST":
        if not editable:
            raise PermissionDenied(_("只有团队带头人和院领导可以修改年度计划"))
        form = PlanForm(request.POST, tasks=tasks, goals=goals)
        if form.is_valid():
            save_plan(team, year, form.cleaned_data["summary"], form.goals(), request.user)
            messages.success(request, _("年度计划已保存"))
            return redirect("teams:team_plan", team.team_code, year)
    elif editable:
        form = PlanForm(initial={"summary": plan.summary if plan else ""}, tasks=tasks, goals=goals)
    result = plans.progress(plan, year)
    through = 12 if year < timezone.localdate().year else max(timezone.localdate().month, 1)
    context = {
        "team": team,
        "year": year,
        "plan": plan,
        "form": form,
        "editable": editable,
        "progress": plans.progress_table(result, through_month=min(through, 12)),
        "achievements": plan.achievements.select_related("task").prefetch_related("members") if plan else [],
    }
    return render(request, "teams/plan.html", context, status=400 if form is not None and form.errors else 200)


@transaction.atomic
def save_plan(team: Team, year: int, summary: str, goals: dict, user) -> AnnualPlan:
    """Create or update the plan of `team` for `year` with `goals` (task → count; 0 removes the goal)."""
    plan, created = AnnualPlan.objects.get_or_create(
        team=team, year=year, defaults={"summary": summary, "created_by": user, "updated_by": user}
    )
    if not created:
        plan.summary, plan.updated_by = summary, user
        plan.save()
    for task, target in goals.items():
        if target:
            PlanGoal.objects.update_or_create(plan=plan, task=task, defaults={"target": target})
        else:
            PlanGoal.objects.filter(plan=plan, task=task).delete()
    return plan


@login_required
def achievement_create(request: HttpRequest, team_code: str, year: int) -> HttpResponse:
    """Record an achievement against a task of the team's plan (the plan is created if need be)."""
    year = plan_year(year)
    team = _editable_team(request, team_code)
    instance = Achievement(plan=AnnualPlan(team=team, year=year))
    if request.method == "POST":
        form = AchievementForm(request.POST, request.FILES, instance=instance, team=team)
        if form.is_valid():
            with transaction.atomic():
                plan, _created = AnnualPlan.objects.get_or_create(
                    team=team, year=year, defaults={"created_by": request.user, "updated_by": request.user}
                )
                item = form.save(commit=False)
                item.plan, item.recorded_by = plan, request.user
                item.save()
                form.save_m2m()
            messages.success(request, _("成果已登记"))
            return redirect("teams:team_plan", team.team_code, year)
    else:
        form = AchievementForm(instance=instance, team=team, initial={"date": _default_date(year)})
    context = {"team": team, "year": year, "form": form}
    return render(request, "teams/achievement_form.html", context, status=400 if form.errors else 200)


def _default_date(year: int) -> datetime.date:
    today = timezone.localdate()
    return today if today.year == year else datetime.date(year, 12, 31)


@login_required
@require_POST
def achievement_delete(request: HttpRequest, team_code: str, year: int, pk: int) -> HttpResponse:
    """Remove an achievement recorded by mistake (its history keeps it)."""
    year = plan_year(year)
    team = _editable_team(request, team_code)
    item = get_object_or_404(Achievement, pk=pk, plan__team=team, plan__year=year)
    item.delete()
    messages.success(request, _("成果已删除"))
    return redirect("teams:team_plan", team.team_code, year)


@login_required
def achievement_file(request: HttpRequest, team_code: str, year: int, pk: int) -> FileResponse:
    """An achievement's attachment, for the readers of the team's plan."""
    year = plan_year(year)
    team = readable_team(request, team_code)
    item = get_object_or_404(Achievement, pk=pk, plan__team=team, plan__year=year)
    if not item.attachment:
        raise Http404
    try:
        handle = item.attachment.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=item.attachment.name.rsplit("/", 1)[-1])
