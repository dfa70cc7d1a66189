"""Dashboard sections beyond the ratio: annual targets, cases at risk, §9 indicators and review results.

Each reads its own engine (`cases.deadlines`, `cases.indicators`, `cases.review_stats`) once per page
within the viewer's access, and adds a `Table` (so it drills down and exports like the rest).
"""

from __future__ import annotations

import datetime

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from caseqa.wording import clauses, paren
from cases import deadlines
from cases.codes import (
    ARREST_DECISION,
    JUDGMENT,
    REVIEW_EXTENSION,
    SELF_SUPPLEMENTARY_INVESTIGATION,
    SUPPLEMENTARY_INVESTIGATION,
)
from cases.indicators import COUNTERWEIGHTS, HIGHER, INDICATORS, LOWER, indicators_for
from cases.models import Case, Dimension, Grade, GradeScale, ProceduralEvent, ReviewItem, TeamTarget
from cases.outcomes import ACQUITTED, ARREST_APPROVED, ARREST_REFUSED
from cases.review_stats import review_stats_for
from teams.assessment_section import member_assessments
from teams.dashboards import Dashboard, basis_label, case_list_url
from teams.tables import Column, Table, cell


def team_targets(team_id: int) -> dict[int, float]:
    """The team's annual target ratio by year (TeamTarget), for the target line."""
    rows = TeamTarget.objects.filter(team_id=team_id).values_list("year", "target_ratio")
    return {year: float(target) for year, target in rows}


STATUS_LABELS = {"overdue": _lazy("已超期"), "at_risk": _lazy("临近期限")}

# Sort keys of the at-risk rows (Deadline plus who handles the case); the default is soonest due first.
AT_RISK_SORTS = {
    "days_left": lambda d, who: (d.days_left, d.case_no),
    "prosecutor": lambda d, who: (who["prosecutor"], d.days_left),
    "department": lambda d, who: (who["department"], d.days_left),
    "unit": lambda d, who: (who["unit"], d.days_left),
    "case_no": lambda d, who: (d.case_no, d.days_left),
}


def _handlers(case_ids: set[int]) -> dict[int, dict[str, str]]:
    """Who handles each case (prosecutor, department, unit, team names), in one query."""
    rows = Case.objects.filter(pk__in=case_ids).values_list(
        "pk", "prosecutor__name", "department__name", "unit__name", "team__name"
    )
    fields = ("prosecutor", "department", "unit", "team")
    return {pk: dict(zip(fields, (name or "" for name in names), strict=True)) for pk, *names in rows}


def at_risk_table(
    user,
    case_q: Q,
    today: datetime.date,
    within_days: int | None = None,
    status: str = "",
    sort: str = "",
) -> Table:
    """Open cases of the subject near or past a statutory deadline (DOMAIN §6), soonest first unless
    `sort` names another order (a key of AT_RISK_SORTS, `-` for descending); `status` keeps one status."""
    found = deadlines.at_risk(Case.objects.visible_to(user).filter(case_q), today=today, within_days=within_days)
    if status:
        found = [d for d in found if d.status == status]
    return deadlines_table(found, sort)


