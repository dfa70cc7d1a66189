"""Assessment (考核, DOMAIN.md §8) of a prosecutor, from the schemes stored as data, period by period.

Schemes have an effective date (`AssessmentScheme.objects.in_force_on`): a year is cut into periods
where the scheme in force changes (`AssessmentScheme.objects.periods`), and each thing the assessment
counts falls in the period of the date of its counted event:

- quality: a FINAL review counts on the day it became final (`final_on`); the period's component starts
  at its scheme's base and moves by the grade of each review; a review that finds a wrongful case
  (错案) zeroes that period's component;
- efficiency: a case counts on the day it was closed (`closed_on`, the cohort basis): the person's
  ratio over the cases closed in the period against their unit's over the same period, points per step
  of difference, capped both ways, under the period's scheme.

Each period is scored in full by its own scheme (base included) and the year's total is the sum of the
periods; `Assessment.periods` keeps them item by item, so a person sees why they got their score. A
part of the year before the first scheme is not scored: it comes as a period without a scheme whose
note says so and lists what it would have counted; a year no scheme covers at all is an
`AssessmentError` (a message on the pages, a 400 on the API).

Both take the `viewer`: what they list and count is limited to the cases the viewer may open
(`Case.objects.visible_to`), and the figures to the viewer's statistics scope, so a team lead sees a
member's assessment on the team's cases only. Without a viewer (commands, tests) nothing is limited.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from cases.models import AssessmentScheme, Finding, Grade, Nature, QualityReview
from cases.ratio import RatioRow, Scope, format_ratio, ratio_for
from cases.team_results import TeamMember, TeamMonth, TeamResult, team_results, viewed, year_range
from teams.models import Prosecutor, Unit

__all__ = [
    "Assessment",
    "AssessmentError",
    "AssessmentLine",
    "AssessmentPeriod",
    "TeamMember",
    "TeamMonth",
    "TeamResult",
    "assess_many",
    "assess_prosecutor",
    "scheme_for",
    "team_results",
]

QUALITY, EFFICIENCY = "quality", "efficiency"
GRADE_ORDER = [Grade.EXCELLENT, Grade.QUALIFIED, Grade.FLAWED, Grade.UNQUALIFIED]


class AssessmentError(LookupError):
    """No scheme is in force on any day of the year asked for."""


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


def _sum(lines, component=None) -> Decimal:
    return sum((ln.points for ln in lines if component in (None, ln.component)), Decimal("0"))


@dataclass
class AssessmentPeriod:
    """The part of the year (`date_from`..`date_to`, inclusive) under one scheme, scored by it line by line.

    `scheme` None: no scheme was in force yet; nothing is scored and `unscored` lists the cases that
    would have counted (reviews final, cases closed in the period)."""

    date_from: datetime.date
    date_to: datetime.date
    scheme: AssessmentScheme | None
    lines: list[AssessmentLine] = field(default_factory=list)
    person: RatioRow = field(default_factory=lambda: RatioRow(keys={}))
    unit: RatioRow = field(default_factory=lambda: RatioRow(keys={}))
    unscored: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def quality(self) -> Decimal:
        return _sum(self.lines, QUALITY)

    @property
    def efficiency(self) -> Decimal:
        return _sum(self.lines, EFFICIENCY)

    @property
    def total(self) -> Decimal:
        return _sum(self.lines)

    @property
    def person_ratio(self) -> str | None:
        return format_ratio(self.person.items, self.person.cases)[1]

    @property
    def unit_ratio(self) -> str | None:
        return format_ratio(self.unit.items, self.unit.cases)[1]

    @property
    def label(self) -> str:
        """The period and its scheme, e.g. "2026-04-01 至 2026-08-14 · 2026年二季度办法"."""
        name = self.scheme.name if self.scheme else _("无适用的考核办法")
        return _("%(f)s 至 %(t)s · %(name)s") % {"f": self.date_from, "t": self.date_to, "name": name}


@dataclass
class Assessment:
    """A prosecutor's assessment for a year: its periods (one per scheme in force), each item by item;
    the year's components and total are the sums of the periods'."""

    prosecutor: Prosecutor
    year: int
    periods: list[AssessmentPeriod]

    @property
    def scored(self) -> list[AssessmentPeriod]:
        return [p for p in self.periods if p.scheme is not None]

    @property
    def scheme(self) -> AssessmentScheme:
        """The scheme of the year's last scored period (the one in force at the end of the year)."""
        return self.scored[-1].scheme

    @property
    def lines(self) -> list[AssessmentLine]:
        """Every period's lines, in date order."""
        return [line for period in self.periods for line in period.lines]

    def component(self, name: str) -> Decimal:
        return _sum(self.lines, name)

    @property
    def quality(self) -> Decimal:
        return sum((p.quality for p in self.periods), Decimal("0"))

    @property
    def efficiency(self) -> Decimal:
        return sum((p.efficiency for p in self.periods), Decimal("0"))

    @property
    def total(self) -> Decimal:
        return sum((p.total for p in self.periods), Decimal("0"))

    @property
    def person_ratio(self) -> str | None:
        """The person's cohort ratio over the scored periods (cases closed in them)."""
        rows = [p.person for p in self.scored]
        return format_ratio(sum(r.items for r in rows), sum(r.cases for r in rows))[1]

    @property
    def unit_ratio(self) -> str | None:
        rows = [p.unit for p in self.scored]
        return format_ratio(sum(r.items for r in rows), sum(r.cases for r in rows))[1]


