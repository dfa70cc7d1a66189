"""Maintenance of the `ReviewFact` count table: a set-based delta on every write, and a full rebuild.

What a review contributes depends on its own row (status, final date, score, final grade), its
findings and its case's attribution keys. So the unit of maintenance is the case, as for the ratio:
before a write the facts of the touched cases' final reviews go negated into a temporary delta table,
after it the same statements add them again, and one INSERT … SELECT … GROUP BY … ON CONFLICT DO
UPDATE per level adds the net difference, in the same transaction. Two writers reach it:

- every case write, through `cases.rollup.maintained` (the ratio's hook calls `before` / `after`
  with its own case filter, so an import's reattribution moves its reviews' counts in one statement
  per level, whatever the number of cases);
- every review transition that changes a final state, through `maintained` here (the workflow).

The work scales with the touched cases' reviews, never with the database; property tests hold the
table equal to `rebuild()` and to a recount of the raw rows.
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterable, Iterator
from contextvars import ContextVar

from django.db import connection, transaction
from django.db.models import BigIntegerField, Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Round, TruncMonth

from cases.facts import KEY_FIELDS, ZERO_NONE, case_path
from cases.models import Case, Finding, Grade, QualityReview, ReviewFact
from cases.models.review_fact import KEY_NAMES

GRADES = tuple(Grade.values)
VALUE_COLUMNS = ("reviews", "score_cents", *GRADES, "points_cents", "times")
_DELTA_COLUMNS = ("month", *KEY_FIELDS, "dimension", "item_id", *VALUE_COLUMNS)
_DELTA = "caseqa_review_delta"
FINAL = QualityReview.Status.FINAL

# Case ids each enclosing review block keeps (see `maintained`), outermost first.
_blocks: ContextVar[tuple[frozenset[int], ...]] = ContextVar("caseqa_review_blocks", default=())
# Depths of the enclosing case blocks (`cases.rollup.maintained`) whose cases had no review: they skip
# their "after" half, so a review block inside one must keep those cases itself.
_idle: ContextVar[frozenset[int]] = ContextVar("caseqa_review_idle", default=frozenset())
# The reviewed cases' filter of each active case block, by depth, from its "before" to its "after" half.
_filters: ContextVar[dict[int, Q]] = ContextVar("caseqa_review_filters", default={})  # noqa: B039 (never mutated)
_LISTED_IDS = 500


def _prefixed(q: Q, prefix: str) -> Q:
    """The same condition over Case fields, seen from a model that reaches the case through `prefix`."""
    clone = Q()
    clone.connector, clone.negated = q.connector, q.negated
    clone.children = [
        _prefixed(child, prefix) if isinstance(child, Q) else (f"{prefix}{child[0]}", child[1]) for child in q.children
    ]
    return clone


def _key(field: str, prefix: str):
    path = prefix + case_path(field)
    if field in ZERO_NONE:
        return Coalesce(F(path), Value(0), output_field=IntegerField())
    return F(path)


def _cents(expression) -> Sum:
    # Rounded per row: SQLite holds decimals as floats (85.55 × 100 = 8554.999…), PostgreSQL exactly.
    return Sum(Round(expression * 100), output_field=BigIntegerField())


def fact_querysets(
    case_filter: Q | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    keys: tuple[str, ...] = KEY_FIELDS,
) -> tuple[QuerySet, QuerySet]:
    """(review rows, finding rows) of final reviews by month of final date and `keys`.

    `case_filter` is a Q over Case fields (touched ids, attribution filters, scope). Columns are named
    "k_" (keys) and "n_" (values) as `_DELTA_COLUMNS` orders them.
    """
    case_filter = case_filter or Q()
    reviews = QualityReview.objects.filter(_prefixed(case_filter, "case__"), status=FINAL)
    findings = Finding.objects.filter(_prefixed(case_filter, "review__case__"), review__status=FINAL)
    if date_from:
        reviews = reviews.filter(final_on__gte=date_from)
        findings = findings.filter(review__final_on__gte=date_from)
    if date_to:
        reviews = reviews.filter(final_on__lte=date_to)
        findings = findings.filter(review__final_on__lte=date_to)
    review_rows = (
        reviews.values(k_month=TruncMonth("final_on"), **{f"k_{k}": _key(k, "case__") for k in keys})
        .annotate(
            k_dimension=Value(""),
            k_item_id=Value(0),
            n_reviews=Count("pk"),
            n_score_cents=_cents(F("score")),
            **{f"n_{g}": Count("pk", filter=Q(final_grade=g)) for g in GRADES},
            n_points_cents=Value(0),
            n_times=Value(0),
        )
        .order_by()
    )
    finding_rows = (
        findings.values(
            k_month=TruncMonth("review__final_on"),
            **{f"k_{k}": _key(k, "review__case__") for k in keys},
            k_dimension=F("dimension"),
            k_item_id=F("item_id"),
        )
        .annotate(
            n_reviews=Value(0),
            n_score_cents=Value(0),
            **{f"n_{g}": Value(0) for g in GRADES},
            n_points_cents=_cents(F("points") * F("count")),
            n_times=Sum("count"),
        )
        .order_by()
    )
    return review_rows, finding_rows


def _select(keys: tuple[str, ...], kept: tuple[str, ...] | None, sign: int) -> str:
    """The projection of a fact subquery `sub` onto the table's columns (keys not kept → ALL)."""
    from cases.rollup import ALL_ID, ALL_TEXT, TEXT_KEYS

    parts = ["sub.k_month"]
    for k in keys:
        if kept is None or k in kept:
            parts.append(f"sub.k_{k}")
        else:
            parts.append(f"'{ALL_TEXT}'" if k in TEXT_KEYS else str(ALL_ID))
    parts += ["sub.k_dimension", "sub.k_item_id"]
    parts += [f"{sign} * COALESCE(sub.n_{v}, 0)" for v in VALUE_COLUMNS]
    return ", ".join(parts)