def deadlines_table(found: list[deadlines.Deadline], sort: str = "") -> Table:
    """Running deadlines as a table: the case (linked), the clock, days left, the status in words and
    who handles the case; in the given order unless `sort` names another (AT_RISK_SORTS, `-` descending)."""
    who = _handlers({d.case_id for d in found})
    if sort:
        key = AT_RISK_SORTS[sort.lstrip("-")]
        found.sort(key=lambda d: key(d, who[d.case_id]), reverse=sort.startswith("-"))
    table = Table(
        "at_risk",
        _("临近或超过法定期限的在办案件"),
        [Column(_("统一受案号")), Column(_("期限")), Column(_("起算日")), Column(_("届满日"))],
    )
    table.columns += [Column(_("剩余天数"), True), Column(_("状态"))]
    table.columns += [Column(_("承办检察官")), Column(_("部门")), Column(_("单位")), Column(_("办案团队"))]
    # One reverse for the few hundred rows: the case's id is the only part of the path that changes.
    marker = 987654321
    detail = reverse("cases:detail", args=[marker]).rsplit(str(marker), 1)
    statuses = {code: str(label) for code, label in STATUS_LABELS.items()}
    for d in found:
        href = f"{detail[0]}{d.case_id}{detail[1]}"
        handler = who[d.case_id]
        table.rows.append(
            [
                cell(d.case_no, href),
                cell(d.label),
                cell(d.starts_on.isoformat()),
                cell(d.due_on.isoformat()),
                cell(d.days_left),
                # The export carries the words the page shows, in the reader's language, not the codes.
                cell(statuses.get(d.status, d.status)),
                cell(handler["prosecutor"] or None),
                cell(handler["department"] or None),
                cell(handler["unit"] or None),
                cell(handler["team"] or None),
            ]
        )
    return table


RECENT_IMPORT_DAYS = 30


def recent_imports(user, limit: int = 6) -> list[dict]:
    """Recent imports touching cases the user may see, read from the history the importer writes
    (one change reason and timestamp per import): when, by whom, how many cases and events."""
    since = timezone.now() - datetime.timedelta(days=RECENT_IMPORT_DAYS)
    found: dict[tuple, dict] = {}
    for model, what in ((Case.history.model, "cases"), (ProceduralEvent.history.model, "events")):
        rows = model.objects.filter(history_date__gte=since, history_change_reason__isnull=False)
        if what == "cases":
            rows = rows.filter(id__in=Case.objects.visible_to(user).values("pk"))
        else:
            rows = rows.filter(case_id__in=Case.objects.visible_to(user).values("pk"))
        rows = (
            rows.exclude(history_change_reason="")
            .values("history_change_reason", "history_date", "history_user__username")
            .annotate(n=Count("history_id"))
            .order_by("-history_date")[:limit]
        )
        for row in rows:
            key = (row["history_change_reason"], row["history_date"])
            entry = found.setdefault(
                key,
                {
                    "when": row["history_date"],
                    "label": row["history_change_reason"],
                    "user": row["history_user__username"],
                },
            )
            entry[what] = row["n"]
    ordered = sorted(found.values(), key=lambda e: e["when"], reverse=True)[:limit]
    for entry in ordered:
        entry["summary"] = _("案件 %(cases)d 条，诉讼环节 %(events)d 条") % {
            "cases": entry.get("cases", 0),
            "events": entry.get("events", 0),
        }
    return ordered


# Indicators whose numerator is "cases holding such an event": they drill down by that event.
INDICATOR_EVENTS = {
    "supplementary_rate": SUPPLEMENTARY_INVESTIGATION,
    "extension_rate": REVIEW_EXTENSION,
    "self_supplementary_count": SELF_SUPPLEMENTARY_INVESTIGATION,
}
# Person-counted numerators read from recorded outcomes: the event and the outcome the list filters by.
INDICATOR_OUTCOMES = {
    "non_arrest_rate": (ARREST_DECISION, ARREST_REFUSED),
    "acquittal_count": (JUDGMENT, ACQUITTED),
    "acquittal_rate": (JUDGMENT, ACQUITTED),
}


def _indicator_text(name: str, indicator) -> str:
    if indicator.value is None:
        return "—"
    if not INDICATORS[name].is_rate:
        return str(indicator.value)
    return f"{indicator.value * 100:.1f}%"


def indicators_by_month(dash: Dashboard):
    """The §9 indicators of the dashboard's subject by month (its total is the period's): one engine call."""
    subject, period = dash.subject, dash.period
    return indicators_for(
        group_by="month",
        basis=period.basis,
        date_from=period.date_from,
        date_to=period.date_to,
        filters=subject.filters,
        scope=subject.scope,
    )


# The counterweights charted beside the ratio (DOMAIN §9, issue 13 D5): rates as %, counts in persons.
CHARTED_COUNTERWEIGHTS = (
    "post_arrest_non_prosecution_rate",
    "acquittal_rate",
    "acquittal_count",
    "amended_remanded_count",
)


