"""Maintenance and reads of the `IndicatorFact` count table (DOMAIN.md §9 indicators).

The table is kept by the ratio's hook (`cases.rollup.maintained`), in the same transaction and the
same way: before a write the full-level facts of the touched cases go negated into a temporary delta
table, after it they go in again, and one INSERT … SELECT … GROUP BY … ON CONFLICT DO UPDATE per
level adds the net difference. `rebuild()` recomputes the full level from the raw rows and the
coarser levels from the full level. Facts are computed by the same per-case aggregation as the raw
reads (`cases.indicator_counts`), grouped by month instead of the answer's groups.

Exactness over multi-month ranges: sums of persons and events are additive; the distinct-case counts
are made additive with link rows (see `IndicatorFact`): a case with an event of the code in months
m1 < m2 < … < mk has +1 in each mi and a link row (first_month=m(i-1), month=mi) with -1, so the rows
of a whole-month range [A, B] with first_month >= A (and, per period, first_month in the same
period as month) add up to exactly one per case.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import F, IntegerField, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth, TruncQuarter, TruncYear

from cases.facts import BASES, FLOW, KEY_FIELDS, ZERO_NONE, case_path, through_case
from cases.indicator_counts import CASE_COUNTED, EVENT_CODES, case_aggregates, event_aggregates, reviewed_cases
from cases.models import IndicatorFact, ProceduralEvent
from cases.models.indicator_fact import INDICATOR_COUNTS
from cases.rollup import ALL_ID, ALL_TEXT, LEVEL_KEYS, TEXT_KEYS

KEY_COLUMNS = ("level", "basis", "month", "first_month", *KEY_FIELDS)
_DELTA = "caseqa_indicator_delta"
_DELTA_COLUMNS = ("basis", "month", "first_month", *KEY_FIELDS, *INDICATOR_COUNTS)


def _key_expr(field: str, via_event: bool):
    path = f"case__{case_path(field)}" if via_event else case_path(field)
    if field in ZERO_NONE:
        return Coalesce(F(path), Value(0), output_field=IntegerField())
    return F(path)


def fact_selects(basis: str, case_filter: Q) -> tuple[tuple[str, list], list[tuple[str, list]]]:
    """(the per-case events by month as (sql, params), to be named `pc`; SELECT statements over it
    giving full-level fact rows in `_DELTA_COLUMNS` order after the basis: events by month, the link
    rows of the distinct-case counts, closed cases)."""
    qn = connection.ops.quote_name
    event_date = "date" if basis == FLOW else "case__closed_on"
    events = ProceduralEvent.objects.filter(through_case(case_filter), event_type__code__in=EVENT_CODES)
    events = events.filter(**{f"{event_date}__isnull": False})
    keys = {f"k_{k}": _key_expr(k, True) for k in KEY_FIELDS}
    per_case = (
        events.values(k_month=TruncMonth(event_date), k_case=F("case_id"), **keys)
        .annotate(**event_aggregates())
        .order_by()
    )
    inner, inner_params = per_case.query.sql_with_params()
    key_list = ", ".join(f"pc.k_{k}" for k in KEY_FIELDS)
    sums = {
        column: f"COUNT(*) FILTER (WHERE pc.e_{column} > 0)"
        if f"e_{column}" in CASE_COUNTED
        else f"COALESCE(SUM(pc.e_{column}), 0)"
        for column in INDICATOR_COUNTS[:14]
    }
    event_values = ", ".join(sums.get(c, "0") for c in INDICATOR_COUNTS)
    selects = [
        (
            f"SELECT pc.k_month, pc.k_month, {key_list}, {event_values} FROM pc GROUP BY pc.k_month, {key_list}",
            [],
        )
    ]
    if basis == FLOW:
        # Under cohort every event of a case falls in its closed month: no case spans months.
        for name in CASE_COUNTED:
            column = name[2:]
            link_values = ", ".join("-COUNT(*)" if c == column else "0" for c in INDICATOR_COUNTS)
            months = (
                f"SELECT pc.k_month, LAG(pc.k_month) OVER (PARTITION BY pc.k_case ORDER BY pc.k_month) AS prev, "
                f"{key_list} FROM pc WHERE pc.{qn(name)} > 0"
            )
            selects.append(
                (
                    f"SELECT pc.k_month, pc.prev, {key_list}, {link_values} FROM ({months}) pc "
                    f"WHERE pc.prev IS NOT NULL GROUP BY pc.k_month, pc.prev, {key_list}",
                    [],
                )
            )
    case_keys = {f"k_{k}": _key_expr(k, False) for k in KEY_FIELDS}
    closed = (
        reviewed_cases(case_filter)
        .values(k_month=TruncMonth("closed_on"), **case_keys)
        .annotate(**case_aggregates())
        .order_by()
    )
    sql, params = closed.query.sql_with_params()
    case_values = ", ".join(
        f"COALESCE(cs.n_{c}, 0)" if f"n_{c}" in case_aggregates() else "0" for c in INDICATOR_COUNTS
    )
    case_keys = key_list.replace("pc.", "cs.")
    selects.append((f"SELECT cs.k_month, cs.k_month, {case_keys}, {case_values} FROM ({sql}) cs", list(params)))
    return (inner, list(inner_params)), selects


def prepare(cursor, depth: int) -> None:
    """The session's delta table of this nesting depth (as `cases.rollup._prepare`), emptied."""
    delta = f"{_DELTA}_{depth}"
    on_commit = " ON COMMIT DELETE ROWS" if connection.vendor == "postgresql" else ""
    types = {"basis": "varchar(6)", "month": "date", "first_month": "date"}
    types |= {"line": "varchar(20)", "category": "varchar(20)"}
    columns = ", ".join(f"{c} {types.get(c, 'bigint')} NOT NULL" for c in _DELTA_COLUMNS)
    cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {delta} ({columns}){on_commit}")
    cursor.execute(f"DELETE FROM {delta}")


