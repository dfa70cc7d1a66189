"""Roll-ups of final quality reviews (DOMAIN.md §7): the same grouping, filters and scope as the ratio.

`review_stats_for` takes exactly the parameters of `cases.ratio.ratio_for` and reuses its parsing,
filter resolution, scope and period labels; reviews fall in the period of their final date (the day
they became final), and are attributed through their case like the ratio. Only FINAL reviews count.
Two aggregate queries answer any request: grades and scores, and findings by dimension and item
(deductions by dimension and finding counts by item both add up from it).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import connections, router
from django.db.models import Count, DateField, DecimalField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import Cast, TruncMonth, TruncQuarter, TruncYear
from django.utils import timezone

from cases.facts import BASES, FLOW
from cases.models import Dimension, Finding, Grade, QualityReview
from cases.ratio import (
    DIMENSIONS,
    EVERYTHING,
    KEY_COLUMNS,
    PERIODS,
    RatioFilters,
    RatioQueryError,
    Scope,
    attach_codes,
    filter_ids,
    parse_group_by,
    period_label,
)

TOP_FINDINGS = 5
TRUNC = {"month": TruncMonth, "quarter": TruncQuarter, "year": TruncYear}
CENT = Decimal("0.01")
# Read once: `Choices.values` rebuilds its list on every access, and every group row starts from them.
GRADES = tuple(Grade.values)
DIMENSION_CODES = tuple(Dimension.values)


@dataclass
class ReviewRow:
    """One group of final reviews: keys (codes, None for "none"), count, scores, grades, deductions, top items."""

    keys: dict[str, str | None]
    reviews: int = 0
    score_sum: Decimal = Decimal("0")
    grades: dict[str, int] = field(default_factory=lambda: dict.fromkeys(GRADES, 0))
    deductions: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(DIMENSION_CODES, Decimal("0")))
    findings: dict[str, int] = field(default_factory=dict)
    labels: dict[str, str | None] = field(default_factory=dict)

    @property
    def average_score(self) -> Decimal | None:
        """Mean score to the cent; None without reviews."""
        if not self.reviews:
            return None
        return (self.score_sum / self.reviews).quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def top_findings(self) -> list[tuple[str, int]]:
        """The most frequent items (code, times found), most frequent first, ties by code."""
        ranked = sorted(self.findings.items(), key=lambda kv: (-kv[1], kv[0]))
        return ranked[:TOP_FINDINGS]

    def as_dict(self) -> dict:
        average = self.average_score
        return {
            **self.keys,
            "reviews": self.reviews,
            "average_score": float(average) if average is not None else None,
            "grades": dict(self.grades),
            "deductions": {k: float(v.quantize(CENT)) for k, v in self.deductions.items()},
            "top_findings": [{"item": code, "count": n} for code, n in self.top_findings],
        }


@dataclass
class ReviewReport:
    """The answer of `review_stats_for`: its parameters, grouped rows and the total."""

    basis: str
    date_from: datetime.date
    date_to: datetime.date
    group_by: list[str]
    rows: list[ReviewRow]
    total: ReviewRow


def _prefix(q: Q, prefix: str) -> Q:
    clone = Q()
    clone.connector, clone.negated = q.connector, q.negated
    clone.children = [
        _prefix(child, prefix) if isinstance(child, Q) else (f"{prefix}{child[0]}", child[1]) for child in q.children
    ]
    return clone


def review_stats_for(
    *,
    group_by: list[str] | str | None = None,
    basis: str = FLOW,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    filters: RatioFilters | None = None,
    scope: Scope = EVERYTHING,
) -> ReviewReport:
    """Final reviews per group over an inclusive range of final dates.

    `basis` is accepted and checked so callers pass the ratio's parameters unchanged; reviews have
    one date that matters (the final date), so both bases give the same answer.
    """
    group_by = parse_group_by(group_by)
    if basis not in BASES:
        raise RatioQueryError("basis", f"unknown basis {basis!r}; allowed: {', '.join(BASES)}")
    today = timezone.localdate()
    date_from = date_from or datetime.date(today.year, 1, 1)
    date_to = date_to or today
    if date_from > date_to:
        raise RatioQueryError("date_from", f"date_from {date_from} is after date_to {date_to}")
    columns = filter_ids(filters or RatioFilters())
    periods = [p for p in PERIODS if p in group_by]
    dims = [d for d in DIMENSIONS if d in group_by]

    total = ReviewRow(keys={})
    scope_q = scope.case_q()
    if scope_q is None:
        return ReviewReport(basis, date_from, date_to, group_by, [], total)
    review_q = (
        Q(status=QualityReview.Status.FINAL, final_on__gte=date_from, final_on__lte=date_to)
        & _prefix(scope_q, "case__")
        & Q(**{f"case__{column}": value for column, value in columns.items()})
    )
    groups: dict[tuple, ReviewRow] = {}
    labels: dict[tuple[str, object], str] = {}
    n_keys = len(periods) + len(dims)

    # PostgreSQL truncates a date to a timestamp with time zone, which the driver parses in Python
    # row by row; cast back to a date, it arrives as one (tens of thousands of rows at province scale).
    as_date = connections[router.db_for_read(QualityReview)].vendor == "postgresql"

    def period_expr(period: str, path: str):
        expr = TRUNC[period](path)
        return Cast(expr, DateField()) if as_date else expr

    def group_exprs(prefix: str) -> dict:
        exprs = {f"p_{p}": period_expr(p, f"{prefix}final_on") for p in periods}
        exprs.update({f"c_{d}": F(f"{prefix}case__{KEY_COLUMNS[d][0]}") for d in dims})
        return exprs

    by_values: dict[tuple, ReviewRow] = {}

    def row_for(values: list) -> ReviewRow:
        """The group of a row whose first values are its periods, then its dimension keys."""
        found = by_values.get(tuple(values))
        if found is None:
            found = by_values[tuple(values)] = group_of(values)
        return found

    def group_of(values: list) -> ReviewRow:
        key = []
        for p, day in zip(periods, values, strict=False):
            label = labels.get((p, day))
            if label is None:  # formatted once per distinct period value, not once per row
                label = labels[(p, day)] = period_label(p, day.date() if isinstance(day, datetime.datetime) else day)
            key.append(label)
        for value in values[len(periods) : n_keys]:
            key.append(None if value in ("", None) else value)
        key = tuple(key)
        found = groups.get(key)
        if found is None:
            found = groups[key] = ReviewRow(keys=dict(zip([*periods, *dims], key, strict=True)))
        return found

    def grouped(queryset, prefix: str, **extra):
        exprs = group_exprs(prefix)
        return queryset.values(**exprs, **extra)

    graded = grouped(QualityReview.objects.filter(review_q), "", g=F("final_grade")).annotate(
        n=Count("pk"), s=Sum("score")
    )
    for *keys, grade, n, score in graded.values_list(*group_exprs(""), "g", "n", "s").order_by():
        for acc in (row_for(keys), total):
            acc.reviews += n
            acc.score_sum += score or Decimal("0")
            acc.grades[grade] = acc.grades.get(grade, 0) + n

    # Deductions by dimension and finding counts by item from one query grouped by both (an item's
    # rows add up to its count; a dimension's rows to its points).
    deducted = ExpressionWrapper(F("points") * F("count"), output_field=DecimalField(max_digits=12, decimal_places=2))
    findings = grouped(
        Finding.objects.filter(_prefix(review_q, "review__")), "review__", dim=F("dimension"), code=F("item__code")
    ).annotate(pts=Sum(deducted), times=Sum("count"))
    zero = Decimal("0")
    for *keys, dim, code, points, times in findings.values_list(
        *group_exprs("review__"), "dim", "code", "pts", "times"
    ).order_by():
        points = points if isinstance(points, Decimal) else Decimal(str(points))
        for acc in (row_for(keys), total):
            acc.deductions[dim] = acc.deductions.get(dim, zero) + points
            acc.findings[code] = acc.findings.get(code, 0) + times

    rows = sorted(groups.values(), key=lambda r: tuple((v is None, str(v)) for v in r.keys.values()))
    attach_codes(rows, dims)
    return ReviewReport(basis, date_from, date_to, group_by, rows, total)
