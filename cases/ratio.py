"""The 案-件比 engine (DOMAIN.md §4): the one implementation the API, pages and exports call.

Whole months are read from the maintained `RatioFact` roll-up; the days of a partial month at
either end of the range are read from the raw rows through the same fact definition
(`cases.facts`), so any inclusive date range is exact and a province answers in milliseconds.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import connections
from django.db.models import F, Q, Sum
from django.db.models.functions import TruncQuarter, TruncYear

from cases.facts import FLOW, ZERO_NONE, case_kwargs, fact_querysets
from cases.models import Case, Chapter, Charge, RatioFact
from cases.rollup import LEVEL_KEYS
from cases.stats_query import (  # noqa: F401  (the engine's parameters, imported from here by callers)
    CHAPTER_NUMERALS,
    DIMENSIONS,
    EVERYTHING,
    GROUP_BY_CHOICES,
    KEY_COLUMNS,
    PERIODS,
    RatioFilters,
    RatioQueryError,
    Scope,
    StatsQuery,
    filter_ids,
    parse_chapter,
    parse_group_by,
)


def format_ratio(items: int, cases: int) -> tuple[float | None, str | None, float | None]:
    """(ratio, "1:x.xx", index ×100) for items over cases; all None when there are no cases."""
    if not cases:
        return None, None, None
    exact = Decimal(items) / Decimal(cases)
    shown = exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    index = (exact * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return float(exact), f"1:{shown}", float(index)


@dataclass
class RatioRow:
    """One group of the ratio: its keys (codes; None for "none"), cases, items and extras by code."""

    keys: dict[str, str | None]
    cases: int = 0
    items: int = 0
    extras: dict[str, int] = field(default_factory=dict)
    labels: dict[str, str | None] = field(default_factory=dict)
    # (items, cases) → format_ratio of them: the three forms are read together, computed once per value.
    _formatted: tuple | None = field(default=None, init=False, repr=False, compare=False)

    def _forms(self) -> tuple[float | None, str | None, float | None]:
        formatted = self._formatted
        if formatted is None or formatted[0] != self.items or formatted[1] != self.cases:
            formatted = self._formatted = (self.items, self.cases, format_ratio(self.items, self.cases))
        return formatted[2]

    @property
    def ratio(self) -> float | None:
        return self._forms()[0]

    @property
    def ratio_display(self) -> str | None:
        return self._forms()[1]

    @property
    def index(self) -> float | None:
        return self._forms()[2]

    def as_dict(self) -> dict:
        ratio, display, index = self._forms()
        return {
            **self.keys,
            "cases": self.cases,
            "items": self.items,
            "ratio": ratio,
            "ratio_display": display,
            "index": index,
            "extras": dict(sorted(self.extras.items())),
        }


@dataclass
class RatioReport:
    """The answer of `ratio_for`: its parameters, the grouped rows and the total."""

    basis: str
    date_from: datetime.date
    date_to: datetime.date
    group_by: list[str]
    rows: list[RatioRow]
    total: RatioRow


def rollup_columns(columns: dict[str, object]) -> dict[str, object]:
    """Resolved filters as roll-up lookups: the roll-up keeps the main charge, a chapter is its charges."""
    columns = dict(columns)
    if "charge_chapter" in columns:
        chapter = columns.pop("charge_chapter")
        columns["main_charge_id__in"] = list(Charge.objects.filter(chapter=chapter).values_list("pk", flat=True))
    return columns


ONE_DAY = datetime.timedelta(days=1)


def _month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def split_range(
    date_from: datetime.date, date_to: datetime.date
) -> tuple[tuple[datetime.date, datetime.date] | None, list[tuple[datetime.date, datetime.date]]]:
    """(whole months as a first..last day range or None, the partial-month day ranges left over)."""
    first_whole = date_from if date_from.day == 1 else _next_month(date_from)
    # Whole months end (exclusive) at the start of date_to's month, unless date_to is its last day.
    end = _next_month(date_to) if _next_month(date_to) - ONE_DAY == date_to else _month_start(date_to)
    if first_whole >= end:
        return None, [(date_from, date_to)]
    partial = []
    if date_from < first_whole:
        partial.append((date_from, first_whole - ONE_DAY))
    if end <= date_to:
        partial.append((end, date_to))
    return (first_whole, end - ONE_DAY), partial


def period_label(period: str, day: datetime.date) -> str:
    if period == "month":
        return f"{day.year:04d}-{day.month:02d}"
    if period == "quarter":
        return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year:04d}"


def ratio_for(
    *,
    group_by: list[str] | str | None = None,
    basis: str = FLOW,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    filters: RatioFilters | None = None,
    scope: Scope = EVERYTHING,
) -> RatioReport:
    """Cases, items and the ratio per group over an inclusive date range (DOMAIN.md §4)."""
    query = StatsQuery.build(
        group_by=group_by, basis=basis, date_from=date_from, date_to=date_to, filters=filters, scope=scope
    )
    date_from, date_to, scope = query.date_from, query.date_to, query.scope
    columns, periods, dims, key_columns = query.columns, query.periods, query.dims, query.key_columns

    groups: dict[tuple, RatioRow] = {}
    total = RatioRow(keys={})
    names = [*periods, *dims]

    def add(key: tuple, cases: int, items: int, extras: dict[str, int]) -> None:
        """Add one group's counts (key: period labels, then fact-column values) to its row and the total."""
        target = groups.get(key)
        if target is None:
            target = groups[key] = RatioRow(keys=dict(zip(names, key, strict=True)))
        for acc in (target, total):
            acc.cases += cases
            acc.items += items
            if extras:
                into = acc.extras
                for code, n in extras.items():
                    into[code] = into.get(code, 0) + n

    scope_fact_q, scope_case_q = scope.fact_q(), scope.case_q()
    if scope_fact_q is not None:
        whole, partial = split_range(date_from, date_to)
        if whole:
            fact_columns = rollup_columns(columns)
            # A chapter is grouped through the main charge (each charge's chapter read once below).
            fact_keys = tuple(dict.fromkeys("main_charge_id" if c == "charge_chapter" else c for c in key_columns))
            level = rollup_level({*fact_keys, *(c.split("__")[0] for c in fact_columns), *scope.columns()})
            into = add if fact_keys == key_columns else _through_charges(add, len(periods), key_columns, fact_keys)
            _read_rollup(level, basis, whole, periods, fact_keys, fact_columns, scope_fact_q, into)
        for day_from, day_to in partial:
            _read_raw(basis, day_from, day_to, periods, key_columns, columns, scope_case_q, add)

    rows = list(groups.values())
    attach_codes(rows, dims)
    rows.sort(key=lambda r: tuple((v is None, str(v)) for v in r.keys.values()))
    return RatioReport(basis, date_from, date_to, list(query.group_by), rows, total)


