"""A team's year (issue 13): ratio, review figures, the target tracked month by month, members side by side.

As `viewer` may see it (the rule of `stats/ratio`): figures within their scope, the members they may
see for that year. Without a viewer (commands, tests) nothing is limited.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from django.db.models import QuerySet

from cases.models import Case, Grade, TeamTarget
from cases.ratio import EVERYTHING, RatioFilters, Scope, format_ratio, ratio_for
from cases.review_stats import review_stats_for
from teams.access import scope_for
from teams.models import Membership, Prosecutor, Team


def year_range(year: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


def viewed(viewer) -> tuple[QuerySet, Scope]:
    """The cases and the statistics scope of `viewer` (None: everything)."""
    if viewer is None:
        return Case.objects.all(), EVERYTHING
    return Case.objects.visible_to(viewer), scope_for(viewer)


@dataclass
class TeamMonth:
    """One month of a team's year: the month's ratio and the year-to-date ratio against the target."""

    month: str
    cases: int
    items: int
    ratio_display: str | None
    ytd_cases: int
    ytd_items: int
    ytd_ratio: float | None
    ytd_ratio_display: str | None
    on_target: bool | None


@dataclass
class TeamMember:
    """A member's figures inside the team, side by side with the others."""

    staff_code: str
    name: str
    role: str
    cases: int
    items: int
    ratio_display: str | None
    reviews: int
    average_score: Decimal | None
    grades: dict[str, int]


@dataclass
class TeamResult:
    """A team's year: ratio, review figures, target tracked month by month, members side by side."""

    team: Team
    year: int
    basis: str
    target_ratio: Decimal | None
    cases: int
    items: int
    ratio_display: str | None
    reviews: int
    average_score: Decimal | None
    grades: dict[str, int]
    months: list[TeamMonth]
    members: list[TeamMember]


def team_results(team: Team, year: int, *, basis: str = "flow", viewer=None) -> TeamResult:
    """The team's results for `year` (ratio on `basis`, reviews by final date), in a fixed number of queries,
    as `viewer` may see them: figures within their scope, members they may see for that year."""
    first, last = year_range(year)
    filters = RatioFilters(team=team.team_code)
    _cases, scope = viewed(viewer)
    people_seen = Prosecutor.objects.all() if viewer is None else Prosecutor.objects.readable_by(viewer, (first, last))
    target = TeamTarget.objects.filter(team=team, year=year).values_list("target_ratio", flat=True).first()
    monthly = {
        row.keys["month"]: row
        for row in ratio_for(
            group_by="month", basis=basis, date_from=first, date_to=last, filters=filters, scope=scope
        ).rows
    }
    months, ytd_cases, ytd_items = [], 0, 0
    for month in range(1, 13):
        key = f"{year:04d}-{month:02d}"
        row = monthly.get(key)
        cases, items = (row.cases, row.items) if row else (0, 0)
        ytd_cases, ytd_items = ytd_cases + cases, ytd_items + items
        ytd_ratio, ytd_display, _index = format_ratio(ytd_items, ytd_cases)
        on_target = (
            None if target is None or ytd_ratio is None else Fraction(ytd_items, ytd_cases) <= Fraction(str(target))
        )
        months.append(
            TeamMonth(
                key,
                cases,
                items,
                format_ratio(items, cases)[1],
                ytd_cases,
                ytd_items,
                ytd_ratio,
                ytd_display,
                on_target,
            )
        )
    reviews = review_stats_for(group_by="prosecutor", date_from=first, date_to=last, filters=filters, scope=scope)
    people = ratio_for(group_by="prosecutor", basis=basis, date_from=first, date_to=last, filters=filters, scope=scope)
    ratio_by = {row.keys["prosecutor"]: row for row in people.rows}
    reviews_by = {row.keys["prosecutor"]: row for row in reviews.rows}
    roster = (
        Membership.objects.filter(team=team, prosecutor__in=people_seen.values("pk"))
        .exclude(date_from__gt=last)
        .exclude(date_to__lt=first)
        .select_related("prosecutor")
        .order_by(Membership.Role.rank(), "prosecutor__staff_code")
    )
    members, seen = [], set()
    for membership in roster:
        person = membership.prosecutor
        if person.staff_code in seen:
            continue
        seen.add(person.staff_code)
        r, v = ratio_by.get(person.staff_code), reviews_by.get(person.staff_code)
        members.append(
            TeamMember(
                person.staff_code,
                person.name,
                membership.get_role_display(),
                r.cases if r else 0,
                r.items if r else 0,
                r.ratio_display if r else None,
                v.reviews if v else 0,
                v.average_score if v else None,
                dict(v.grades) if v else dict.fromkeys(Grade.values, 0),
            )
        )
    total = ratio_for(basis=basis, date_from=first, date_to=last, filters=filters, scope=scope).total
    return TeamResult(
        team,
        year,
        basis,
        target,
        total.cases,
        total.items,
        total.ratio_display,
        reviews.total.reviews,
        reviews.total.average_score,
        dict(reviews.total.grades),
        months,
        members,
    )
