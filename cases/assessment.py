"""Assessment (考核, DOMAIN.md §8) of a prosecutor and a team's results, from the scheme stored as data.

`assess_prosecutor` returns the score line by line, each line with the cases behind it, so a person
sees why they got it. The quality component starts at the scheme's base and moves by the grade of
each FINAL review of their cases that became final in the year; a review that finds a wrongful case
(错案) zeroes it. The efficiency component compares the person's cohort ratio (cases closed in the
year) with their unit's: points per step of difference, capped both ways.

Both take the `viewer`: what they list and count is limited to the cases the viewer may open
(`Case.objects.visible_to`), and the figures to the viewer's statistics scope, so a team lead sees a
member's assessment on the team's cases only and a plain member sees only their own figures in the
team's results (the rule of `stats/ratio`). Without a viewer (commands, tests) nothing is limited.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from cases.models import AssessmentScheme, Case, Finding, Grade, Nature, QualityReview, TeamTarget
from cases.ratio import EVERYTHING, RatioFilters, RatioRow, Scope, format_ratio, ratio_for
from cases.review_stats import review_stats_for
from teams.access import scope_for
from teams.models import Membership, Prosecutor, Team, Unit

QUALITY, EFFICIENCY = "quality", "efficiency"
GRADE_ORDER = [Grade.EXCELLENT, Grade.QUALIFIED, Grade.FLAWED, Grade.UNQUALIFIED]


class AssessmentError(LookupError):
    """No scheme covers the year asked for."""


@dataclass
class AssessmentLine:
    """One line of the score: what it is, how many, the points it adds (negative: deducts) and its cases."""

    component: str
    code: str
    label: str
    points: Decimal
    count: int = 0
    case_nos: list[str] = field(default_factory=list)
    detail: str = ""


@dataclass
class Assessment:
    """A prosecutor's assessment for a year: the scheme used, the lines and the component totals."""

    prosecutor: Prosecutor
    year: int
    scheme: AssessmentScheme
    lines: list[AssessmentLine]
    person_ratio: str | None = None
    unit_ratio: str | None = None

    def component(self, name: str) -> Decimal:
        return sum((line.points for line in self.lines if line.component == name), Decimal("0"))

    @property
    def quality(self) -> Decimal:
        return self.component(QUALITY)

    @property
    def efficiency(self) -> Decimal:
        return self.component(EFFICIENCY)

    @property
    def total(self) -> Decimal:
        return self.quality + self.efficiency


def scheme_for(year: int) -> AssessmentScheme:
    """The scheme in force for `year`: the latest one starting in or before it."""
    scheme = AssessmentScheme.objects.filter(year__lte=year).order_by("-year").first()
    if scheme is None:
        raise AssessmentError(_("%(year)d年没有适用的考核办法") % {"year": year})
    return scheme


