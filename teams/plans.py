"""Progress of a team's annual plan: per overall task, achievements against the goal, month by month.

A task's progress counts the achievements recorded against it in the plan's year (by the date each
was obtained); a month's figure is cumulative up to that month's end, so the row reads like a
progress bar filling through the year. Two queries per plan (goals, monthly counts).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count
from django.db.models.functions import ExtractMonth
from django.utils.translation import gettext as _

from teams.models import Achievement, AnnualPlan, OverallTask, Team
from teams.tables import Cell, Column, Table


@dataclass
class TaskProgress:
    """One task of a plan: its goal, what is achieved and the cumulative count at each month's end."""

    task: OverallTask
    target: int
    by_month: list[int] = field(default_factory=lambda: [0] * 12)

    @property
    def achieved(self) -> int:
        return self.by_month[-1]

    @property
    def rate(self) -> float | None:
        """Achieved ÷ goal (None when the plan sets no goal for the task)."""
        return self.achieved / self.target if self.target else None

    @property
    def met(self) -> bool:
        return self.target > 0 and self.achieved >= self.target


@dataclass
class PlanProgress:
    """A plan's tasks in the catalogue's order."""

    plan: AnnualPlan | None
    year: int
    tasks: list[TaskProgress]

    def achieved_by(self, month: int) -> dict[str, int]:
        """Task code → achievements up to the end of `month` (1–12)."""
        return {row.task.code: row.by_month[month - 1] for row in self.tasks}


def plan_for(team: Team, year: int) -> AnnualPlan | None:
    return AnnualPlan.objects.filter(team=team, year=year).first()


def progress(plan: AnnualPlan | None, year: int) -> PlanProgress:
    """The progress of `plan` for `year` (None: no plan yet, nothing to count)."""
    if plan is None:
        return PlanProgress(None, year, [])
    rows = {
        goal.task_id: TaskProgress(goal.task, goal.target)
        for goal in plan.goals.select_related("task").order_by("task__order", "task__code")
    }
    counts = (
        Achievement.objects.filter(plan=plan, date__year=plan.year)
        .annotate(month=ExtractMonth("date"))
        .values("task_id", "month")
        .annotate(n=Count("pk"))
        .order_by()
    )
    monthly: dict[int, list[int]] = {}
    for row in counts:
        monthly.setdefault(row["task_id"], [0] * 12)[row["month"] - 1] += row["n"]
    missing = set(monthly) - set(rows)
    if missing:  # achievements under a task the plan sets no goal for still count (goal 0)
        for task in OverallTask.objects.filter(pk__in=missing):
            rows[task.pk] = TaskProgress(task, 0)
    for task_id, months in monthly.items():
        running = 0
        for index, n in enumerate(months):
            running += n
            rows[task_id].by_month[index] = running
    ordered = sorted(rows.values(), key=lambda r: (r.task.order, r.task.code))
    return PlanProgress(plan, plan.year, ordered)


def progress_table(result: PlanProgress, through_month: int = 12) -> Table:
    """The plan's progress as a table: task, goal, achieved, rate, then the cumulative count per month."""
    months = list(range(1, through_month + 1))
    columns = [Column(_("总任务")), Column(_("目标数"), True), Column(_("完成数"), True), Column(_("完成率"), True)]
    columns += [Column(_("%(m)d月") % {"m": m}, True) for m in months]
    table = Table("plan", _("%(year)d年度计划完成进度") % {"year": result.year}, columns)
    for row in result.tasks:
        achieved = row.by_month[through_month - 1]
        rate = None if not row.target else achieved / row.target
        table.rows.append(
            [
                Cell(row.task.name),
                Cell(row.target),
                Cell(achieved),
                Cell(rate and round(rate, 4), text="—" if rate is None else f"{rate * 100:.0f}%"),
                *[Cell(row.by_month[m - 1]) for m in months],
            ]
        )
    table.caption = _("各月为截至当月末的累计成果数。")
    return table


def achievements_table(plan: AnnualPlan | None) -> Table:
    """The plan's achievements, by date: task, title, date, members."""
    columns = [Column(_("取得日期")), Column(_("总任务")), Column(_("成果名称")), Column(_("成员"))]
    table = Table("achievements", _("成果登记"), columns)
    if plan is None:
        return table
    found = plan.achievements.select_related("task").prefetch_related("members").order_by("date", "pk")
    for item in found:
        members = "、".join(p.name for p in item.members.all())
        table.rows.append([Cell(item.date.isoformat()), Cell(item.task.name), Cell(item.title), Cell(members)])
    return table


def add_plan_section(dash, team_id: int, year: int, through_month: int = 12) -> None:
    """Put the plan's progress table (`plan`) on a team's dashboard or report, through a month."""
    plan = AnnualPlan.objects.filter(team_id=team_id, year=year).first()
    table = progress_table(progress(plan, year), through_month=through_month)
    if plan is None:
        table.caption = _("本年度尚未制定计划。")
    dash.tables["plan"] = table
    dash.sections["plan_year"] = year
