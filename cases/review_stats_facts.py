"""Whole months of review statistics from the maintained `ReviewFact` count table (DOMAIN.md §7).

`cases.review_stats.review_stats_for` reads whole months here and partial months from the raw rows;
both feed the same accumulation. The level is the coarsest one that keeps every column the request
groups or filters by (as the ratio's `rollup_level`), so all units by month reads the `unit` level
(one reviews row and one row per item found, per unit and month) and one team by month the `team`
level, never the prosecutor-level rows.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal

from django.db import connections
from django.db.models import F, Sum
from django.db.models.functions import TruncQuarter, TruncYear

from cases.facts import ZERO_NONE
from cases.models import Charge, ReviewFact, ReviewItem
from cases.ratio import KEY_COLUMNS, Scope, rollup_columns, rollup_level
from cases.review_facts import GRADES

GRADED, FOUND, TOTALS = 0, 1, 2
# Month values are first days already; quarters and years truncate them.
_TRUNCS = {"month": F, "quarter": TruncQuarter, "year": TruncYear}


def _cents(value) -> Decimal:
    return Decimal(int(value or 0)).scaleb(-2)


def read_facts(
    whole: tuple[datetime.date, datetime.date],
    periods: list[str] | tuple[str, ...],
    dims: list[str] | tuple[str, ...],
    columns: dict[str, object],
    scope: Scope,
) -> Iterator[tuple]:
    """Rows (kind, keys, first, code, n, amount, times) for the months in `whole`.

    TOTALS rows carry a group's reviews (n), score sum (amount) and grade counts (first: a dict);
    FOUND rows a dimension (first), item code, points deducted (amount) and times found, exactly as
    the raw statement's rows do. Keys are the period values, then the dimension values (None for none).
    """
    scope_q = scope.fact_q()
    key_columns = [KEY_COLUMNS[d][0] for d in dims]
    # A chapter is grouped through the main charge, mapped to its chapter below.
    fact_keys = tuple(dict.fromkeys("main_charge_id" if c == "charge_chapter" else c for c in key_columns))
    fact_columns = rollup_columns(columns)
    level = rollup_level({*fact_keys, *(c.split("__")[0] for c in fact_columns), *scope.columns()})
    facts = ReviewFact.objects.filter(scope_q, level=level, month__gte=whole[0], month__lte=whole[1], **fact_columns)
    names = [f"p_{p}" for p in periods] + [f"c_{c}" for c in fact_keys]
    sums = ("reviews", "score_cents", *GRADES, "points_cents", "times")
    inner = (
        facts.values(
            **{f"p_{p}": _TRUNCS[p]("month") for p in periods},
            **{f"c_{c}": F(c) for c in fact_keys},
            f_dimension=F("dimension"),
            f_item=F("item_id"),
        )
        .annotate(**{f"s_{v}": Sum(v) for v in sums})
        .order_by()
    )
    # The item's code as it is now (as the raw statement joins it), joined once per grouped row: a
    # correlated subquery in the grouped query ran once per table row (13 of 22 ms at 100k cases).
    connection = connections[inner.db]
    qn = connection.ops.quote_name
    inner_sql, params = inner.query.get_compiler(inner.db).as_sql()
    selected = [qn(n) for n in (*names, "f_dimension", "f_item")]
    selected += [f"i.{qn('code')}", *(qn(f"s_{v}") for v in sums)]
    sql = (
        f"SELECT {', '.join(f'g.{c}' if not c.startswith('i.') else c for c in selected)} FROM ({inner_sql}) g "
        f"LEFT JOIN {qn(ReviewItem._meta.db_table)} i ON i.{qn('id')} = g.{qn('f_item')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    chapter_of = dict(Charge.objects.values_list("pk", "chapter")) if "charge_chapter" in key_columns else {}
    n_periods, n_names = len(periods), len(names)
    positions = [fact_keys.index("main_charge_id" if c == "charge_chapter" else c) for c in key_columns]
    for row in rows:
        reviews, score, *by_grade = row[n_names + 3 : n_names + 5 + len(GRADES)]
        points, times = row[-2], row[-1]
        item = row[n_names + 1]
        if (not item and not reviews) or (item and not times and not points):
            continue  # rows that fell to zero after a correction name no group (as if absent)
        values = row[n_periods:n_names]
        keys = list(row[:n_periods])
        for column, at in zip(key_columns, positions, strict=True):
            value = values[at]
            if column == "charge_chapter":
                value = chapter_of.get(value) if value else None
            elif fact_keys[at] in ZERO_NONE and value == 0:
                value = None
            keys.append(value)
        if not item:
            yield TOTALS, keys, dict(zip(GRADES, by_grade, strict=True)), None, int(reviews), _cents(score), None
        else:
            yield FOUND, keys, row[n_names], row[n_names + 2], None, _cents(points), int(times)
