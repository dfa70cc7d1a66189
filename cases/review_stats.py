"""Roll-ups of final quality reviews (DOMAIN.md §7): the same grouping, filters and scope as the ratio.

`review_stats_for` takes exactly the parameters of `cases.ratio.ratio_for` and reuses its parsing,
filter resolution, scope and period labels; reviews fall in the period of their final date (the day
they became final), and are attributed through their case like the ratio. Only FINAL reviews count.
Whole months are read from the maintained `ReviewFact` count table (`cases.review_stats_facts`);
the days of a partial month at either end from the raw rows, in one statement per partial range:
the final reviews in range are read once, then grouped for grades and scores, and their findings
grouped by dimension and item (deductions by dimension and finding counts by item both add up
from it). Every figure is a sum over reviews, so the two parts add up exactly.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal

from django.db import connections, router
from django.db.models import DateField, F, Q
from django.db.models.functions import Cast, TruncMonth, TruncQuarter, TruncYear

from cases.facts import FLOW, case_kwargs, case_path
from cases.models import Dimension, Finding, Grade, QualityReview, ReviewItem
from cases.ratio import (
    EVERYTHING,
    KEY_COLUMNS,
    RatioFilters,
    Scope,
    attach_codes,
    period_label,
    split_range,
)
from cases.review_stats_facts import TOTALS, read_facts
from cases.stats_query import StatsQuery

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


GRADED, FOUND = 0, 1
_FLOAT_CONTEXT = Context(prec=15)


def _decimal(value) -> Decimal:
    """A sum of two-decimal amounts as a Decimal (SQLite answers them as floats, as the ORM would convert)."""
    if value is None:
        return Decimal("0")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return _FLOAT_CONTEXT.create_decimal_from_float(value).quantize(CENT)
    return Decimal(value)


def _read(review_q: Q, exprs: dict) -> list[tuple]:
    """Grades and scores per group and grade, and deductions and counts per group, dimension and item,
    in one statement: the final reviews in range (with their group keys, through their case) are read
    once, as a common table, and the findings joined to it.

    Rows: (GRADED, *keys, grade, None, reviews, score sum, None) and
    (FOUND, *keys, dimension, item code, None, points deducted, times found).
    """
    reviews = (
        QualityReview.objects.filter(review_q)
        .values(**exprs, r_id=F("pk"), r_grade=F("final_grade"), r_score=F("score"))
        .order_by()
    )
    connection = connections[reviews.db]
    base_sql, params = reviews.query.get_compiler(reviews.db).as_sql()
    qn = connection.ops.quote_name
    finding, item = Finding._meta, ReviewItem._meta

    def column(meta, name: str) -> str:
        return qn(meta.get_field(name).column)

    keys = [f"r.{qn(name)}" for name in exprs]
    grade, code = f"r.{qn('r_grade')}", f"i.{column(item, 'code')}"
    dimension, times = f"f.{column(finding, 'dimension')}", f"f.{column(finding, 'count')}"
    points = f"f.{column(finding, 'points')}"
    graded = ", ".join([*keys, grade])
    found = ", ".join([*keys, dimension, code])
    sql = (
        f"WITH r AS ({base_sql}) "
        f"SELECT {GRADED}, {graded}, NULL, COUNT(*), SUM(r.{qn('r_score')}), NULL FROM r GROUP BY {graded} "
        f"UNION ALL "
        f"SELECT {FOUND}, {found}, NULL, SUM({points} * {times}), SUM({times}) "
        f"FROM {qn(finding.db_table)} f JOIN r ON f.{column(finding, 'review')} = r.{qn('r_id')} "
        f"JOIN {qn(item.db_table)} i ON i.{column(item, 'id')} = f.{column(finding, 'item')} "
        f"GROUP BY {found}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


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
    query = StatsQuery.build(
        group_by=group_by, basis=basis, date_from=date_from, date_to=date_to, filters=filters, scope=scope
    )
    group_by, date_from, date_to, scope = list(query.group_by), query.date_from, query.date_to, query.scope
    columns, periods, dims = query.columns, list(query.periods), query.dims

    total = ReviewRow(keys={})
    scope_q, scope_fact_q = scope.case_q(), scope.fact_q()
    if scope_q is None or scope_fact_q is None:
        return ReviewReport(basis, date_from, date_to, group_by, [], total)
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
        exprs.update({f"c_{d}": F(f"{prefix}case__{case_path(KEY_COLUMNS[d][0])}") for d in dims})
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
        for p, value in zip(periods, values, strict=False):
            label = labels.get((p, value))
            if label is None:  # formatted once per distinct period value, not once per row
                day = value
                if isinstance(day, str):  # SQLite answers a raw statement's dates as text
                    day = datetime.date.fromisoformat(day[:10])
                elif isinstance(day, datetime.datetime):
                    day = day.date()
                label = labels[(p, value)] = period_label(p, day)
            key.append(label)
        for value in values[len(periods) : n_keys]:
            key.append(None if value in ("", None) else value)
        key = tuple(key)
        found = groups.get(key)
        if found is None:
            found = groups[key] = ReviewRow(keys=dict(zip([*periods, *dims], key, strict=True)))
        return found

    zero = Decimal("0")

    def add(kind: int, keys: list, first, code, n, amount: Decimal, times) -> None:
        for acc in (row_for(keys), total):
            if kind == GRADED:
                acc.reviews += n
                acc.score_sum += amount
                acc.grades[first] = acc.grades.get(first, 0) + n
            elif kind == TOTALS:  # a count-table row: the group's reviews, score sum and every grade
                acc.reviews += n
                acc.score_sum += amount
                for grade, count in first.items():
                    acc.grades[grade] = acc.grades.get(grade, 0) + count
            else:
                acc.deductions[first] = acc.deductions.get(first, zero) + amount
                acc.findings[code] = acc.findings.get(code, 0) + times

    # Whole months from the maintained count table; the days of a partial month at either end from the
    # raw rows (the same split as the ratio's, so any inclusive range is exact).
    whole, partial = split_range(date_from, date_to)
    if whole:
        for kind, keys, first, code, n, amount, times in read_facts(whole, periods, dims, columns, scope):
            add(kind, keys, first, code, n, amount, times)
    for day_from, day_to in partial:
        review_q = (
            Q(status=QualityReview.Status.FINAL, final_on__gte=day_from, final_on__lte=day_to)
            & _prefix(scope_q, "case__")
            & Q(**case_kwargs(columns, "case__"))
        )
        for kind, *values in _read(review_q, group_exprs("")):
            keys, (first, code, n, amount, times) = values[:n_keys], values[n_keys:]
            add(kind, keys, first, code, n, _decimal(amount), times)

    rows = sorted(groups.values(), key=lambda r: tuple((v is None, str(v)) for v in r.keys.values()))
    attach_codes(rows, dims)
    return ReviewReport(basis, date_from, date_to, group_by, rows, total)