def add_facts(cursor, depth: int, case_filter: Q, sign: int) -> None:
    """Add the full-level facts of the cases matching `case_filter`, times `sign`, to the delta table.

    One statement per basis: the per-case aggregation is a CTE read by every part (a clerk's write
    pays the planning of four statements, not fourteen).
    """
    delta = f"{_DELTA}_{depth}"
    names = ("month", "first_month", *KEY_FIELDS, *INDICATOR_COUNTS)
    aliases = ", ".join(f"c{i}" for i in range(len(names)))
    selected = ", ".join(
        ["%s", *(f"s.c{i}" if i < 2 + len(KEY_FIELDS) else f"{sign} * s.c{i}" for i in range(len(names)))]
    )
    for basis in BASES:
        (inner, inner_params), selects = fact_selects(basis, case_filter)
        union = " UNION ALL ".join(sql for sql, _ in selects)
        # Leading WITH: both SQLite and PostgreSQL take it before INSERT; the CTE column list names
        # the union's columns on both.
        cursor.execute(
            f"WITH pc AS ({inner}), s ({aliases}) AS ({union}) "
            f"INSERT INTO {delta} ({', '.join(_DELTA_COLUMNS)}) SELECT {selected} FROM s",
            [*inner_params, *(p for _, params in selects for p in params), basis],
        )


def _level_select(level: str, source: str, where: str = "true") -> str:
    kept = LEVEL_KEYS[level]
    projected = [k if k in kept else (f"'{ALL_TEXT}'" if k in TEXT_KEYS else str(ALL_ID)) for k in KEY_FIELDS]
    grouped = ["basis", "month", "first_month", *(k for k in KEY_FIELDS if k in kept)]
    sums = ", ".join(f"SUM({c})" for c in INDICATOR_COUNTS)
    live = " OR ".join(f"SUM({c}) <> 0" for c in INDICATOR_COUNTS)
    return (
        f"SELECT %s, basis, month, first_month, {', '.join(projected)}, {sums} FROM {source} WHERE {where} "
        f"GROUP BY {', '.join(grouped)} HAVING {live} ORDER BY {', '.join(grouped)}"
    )


