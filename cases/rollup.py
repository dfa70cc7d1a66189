"""Maintenance of the `RatioFact` roll-up: incremental deltas on every write, and a full rebuild.

Every write to a case or its events runs inside `maintained(case_ids)`, which reads the facts of
those cases before and after the write and adds the difference to the roll-up in the same
transaction, so the roll-up always equals `rebuild()` (a property test holds it to that).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator

from django.db import connection, transaction
from django.db.models import Q

from cases.facts import BASES, KEY_FIELDS, fact_querysets
from cases.models import RatioFact

FACT_COLUMNS = ("level", "basis", "month", *KEY_FIELDS, "event_code")
# The keys each level keeps; the others are stored as ALL (-1 for ids, "*" for strings).
LEVEL_KEYS: dict[str, tuple[str, ...]] = {
    "full": KEY_FIELDS,
    "unit": ("unit_id",),
    "department": ("unit_id", "department_id"),
    "team": ("team_id",),
}
ALL_ID, ALL_TEXT = -1, "*"
# Above this many touched cases, a set-based rebuild beats per-case deltas.
REBUILD_THRESHOLD = 20_000
_CHUNK = 5_000

Key = tuple


def _facts(case_filter: Q | None) -> dict[Key, list[int]]:
    """{fact key: [cases, items]} at every level for the cases matching `case_filter` (None: all)."""
    totals: dict[Key, list[int]] = {}
    for basis in BASES:
        for queryset in fact_querysets(basis, case_filter=case_filter):
            for row in queryset:
                month = row["k_month"]
                month = month.date() if hasattr(month, "date") else month
                keys = {k: row[f"k_{k}"] for k in KEY_FIELDS}
                for level, kept in LEVEL_KEYS.items():
                    projected = tuple(
                        keys[k] if k in kept else (ALL_TEXT if k in ("line", "category") else ALL_ID)
                        for k in KEY_FIELDS
                    )
                    acc = totals.setdefault((level, basis, month, *projected, row["k_event_code"]), [0, 0])
                    acc[0] += row["n_cases"]
                    acc[1] += row["n_items"] or 0
    return totals


def facts_for(case_ids: Iterable[int]) -> dict[Key, list[int]]:
    ids = sorted(set(case_ids))
    totals: dict[Key, list[int]] = {}
    for start in range(0, len(ids), _CHUNK):
        for key, (cases, items) in _facts(Q(pk__in=ids[start : start + _CHUNK])).items():
            acc = totals.setdefault(key, [0, 0])
            acc[0] += cases
            acc[1] += items
    return totals


def apply_delta(before: dict[Key, list[int]], after: dict[Key, list[int]]) -> None:
    """Add `after − before` to the roll-up with atomic increments (safe beside concurrent writers)."""
    rows = []
    for key in before.keys() | after.keys():
        b, a = before.get(key, [0, 0]), after.get(key, [0, 0])
        d_cases, d_items = a[0] - b[0], a[1] - b[1]
        if d_cases or d_items:
            rows.append((*key, d_cases, d_items))
    if not rows:
        return
    table = RatioFact._meta.db_table
    columns = ", ".join((*FACT_COLUMNS, "cases", "items"))
    placeholders = ", ".join(["%s"] * (len(FACT_COLUMNS) + 2))
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) "
        f"ON CONFLICT ({', '.join(FACT_COLUMNS)}) DO UPDATE SET "
        f"cases = {table}.cases + excluded.cases, items = {table}.items + excluded.items"
    )
    # Sorted so that concurrent writers lock roll-up rows in the same order (no deadlock).
    rows.sort(key=lambda r: tuple(str(v) for v in r))
    with connection.cursor() as cursor:
        # Rows that fall to zero stay (harmless, and deleting them would race with writers).
        cursor.executemany(sql, rows)


@contextlib.contextmanager
def maintained(case_ids: Iterable[int]) -> Iterator[None]:
    """Keep the roll-up equal to the raw rows across a write to the given cases."""
    ids = set(case_ids)
    with transaction.atomic():
        if len(ids) > REBUILD_THRESHOLD:
            yield
            rebuild()
            return
        before = facts_for(ids)
        yield
        apply_delta(before, facts_for(ids))


def rebuild() -> int:
    """Recompute the whole roll-up from the raw case and event rows, set-based; returns the row count.

    One INSERT … SELECT per level, basis and fact kind, from the same fact definition the engine and
    the incremental path use, so the database does the grouping without a round trip per row.
    """
    table = RatioFact._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")
        for level, kept in LEVEL_KEYS.items():
            for basis in BASES:
                for queryset in fact_querysets(basis, keys=kept, with_codes=True):
                    sql, params = queryset.query.sql_with_params()
                    select = ", ".join(
                        [
                            "%s",
                            "%s",
                            "sub.k_month",
                            *(
                                f"sub.k_{k}" if k in kept else ("%s" if k in ("line", "category") else str(ALL_ID))
                                for k in KEY_FIELDS
                            ),
                            "sub.k_event_code",
                            "sub.n_cases",
                            "COALESCE(sub.n_items, 0)",
                        ]
                    )
                    constants = [ALL_TEXT for k in KEY_FIELDS if k not in kept and k in ("line", "category")]
                    cursor.execute(
                        f"INSERT INTO {table} ({', '.join((*FACT_COLUMNS, 'cases', 'items'))}) "
                        f"SELECT {select} FROM ({sql}) sub",
                        [level, basis, *constants, *params],
                    )
        return RatioFact.objects.count()


def snapshot() -> dict[Key, tuple[int, int]]:
    """The roll-up as a dict (for tests and the benchmark's consistency check)."""
    return {
        tuple(row[c] for c in FACT_COLUMNS): (row["cases"], row["items"])
        for row in RatioFact.objects.values(*FACT_COLUMNS, "cases", "items")
        if row["cases"] or row["items"]
    }
