"""Dashboard data: what the team, prosecutor, department and unit pages show, assembled from the engines.

Every figure comes from `cases.ratio.ratio_for` (and the indicator, review and deadline modules) within
the viewer's scope, so a page shows the very numbers the API answers for the same range. Each
figure carries the case-list link that lists the cases behind it (drill-down), and each table is a
`teams.tables.Table`, so it exports as CSV / XLSX. The number of queries is fixed per page: a few
engine calls, whatever the number of months, members or cases.
"""

from __future__ import annotations

import datetime
import functools
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from caseqa.wording import paren
from cases.facts import BASES, FLOW
from cases.models import EventType
from cases.projection import AT_RISK, OFF_TRACK, ON_TRACK, last_complete_month_end, project_ratio
from cases.ratio import RatioFilters, RatioReport, RatioRow, Scope, ratio_for
from teams.glossary import term_help
from teams.models import Membership
from teams.periods import Period, add_months, month_label, parse_month
from teams.ratio_change import CASES_DRIVER, RatioChange, change_by_event, change_by_group
from teams.tables import Column, Table, cell

# Which breakdowns each dashboard shows beside its monthly totals.
GROUPS = {
    "team": ["prosecutor"],
    "department": ["prosecutor"],
    "prosecutor": [],
    "unit": ["unit", "department", "team"],
}


def basis_label(basis: str) -> str:
    return _("流量口径") if basis == FLOW else _("审结口径")


def event_labels() -> dict[str, str]:
    """Extra event codes → label in the active language, in catalogue order (one query)."""
    english = (get_language() or "").startswith("en")
    labels: dict[str, str] = {}
    rows = (
        EventType.objects.filter(kind=EventType.Kind.EXTRA)
        .order_by("rule_set__effective_from", "position", "code")
        .values_list("code", "label_zh", "label_en")
    )
    for code, zh, en in rows:
        labels[code] = (en or zh) if english else zh
    return labels


@functools.lru_cache(maxsize=16)
def _case_list_path(script_prefix: str) -> str:
    return reverse("cases:list")


def case_list_url(**params: object) -> str:
    """The case list filtered to `params` (None values dropped): the target of every drill-down.

    A dashboard builds a few hundred of these, so the path is reversed once and values are quoted
    directly (codes and ISO dates) rather than through `urlencode`.
    """
    query = "&".join(f"{k}={quote(str(v), safe='-:')}" for k, v in params.items() if v not in (None, ""))
    return f"{_case_list_path(get_script_prefix())}?{query}"


@dataclass
class Subject:
    """What a dashboard is about: its kind, code and name, engine filters, scope and drill-down filters."""

    kind: str
    code: str
    name: str
    filters: RatioFilters
    scope: Scope
    drill: dict[str, str]
    team_id: int | None = None
    child_units: dict[str, str] = field(default_factory=dict)  # unit code → code of the child subtree it is in
    child_names: dict[str, str] = field(default_factory=dict)


@dataclass
class Dashboard:
    """Everything a dashboard page renders."""

    subject: Subject
    period: Period
    totals: dict[str, RatioRow]
    trend_chart: dict
    extras_chart: dict
    tables: dict[str, Table]
    change_months: tuple[str, str] | None = None
    change_partial: bool = False  # the later month of the comparison is not over yet
    change_partial_available: bool = False  # the range ends in a month not over yet (compared only when asked)
    ytd_label: str = ""
    change_by_event: RatioChange | None = None
    change_by_group: RatioChange | None = None
    change_group_label: str = ""
    targets: dict[int, float] = field(default_factory=dict)
    cards: list[dict] = field(default_factory=list)
    sections: dict[str, object] = field(default_factory=dict)


def _by_month(report: RatioReport) -> dict[str, RatioRow]:
    return {row.keys["month"]: row for row in report.rows}


def _sum_rows(rows: list[RatioRow], key: str | None) -> dict[object, RatioRow]:
    """Rows added up by one key (None: everything into one row)."""
    out: dict[object, RatioRow] = {}
    for row in rows:
        k = row.keys.get(key) if key else None
        acc = out.get(k)
        if acc is None:
            acc = out[k] = RatioRow(keys={key: k} if key else {}, labels={key: row.labels.get(key)} if key else {})
        acc.cases += row.cases
        acc.items += row.items
        for code, n in row.extras.items():
            acc.extras[code] = acc.extras.get(code, 0) + n
    return out