def _through_charges(add, n_periods: int, key_columns: tuple[str, ...], fact_keys: tuple[str, ...]):
    """`add` for roll-up keys grouped by main charge where the answer groups by chapter."""
    chapter_of = dict(Charge.objects.values_list("pk", "chapter"))
    where = [fact_keys.index("main_charge_id" if c == "charge_chapter" else c) for c in key_columns]
    chapters = [c == "charge_chapter" for c in key_columns]

    def into(key: tuple, cases: int, items: int, extras: dict[str, int]) -> None:
        values = key[n_periods:]
        pairs = zip(where, chapters, strict=True)
        mapped = tuple(chapter_of.get(values[i]) if is_chapter else values[i] for i, is_chapter in pairs)
        add(key[:n_periods] + mapped, cases, items, extras)

    return into


def rollup_level(columns: set[str]) -> str:
    """The coarsest roll-up level that keeps every column a query groups or filters by."""
    for level in ("unit", "department", "team", "charge"):
        if columns <= set(LEVEL_KEYS[level]):
            return level
    return "full"


class _KeyReader:
    """Turns the period values and fact-column values of a fact row into a group key.

    Period labels are formatted once per distinct value (a province-wide answer repeats the same
    twelve months thousands of times); team 0 and category "" (how the roll-up stores "none") read
    back as None.
    """

    def __init__(self, periods: tuple[str, ...], key_columns: tuple[str, ...]):
        self.periods = periods
        self.none_values = [0 if c in ZERO_NONE else "" if c == "category" else None for c in key_columns]
        self.labels: dict[tuple[str, object], str] = {}

    def label(self, period: str, value: object) -> str:
        found = self.labels.get((period, value))
        if found is None:
            day = value
            if isinstance(day, str):  # SQLite answers a raw query's dates as text
                day = datetime.date.fromisoformat(day[:10])
            elif isinstance(day, datetime.datetime):
                day = day.date()
            found = self.labels[(period, value)] = period_label(period, day)
        return found

    def key(self, values: tuple | list) -> tuple:
        n = len(self.periods)
        key = [self.label(p, values[i]) for i, p in enumerate(self.periods)]
        for value, none in zip(values[n:], self.none_values, strict=True):
            key.append(None if value is None or value == none else value)
        return tuple(key)


