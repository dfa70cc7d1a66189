"""The baselines the product is measured against, each computed from the raw case and event tables.

One hand-written SQL statement per statistic (a `GROUP BY` over `cases_case`, the events and the
catalogue, no roll-up), written here independently of `cases.facts` so that the product's numbers are
checked against a second implementation of DOMAIN.md §4 and §9 rather than against themselves.
"""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection

from cases.models import Case, EventType, Finding, ProceduralEvent, QualityReview, ReviewItem

CASES = Case._meta.db_table
EVENTS = ProceduralEvent._meta.db_table
TYPES = EventType._meta.db_table
REVIEWS = QualityReview._meta.db_table
FINDINGS = Finding._meta.db_table
ITEMS = ReviewItem._meta.db_table


def month_of(expression: str) -> str:
    """SQL for the "YYYY-MM" label of a date column, in the current database's dialect."""
    if connection.vendor == "postgresql":
        return f"to_char({expression}, 'YYYY-MM')"
    return f"strftime('%%Y-%%m', {expression})"


@dataclass
class Statistic:
    """What a baseline statement returned: rows keyed like the product's, and the time it took."""

    rows: dict[tuple, tuple]
    seconds: float


def run_sql(sql: str, params: list) -> tuple[list[tuple], float]:
    """Execute and fetch one statement; (rows, seconds for execute + fetch)."""
    with connection.cursor() as cursor:
        start = time.perf_counter()
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        return rows, time.perf_counter() - start


def _key_column(by_unit: bool) -> str:
    return "c.unit_id" if by_unit else "0"


def ratio_sql(by_unit: bool, team_id: int | None, events: str = EVENTS) -> str:
    """Flow-basis cases and items by month (and unit): cases by received date, extras by their own date."""
    team = "AND c.team_id = %s" if team_id is not None else ""
    key = _key_column(by_unit)
    return f"""
        SELECT m, k, SUM(n_cases), SUM(n_cases) + SUM(n_extra) FROM (
            SELECT {month_of("c.received_on")} AS m, {key} AS k, COUNT(*) AS n_cases, 0 AS n_extra
            FROM {CASES} c
            WHERE c.received_on >= %s AND c.received_on <= %s {team}
            GROUP BY 1, 2
            UNION ALL
            SELECT {month_of("e.date")} AS m, {key} AS k, 0 AS n_cases, SUM(t.weight) AS n_extra
            FROM {events} e JOIN {CASES} c ON c.id = e.case_id JOIN {TYPES} t ON t.id = e.event_type_id
            WHERE t.kind = 'extra' AND c.received_on IS NOT NULL AND e.date >= %s AND e.date <= %s {team}
            GROUP BY 1, 2
        ) x GROUP BY m, k"""


def ratio_baseline(
    date_from: datetime.date, date_to: datetime.date, *, team_id: int | None = None, by_unit: bool = False
) -> Statistic:
    """{(month, unit id or 0): (cases, items)} by one hand-written GROUP BY."""
    team = [team_id] if team_id is not None else []
    params = [date_from, date_to, *team, date_from, date_to, *team]
    rows, seconds = run_sql(ratio_sql(by_unit, team_id), params)
    return Statistic({(m, k): (int(c), int(i)) for m, k, c, i in rows}, seconds)


INDICATOR_COLUMNS = (
    "n_reviewed",
    "n_returned",
    "n_extended",
    "n_indicted",
    "n_not_prosecuted",
    "n_judged",
    "n_self_supplementary",
)