def _prepare(cursor, delta: str) -> None:
    on_commit = " ON COMMIT DELETE ROWS" if connection.vendor == "postgresql" else ""
    types = {"month": "date", "line": "varchar(20)", "category": "varchar(20)", "dimension": "varchar(20)"}
    columns = ", ".join(f"{c} {types.get(c, 'bigint')} NOT NULL" for c in _DELTA_COLUMNS)
    cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {delta} ({columns}){on_commit}")
    # Left over only when an earlier block in this transaction failed and its error was caught.
    cursor.execute(f"DELETE FROM {delta}")


def _add_facts(cursor, delta: str, case_filter: Q, sign: int) -> None:
    for queryset in fact_querysets(case_filter):
        sql, params = queryset.query.sql_with_params()
        select = _select(KEY_FIELDS, None, sign)
        cursor.execute(f"INSERT INTO {delta} ({', '.join(_DELTA_COLUMNS)}) SELECT {select} FROM ({sql}) sub", params)


def _apply(cursor, delta: str) -> None:
    """Add the net delta at every level (one upsert per level, rows in key order, as `cases.rollup._apply`:
    row locks taken in one global order never deadlock); keys whose net change is zero are left alone."""
    from cases.rollup import ALL_ID, ALL_TEXT, LEVEL_KEYS, TEXT_KEYS

    table = ReviewFact._meta.db_table
    for level, kept in LEVEL_KEYS.items():
        projected = [k if k in kept else (f"'{ALL_TEXT}'" if k in TEXT_KEYS else str(ALL_ID)) for k in KEY_FIELDS]
        grouped = ["month", *(k for k in KEY_FIELDS if k in kept), "dimension", "item_id"]
        sums = ", ".join(f"SUM({v})" for v in VALUE_COLUMNS)
        changed = " OR ".join(f"SUM({v}) <> 0" for v in VALUE_COLUMNS)
        updates = ", ".join(f"{v} = {table}.{v} + excluded.{v}" for v in VALUE_COLUMNS)
        cursor.execute(
            f"INSERT INTO {table} ({', '.join((*KEY_NAMES, *VALUE_COLUMNS))}) "
            f"SELECT %s, month, {', '.join(projected)}, dimension, item_id, {sums} "
            f"FROM {delta} WHERE true GROUP BY {', '.join(grouped)} HAVING {changed} "
            f"ORDER BY {', '.join(grouped)} "
            f"ON CONFLICT ({', '.join(KEY_NAMES)}) DO UPDATE SET {updates}",
            [level],
        )


def _held(case_filter: Q) -> Q:
    """`case_filter` less the cases an enclosing review block keeps (its before and after span this write)."""
    held = frozenset().union(*_blocks.get())
    return case_filter & ~Q(pk__in=sorted(held)) if held else case_filter


