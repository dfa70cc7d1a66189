"""The unit's monthly report (单位月度汇报): every team of the unit side by side for one month.

For the 检察长办公会 where each lead reports: per team the month's cases, items and ratio (flow basis),
the year to date against the team's target, and the plan's goals against the achievements recorded up
to the month's end. Four queries whatever the number of teams (two ratio engine calls, goals, counts).
The month's cases and items link to the case list, the team to its own monthly report, the
achievements to the plan.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass

from django.db.models import Count, Sum
from django.urls import reverse
from django.utils.translation import gettext as _

from cases.facts import FLOW
from cases.models import TeamTarget
from cases.ratio import RatioFilters, Scope, ratio_for
from teams.dashboards import case_list_url
from teams.models import Achievement, PlanGoal, Unit
from teams.periods import add_months, month_label
from teams.tables import Cell, Column, Table


@dataclass
class UnitReport:
    """What the page and the Word document show."""

    title: str
    month: str
    partial: bool
    table: Table


def build_unit_report(unit: Unit, teams: list, unit_ids, month: datetime.date, today: datetime.date) -> UnitReport:
    """The report of `unit` (its visible subtree `unit_ids`, the `teams` in it) for the month `month`."""
    partial = month_label(month) == month_label(today)
    month_end = min(add_months(month, 1) - datetime.timedelta(days=1), today)
    scope = Scope(unit_ids=frozenset(unit_ids))
    common = {"group_by": "team", "basis": FLOW, "filters": RatioFilters(), "scope": scope}
    this_month = {r.keys["team"]: r for r in ratio_for(date_from=month, date_to=month_end, **common).rows}
    year_start = datetime.date(month.year, 1, 1)
    to_date = {r.keys["team"]: r for r in ratio_for(date_from=year_start, date_to=month_end, **common).rows}
    ids = [t.pk for t in teams]
    targets = dict(TeamTarget.objects.filter(team_id__in=ids, year=month.year).values_list("team_id", "target_ratio"))
    goals = dict(
        PlanGoal.objects.filter(plan__team_id__in=ids, plan__year=month.year)
        .values("plan__team_id")
        .annotate(n=Sum("target"))
        .values_list("plan__team_id", "n")
    )
    done = dict(
        Achievement.objects.filter(plan__team_id__in=ids, plan__year=month.year, date__lte=month_end)
        .values("plan__team_id")
        .annotate(n=Count("pk"))
        .values_list("plan__team_id", "n")
    )
    columns = [
        Column(_("团队")),
        Column(_("本月案件数"), True),
        Column(_("本月件数"), True),
        Column(_("本月案件比"), True),
        Column(_("年累计案件比"), True),
        Column(_("年度目标"), True),
        Column(_("计划目标数"), True),
        Column(_("完成数"), True),
    ]
    label = month_label(month)
    title = _("%(unit)s %(month)s 办案团队月度汇报") % {"unit": unit.name, "month": label}
    table = Table("teams", _("各团队情况（流量口径）"), columns)
    for team in teams:
        now, ytd = this_month.get(team.team_code), to_date.get(team.team_code)
        target = targets.get(team.pk)
        # The month's figures open their cases (as the dashboards' do), the name the team's own report.
        link = {"team": team.team_code, "basis": FLOW, "date_from": month, "date_to": month_end}
        cases_href = case_list_url(**link) if now and now.cases else None
        items_href = case_list_url(**link, count="items") if now and now.items else None
        table.rows.append(
            [
                Cell(team.name, href=reverse("teams:team_report", args=[team.team_code, label])),
                Cell(now.cases if now else 0, href=cases_href),
                Cell(now.items if now else 0, href=items_href),
                Cell(now and now.ratio and round(now.ratio, 4), text=(now and now.ratio_display) or "—"),
                Cell(ytd and ytd.ratio and round(ytd.ratio, 4), text=(ytd and ytd.ratio_display) or "—"),
                Cell(None if target is None else float(target), text="—" if target is None else f"1:{target:.2f}"),
                Cell(goals.get(team.pk, 0)),
                Cell(done.get(team.pk, 0), href=reverse("teams:team_plan", args=[team.team_code, month.year])),
            ]
        )
        table.keys.append(team.team_code)
    return UnitReport(title, label, partial, table)


def render_docx(report: UnitReport) -> bytes:
    """The unit's report as a Word document: the title and the teams' table."""
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name, style.font.size = "SimSun", Pt(10.5)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "SimSun")  # Chinese text needs the East Asian font slot
    doc.add_heading(report.title, level=0)
    if report.partial:
        doc.add_paragraph(_("本月尚未结束，数据截至今日。"))
    table = report.table
    doc.add_heading(table.title, level=1)
    rows = [[c.title for c in table.columns], *[[cell.shown for cell in row] for row in table.rows]]
    grid = doc.add_table(rows=len(rows), cols=len(table.columns))
    grid.style = "Table Grid"
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            grid.cell(r, c).text = value
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
