"""Maintenance of the `RatioFact` roll-up: a set-based delta on every write, and a full rebuild.

Every write to a case or its events runs inside `maintained(case_ids)`. The touched case ids are
listed in the statements when few, or go into a temporary table when many; before the write one
INSERT … SELECT per basis and fact kind puts the facts of those cases (as `rebuild()` defines them,
through `cases.facts.fact_querysets`) negated into a temporary delta table, after the write the same
statements add their facts again, and one INSERT … SELECT … GROUP BY … ON CONFLICT DO UPDATE per
level adds the net difference to the roll-up, in the same transaction. The work scales with the
touched cases, never with the database, and no fact travels to Python; the roll-up always equals
`rebuild()` (property tests hold it to that).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from contextvars import ContextVar

from django.db import connection, transaction
from django.db.models import Q
from django.db.models.expressions import RawSQL

from cases import review_facts
from cases.facts import BASES, KEY_FIELDS, fact_querysets
from cases.models import Case, RatioFact

FACT_COLUMNS = ("level", "basis", "month", *KEY_FIELDS, "event_code")
# The keys each level keeps; the others are stored as ALL (-1 for ids, "*" for strings).
LEVEL_KEYS: dict[str, tuple[str, ...]] = {
    "full": KEY_FIELDS,
    "unit": ("unit_id",),
    "department": ("unit_id", "department_id"),
    "team": ("team_id",),
    # Charge statistics of a unit or the province read this level, not the prosecutor-level rows.
    "charge": ("unit_id", "main_charge_id"),
}
ALL_ID, ALL_TEXT = -1, "*"
TEXT_KEYS = ("line", "category")

Key = tuple

# Session-local scratch tables (one pair per nesting depth, so a maintained write inside another
# keeps its own). On PostgreSQL they empty themselves at COMMIT (ON COMMIT DELETE ROWS truncates them,
# which a DELETE would not: temporary tables are never vacuumed) and outlive the transaction, so a
# clerk's single write does not create and drop catalog rows each time.
_TOUCHED, _DELTA = "caseqa_rollup_touched", "caseqa_rollup_delta"
_DELTA_COLUMNS = ("basis", "month", *KEY_FIELDS, "event_code", "cases", "items")
_ID_BATCH = 50_000
_LISTED_IDS = 500

# The case ids each enclosing `maintained` block keeps, outermost first. A context variable, not an
# attribute on the connection: it is this thread's (or task's) nesting, reset on the way out even
# when the write fails.
_blocks: ContextVar[tuple[frozenset[int], ...]] = ContextVar("caseqa_rollup_blocks", default=())


@contextlib.contextmanager
def maintained(case_ids: Iterable[int], *, new_case_ids: Iterable[int] = ()) -> Iterator[None]:
    """Keep the roll-up equal to the raw rows across a write to the given cases.

    `new_case_ids` names touched cases created since the roll-up last saw them (an import's new
    cases, inserted before this block with no received date): they have no facts in the roll-up yet,
    so the "before" half leaves them out, and skips its queries when every touched case is new.
    Blocks nest: a case an enclosing block already keeps is left to it (its before and after span
    the inner write), so a service call inside a bulk block counts once.
    """
    from cases import indicator_facts  # it reads this module's level keys

    blocks = _blocks.get()
    ids = set(case_ids).difference(*blocks)
    with transaction.atomic():
        if not ids:
            yield
            return
        depth = len(blocks)
        touched, delta = f"{_TOUCHED}_{depth}", f"{_DELTA}_{depth}"
        token = _blocks.set((*blocks, frozenset(ids)))
        # Few ids are listed in the statements (index lookups); many go through the id table.
        listed = len(ids) <= _LISTED_IDS
        in_table = Q(pk__in=RawSQL(f"SELECT id FROM {touched}", []))
        try:
            with connection.cursor() as cursor:
                _prepare(cursor, delta, None if listed else touched)
                indicator_facts.prepare(cursor, depth)
                new = set(new_case_ids)
                before = stored = sorted(ids.difference(new))
                if not listed:
                    _insert_ids(cursor, touched, stored)
                    stored = stored if _any_received(cursor, touched) else []
                if stored:
                    _add_facts(cursor, delta, Q(pk__in=stored) if listed else in_table, -1)
                # The indicators count events of cases without a received date too: no shortcut.
                if before:
                    indicator_facts.add_facts(cursor, depth, Q(pk__in=before) if listed else in_table, -1)
                if not listed:
                    _insert_ids(cursor, touched, sorted(ids.intersection(new)))
                # The final reviews' counts move with their cases' attribution (cases.review_facts).
                review_facts.before(cursor, depth, Q(pk__in=sorted(ids)) if listed else in_table)
            yield
            with connection.cursor() as cursor:
                after = Q(pk__in=sorted(ids)) if listed else in_table
                _add_facts(cursor, delta, after, +1)
                _apply(cursor, delta)
                review_facts.after(cursor, depth, after)
                # The §9 indicators' count table, by the same delta in the same transaction.
                indicator_facts.add_facts(cursor, depth, after, +1)
                indicator_facts.apply(cursor, depth)
                cursor.execute(f"DELETE FROM {delta}")
                if not listed:
                    cursor.execute(f"DELETE FROM {touched}")
        finally:
            _blocks.reset(token)


def _prepare(cursor, delta: str, touched: str | None) -> None:
    temporary = "CREATE TEMPORARY TABLE IF NOT EXISTS"
    on_commit = " ON COMMIT DELETE ROWS" if connection.vendor == "postgresql" else ""
    types = {"basis": "varchar(6)", "month": "date", "line": "varchar(20)", "category": "varchar(20)"}
    types |= {"event_code": "varchar(64)", "cases": "integer", "items": "integer"}
    columns = ", ".join(f"{c} {types.get(c, 'bigint')} NOT NULL" for c in _DELTA_COLUMNS)
    cursor.execute(f"{temporary} {delta} ({columns}){on_commit}")
    # Left over only when an earlier block in this transaction failed and its error was caught.
    cursor.execute(f"DELETE FROM {delta}")
    if touched:
        cursor.execute(f"{temporary} {touched} (id bigint PRIMARY KEY){on_commit}")
        cursor.execute(f"DELETE FROM {touched}")


def _insert_ids(cursor, touched: str, ids: list[int]) -> None:
    if not ids:
        return
    if connection.vendor == "postgresql":
        for start in range(0, len(ids), _ID_BATCH):
            cursor.execute(f"INSERT INTO {touched} (id) SELECT unnest(%s::bigint[])", [ids[start : start + _ID_BATCH]])
        # Without statistics the planner guesses the table's size and may scan every case and event.
        cursor.execute(f"ANALYZE {touched}")
    else:
        cursor.executemany(f"INSERT INTO {touched} (id) VALUES (%s)", [(i,) for i in ids])


def _any_received(cursor, touched: str) -> bool:
    """Whether a case in the id table has a received date: without one a case has no fact at all (both
    querysets of `fact_querysets` require it), so e.g. an events import onto cases imported without
    events can skip the "before" half."""
    cases = Case._meta.db_table
    cursor.execute(
        f"SELECT EXISTS (SELECT 1 FROM {cases} c JOIN {touched} t ON t.id = c.id WHERE c.received_on IS NOT NULL)"
    )
    return bool(cursor.fetchone()[0])


def _add_facts(cursor, delta: str, case_filter: Q, sign: int) -> None:
    """Add the full-level facts of the cases matching `case_filter`, times `sign`, to the delta table."""
    for basis in BASES:
        for queryset in fact_querysets(basis, case_filter=case_filter):
            sql, params = queryset.query.sql_with_params()
            select = ", ".join(
                [
                    "%s",
                    "sub.k_month",
                    *(f"sub.k_{k}" for k in KEY_FIELDS),
                    "sub.k_event_code",
                    f"{sign} * sub.n_cases",
                    f"{sign} * COALESCE(sub.n_items, 0)",
                ]
            )
            cursor.execute(
                f"INSERT INTO {delta} ({', '.join(_DELTA_COLUMNS)}) SELECT {select} FROM ({sql}) sub",
                [basis, *params],
            )


def _apply(cursor, delta: str) -> None:
    """Add the net delta to the roll-up at every level, one INSERT … ON CONFLICT DO UPDATE per level.

    Atomic increments, safe beside concurrent writers. Every writer (a clerk's single event as much as
    a bulk import) comes through here, taking the levels in one order and, within a level, the rows
    in key order (ORDER BY the conflict key): row locks are always taken in one global order, so two
    writers can wait on each other but never deadlock. A table lock on the roll-up would also rule
    deadlocks out, but an import would then hold it to its COMMIT (which checks the deferred foreign
    keys of every row written) and stall every clerk in the province for that long, whereas row locks
    only make a clerk wait when the import changes a roll-up row that the clerk's write changes too.
    Keys whose net change is zero are left alone (a re-imported row that changes nothing locks nothing).
    """
    table = RatioFact._meta.db_table
    for level, kept in LEVEL_KEYS.items():
        projected = [k if k in kept else (f"'{ALL_TEXT}'" if k in TEXT_KEYS else str(ALL_ID)) for k in KEY_FIELDS]
        grouped = ["basis", "month", *(k for k in KEY_FIELDS if k in kept), "event_code"]
        # WHERE true: SQLite needs it to parse an upsert whose source is a SELECT.
        cursor.execute(
            f"INSERT INTO {table} ({', '.join((*FACT_COLUMNS, 'cases', 'items'))}) "
            f"SELECT %s, basis, month, {', '.join(projected)}, event_code, SUM(cases), SUM(items) "
            f"FROM {delta} WHERE true GROUP BY {', '.join(grouped)} "
            f"HAVING SUM(cases) <> 0 OR SUM(items) <> 0 ORDER BY {', '.join(grouped)} "
            f"ON CONFLICT ({', '.join(FACT_COLUMNS)}) DO UPDATE SET "
            f"cases = {table}.cases + excluded.cases, items = {table}.items + excluded.items",
            [level],
        )


def rebuild() -> int:
    """Recompute the whole roll-up from the raw case and event rows, set-based; returns the row count.

    One INSERT … SELECT per level, basis and fact kind, from the same fact definition the engine and
    the incremental path use, so the database does the grouping without a round trip per row. The
    indicators' count table is rebuilt with it (every caller repairs rows changed behind the hook).
    """
    from cases import indicator_facts

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
        # Every caller of a rebuild (restore, catalogue recount, the command) needs all three tables.
        review_facts.rebuild()
        indicator_facts.rebuild()
        return RatioFact.objects.count()


def snapshot() -> dict[Key, tuple[int, int]]:
    """The roll-up as a dict (for tests and the benchmark's consistency check)."""
    return {
        tuple(row[c] for c in FACT_COLUMNS): (row["cases"], row["items"])
        for row in RatioFact.objects.values(*FACT_COLUMNS, "cases", "items")
        if row["cases"] or row["items"]
    }
