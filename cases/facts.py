"""The facts the ratio counts (DOMAIN.md §4), as aggregate querysets over the raw tables.

One definition serves both the roll-up rebuild (grouped by month and every attribution key)
and the engine's reads of partial months straight from the raw rows. Each fact row has the
columns of `RatioFact`: a case row (`event_code` "") carries cases and their base item, an
extra row carries the weighted extra events of one code.
"""

from __future__ import annotations

import datetime

from django.db.models import Count, F, IntegerField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth, TruncQuarter, TruncYear

from cases.models import Case, EventType, ProceduralEvent

FLOW, COHORT = "flow", "cohort"
BASES = (FLOW, COHORT)

# Attribution keys on the case (DOMAIN §4: everything is attributed through the case, as it is now).
KEY_FIELDS = ("unit_id", "department_id", "team_id", "prosecutor_id", "line", "category", "main_charge_id")
# Keys read through a relation of the case rather than stored on it (grouping and filtering raw rows);
# the roll-up keeps the main charge only and reads its chapter through the charge (cases.ratio).
CASE_PATHS = {"charge_chapter": "main_charge__chapter"}
# Keys whose "none" is stored as 0 (so the roll-up's unique key holds on SQLite).
ZERO_NONE = ("team_id", "main_charge_id")


def case_path(key: str) -> str:
    """The Case lookup path of a key column (`charge_chapter` → `main_charge__chapter`)."""
    return CASE_PATHS.get(key, key)


def case_kwargs(columns: dict[str, object], prefix: str = "") -> dict[str, object]:
    """Resolved filters (`ratio.filter_ids`) as Case lookups, under `prefix` (e.g. "case__" from events)."""
    return {prefix + case_path(column): value for column, value in columns.items()}


PERIOD_TRUNC = {"month": TruncMonth, "quarter": TruncQuarter, "year": TruncYear}


def _case_expr(field: str, via_event: bool):
    path = f"case__{case_path(field)}" if via_event else case_path(field)
    if field in ZERO_NONE:
        return Coalesce(F(path), Value(0), output_field=IntegerField())
    return F(path)


def fact_querysets(
    basis: str,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    keys: tuple[str, ...] = KEY_FIELDS,
    periods: tuple[str, ...] = ("month",),
    case_filter: Q | None = None,
    with_codes: bool = True,
) -> tuple[QuerySet, QuerySet]:
    """(case rows, extra rows) aggregated by `periods` and `keys` over the dates in range.

    `case_filter` is a Q over Case fields (attribution filters and access scope); it is applied to
    events through their case. Under `flow` cases fall in the period of their received date and each
    extra in that of its own date; under `cohort` both fall in that of the case's closed date.
    """
    case_filter = case_filter or Q()
    if basis == FLOW:
        case_date, event_date = "received_on", "date"
    elif basis == COHORT:
        case_date, event_date = "closed_on", "case__closed_on"
    else:
        raise ValueError(f"unknown basis {basis!r}")

    cases = Case.objects.filter(case_filter, received_on__isnull=False).filter(**{f"{case_date}__isnull": False})
    events = ProceduralEvent.objects.filter(
        through_case(case_filter), event_type__kind=EventType.Kind.EXTRA, case__received_on__isnull=False
    )
    if basis == COHORT:
        events = events.filter(case__closed_on__isnull=False)
    if date_from:
        cases = cases.filter(**{f"{case_date}__gte": date_from})
        events = events.filter(**{f"{event_date}__gte": date_from})
    if date_to:
        cases = cases.filter(**{f"{case_date}__lte": date_to})
        events = events.filter(**{f"{event_date}__lte": date_to})

    case_groups = {k: _case_expr(k, False) for k in keys}
    event_groups = {k: _case_expr(k, True) for k in keys}
    for period in periods:
        case_groups[period] = PERIOD_TRUNC[period](case_date)
        event_groups[period] = PERIOD_TRUNC[period](event_date)
    # Alias names must not clash with model fields, so group under "k_" names and rename on read.
    case_rows = (
        cases.values(**{f"k_{k}": v for k, v in case_groups.items()})
        .annotate(k_event_code=Value(""), n_cases=Count("pk"), n_items=Count("pk"))
        .order_by()
    )
    code_group = {"k_event_code": F("event_type__code")} if with_codes else {"k_event_code": Value("+")}
    event_rows = (
        events.values(**{f"k_{k}": v for k, v in event_groups.items()}, **code_group)
        .annotate(n_cases=Value(0), n_items=Sum("event_type__weight"))
        .order_by()
    )
    return case_rows, event_rows


def through_case(q: Q) -> Q:
    """The same condition, seen from an event through its case."""
    clone = Q()
    clone.connector, clone.negated = q.connector, q.negated
    clone.children = [
        through_case(child) if isinstance(child, Q) else (f"case__{child[0]}", child[1]) for child in q.children
    ]
    return clone


def read_row(row: dict) -> dict:
    """A fact row with its "k_"/"n_" names stripped, team and charge 0 read back as None."""
    out = {}
    for name, value in row.items():
        key = name[2:]
        if key in ZERO_NONE and value == 0:
            value = None
        if key in ("month", "quarter", "year") and isinstance(value, datetime.datetime):
            value = value.date()
        out[key] = value
    return out
