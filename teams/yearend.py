"""The year-end 述职 + 评议 of a team: its figures, the prefilled narrative, the Word document, results.

`year_figures` reads the year through the existing engines — the ratio (`cases.ratio.ratio_for`, both
bases, from 1 January to the year's end or today) against the team's target (TeamTarget), and the
plan's progress (`teams.plans`) — into a plain dict that is stored with the 述职 (so a submitted
report keeps the figures it was written from). `prefill` turns them into the draft narrative the lead
edits; `render_docx` writes the 述职报告; `results_table` lists a unit's teams with their 评议.
"""

from __future__ import annotations

import datetime
import io

from django.utils.translation import gettext as _

from cases.facts import BASES
from cases.ratio import RatioFilters, Scope, ratio_for
from teams import plans
from teams.dashboards import basis_label
from teams.models import Membership, Team, YearEndRating, YearEndReport
from teams.sections import team_targets
from teams.tables import Cell, Column, Table


def year_range(year: int, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """1 January to 31 December, or to today while the year is not over."""
    return datetime.date(year, 1, 1), min(datetime.date(year, 12, 31), today)


def year_figures(team: Team, year: int, scope: Scope, today: datetime.date) -> dict:
    """The year of `team` as stored with its 述职 (see module docstring); dates as ISO strings."""
    first, last = year_range(year, today)
    target = team_targets(team.pk).get(year)
    ratio = {}
    for basis in BASES:
        total = ratio_for(
            basis=basis, date_from=first, date_to=last, filters=RatioFilters(team=team.team_code), scope=scope
        ).total
        ratio[basis] = {
            "cases": total.cases,
            "items": total.items,
            "ratio": None if total.ratio is None else round(total.ratio, 4),
            "ratio_display": total.ratio_display,
        }
    plan = plans.plan_for(team, year)
    progress = plans.progress(plan, year)
    tasks = [
        {"code": row.task.code, "name": row.task.name, "target": row.target, "achieved": row.achieved}
        for row in progress.tasks
    ]
    achievements = []
    if plan is not None:
        for item in plan.achievements.select_related("task").prefetch_related("members").order_by("date", "pk"):
            achievements.append(
                {
                    "date": item.date.isoformat(),
                    "task": item.task.name,
                    "title": item.title,
                    "members": [p.name for p in item.members.all()],
                }
            )
    return {
        "year": year,
        "date_from": first.isoformat(),
        "date_to": last.isoformat(),
        "target": target,
        "ratio": ratio,
        "tasks": tasks,
        "achievements": achievements,
    }


def ratio_lines(figures: dict) -> list[str]:
    """One sentence per basis: the year's ratio, its counts and how it stands against the target."""
    lines, target = [], figures.get("target")
    for basis in BASES:
        row = figures["ratio"].get(basis)
        if row is None:
            continue
        text = _("%(basis)s：案件比 %(ratio)s（案件数 %(cases)d，件数 %(items)d）") % {
            "basis": basis_label(basis),
            "ratio": row["ratio_display"] or "—",
            "cases": row["cases"],
            "items": row["items"],
        }
        if target is not None:
            text += _("；年度目标 1:%(t).2f") % {"t": target}
            if row["ratio"] is not None:
                gap = row["ratio"] - target
                text += (_("，优于目标 %(g).2f") if gap <= 1e-9 else _("，高于目标 %(g).2f")) % {"g": abs(gap)}
        lines.append(text)
    return lines


def task_lines(figures: dict) -> list[str]:
    """One sentence per overall task: goal, achieved, and the titles of its achievements."""
    by_task: dict[str, list[str]] = {}
    for item in figures["achievements"]:
        by_task.setdefault(item["task"], []).append(item["title"])
    lines = []
    for task in figures["tasks"]:
        text = _("%(name)s：目标 %(target)d，完成 %(achieved)d") % task
        if by_task.get(task["name"]):
            text += "（" + "；".join(by_task[task["name"]]) + "）"
        lines.append(text)
    return lines


def prefill(team: Team, figures: dict) -> str:
    """The draft narrative of the 述职, from the figures; the lead rewrites what they wish."""
    period = _("%(first)s至%(last)s") % {"first": figures["date_from"], "last": figures["date_to"]}
    parts = [
        _("%(team)s %(year)d年度述职") % {"team": team.name, "year": figures["year"]},
        "",
        _("一、办案质效（%(period)s）") % {"period": period},
        *ratio_lines(figures),
        "",
        _("二、年度计划完成情况"),
        *(task_lines(figures) or [_("本年度未制定计划。")]),
        "",
        _("三、存在的问题"),
        "",
        _("四、下一步打算"),
        "",
    ]
    return "\n".join(parts)


def current_leads(team: Team, today: datetime.date) -> list[str]:
    """Names of the team's leads on `today` (带头人)."""
    leads = team.members_on(today).filter(role=Membership.Role.LEADER).select_related("prosecutor")
    return [m.prosecutor.name for m in leads]


def render_docx(report: YearEndReport) -> bytes:
    """The 述职报告 as a Word document: title, narrative, the ratio and the task tables, the 评议."""
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name, style.font.size = "SimSun", Pt(10.5)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "SimSun")  # Chinese text needs the East Asian font slot
    doc.add_heading(_("%(team)s %(year)d年度述职报告") % {"team": report.team.name, "year": report.year}, level=0)
    if not report.submitted:
        doc.add_paragraph(_("草稿，尚未提交。"))
    for paragraph in report.narrative.splitlines():
        doc.add_paragraph(paragraph)
    figures = report.figures or {}
    if figures.get("ratio"):
        doc.add_heading(_("附表一：案-件比"), level=1)
        rows = [[_("口径"), _("案件数"), _("件数"), _("案件比"), _("年度目标")]]
        target = figures.get("target")
        for basis in BASES:
            row = figures["ratio"].get(basis) or {}
            rows.append(
                [
                    basis_label(basis),
                    str(row.get("cases", 0)),
                    str(row.get("items", 0)),
                    row.get("ratio_display") or "—",
                    "—" if target is None else f"1:{target:.2f}",
                ]
            )
        _grid(doc, rows)
    doc.add_heading(_("附表二：年度计划完成情况"), level=1)
    if figures.get("tasks"):
        rows = [[_("总任务"), _("目标数"), _("完成数")]]
        rows += [[t["name"], str(t["target"]), str(t["achieved"])] for t in figures["tasks"]]
        _grid(doc, rows)
    else:
        doc.add_paragraph(_("无"))
    rating = YearEndRating.objects.filter(report=report).select_related("level").first()
    if rating is not None:
        doc.add_heading(_("评议结果"), level=1)
        doc.add_paragraph(
            _("等次：%(level)s；结果运用：%(outcome)s")
            % {"level": rating.level.name, "outcome": rating.get_outcome_display()}
        )
        if rating.comment:
            doc.add_paragraph(rating.comment)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _grid(doc, rows: list[list[str]]) -> None:
    grid = doc.add_table(rows=len(rows), cols=len(rows[0]))
    grid.style = "Table Grid"
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            grid.cell(r, c).text = value


