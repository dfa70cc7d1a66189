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


def allocate_ids(table: str, n: int) -> np.ndarray:
    """`n` fresh ids from the id sequence of `table` (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, int(n)])
        return np.fromiter((row[0] for row in cursor.fetchall()), dtype=np.int64, count=n)


def copy_frame(table: str, frame: pd.DataFrame, not_null_text: Sequence[str]) -> None:
    """Stream `frame` into `table` with COPY (CSV; blank cells are NULL except in `not_null_text`)."""
    columns = ", ".join(connection.ops.quote_name(c) for c in frame.columns)
    forced = [c for c in not_null_text if c in frame.columns]
    options = "FORMAT csv"
    if forced:
        options += f", FORCE_NOT_NULL ({', '.join(connection.ops.quote_name(c) for c in forced)})"
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor: Django's wrapper has no copy()
        for start in range(0, len(frame), COPY_ROWS):
            buffer = io.StringIO()
            frame.iloc[start : start + COPY_ROWS].to_csv(buffer, header=False, index=False)
            with raw.copy(f"COPY {table} ({columns}) FROM STDIN WITH ({options})") as copy:
                copy.write(buffer.getvalue().encode())


def copy_with_history(model, frame: pd.DataFrame, history: dict) -> np.ndarray:
    """Insert the rows of `frame` (model columns by attname, no id) and their "+" history rows; returns ids.

    `history` holds default_date, default_change_reason and default_user like simple_history's helpers.
    """
    table = model._meta.db_table
    frame = frame.copy()
    frame.insert(0, "id", allocate_ids(table, len(frame)))
    copy_frame(table, frame, _not_null_text(model))
    history_model = model.history.model
    user = history["default_user"]
    extra = {
        "history_date": history["default_date"].isoformat(),
        "history_change_reason": history["default_change_reason"],
        "history_type": "+",
        "history_user_id": getattr(user, "pk", None),
    }
    names = [f.attname for f in history_model._meta.concrete_fields if f.attname != "history_id"]
    rows = pd.DataFrame({name: frame[name] if name in frame else extra[name] for name in names})
    copy_frame(history_model._meta.db_table, rows, _not_null_text(history_model))
    return frame["id"].to_numpy()


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