def _year_range(year: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


def _dec(value) -> Decimal:
    return Decimal(str(value))


def _viewed(viewer) -> tuple[QuerySet, Scope]:
    """The cases and the statistics scope of `viewer` (None: everything)."""
    if viewer is None:
        return Case.objects.all(), EVERYTHING
    return Case.objects.visible_to(viewer), scope_for(viewer)


def assess_prosecutor(prosecutor: Prosecutor, year: int, viewer=None) -> Assessment:
    """The prosecutor's assessment for `year`, item by item, as `viewer` may see it (module docstring)."""
    return assess_many([prosecutor], year, viewer=viewer)[prosecutor.pk]


def assess_many(prosecutors: list[Prosecutor], year: int, viewer=None) -> dict[int, Assessment]:
    """Each prosecutor's assessment for `year` by pk, in a fixed number of queries whatever their number
    (a team's members side by side); the same lines as `assess_prosecutor`, as `viewer` may see them."""
    scheme = scheme_for(year)
    rules = scheme.rules
    first, last = _year_range(year)
    ids = [p.pk for p in prosecutors]
    cases, scope = _viewed(viewer)
    reviews = _final_reviews(ids, first, last, cases)
    period = {"basis": "cohort", "date_from": first, "date_to": last}
    # A person's ratio within what the viewer sees (grouped by person over the viewer's scope).
    people_scope = Scope(prosecutor_ids=frozenset(ids)) if scope.everything else scope
    people = ratio_for(group_by="prosecutor", scope=people_scope, **period).rows
    unit_ids = frozenset(p.unit_id for p in prosecutors)
    units = ratio_for(group_by="unit", scope=Scope(unit_ids=unit_ids), **period).rows
    person_rows = {row.keys["prosecutor"]: row for row in people}
    unit_rows = {row.keys["unit"]: row for row in units}
    unit_codes = dict(Unit.objects.filter(pk__in=unit_ids).values_list("pk", "code"))
    case_nos: dict[int, list[str]] = {pk: [] for pk in ids}
    closed = (
        cases.filter(prosecutor_id__in=ids, closed_on__gte=first, closed_on__lte=last, received_on__isnull=False)
        .order_by("closed_on", "case_no")
        .values_list("prosecutor_id", "case_no")
    )
    for pk, case_no in closed:
        case_nos[pk].append(case_no)
    result = {}
    for person in prosecutors:
        lines = _quality_lines(reviews.get(person.pk, []), rules.get("quality", {}))
        efficiency, person_display, unit_display = _efficiency_lines(
            person_rows.get(person.staff_code, RatioRow(keys={})),
            unit_rows.get(unit_codes.get(person.unit_id), RatioRow(keys={})),
            case_nos[person.pk],
            rules.get("efficiency", {}),
        )
        result[person.pk] = Assessment(person, year, scheme, lines + efficiency, person_display, unit_display)
    return result


def _final_reviews(prosecutor_ids, first, last, cases) -> dict[int, list[tuple[str, str, bool]]]:
    """(case number, final grade, valid 错案 flag) of the reviews that became final in the range, by prosecutor,
    on `cases` (those the viewer may open)."""
    rows = (
        QualityReview.objects.filter(
            case__prosecutor_id__in=prosecutor_ids,
            status=QualityReview.Status.FINAL,
            final_on__gte=first,
            final_on__lte=last,
        )
        .filter(case__in=cases.values("pk"))
        .order_by("final_on", "id")
        # DOMAIN §7: a 错案 flag counts only on a 不合格 review with an error finding (the workflow keeps
        # it so; this guards rows written around it).
        .annotate(
            valid_wrongful=Q(wrongful=True, final_grade=Grade.UNQUALIFIED)
            & Exists(Finding.objects.filter(review=OuterRef("pk"), nature=Nature.ERROR))
        )
        .values_list("case__prosecutor_id", "case__case_no", "final_grade", "valid_wrongful")
    )
    found: dict[int, list] = {}
    for pk, case_no, grade, wrongful in rows:
        found.setdefault(pk, []).append((case_no, grade, wrongful))
    return found


def _quality_lines(reviews: list[tuple[str, str, bool]], rules: dict) -> list[AssessmentLine]:
    base = _dec(rules.get("base", 0))
    lines = [AssessmentLine(QUALITY, "base", _("质量基础分"), base)]
    grade_points = rules.get("grade_points", {})
    labels = dict(Grade.choices)
    for grade in GRADE_ORDER:
        cases = [no for no, g, _w in reviews if g == grade]
        if cases:
            per = _dec(grade_points.get(grade, 0))
            lines.append(
                AssessmentLine(
                    QUALITY,
                    f"grade_{grade}",
                    _("评查等级：%(g)s") % {"g": labels[grade]},
                    per * len(cases),
                    len(cases),
                    cases,
                    _("每件 %(p)s 分") % {"p": per},
                )
            )
    subtotal = sum((line.points for line in lines), Decimal("0"))
    wrongful = [no for no, _g, w in reviews if w]
    if wrongful and rules.get("wrongful_veto", True):
        lines.append(
            AssessmentLine(QUALITY, "wrongful_veto", _("错案一票否决：质量分计为0"), -subtotal, len(wrongful), wrongful)
        )
    elif rules.get("floor") is not None and subtotal < _dec(rules["floor"]):
        floor = _dec(rules["floor"])
        lines.append(AssessmentLine(QUALITY, "floor", _("质量分不低于 %(f)s 分") % {"f": floor}, floor - subtotal))
    return lines


def _efficiency_lines(person: RatioRow, unit: RatioRow, case_nos: list[str], rules: dict):
    person_display, unit_display = format_ratio(person.items, person.cases)[1], format_ratio(unit.items, unit.cases)[1]
    if not person.cases or not unit.cases:
        line = AssessmentLine(EFFICIENCY, "ratio", _("案-件比：本年度无审结案件，不加减分"), Decimal("0"))
        return [line], person_display, unit_display
    # Exact fractions: a lower ratio than the unit's earns points, a higher one loses them.
    difference = Fraction(unit.items, unit.cases) - Fraction(person.items, person.cases)
    step = Fraction(str(rules.get("step", "0.1")))
    steps = int(difference / step) if step else 0  # whole steps, truncated towards zero
    points = _dec(steps) * _dec(rules.get("points_per_step", 1))
    points = max(-_dec(rules.get("max_penalty", points.copy_abs())), min(_dec(rules.get("max_bonus", points)), points))
    line = AssessmentLine(
        EFFICIENCY,
        "ratio",
        _("案-件比（审结口径）%(p)s，本院 %(u)s") % {"p": person_display, "u": unit_display},
        points,
        person.cases,
        case_nos,
        _("每低于本院 %(s)s 加 %(n)s 分，每高出扣 %(n)s 分，上限 %(b)s 分，下限 -%(m)s 分")
        % {
            "s": step,
            "n": rules.get("points_per_step", 1),
            "b": rules.get("max_bonus", "—"),
            "m": rules.get("max_penalty", "—"),
        },
    )
    return [line], person_display, unit_display


# --- team results ----------------------------------------------------------------------------


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
    first, last = _year_range(year)
    filters = RatioFilters(team=team.team_code)
    _cases, scope = _viewed(viewer)
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
