"""Bulk writing of generated rows: PostgreSQL `COPY`, else multi-row `executemany`, with explicit ids.

The generator knows every id in advance (it numbers the rows itself), so events can point at their
cases without reading ids back, and no model instance is built per row: a million cases and a few
million events go in at the database's pace rather than the ORM's.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence

from django.core.management.color import no_style
from django.db import connection, models
from django.db.models import Max


def next_id(model: type[models.Model]) -> int:
    """The first free primary key of `model`'s table."""
    return (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1


def columns(model: type[models.Model], names: Sequence[str]) -> list[str]:
    """Database column names of the given model fields (so renamed columns stay right)."""
    return [model._meta.get_field(name).column for name in names]


def adapt_timestamp(value: datetime.datetime):
    """A timestamp as the current backend stores it (SQLite wants naive UTC text when USE_TZ)."""
    if connection.vendor == "postgresql":
        return value
    return connection.ops.adapt_datetimefield_value(value)


def insert_rows(model: type[models.Model], field_names: Sequence[str], rows: Iterable[tuple]) -> int:
    """Insert `rows` (tuples in `field_names` order) into `model`'s table; returns the row count."""
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(c) for c in columns(model, field_names))
    rows = list(rows)
    if not rows:
        return 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(field_names))
            cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({placeholders})", rows)
    return len(rows)


def reset_sequences(*models_: type[models.Model]) -> None:
    """After explicit ids, move PostgreSQL's id sequences past them (SQLite's AUTOINCREMENT follows by itself)."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(models_))
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