def _read_rollup(level, basis, whole, periods, key_columns, columns, scope_q, add) -> None:
    """Whole months from the roll-up, one row per group, its extras gathered in SQL.

    The roll-up holds one row per event code (and per finer key at the coarser levels): grouping
    those again in SQL and returning the extras as one JSON object per group keeps the rows the
    application reads to the number of groups (1,200 for all units by month over a year, not 15,000).
    """
    facts = RatioFact.objects.filter(
        scope_q, level=level, basis=basis, month__gte=whole[0], month__lte=whole[1], **columns
    )
    # Roll-up months are already first days: grouping by month needs no truncation (it costs a
    # conversion per row); quarters and years truncate the month.
    truncs = {"month": F, "quarter": TruncQuarter, "year": TruncYear}
    exprs = {p: truncs[p]("month") for p in periods}
    inner = (
        facts.values("event_code", **{f"p_{p}": e for p, e in exprs.items()}, **{f"c_{c}": F(c) for c in key_columns})
        .annotate(s_cases=Sum("cases"), s_items=Sum("items"))
        .order_by()
    )
    connection = connections[inner.db]
    inner_sql, params = inner.query.get_compiler(inner.db).as_sql()
    qn = connection.ops.quote_name
    keys = [qn(f"p_{p}") for p in periods] + [qn(f"c_{c}") for c in key_columns]
    cases, items, code = qn("s_cases"), qn("s_items"), qn("event_code")
    # Rows that fell to zero after a correction name no group and no extra (as if absent).
    live = f"({cases} <> 0 OR {items} <> 0)"
    aggregate = "jsonb_object_agg" if connection.vendor == "postgresql" else "json_group_object"
    selected = [
        *keys,
        f"SUM({cases})",
        f"SUM({items})",
        f"{aggregate}({code}, {items}) FILTER (WHERE {code} <> '' AND {live})",
        f"COUNT(*) FILTER (WHERE {live})",
    ]
    sql = f"SELECT {', '.join(selected)} FROM ({inner_sql}) AS facts"
    if keys:
        sql += f" GROUP BY {', '.join(keys)}"
    reader = _KeyReader(periods, key_columns)
    n = len(keys)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            if not row[n + 3]:
                continue
            extras = row[n + 2]
            if isinstance(extras, str):
                extras = json.loads(extras)
            add(reader.key(row[:n]), int(row[n]), int(row[n + 1]), extras or {})


def _read_raw(basis, day_from, day_to, periods, key_columns, columns, scope_q, add) -> None:
    case_filter = scope_q & Q(**case_kwargs(columns))
    reader = _KeyReader(periods, key_columns)
    names = [f"k_{p}" for p in periods] + [f"k_{c}" for c in key_columns]
    for queryset in fact_querysets(basis, day_from, day_to, keys=key_columns, periods=periods, case_filter=case_filter):
        for row in queryset.values_list(*names, "k_event_code", "n_cases", "n_items"):
            cases, items, code = row[-2] or 0, row[-1] or 0, row[-3]
            if not cases and not items:
                continue
            add(reader.key(row[:-3]), cases, items, {code: items} if code else {})


def attach_codes(rows: list[RatioRow], dims: list[str]) -> None:
    """Replace ids in row keys by codes, keeping display names in `labels` (one query per dimension)."""
    for dim in dims:
        _column, model, code_field = KEY_COLUMNS[dim]
        if dim == "charge_chapter":
            for row in rows:
                value = row.keys[dim]
                row.labels[dim] = str(Chapter(value).label) if value else None
            continue
        if model is None:
            choices = dict((Case.Line if dim == "line" else Case.Category).choices)
            for row in rows:
                value = row.keys[dim]
                row.labels[dim] = str(choices.get(value, value)) if value else None
            continue
        ids = {row.keys[dim] for row in rows if row.keys[dim] is not None}
        name_field = "name"
        found = {
            pk: (code, name)
            for pk, code, name in model.objects.filter(pk__in=ids).values_list("pk", code_field, name_field)
        }
        for row in rows:
            pk = row.keys[dim]
            code, name = found.get(pk, (None, None)) if pk is not None else (None, None)
            row.keys[dim], row.labels[dim] = code, name
