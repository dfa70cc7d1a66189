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

from cases import deadlines
from cases.models import Case, ProceduralEvent, TeamTarget
from teams.access import visible_cases
from teams.dashboards import Dashboard
from teams.tables import Column, Table, cell


def team_targets(team_id: int) -> dict[int, float]:
    """The team's annual target ratio by year (TeamTarget), for the target line."""
    rows = TeamTarget.objects.filter(team_id=team_id).values_list("year", "target_ratio")
    return {year: float(target) for year, target in rows}


STATUS_LABELS = {"overdue": "已超期", "at_risk": "临近期限"}


def at_risk_table(user, case_q: Q, today: datetime.date) -> Table:
    """Open cases of the subject near or past a statutory deadline (DOMAIN §6), soonest first."""
    found = deadlines.at_risk(visible_cases(user).filter(case_q), today=today)
    table = Table(
        "at_risk",
        _("临近或超过法定期限的在办案件"),
        [Column(_("统一受案号")), Column(_("期限")), Column(_("起算日")), Column(_("届满日"))],
    )
    table.columns += [Column(_("剩余天数"), True), Column(_("状态"))]
    for d in found:
        href = reverse("cases:detail", args=[d.case_id])
        table.rows.append(
            [
                cell(d.case_no, href),
                cell(d.label),
                cell(d.starts_on.isoformat()),
                cell(d.due_on.isoformat()),
                cell(d.days_left),
                cell(d.status, text=_(STATUS_LABELS.get(d.status, d.status))),
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
            rows = rows.filter(id__in=visible_cases(user).values("pk"))
        else:
            rows = rows.filter(case_id__in=visible_cases(user).values("pk"))
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


def add_sections(dash: Dashboard, user, case_q: Q, today: datetime.date) -> None:
    """Add the at-risk, indicator and review tables to `dash`."""
    dash.tables["at_risk"] = at_risk_table(user, case_q, today)
