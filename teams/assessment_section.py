"""The assessment (考核) on a prosecutor's dashboard and beside each team member: period by period,
item by item, each line linked to the cases it counts (DOMAIN §8)."""

from __future__ import annotations

import datetime

from django.utils.translation import gettext as _

from caseqa.wording import clauses
from cases.assessment import AssessmentError, assess_many, assess_prosecutor
from cases.views.filtering import CASE_NOS_LIMIT
from teams.dashboards import Dashboard, case_list_url
from teams.models import Prosecutor
from teams.tables import Column, Table, cell


def add_assessment(dash: Dashboard, prosecutor, year: int, viewer) -> None:
    """The person's assessment (考核, DOMAIN §8) for `year`, line by line, so they see why (as far as
    `viewer` may open the cases behind it)."""
    try:
        result = assess_prosecutor(prosecutor, year, viewer=viewer)
    except AssessmentError as exc:
        dash.tables["assessment"] = Table("assessment", _("%(year)d年考核") % {"year": year}, [], caption=str(exc))
        return
    single = len(result.periods) == 1
    title = (
        _("%(year)d年考核（%(scheme)s）") % {"year": year, "scheme": result.scheme.name}
        if single
        else _("%(year)d年考核（分期计分，%(n)d 个期间）") % {"year": year, "n": len(result.periods)}
    )
    table = Table(
        "assessment",
        title,
        [Column(_("期间")), Column(_("项目")), Column(_("说明")), Column(_("件数"), True), Column(_("得分"), True)],
    )
    components = {"quality": _("质量"), "efficiency": _("效率")}
    for period in result.periods:
        if period.scheme is None:
            href = case_list_url(q=period.unscored[0]) if len(period.unscored) == 1 else None
            table.rows.append(
                [
                    cell(period.label),
                    cell(_("不计分")),
                    cell(period.note),
                    cell(len(period.unscored), href),
                    cell(0, text=_("不计分")),
                ]
            )
        for line in period.lines:
            label = f"{components.get(line.component, line.component)} · {line.label}"
            href = _assessment_link(line, prosecutor.staff_code, period.date_from, period.date_to)
            distinct = len(set(line.case_nos))
            # A case reviewed twice in the period counts twice here and once in the linked list: say both.
            shown = None
            if line.case_nos and distinct != line.count:
                shown = _("%(n)d（%(cases)d 件案件）") % {"n": line.count, "cases": distinct}
            table.rows.append(
                [
                    cell(period.label),
                    cell(label, href),
                    cell(line.detail),
                    cell(line.count, href, shown),
                    cell(float(line.points)),
                ]
            )
    table.footer = [cell(_("合计")), cell(""), cell(""), cell(None, text=""), cell(float(result.total))]
    if not single:
        parts = [
            _("%(period)s：%(points)s 分") % {"period": p.label, "points": p.total if p.scheme else _("不计分")}
            for p in result.periods
        ]
        table.caption = _("全年得分为各期得分之和：%(parts)s；合计 %(t)s 分") % {
            "parts": clauses(parts),
            "t": result.total,
        }
    dash.tables["assessment"] = table


def _assessment_link(line, staff_code: str, first: datetime.date, last: datetime.date) -> str | None:
    """The case list of an assessment line: the person's cases closed in its period (the ratio line),
    those with a final review of the grade (a grade line), or the line's own case numbers."""
    if not line.case_nos:
        return None
    if line.code == "ratio":
        return case_list_url(prosecutor=staff_code, basis="cohort", date_from=first, date_to=last)
    if line.code.startswith("grade_"):
        grade = line.code.removeprefix("grade_")
        return case_list_url(prosecutor=staff_code, review_grade=grade, review_from=first, review_to=last)
    if len(line.case_nos) <= CASE_NOS_LIMIT:
        return case_list_url(case_nos=",".join(dict.fromkeys(line.case_nos)))
    return None


def member_assessments(dash: Dashboard, viewer=None) -> None:
    """Each team member's assessment total for the range's last year beside their figures (issue 13 D6),
    on the cases `viewer` may open; a fixed number of queries whatever the number of members."""
    table = dash.tables.get("members")
    if table is None:
        return
    year = dash.period.last.year
    people = {p.staff_code: p for p in Prosecutor.objects.filter(staff_code__in=[k for k in table.keys if k])}
    try:
        results = assess_many(list(people.values()), year, viewer=viewer)
    except AssessmentError:
        results = {}
    table.columns.append(Column(_("%(year)d年考核得分") % {"year": year}, True))
    for key, row in zip(table.keys, table.rows, strict=True):
        person = people.get(key)
        result = results.get(person.pk) if person else None
        row.append(cell(float(result.total) if result else None))
