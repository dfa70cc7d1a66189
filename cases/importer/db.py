"""Database access the import needs at scale: lookups by many keys, and COPY with history on PostgreSQL.

Django's `__in` lookups bind one parameter per value, which costs more client time than the query
itself at 5,000 keys; on PostgreSQL one array parameter (`= ANY(%s)`) does the same work. New rows
are streamed with `COPY` on PostgreSQL (ids drawn from the table's sequence first, so the history
rows can carry them); other databases take the ORM path with django-simple-history's bulk helpers.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd
from django.db import connection

SQLITE_BATCH = 5_000
POSTGRES_BATCH = 50_000
COPY_ROWS = 100_000


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def select_in(sql: str, values: Sequence, *, batch: int | None = None) -> Iterator[tuple]:
    """Rows of `sql` (ending in `WHERE <column> IN %s`-like `{in}`) for every value, in batches.

    `sql` holds the placeholder `{in}` where the condition goes, e.g. `... WHERE c.case_no {in}`.
    """
    values = list(values)
    size = batch or (POSTGRES_BATCH if is_postgres() else SQLITE_BATCH)
    with connection.cursor() as cursor:
        for start in range(0, len(values), size):
            chunk = values[start : start + size]
            if is_postgres():
                cursor.execute(sql.format(**{"in": "= ANY(%s)"}), [chunk])
            else:
                cursor.execute(sql.format(**{"in": f"IN ({', '.join(['%s'] * len(chunk))})"}), chunk)
            yield from cursor.fetchall()


def copy_frame(table: str, frame: pd.DataFrame, not_null_text: Sequence[str]) -> None:
    """Stream `frame` into `table` with COPY (CSV; blank cells are NULL except in `not_null_text`)."""
    columns = ", ".join(connection.ops.quote_name(c) for c in frame.columns)
    forced = [c for c in not_null_text if c in frame.columns]
    options = "FORMAT csv"
    if forced:
        options += f", FORCE_NOT_NULL ({', '.join(connection.ops.quote_name(c) for c in forced)})"
    # psycopg's own cursor (Django's wrapper has no copy()), its errors raised as Django's (a value too
    # long for its column is a DataError the import reports as a failed write, not a traceback).
    with connection.cursor() as cursor, connection.wrap_database_errors:
        raw = cursor.cursor
        for start in range(0, len(frame), COPY_ROWS):
            buffer = io.StringIO()
            frame.iloc[start : start + COPY_ROWS].to_csv(buffer, header=False, index=False)
            with raw.copy(f"COPY {table} ({columns}) FROM STDIN WITH ({options})") as copy:
                copy.write(buffer.getvalue().encode())


def copy_with_history(model, frame: pd.DataFrame, history: dict, returning: Sequence[str] = ()) -> list[tuple]:
    """Insert the rows of `frame` (model columns by attname, no id) and their "+" history rows (PostgreSQL).

    The rows are COPied into a bare temporary table, then one statement moves them into the model's
    table and writes their history rows from what it inserted (a data-modifying CTE), so the new ids
    never travel to Python. `history` holds default_date, default_change_reason and default_user like
    django-simple-history's bulk helpers; `returning` names history columns to hand back (e.g. id, case_no).
    """
    quote = connection.ops.quote_name
    table, stage = model._meta.db_table, "caseqa_import_stage"
    columns = ", ".join(quote(c) for c in frame.columns)
    history_model = model.history.model
    names = [f.attname for f in history_model._meta.concrete_fields if f.attname != "history_id"]
    user = history["default_user"]
    values = {
        "history_date": history["default_date"],
        "history_change_reason": history["default_change_reason"],
        "history_user_id": getattr(user, "pk", None),
    }
    selected = ", ".join("'+'" if name == "history_type" else "%s" if name in values else quote(name) for name in names)
    params = [values[name] for name in names if name in values]
    back = f" RETURNING {', '.join(quote(c) for c in returning)}" if returning else ""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {stage}")
        cursor.execute(f"CREATE TEMPORARY TABLE {stage} AS SELECT {columns} FROM {table} WITH NO DATA")
        copy_frame(stage, frame, _not_null_text(model))
        cursor.execute(
            f"WITH inserted AS (INSERT INTO {table} ({columns}) SELECT {columns} FROM {stage} RETURNING *) "
            f"INSERT INTO {history_model._meta.db_table} ({', '.join(quote(n) for n in names)}) "
            f"SELECT {selected} FROM inserted{back}",
            params,
        )
        rows = cursor.fetchall() if returning else []
        cursor.execute(f"DROP TABLE {stage}")
    return rows


def _not_null_text(model) -> list[str]:
    return [
        f.attname
        for f in model._meta.concrete_fields
        if f.get_internal_type() in ("CharField", "TextField", "SlugField") and not f.null
    ]


def iso_dates(ordinals: np.ndarray) -> np.ndarray:
    """Ordinals as ISO date strings ("" for 0), converting each distinct date once."""
    import datetime

    codes, uniques = pd.factorize(ordinals, sort=False)
    text = np.array([datetime.date.fromordinal(int(o)).isoformat() if o else "" for o in uniques] + [""], dtype=object)
    return text[codes]