def _ratio_cells(row: RatioRow | None, link: dict) -> list:
    """Cases, items and ratio of a row, the counts linking to their cases."""
    if row is None:
        row = RatioRow(keys={})
    return [
        cell(row.cases, case_list_url(**link) if row.cases else None),
        cell(row.items, case_list_url(**link, count="items") if row.items else None),
        cell(row.ratio and round(row.ratio, 4), text=row.ratio_display or "—"),
    ]


def build(
    subject: Subject,
    period: Period,
    targets: dict[int, float] | None = None,
    *,
    today: datetime.date | None = None,
    partial_change: bool = False,
) -> Dashboard:
    """Assemble a dashboard for `subject` over `period` (a fixed number of queries).

    A team's cards show the year to date against this year's target (issue 13 D6); the other pages'
    cards show the range. Month-over-month compares the last two complete months unless
    `partial_change` asks for the month not over yet (then labelled partial).
    """
    today = today or timezone.localdate()
    labels = event_labels()
    common = {"date_from": period.date_from, "date_to": period.date_to, "filters": subject.filters}
    reports = {b: ratio_for(group_by="month", basis=b, scope=subject.scope, **common) for b in BASES}
    months = {b: _by_month(reports[b]) for b in BASES}
    dims = GROUPS[subject.kind]
    grouped = (
        ratio_for(group_by=["month", *dims], basis=period.basis, scope=subject.scope, **common).rows if dims else []
    )
    dash = Dashboard(
        subject=subject,
        period=period,
        totals={b: reports[b].total for b in BASES},
        trend_chart={},
        extras_chart={},
        tables={},
        targets=targets or {},
    )
    if subject.kind == "team":
        _year_to_date_cards(dash, today)
    else:
        for basis in BASES:
            link = _range_link(subject, period, basis)
            dash.cards.append(
                {
                    "basis": basis,
                    "label": basis_label(basis),
                    "help": term_help(basis),
                    "total": reports[basis].total,
                    "cases_url": case_list_url(**link),
                    "items_url": case_list_url(**link, count="items"),
                    "target": None,
                }
            )
    dash.trend_chart = _trend_chart(subject, period, months, dash.targets)
    dash.extras_chart = _extras_chart(subject, period, months[period.basis], labels)
    dash.tables["trend"] = _trend_table(subject, period, months, reports, dash.targets)
    dash.tables["extras"] = _extras_table(subject, period, months[period.basis], reports[period.basis], labels)
    _changes(dash, months[period.basis], grouped, labels, today, partial_change)
    if subject.kind in ("team", "department"):
        dash.tables["members"] = _group_table(
            "members", _("成员对比"), _("检察官"), subject, period, grouped, "prosecutor", "prosecutor"
        )
    if subject.team_id:
        _add_roster(dash.tables["members"], subject, period)
    if subject.kind == "unit":
        dash.tables["units"] = _unit_table(subject, period, grouped)
        dash.tables["departments"] = _group_table(
            "departments", _("部门对比"), _("部门"), subject, period, grouped, "department", "department"
        )
        dash.tables["teams"] = _group_table("teams", _("团队对比"), _("团队"), subject, period, grouped, "team", "team")
    return dash


PROJECTION_STATUS = {ON_TRACK: _lazy("可达成目标"), AT_RISK: _lazy("有风险"), OFF_TRACK: _lazy("将偏离目标")}