def _lock_reviewed_cases(case_filter: Q) -> list[int]:
    """Lock the touched cases that have reviews, in id order, before reading their reviews; their ids.

    Every transition that makes a review final locks its case first (`maintained`), so with these rows
    locked none can commit between this block's "before" and "after" halves (which would count it
    twice, or not at all). Cases without a review are left alone: a review cannot be created, submitted
    and made final inside one write of its case. Id order: two bulk writers lock in one order.
    """
    reviewed = Exists(QualityReview.objects.filter(case=OuterRef("pk")))
    query = Case.objects.filter(case_filter).filter(reviewed).order_by("pk").values_list("pk", flat=True)
    return list(query.select_for_update() if connection.features.has_select_for_update else query)


def before(cursor, depth: int, case_filter: Q) -> None:
    """The "before" half for the cases matching `case_filter` (called by `cases.rollup.maintained`).

    Most case writes touch cases without reviews (an open case, an import's new events): those change
    no review count, so the block does nothing more than the one lookup (a clerk's write would
    otherwise pay ~12 statements for nothing).
    """
    delta = f"{_DELTA}_{depth}"
    reviewed = _lock_reviewed_cases(_held(case_filter))
    if not reviewed:
        _idle.set(_idle.get() | {depth})
        return
    _idle.set(_idle.get() - {depth})
    _prepare(cursor, delta)
    recount = _reviewed_filter(reviewed, case_filter)
    _add_facts(cursor, delta, recount, -1)
    _filters.set({**_filters.get(), depth: recount})


def after(cursor, depth: int, case_filter: Q) -> None:
    """The "after" half: add the facts again and apply the net delta."""
    if depth in _idle.get():
        _idle.set(_idle.get() - {depth})
        return
    delta = f"{_DELTA}_{depth}"
    filters = _filters.get()
    _filters.set({d: q for d, q in filters.items() if d != depth})
    _add_facts(cursor, delta, filters.get(depth) or _held(case_filter), +1)
    _apply(cursor, delta)
    cursor.execute(f"DELETE FROM {delta}")


def _reviewed_filter(reviewed: list[int], case_filter: Q) -> Q:
    """The cases to recount: the reviewed ones by id when few (index lookups), else the block's filter."""
    return Q(pk__in=reviewed) if len(reviewed) <= _LISTED_IDS else _held(case_filter)


@contextlib.contextmanager
def maintained(case_ids: Iterable[int]) -> Iterator[None]:
    """Keep the table equal to the raw rows across a review write on the given cases.

    Cases an enclosing case block (`cases.rollup.maintained`) or review block keeps are left to it.
    """
    from cases import rollup

    outer = _blocks.get()
    idle = _idle.get()
    active_case_blocks = [ids for depth, ids in enumerate(rollup._blocks.get()) if depth not in idle]
    ids = set(case_ids).difference(*outer, *active_case_blocks)
    with transaction.atomic():
        if not ids:
            yield
            return
        # Depths after the case blocks' own, so that a case block inside this one gets a table of its own.
        depth = 100 + len(outer)
        # `before` locks the case rows first (the workflow's `_locked` takes them too, after): a concurrent
        # transition on another review of the case waits there, before the case's reviews are read.
        case_filter = Q(pk__in=sorted(ids))
        with connection.cursor() as cursor:
            before(cursor, depth, case_filter)
        token = _blocks.set((*outer, frozenset(ids)))
        try:
            yield
        finally:
            _blocks.reset(token)
        with connection.cursor() as cursor:
            # Outside the block's own entry, so `_held` does not leave its cases out.
            after(cursor, depth, case_filter)


def rebuild() -> int:
    """Recompute the whole table from the raw review, finding and case rows, set-based; the row count."""
    from cases.rollup import LEVEL_KEYS

    table = ReviewFact._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")
        for level, kept in LEVEL_KEYS.items():
            for queryset in fact_querysets(keys=kept):
                sql, params = queryset.query.sql_with_params()
                cursor.execute(
                    f"INSERT INTO {table} ({', '.join((*KEY_NAMES, *VALUE_COLUMNS))}) "
                    f"SELECT %s, {_select(KEY_FIELDS, kept, 1)} FROM ({sql}) sub",
                    [level, *params],
                )
        return ReviewFact.objects.count()


def snapshot() -> dict[tuple, tuple]:
    """The table as a dict without all-zero rows (for tests and `rebuild_rollups --check`)."""
    return {
        tuple(row[c] for c in KEY_NAMES): tuple(row[v] for v in VALUE_COLUMNS)
        for row in ReviewFact.objects.values(*KEY_NAMES, *VALUE_COLUMNS)
        if any(row[v] for v in VALUE_COLUMNS)
    }