def apply(cursor, depth: int) -> None:
    """Add the net delta to the table at every level, rows in key order (no deadlock, as the ratio's)."""
    table, delta = IndicatorFact._meta.db_table, f"{_DELTA}_{depth}"
    columns = ", ".join((*KEY_COLUMNS, *INDICATOR_COUNTS))
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in INDICATOR_COUNTS)
    for level in LEVEL_KEYS:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) {_level_select(level, delta)} "
            f"ON CONFLICT ({', '.join(KEY_COLUMNS)}) DO UPDATE SET {updates}",
            [level],
        )
    cursor.execute(f"DELETE FROM {delta}")


def rebuild() -> int:
    """Recompute the whole table from the raw rows: the full level from the facts of every case, each
    coarser level grouped from the full level. Returns the row count."""
    table = IndicatorFact._meta.db_table
    columns = ", ".join((*KEY_COLUMNS, *INDICATOR_COUNTS))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")
        prepare(cursor, 0)
        add_facts(cursor, 0, Q(), +1)
        # The delta's fact rows overlap (events, links, cases): grouped once into the full level.
        cursor.execute(f"INSERT INTO {table} ({columns}) {_level_select('full', f'{_DELTA}_0')}", ["full"])
        cursor.execute(f"DELETE FROM {_DELTA}_0")
        for level in LEVEL_KEYS:
            if level == "full":
                continue
            source = f"(SELECT * FROM {table} WHERE level = 'full') AS f"
            cursor.execute(f"INSERT INTO {table} ({columns}) {_level_select(level, source)}", [level])
        return IndicatorFact.objects.count()


def snapshot() -> dict[tuple, tuple[int, ...]]:
    """The table as a dict without all-zero rows (for tests and `rebuild_rollups --check`)."""
    out = {}
    for row in IndicatorFact.objects.values_list(*KEY_COLUMNS, *INDICATOR_COUNTS):
        counts = row[len(KEY_COLUMNS) :]
        if any(counts):
            out[row[: len(KEY_COLUMNS)]] = counts
    return out


def read(level, basis, whole, periods, key_columns, columns, scope_q) -> tuple[list[tuple], tuple]:
    """([(period values…, key values…, counts…) per group], the total counts) over the whole months.

    Link rows count only inside the range (first_month >= its start) and, per group, inside its
    period (first_month truncates to the same period as month; = month when grouped by month). The
    total takes every link inside the range: over periods the distinct-case counts do not add up (a
    case in January and March is one case in the year). Groups and total come in one statement
    (UNION ALL), one round trip.
    """
    facts = IndicatorFact.objects.filter(
        scope_q,
        level=level,
        basis=basis,
        month__gte=whole[0],
        month__lte=whole[1],
        first_month__gte=whole[0],
        **columns,
    )
    sums = {f"s_{c}": Sum(c) for c in INDICATOR_COUNTS}
    if not periods and not key_columns:
        row = facts.aggregate(**sums)
        total = tuple(int(row[n] or 0) for n in sums)
        return [total], total
    total_sql, total_params = facts.values(t=Value(1)).annotate(**sums).values(*sums).query.sql_with_params()
    truncs = {"month": F, "quarter": TruncQuarter, "year": TruncYear}
    for period in periods:
        if period == "month":
            facts = facts.filter(first_month=F("month"))
        else:
            facts = facts.annotate(**{f"f_{period}": truncs[period]("first_month")}).filter(
                **{f"f_{period}": truncs[period]("month")}
            )
    names = [*(f"p_{p}" for p in periods), *(f"c_{c}" for c in key_columns)]
    grouped = (
        facts.values(**{f"p_{p}": truncs[p]("month") for p in periods}, **{f"c_{c}": F(c) for c in key_columns})
        .annotate(**sums)
        .values(*names, *sums)
        .order_by()
    )
    sql, params = grouped.query.sql_with_params()
    nulls = ", ".join(["NULL"] * len(names))
    statement = f"SELECT 0, g.* FROM ({sql}) g UNION ALL SELECT 1, {nulls}, t.* FROM ({total_sql}) t"
    rows, total = [], tuple(0 for _ in INDICATOR_COUNTS)
    with connection.cursor() as cursor:
        cursor.execute(statement, [*params, *total_params])
        for is_total, *row in cursor.fetchall():
            counts = tuple(int(v or 0) for v in row[len(names) :])
            if is_total:
                total = counts
            else:
                rows.append((*row[: len(names)], *counts))
    return rows, total
