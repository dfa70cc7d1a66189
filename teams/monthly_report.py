"""The team's monthly report (月度汇报) for the 检察长办公会: a page and a Word document an office edits.

One month of one team: the year to date against the target with the year-end projection (as the
dashboard's cards), what moved the ratio against the previous month (by step and by member, each row
linking to its cases), the members with roles and assessments, the review results of the two months
and the cases near or past a deadline. Everything is the dashboard's own assembly
(`teams.dashboards.build` over the previous and the reported month), so the report and the
dashboard never disagree. A month not over yet is reported to date and marked partial.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext as _

from teams import assessment_section, dashboards, plans, sections
from teams.periods import Period, add_months, month_label
from teams.tables import Table

REPORT_TABLES = ("change", "members", "grades", "deductions", "at_risk", "plan")


@dataclass
class MonthlyReport:
    """What the page and the Word document show."""

    title: str
    team_name: str
    month: str
    partial: bool
    dash: dashboards.Dashboard
    tables: list[Table]


def build_report(subject: dashboards.Subject, month: datetime.date, user, today: datetime.date) -> MonthlyReport:
    """The report of `subject` (a team) for the month starting `month` (see module docstring)."""
    title = _("%(team)s %(month)s 月度汇报") % {"team": subject.name, "month": month_label(month)}
    return _assemble(subject, Period(add_months(month, -1), month), user, today, title, REPORT_TABLES)


def build_half_year_report(
    subject: dashboards.Subject, year: int, half: int, user, today: datetime.date
) -> MonthlyReport:
    """The half-year report (半年汇报) for the 党组: the monthly report's assembly over the six months of
    `half` (1: January–June, 2: July–December), with the ratio trend and extras of each month."""
    first = datetime.date(year, 1 if half == 1 else 7, 1)
    label = _("%(year)d年上半年") % {"year": year} if half == 1 else _("%(year)d年下半年") % {"year": year}
    title = _("%(team)s %(half)s 半年汇报") % {"team": subject.name, "half": label}
    last = min(add_months(first, 5), today.replace(day=1))
    report = _assemble(subject, Period(first, last), user, today, title, HALF_YEAR_TABLES)
    report.month = label
    return report


HALF_YEAR_TABLES = ("trend", "extras", "change", "members", "grades", "deductions", "plan", "at_risk")


def _assemble(
    subject: dashboards.Subject, period: Period, user, today: datetime.date, title: str, names: tuple[str, ...]
) -> MonthlyReport:
    """The dashboard's assembly over `period`, seen from the day after it (or today while it runs)."""
    month = period.last
    partial = month_label(month) == month_label(today)
    # A past month is seen from the first day after it: its year to date and projection end with it.
    as_seen = today if partial else add_months(month, 1)
    targets = sections.team_targets(subject.team_id)
    dash = dashboards.build(subject, period, targets, today=as_seen, partial_change=partial)
    sections.review_tables(dash)
    assessment_section.member_assessments(dash)
    dash.tables["at_risk"] = sections.at_risk_table(user, Q(team_id=subject.team_id), today)
    plans.add_plan_section(dash, subject.team_id, month.year, month.month)
    tables = [dash.tables[name] for name in names if name in dash.tables]
    return MonthlyReport(title, subject.name, month_label(month), partial, dash, tables)


def card_lines(report: MonthlyReport) -> list[str]:
    """The cards as sentences: ratio to date, target, projection."""
    lines = []
    for card in report.dash.cards:
        total, projection = card["total"], card.get("projection")
        text = _("%(label)s：%(ratio)s（案件数 %(cases)s，件数 %(items)s）") % {
            "label": card["label"],
            "ratio": total.ratio_display or "—",
            "cases": total.cases,
            "items": total.items,
        }
        if card.get("target"):
            text += _("；年度目标 1:%(t).2f") % {"t": card["target"]}
        if projection is not None and projection.projected is not None:
            text += _("；年底预测 1:%(p).2f（1:%(low).2f–1:%(high).2f）%(status)s") % {
                "p": projection.projected,
                "low": projection.low,
                "high": projection.high,
                "status": card.get("projection_status") or "",
            }
        lines.append(text)
    return lines


def render_docx(report: MonthlyReport) -> bytes:
    """The report as a Word document: a title, the figures as sentences, each table as a grid."""
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
    doc.add_heading(_("一、年度进度与预测"), level=1)
    for line in card_lines(report):
        doc.add_paragraph(line)
    for number, table in enumerate(report.tables, start=2):
        doc.add_heading(f"{_num(number)}、{table.title}", level=1)
        if not table.rows:
            doc.add_paragraph(_("无"))
            continue
        rows = [[c.title for c in table.columns], *[[cell.shown for cell in row] for row in table.rows]]
        if table.footer:
            rows.append([cell.shown for cell in table.footer])
        grid = doc.add_table(rows=len(rows), cols=len(table.columns))
        grid.style = "Table Grid"
        for r, row in enumerate(rows):
            for c, value in enumerate(row[: len(table.columns)]):
                grid.cell(r, c).text = str(value or "")
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _num(n: int) -> str:
    return "一二三四五六七八九十"[n - 1] if 1 <= n <= 10 else str(n)