def counterweight_chart(dash: Dashboard, report) -> dict:
    """The ratio by month beside its counterweights (捕后不诉率, 无罪判决, 改判/发回), each month linking
    to its cases; the ratio on the left axis, the counterweights on the right."""
    period = dash.period
    by_month = {row.keys["month"]: row.values for row in report.rows}
    ratio = next((s for s in dash.trend_chart.get("series", []) if s.get("key") == period.basis), None)
    series = []
    if ratio is not None:
        series.append({**ratio, "name": paren(_("案件比"), basis_label(period.basis)), "axis": 0})
    for name in CHARTED_COUNTERWEIGHTS:
        spec = INDICATORS[name]
        data = []
        for month in period.months:
            indicator = by_month.get(month, {}).get(name)
            value = indicator.value if indicator is not None else (None if spec.is_rate else 0)
            data.append(round(value * 100, 2) if spec.is_rate and value is not None else value)
        unit = "%" if spec.is_rate else _("人")
        # No drill-down link: the case list filters by event, not by recorded outcome.
        series.append({"name": paren(spec.label, unit), "key": name, "data": data, "links": [], "axis": 1})
        series[-1]["bar"] = not spec.is_rate
    title = _("案件比与对照指标月度走势（%(basis)s）") % {"basis": basis_label(period.basis)}
    axes = [_("案件比"), _("% / 人")]
    return {"type": "dual", "title": title, "months": period.months, "series": series, "axes": axes}


def indicators_table(dash: Dashboard, report=None) -> Table:
    """DOMAIN §9 indicators over the period, each beside its counterweights and why (one engine call)."""
    subject, period = dash.subject, dash.period
    report = report or indicators_by_month(dash)
    values = report.total.values
    better = {LOWER: _("越低越好"), HIGHER: _("越高越好"), None: _("政策性指标")}
    table = Table(
        "indicators",
        _("案件质量指标及其对照（%(basis)s）") % {"basis": basis_label(period.basis)},
        [Column(_("指标")), Column(_("数值"), True), Column(_("分子"), True), Column(_("分母"), True)],
    )
    table.columns += [Column(_("方向")), Column(_("对照指标")), Column(_("为什么对照"))]
    ratio = dash.totals[period.basis]
    weight = COUNTERWEIGHTS["ratio"]
    table.rows.append(
        [
            cell(_("案-件比")),
            cell(ratio.ratio and round(ratio.ratio, 4), text=ratio.ratio_display or "—"),
            cell(ratio.items),
            cell(ratio.cases),
            cell(_("越低越好")),
            cell(_counterweights(weight.against, values)),
            cell(str(weight.reason)),
        ]
    )
    base = {**subject.drill, "basis": period.basis, "date_from": period.date_from, "date_to": period.date_to}
    glossary = reverse("teams:glossary")  # each indicator's name links to its formula and counterweights
    for name, spec in INDICATORS.items():
        indicator = values.get(name)
        if indicator is None:
            continue
        event = INDICATOR_EVENTS.get(name)
        href = case_list_url(**base, event=event) if event else None
        if name in INDICATOR_OUTCOMES and indicator.numerator:
            code, outcome = INDICATOR_OUTCOMES[name]
            href = case_list_url(**base, event=code, outcome=outcome)
        denominator_href = None
        if name == "non_arrest_rate" and indicator.denominator:
            both = f"{ARREST_APPROVED},{ARREST_REFUSED}"
            denominator_href = case_list_url(**base, event=ARREST_DECISION, outcome=both)
        weight = COUNTERWEIGHTS.get(name)
        table.rows.append(
            [
                cell(str(spec.label), f"{glossary}#indicator-{name}"),
                cell(indicator.value, text=_indicator_text(name, indicator)),
                cell(indicator.numerator, href),
                cell(indicator.denominator, denominator_href),
                cell(better[spec.better]),
                cell(_counterweights(weight.against, values) if weight else ""),
                cell(str(weight.reason) if weight else ""),
            ]
        )
    return table