def scheme_for(day: datetime.date) -> AssessmentScheme:
    """The scheme in force on `day` (`AssessmentScheme.objects.in_force_on`), or an AssessmentError."""
    scheme = AssessmentScheme.objects.in_force_on(day)
    if scheme is None:
        raise AssessmentError(_("%(day)s 没有施行中的考核办法") % {"day": day})
    return scheme


def _dec(value) -> Decimal:
    return Decimal(str(value))


def assess_prosecutor(prosecutor: Prosecutor, year: int, viewer=None) -> Assessment:
    """The prosecutor's assessment for `year`, period by period and item by item, as `viewer` may see it."""
    return assess_many([prosecutor], year, viewer=viewer)[prosecutor.pk]


def assess_many(prosecutors: list[Prosecutor], year: int, viewer=None) -> dict[int, Assessment]:
    """Each prosecutor's assessment for `year` by pk (a team's members side by side): the same periods and
    lines as `assess_prosecutor`, as `viewer` may see them. A fixed number of queries whatever the number
    of people (two ratio reads per period)."""
    first, last = year_range(year)
    periods = AssessmentScheme.objects.periods(first, last)
    if all(scheme is None for _f, _t, scheme in periods):
        raise AssessmentError(_("%(year)d年没有施行中的考核办法") % {"year": year})
    ids = [p.pk for p in prosecutors]
    cases, scope = viewed(viewer)
    reviews = _final_reviews(ids, first, last, cases)
    closed: dict[int, list[tuple[datetime.date, str]]] = {pk: [] for pk in ids}
    rows = (
        cases.filter(prosecutor_id__in=ids, closed_on__gte=first, closed_on__lte=last, received_on__isnull=False)
        .order_by("closed_on", "case_no")
        .values_list("prosecutor_id", "closed_on", "case_no")
    )
    for pk, day, case_no in rows:
        closed[pk].append((day, case_no))
    unit_ids = frozenset(p.unit_id for p in prosecutors)
    unit_codes = dict(Unit.objects.filter(pk__in=unit_ids).values_list("pk", "code"))
    # A person's ratio within what the viewer sees (grouped by person over the viewer's scope).
    people_scope = Scope(prosecutor_ids=frozenset(ids)) if scope.everything else scope
    result = {p.pk: Assessment(p, year, []) for p in prosecutors}
    for start, end, scheme in periods:
        if scheme is None:
            for person in prosecutors:
                result[person.pk].periods.append(
                    _unscored(start, end, reviews.get(person.pk, []), closed[person.pk], periods)
                )
            continue
        span = {"basis": "cohort", "date_from": start, "date_to": end}
        people = ratio_for(group_by="prosecutor", scope=people_scope, **span).rows
        units = ratio_for(group_by="unit", scope=Scope(unit_ids=unit_ids), **span).rows
        person_rows = {row.keys["prosecutor"]: row for row in people}
        unit_rows = {row.keys["unit"]: row for row in units}
        for person in prosecutors:
            mine = [(no, g, w) for day, no, g, w in reviews.get(person.pk, []) if start <= day <= end]
            period = AssessmentPeriod(
                start,
                end,
                scheme,
                person=person_rows.get(person.staff_code, RatioRow(keys={})),
                unit=unit_rows.get(unit_codes.get(person.unit_id), RatioRow(keys={})),
            )
            period.lines = _quality_lines(mine, scheme.rules.get("quality", {})) + _efficiency_lines(
                period.person,
                period.unit,
                [no for day, no in closed[person.pk] if start <= day <= end],
                scheme.rules.get("efficiency", {}),
            )
            result[person.pk].periods.append(period)
    return result


def _unscored(start, end, reviews, closed, periods) -> AssessmentPeriod:
    """The part of the year before the first scheme: not scored, with what it would have counted."""
    nos = [no for day, no, _g, _w in reviews if start <= day <= end]
    nos += [no for day, no in closed if start <= day <= end and no not in nos]
    first_scheme = next(scheme for _f, _t, scheme in periods if scheme is not None)
    note = _(
        "此期间尚无施行中的考核办法（最早的办法自 %(day)s 起施行），期间生效的评查和审结的案件（%(n)d 件）不计分"
    ) % {
        "day": first_scheme.effective_from,
        "n": len(nos),
    }
    return AssessmentPeriod(start, end, None, unscored=nos, note=note)


def _final_reviews(prosecutor_ids, first, last, cases) -> dict[int, list[tuple[datetime.date, str, str, bool]]]:
    """(final date, case number, final grade, valid 错案 flag) of the reviews that became final in the range,
    by prosecutor, on `cases` (those the viewer may open)."""
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
        .values_list("case__prosecutor_id", "final_on", "case__case_no", "final_grade", "valid_wrongful")
    )
    found: dict[int, list] = {}
    for pk, day, case_no, grade, wrongful in rows:
        found.setdefault(pk, []).append((day, case_no, grade, wrongful))
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


def _efficiency_lines(person: RatioRow, unit: RatioRow, case_nos: list[str], rules: dict) -> list[AssessmentLine]:
    person_display, unit_display = format_ratio(person.items, person.cases)[1], format_ratio(unit.items, unit.cases)[1]
    if not person.cases or not unit.cases:
        return [AssessmentLine(EFFICIENCY, "ratio", _("案-件比：本期无审结案件，不加减分"), Decimal("0"))]
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
    return [line]