def year_to_date(period: Period, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """Jan 1 of the range's last year up to today, or to the range's end when that comes first."""
    year = period.last.year
    return datetime.date(year, 1, 1), min(today, period.date_to, datetime.date(year, 12, 31))


def _year_to_date_cards(dash: Dashboard, today: datetime.date) -> None:
    """Cards of a team: the year-to-date ratio on each basis against this year's target (one query each)."""
    subject, period = dash.subject, dash.period
    first, last = year_to_date(period, today)
    dash.ytd_label = _("%(year)d年累计（%(first)s至%(last)s）") % {
        "year": first.year,
        "first": first.strftime("%m-%d"),
        "last": last.strftime("%m-%d"),
    }
    target = dash.targets.get(first.year)
    for basis in BASES:
        total = ratio_for(
            basis=basis, date_from=first, date_to=last, filters=subject.filters, scope=subject.scope
        ).total
        link = {**subject.drill, "basis": basis, "date_from": first, "date_to": last}
        gap = None if target is None or total.ratio is None else total.ratio - target
        as_of = min(last_complete_month_end(today), datetime.date(first.year, 12, 31))
        projection = project_ratio(
            first.year, as_of, filters=subject.filters, scope=subject.scope, basis=basis, target=target
        )
        dash.cards.append(
            {
                "basis": basis,
                "label": f"{basis_label(basis)} · {dash.ytd_label}",
                "help": term_help(basis),
                "total": total,
                "cases_url": case_list_url(**link),
                "items_url": case_list_url(**link, count="items"),
                "target": target,
                "gap": gap,
                "gap_abs": None if gap is None else abs(gap),
                "on_target": None if gap is None else gap <= 1e-9,
                "year": first.year,
                "projection": projection,
                "projection_status": PROJECTION_STATUS.get(projection.status, ""),
            }
        )


def _month_link(subject: Subject, basis: str, month: str) -> dict:
    return {**subject.drill, "basis": basis, "month": month}


def _range_link(subject: Subject, period: Period, basis: str, **extra: object) -> dict:
    return {**subject.drill, "basis": basis, "date_from": period.date_from, "date_to": period.date_to, **extra}


def _trend_chart(subject: Subject, period: Period, months: dict, targets: dict[int, float]) -> dict:
    series = []
    for basis in BASES:
        rows = [months[basis].get(m) for m in period.months]
        series.append(
            {
                "name": basis_label(basis),
                "key": basis,
                "data": [round(r.ratio, 4) if r and r.ratio is not None else None for r in rows],
                "links": [case_list_url(**_month_link(subject, basis, m)) for m in period.months],
            }
        )
    if targets:
        series.append(
            {
                "name": _("年度目标"),
                "key": "target",
                "data": [targets.get(int(m[:4])) for m in period.months],
                "links": [],
                "dashed": True,
            }
        )
    return {"type": "line", "title": _("案件比月度走势"), "months": period.months, "series": series}


def _extras_chart(subject: Subject, period: Period, months: dict, labels: dict[str, str]) -> dict:
    codes = [c for c in labels if any(c in r.extras for r in months.values())]
    series = [
        {
            "name": labels[code],
            "key": code,
            "data": [months[m].extras.get(code, 0) if m in months else 0 for m in period.months],
            "links": [case_list_url(**_month_link(subject, period.basis, m), event=code) for m in period.months],
        }
        for code in codes
    ]
    title = _("各类增加件数的环节（%(basis)s）") % {"basis": basis_label(period.basis)}
    return {"type": "stacked", "title": title, "months": period.months, "series": series}


def _trend_table(subject, period, months, reports, targets) -> Table:
    columns = [Column(_("月份"))]
    for basis in BASES:
        name, explained = basis_label(basis), term_help(basis)
        columns += [Column(f"{name} {_('案件数')}", True, explained), Column(f"{name} {_('件数')}", True, explained)]
        columns += [Column(f"{name} {_('案件比')}", True, explained)]
    if targets:
        columns.append(Column(_("年度目标"), True))
    table = Table("trend", _("案件比月度明细"), columns)
    for m in period.months:
        row = [cell(m)]
        for basis in BASES:
            row += _ratio_cells(months[basis].get(m), _month_link(subject, basis, m))
        if targets:
            target = targets.get(int(m[:4]))
            row.append(cell(target, text=f"1:{target:.2f}" if target else "—"))
        table.rows.append(row)
    footer = [cell(_("合计"))]
    for basis in BASES:
        footer += _ratio_cells(reports[basis].total, _range_link(subject, period, basis))
    if targets:
        footer.append(cell(None))
    table.footer = footer
    return table


def _extras_table(subject, period, months, report, labels) -> Table:
    codes = [c for c in labels if c in report.total.extras]
    title = _("增加件数的环节（%(basis)s）") % {"basis": basis_label(period.basis)}
    table = Table("extras", title, [Column(_("月份"))] + [Column(labels[c], True) for c in codes])
    table.columns.append(Column(_("合计"), True))
    for m in period.months:
        row = months.get(m)
        extras = row.extras if row else {}
        link = _month_link(subject, period.basis, m)
        table.rows.append(
            [cell(m)]
            + [cell(extras.get(c, 0), case_list_url(**link, event=c) if extras.get(c) else None) for c in codes]
            + [cell(sum(extras.values()))]
        )
    link = _range_link(subject, period, period.basis)
    table.footer = (
        [cell(_("合计"))]
        + [cell(report.total.extras.get(c, 0), case_list_url(**link, event=c)) for c in codes]
        + [cell(sum(report.total.extras.values()))]
    )
    return table


def _changes(
    dash: Dashboard,
    months: dict,
    grouped: list[RatioRow],
    labels: dict[str, str],
    today: datetime.date,
    partial_change: bool = False,
) -> None:
    """Month-over-month by event type and by the first breakdown: the last two complete months of the
    range; the month not over yet (today's) only when `partial_change` asks, and then marked partial."""
    this_month = month_label(today)
    compared = [m for m in dash.period.months if m < this_month]  # months that are over
    dash.change_partial_available = this_month in dash.period.months
    if partial_change and dash.change_partial_available:
        compared.append(this_month)
        dash.change_partial = True
    if len(compared) < 2:
        return
    previous, current = compared[-2], compared[-1]
    dash.change_months = (previous, current)
    empty = RatioRow(keys={})
    prev_row, cur_row = months.get(previous, empty), months.get(current, empty)
    dash.change_by_event = change_by_event(prev_row, cur_row, labels, _("案件数变化"))
    title = _("%(prev)s → %(cur)s 案件比变化的来源") % {"prev": previous, "cur": current}
    if dash.change_partial:
        title += _("（%(cur)s 截至 %(day)s，不完整月份）") % {"cur": current, "day": today.isoformat()}
    table = Table("change", title, [Column(_("来源")), Column(_("对案件比的影响"), True)])
    # Each row links to the cases behind it over the two months compared: the cases received (or
    # closed) in them, those with the step in them, or the member's.
    basis = dash.period.basis
    first = parse_month(previous)
    last = min(add_months(parse_month(current), 1) - datetime.timedelta(days=1), today)
    both = {**dash.subject.drill, "basis": basis, "date_from": first, "date_to": last}
    for driver in dash.change_by_event.drivers:
        if driver.key == CASES_DRIVER:
            label, href = driver.label, case_list_url(**both)
        else:
            label, href = _("环节") + "：" + driver.label, case_list_url(**both, event=driver.key)
        table.rows.append([cell(label, href), cell(round(driver.amount, 4), text=driver.display)])
    dims = GROUPS[dash.subject.kind]
    if dims:
        key = "department" if dash.subject.kind == "unit" else dims[0]
        rows_prev = [r for r in grouped if r.keys["month"] == previous]
        rows_cur = [r for r in grouped if r.keys["month"] == current]
        dash.change_by_group = change_by_group(prev_row, cur_row, rows_prev, rows_cur, key, _("（无）"))
        labels_seen = [d.label for d in dash.change_by_group.drivers]
        for driver in dash.change_by_group.drivers:
            if labels_seen.count(driver.label) > 1 and driver.key:  # same-named departments of different units
                driver.label = paren(driver.label, driver.key)
        dash.change_group_label = _("成员") if key == "prosecutor" else _("部门")
        for driver in dash.change_by_group.drivers:
            label = f"{dash.change_group_label}：{driver.label}"
            href = case_list_url(**both, **{key: driver.key or "none"})
            table.rows.append([cell(label, href), cell(round(driver.amount, 4), text=driver.display)])
    table.footer = [cell(_("合计变化")), cell(dash.change_by_event.delta, text=dash.change_by_event.delta_display)]
    dash.tables["change"] = table


DASHBOARD_URLS = {
    "prosecutor": "teams:prosecutor",
    "team": "teams:team",
    "department": "teams:department",
    "unit": "teams:unit",
}


def _dashboard_url(kind: str, code: str | None, period: Period) -> str | None:
    """The dashboard of a row's prosecutor, team, department or unit, over the same period."""
    if not code:
        return None
    return f"{reverse(DASHBOARD_URLS[kind], args=[code])}?{urlencode(period.query())}"


def _group_table(name, title, heading, subject, period, grouped, key, drill_key) -> Table:
    sums = _sum_rows(grouped, key)
    table = Table(
        name,
        paren(title, basis_label(period.basis)),
        [Column(heading), Column(_("案件数"), True), Column(_("件数"), True), Column(_("案件比"), True)],
    )
    table.columns.append(Column(_("指数"), True, help=term_help("index")))
    ordered = sorted(sums.values(), key=lambda r: (-r.cases, str(r.keys.get(key))))
    for row in ordered:
        code = row.keys.get(key)
        label = row.labels.get(key) or (code if code else _("（未分配）"))
        link = _range_link(subject, period, period.basis, **{drill_key: code or "none"})
        table.keys.append(code)
        page = _dashboard_url(key, code, period)
        table.rows.append([cell(label, page, paren(label, code) if code else label), *_ratio_cells(row, link)])
        table.rows[-1].append(cell(row.index))
    return table


def _add_roster(table: Table, subject: Subject, period: Period) -> None:
    """The team's members during the period: each one's role, those without cases in it with zeros, and
    the rows ordered 带头人, 核心成员, others, then by cases (one query)."""
    roster = (
        Membership.objects.filter(team_id=subject.team_id)
        .exclude(date_from__gt=period.date_to)
        .exclude(date_to__lt=period.date_from)
        .order_by(Membership.Role.rank(), "prosecutor__staff_code")
        .values_list("prosecutor__staff_code", "prosecutor__name", "role")
    )
    role_labels = dict(Membership.Role.choices)
    ranks = {role: rank for rank, role in enumerate(role_labels)}
    roles: dict[str, str] = {}
    listed = set(table.keys)
    for code, name, role in roster:
        roles.setdefault(code, role)  # a person with two memberships shows the higher role
        if code in listed:
            continue
        listed.add(code)
        table.keys.append(code)
        link = _range_link(subject, period, period.basis, prosecutor=code)
        empty = RatioRow(keys={})
        row = [cell(name, _dashboard_url("prosecutor", code, period), paren(name, code)), *_ratio_cells(empty, link)]
        table.rows.append([*row, cell(None)])
    table.columns.append(Column(_("团队角色")))
    for key, row in zip(table.keys, table.rows, strict=True):
        role = roles.get(key)
        # A case of the team handled by someone not (or no longer) on its roster.
        row.append(cell(role or "", text=str(role_labels[role]) if role else _("非团队成员")))
    ordered = sorted(
        zip(table.keys, table.rows, strict=True),
        key=lambda pair: (ranks.get(roles.get(pair[0]), len(ranks)), -(pair[1][1].value or 0), str(pair[0])),
    )
    table.keys[:] = [key for key, _row in ordered]
    table.rows[:] = [row for _key, row in ordered]


def _unit_table(subject: Subject, period: Period, grouped: list[RatioRow]) -> Table:
    """The unit's own cases and each sub-unit's subtree side by side."""
    by_child: dict[str, RatioRow] = defaultdict(lambda: RatioRow(keys={}))
    for row in grouped:
        child = subject.child_units.get(row.keys.get("unit"), subject.code)
        acc = by_child[child]
        acc.cases += row.cases
        acc.items += row.items
    table = Table(
        "units",
        _("本院及下级院对比（%(basis)s）") % {"basis": basis_label(period.basis)},
        [Column(_("单位")), Column(_("案件数"), True), Column(_("件数"), True), Column(_("案件比"), True)],
    )
    for code in [subject.code, *sorted(set(subject.child_units.values()) - {subject.code})]:
        row = by_child.get(code, RatioRow(keys={}))
        name = subject.name if code == subject.code else subject.child_names.get(code, code)
        drill = {k: v for k, v in subject.drill.items() if k != "within"}
        link = {**drill, "basis": period.basis, "date_from": period.date_from, "date_to": period.date_to}
        link.update({"unit": code} if code == subject.code else {"within": code})
        label = _("%(name)s（本院）") % {"name": name} if code == subject.code else name
        page = None if code == subject.code else _dashboard_url("unit", code, period)
        table.rows.append([cell(label, page), *_ratio_cells(row, link)])
    return table