def _counterweights(names, values) -> str:
    parts = []
    for name in names:
        indicator = values.get(name)
        shown = _indicator_text(name, indicator) if indicator is not None else "—"
        parts.append(f"{INDICATORS[name].label} {shown}")
    return clauses(parts)


def review_tables(dash: Dashboard) -> None:
    """Grades, deductions by dimension and the most frequent findings of final reviews; the members'
    (or teams') average review score beside their ratio. Two engine calls."""
    subject, period = dash.subject, dash.period
    common = {
        "date_from": period.date_from,
        "date_to": period.date_to,
        "filters": subject.filters,
        "scope": subject.scope,
    }
    member_key = {"team": "prosecutor", "department": "prosecutor", "unit": "team"}.get(subject.kind)
    report = review_stats_for(group_by=[member_key] if member_key else None, **common)
    total = report.total
    grades = Table("grades", _("评查等级（已生效的评查）"), [Column(_("等级")), Column(_("件数"), True)])
    # Grades in the wording of the scale in force at the period's end (瑕疵 until 2025, 基本合格 from 2026),
    # the same words the review pages use.
    scale = GradeScale.objects.in_force_on(period.date_to).order_by("-effective_from").first()
    for grade, generic in Grade.choices:
        label = scale.label(grade) if scale else generic
        n = total.grades.get(grade, 0)
        link = {**subject.drill, "review_grade": grade, "review_from": period.date_from, "review_to": period.date_to}
        grades.rows.append([cell(str(label)), cell(n, case_list_url(**link) if n else None)])
    average = total.average_score
    grades.footer = [cell(_("评查件数 / 平均分")), cell(total.reviews, text=f"{total.reviews} / {average or '—'}")]
    dash.tables["grades"] = grades
    # Points and counts in their own columns: a dimension's row carries the points deducted, an item's row
    # the times it was found (one number per column, so the export sums correctly).
    deductions = Table(
        "deductions",
        _("扣分最多的评查维度与评查项"),
        [Column(_("维度或评查项")), Column(_("扣分"), True), Column(_("次数"), True)],
    )
    reviewed = {**subject.drill, "review_from": period.date_from, "review_to": period.date_to}
    for dimension, points in sorted(total.deductions.items(), key=lambda kv: -kv[1]):
        if points:
            href = case_list_url(**reviewed, finding_dimension=dimension)
            label = str(Dimension(dimension).label)
            deductions.rows.append([cell(label, href), cell(float(points), href, f"−{points}"), cell(None)])
    texts = dict(ReviewItem.objects.filter(code__in=[c for c, _n in total.top_findings]).values_list("code", "text"))
    for code, times in total.top_findings:
        href = case_list_url(**reviewed, finding_item=code)
        deductions.rows.append([cell(f"{code} {texts.get(code, '')}".strip(), href), cell(None), cell(times, href)])
    dash.tables["deductions"] = deductions
    target = dash.tables.get("members" if member_key == "prosecutor" else "teams")
    if target is not None and member_key:
        scores = {row.keys.get(member_key): row for row in report.rows}
        target.columns += [Column(_("评查件数"), True), Column(_("评查平均分"), True)]
        for key, row in zip(target.keys, target.rows, strict=True):
            review = scores.get(key)
            row.append(cell(review.reviews if review else 0))
            row.append(cell(float(review.average_score) if review and review.reviews else None))


def add_sections(dash: Dashboard, user, case_q: Q, today: datetime.date) -> None:
    """Add the indicator, review and at-risk tables to `dash`."""
    report = indicators_by_month(dash)
    dash.tables["indicators"] = indicators_table(dash, report)
    dash.sections["counterweight_chart"] = counterweight_chart(dash, report)
    review_tables(dash)
    if dash.subject.kind == "team":
        member_assessments(dash, user)
    dash.tables["at_risk"] = at_risk_table(user, case_q, today)