def indicators_baseline(
    date_from: datetime.date, date_to: datetime.date, *, team_id: int | None = None, by_unit: bool = False
) -> Statistic:
    """The event-counted §9 figures by month (and unit), flow basis: {(month, key): counts in INDICATOR_COLUMNS}."""

    def distinct_cases(code: str) -> str:
        return f"COUNT(DISTINCT CASE WHEN t.code = '{code}' THEN e.case_id END)"

    def persons(code: str) -> str:
        return f"COALESCE(SUM(CASE WHEN t.code = '{code}' THEN e.persons END), 0)"

    team = "AND c.team_id = %s" if team_id is not None else ""
    sql = f"""
        SELECT {month_of("e.date")} AS m, {_key_column(by_unit)} AS k,
            {distinct_cases("prosecution_review")}, {distinct_cases("supplementary_investigation")},
            {distinct_cases("review_extension")}, {persons("indictment")}, {persons("non_prosecution")},
            {persons("judgment")},
            COUNT(CASE WHEN t.code = 'self_supplementary_investigation' THEN 1 END)
        FROM {EVENTS} e JOIN {CASES} c ON c.id = e.case_id JOIN {TYPES} t ON t.id = e.event_type_id
        WHERE e.date >= %s AND e.date <= %s {team}
        GROUP BY 1, 2"""
    params = [date_from, date_to, *([team_id] if team_id is not None else [])]
    rows, seconds = run_sql(sql, params)
    out = {}
    for m, k, *counts in rows:
        counts = tuple(int(c or 0) for c in counts)
        if any(counts):
            out[(m, k)] = counts
    return Statistic(out, seconds)


DIMENSIONS = ("evidence", "facts", "law", "procedure", "documents", "reasoning", "effect", "responsibility")
TOP_FINDINGS = 5


def reviews_baseline(
    date_from: datetime.date, date_to: datetime.date, *, team_id: int | None = None, by_unit: bool = False
) -> Statistic:
    """Final reviews by month of their final date (and unit), two hand-written GROUP BYs (reviews; findings):
    {(month, key): (reviews, average score, count per grade…, deductions per dimension…, top findings)}."""
    grades = ("excellent", "qualified", "flawed", "unqualified")
    team = "AND c.team_id = %s" if team_id is not None else ""
    grade_counts = ", ".join(f"COUNT(CASE WHEN r.final_grade = '{g}' THEN 1 END)" for g in grades)
    sql = f"""
        SELECT {month_of("r.final_on")} AS m, {_key_column(by_unit)} AS k, COUNT(*),
            SUM(r.score), {grade_counts}
        FROM {REVIEWS} r JOIN {CASES} c ON c.id = r.case_id
        WHERE r.status = 'final' AND r.final_on >= %s AND r.final_on <= %s {team}
        GROUP BY 1, 2"""
    found_sql = f"""
        SELECT {month_of("r.final_on")} AS m, {_key_column(by_unit)} AS k, f.dimension, i.code,
            SUM(f.points * f.count), SUM(f.count)
        FROM {FINDINGS} f JOIN {REVIEWS} r ON r.id = f.review_id JOIN {CASES} c ON c.id = r.case_id
            JOIN {ITEMS} i ON i.id = f.item_id
        WHERE r.status = 'final' AND r.final_on >= %s AND r.final_on <= %s {team}
        GROUP BY 1, 2, 3, 4"""
    params = [date_from, date_to, *([team_id] if team_id is not None else [])]
    rows, seconds = run_sql(sql, params)
    found, found_seconds = run_sql(found_sql, params)
    deductions: dict[tuple, dict[str, Decimal]] = {}
    items: dict[tuple, dict[str, int]] = {}
    for m, k, dimension, code, points, times in found:
        into = deductions.setdefault((m, k), dict.fromkeys(DIMENSIONS, Decimal(0)))
        into[dimension] += Decimal(str(points)).quantize(Decimal("0.01"))
        counts = items.setdefault((m, k), {})
        counts[code] = counts.get(code, 0) + int(times)
    out = {}
    for m, k, count, score_sum, *by_grade in rows:
        # Half-up to the cent, as the product shows averages (float rounding would turn x.xx5 down).
        average = (Decimal(str(score_sum)) / int(count)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        ded = deductions.get((m, k), dict.fromkeys(DIMENSIONS, Decimal(0)))
        top = sorted(items.get((m, k), {}).items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_FINDINGS]
        out[(m, k)] = (
            int(count),
            float(average),
            *(int(g) for g in by_grade),
            *(float(ded[d]) for d in DIMENSIONS),
            tuple(top),
        )
    return Statistic(out, seconds + found_seconds)