def results_table(teams, year: int) -> Table:
    """A unit's teams for `year`: the 述职's state, the year's ratio, the 评议's grade and outcome."""
    columns = [
        Column(_("团队")),
        Column(_("述职状态")),
        Column(_("提交时间")),
        Column(_("案件比（流转口径）"), True),
        Column(_("等次")),
        Column(_("评议结果运用")),
        Column(_("评议人")),
        Column(_("评议时间")),
    ]
    table = Table("yearend", _("%(year)d年度办案团队述职评议结果") % {"year": year}, columns)
    reports = {
        r.team_id: r
        for r in YearEndReport.objects.filter(team__in=teams, year=year).select_related(
            "submitted_by", "rating__level", "rating__rated_by"
        )
    }
    for team in teams:
        report = reports.get(team.pk)
        rating = getattr(report, "rating", None) if report else None
        flow = ((report.figures or {}).get("ratio") or {}).get("flow", {}) if report else {}
        table.rows.append(
            [
                Cell(team.name),
                Cell(report.get_status_display() if report else _("未起草")),
                Cell(_when(report.submitted_at) if report else None),
                Cell(flow.get("ratio"), text=flow.get("ratio_display") or "—"),
                Cell(rating.level.name if rating else None),
                Cell(rating.get_outcome_display() if rating else None),
                Cell(rating.rated_by.username if rating and rating.rated_by else None),
                Cell(_when(rating.rated_at) if rating else None),
            ]
        )
        table.keys.append(team.team_code)
    return table


def _when(moment: datetime.datetime | None) -> str | None:
    from django.utils import timezone

    return None if moment is None else timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
