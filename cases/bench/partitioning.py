"""Should events be partitioned by year? Measured, not assumed (DESIGN.md "Scale-out").

Two scratch copies of the events table are built from the same rows: one plain (the product's
layout: same columns and indexes) and one `PARTITION BY RANGE (date)` with a partition per year. The
queries that touch raw events are timed on both: the hand-written GROUP BY for a team's year and for
all units' year (what a statistic costs without the roll-up), a case's timeline (the case page and the
sequence check of every write), and the engine's partial-month read. Then a year is retired from each
(DELETE vs DETACH + DROP). PostgreSQL only; the copies are dropped at the end.
"""

from __future__ import annotations

import datetime
import random
import time

from django.db import connection

from cases.bench.baselines import CASES, EVENTS, TYPES, ratio_sql
from cases.bench.timing import Samples

PLAIN, PARTITIONED = "bench_events_plain", "bench_events_by_year"
TIMELINE_CASES = 200


def _execute(cursor, sql: str, params=None) -> float:
    start = time.perf_counter()
    cursor.execute(sql, params or [])
    if cursor.description:
        cursor.fetchall()
    return time.perf_counter() - start


def _build(cursor) -> dict:
    """Both copies, loaded with INSERT … SELECT, indexed like the product's table, analysed; load seconds."""
    cursor.execute(f"SELECT min(date), max(date) FROM {EVENTS}")
    first, last = cursor.fetchone()
    columns = "id, case_id, event_type_id, date, persons, prosecutor_id, note, created_at"
    seconds = {}
    for table in (PLAIN, PARTITIONED):
        cursor.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    cursor.execute(f"CREATE TABLE {PLAIN} (LIKE {EVENTS} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)")
    cursor.execute(
        f"CREATE TABLE {PARTITIONED} (LIKE {EVENTS} INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY RANGE (date)"
    )
    for year in range(first.year, last.year + 1):
        cursor.execute(
            f"CREATE TABLE {PARTITIONED}_{year} PARTITION OF {PARTITIONED} "
            f"FOR VALUES FROM ('{year}-01-01') TO ('{year + 1}-01-01')"
        )
    # A partitioned table's unique keys must hold the partition key: (id, date), and (case, type, date) as before.
    cursor.execute(f"ALTER TABLE {PARTITIONED} ADD PRIMARY KEY (id, date)")
    cursor.execute(f"CREATE UNIQUE INDEX ON {PARTITIONED} (case_id, event_type_id, date)")
    cursor.execute(f"CREATE INDEX ON {PARTITIONED} (date)")
    cursor.execute(f"CREATE INDEX ON {PARTITIONED} (case_id)")
    cursor.execute(f"CREATE INDEX ON {PARTITIONED} (event_type_id)")
    cursor.execute(f"CREATE INDEX ON {PARTITIONED} (prosecutor_id)")
    for table in (PLAIN, PARTITIONED):
        seconds[table] = _execute(cursor, f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {EVENTS}")
        cursor.execute(f"ANALYZE {table}")
    return {"first": first, "last": last, "load_s": {t: round(s, 2) for t, s in seconds.items()}}


def _timed(cursor, sql: str, params, runs: int) -> Samples:
    _execute(cursor, sql, params)  # warm
    samples = Samples()
    for _ in range(runs):
        samples.seconds.append(_execute(cursor, sql, params))
    return samples


def study(window, team_id: int, runs: int = 10) -> dict:
    """Timings of the raw-event queries on a plain and a year-partitioned copy of the events table."""
    if connection.vendor != "postgresql":
        return {"note": "PostgreSQL only"}
    result: dict = {"tables": {}}
    with connection.cursor() as cursor:
        built = _build(cursor)
        result["years"] = [built["first"].year, built["last"].year]
        result["load_s"] = built["load_s"]
        cursor.execute(f"SELECT id FROM {CASES} ORDER BY id")
        ids = [row[0] for row in cursor.fetchall()]
        sample = random.Random(7).sample(ids, min(TIMELINE_CASES, len(ids)))
        partial_from = window.date_to.replace(day=1)
        for table in (PLAIN, PARTITIONED):
            figures = {}
            window_params = [window.date_from, window.date_to]
            team_sql = ratio_sql(False, team_id, events=table)
            figures["group_by_team_year"] = _timed(
                cursor, team_sql, [*window_params, team_id, *window_params, team_id], runs
            ).as_dict()
            units_sql = ratio_sql(True, None, events=table)
            figures["group_by_units_year"] = _timed(cursor, units_sql, window_params * 2, runs).as_dict()
            timeline = Samples()
            for case_id in sample:
                timeline.seconds.append(
                    _execute(cursor, f"SELECT * FROM {table} WHERE case_id = %s ORDER BY date, id", [case_id])
                )
            figures["case_timeline"] = timeline.as_dict()
            partial = (
                f"SELECT t.code, count(*) FROM {table} e JOIN {TYPES} t ON t.id = e.event_type_id "
                f"WHERE e.date >= %s AND e.date <= %s GROUP BY t.code"
            )
            partial_params = [partial_from, window.date_to]
            figures["partial_month_all_events"] = _timed(cursor, partial, partial_params, runs).as_dict()
            cursor.execute("SELECT pg_total_relation_size(%s::regclass)", [table])
            size = cursor.fetchone()[0]
            if table == PARTITIONED:
                cursor.execute(
                    "SELECT coalesce(sum(pg_total_relation_size(inhrelid)), 0) FROM pg_inherits "
                    "WHERE inhparent = %s::regclass",
                    [table],
                )
                size = cursor.fetchone()[0]
            figures["size_mb"] = round(float(size) / 1024 / 1024, 1)
            result["tables"][table] = figures
        year = built["first"].year
        result["retire_oldest_year_s"] = {
            PLAIN: round(
                _execute(
                    cursor,
                    f"DELETE FROM {PLAIN} WHERE date < %s",
                    [datetime.date(year + 1, 1, 1)],
                ),
                3,
            ),
            PARTITIONED: round(
                _execute(cursor, f"ALTER TABLE {PARTITIONED} DETACH PARTITION {PARTITIONED}_{year}")
                + _execute(cursor, f"DROP TABLE {PARTITIONED}_{year}"),
                3,
            ),
        }
        for table in (PLAIN, PARTITIONED):
            cursor.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    return result
