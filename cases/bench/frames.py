"""The pandas baseline: the raw tables exported to CSV, read back and grouped in memory.

What an analyst would do without the product: dump the case and event tables, load them into
frames and group. Timed as export, read and compute, and its numbers checked like the SQL baselines'.
"""

from __future__ import annotations

import csv
import datetime
import time
from pathlib import Path

import pandas as pd
from django.db import connection

from cases.bench.baselines import CASES, EVENTS, TYPES

EXPORTS = {
    "cases": f"SELECT id, unit_id, team_id, received_on FROM {CASES}",
    "events": f"SELECT case_id, event_type_id, date FROM {EVENTS}",
    "types": f"SELECT id, kind, weight FROM {TYPES}",
}


def export(directory: Path) -> tuple[dict[str, Path], float]:
    """The three tables as CSV files (COPY TO on PostgreSQL); (paths, seconds)."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    start = time.perf_counter()
    with connection.cursor() as cursor:
        for name, sql in EXPORTS.items():
            path = paths[name] = directory / f"{name}.csv"
            if connection.vendor == "postgresql":
                statement = f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)"
                with open(path, "wb") as handle, cursor.cursor.copy(statement) as copy:
                    for block in copy:
                        handle.write(block)
                continue
            cursor.execute(sql)
            with open(path, "w", newline="", encoding="utf-8") as handle:
                out = csv.writer(handle)
                out.writerow([c[0] for c in cursor.description])
                out.writerows(cursor.fetchall())
    return paths, time.perf_counter() - start


def ratio_frames(
    paths: dict[str, Path], date_from: datetime.date, date_to: datetime.date, team_id: int
) -> tuple[dict[str, dict], dict[str, float]]:
    """Flow-basis cases and items for one team by month and for all units by month, computed by pandas."""
    start = time.perf_counter()
    cases = pd.read_csv(paths["cases"], dtype={"received_on": "string"})
    events = pd.read_csv(paths["events"], dtype={"date": "string"})
    types = pd.read_csv(paths["types"])
    read = time.perf_counter() - start

    start = time.perf_counter()
    lo, hi = date_from.isoformat(), date_to.isoformat()
    received = cases[cases["received_on"].notna()]
    in_range = received[(received["received_on"] >= lo) & (received["received_on"] <= hi)].assign(
        month=lambda f: f["received_on"].str.slice(0, 7)
    )
    extra_types = types[types["kind"] == "extra"][["id", "weight"]].rename(columns={"id": "event_type_id"})
    extras = events[(events["date"] >= lo) & (events["date"] <= hi)].merge(extra_types, on="event_type_id")
    extras = extras.merge(received[["id", "unit_id", "team_id"]].rename(columns={"id": "case_id"}), on="case_id")
    extras = extras.assign(month=extras["date"].str.slice(0, 7))

    def grouped(case_frame, extra_frame, keys):
        n_cases = case_frame.groupby(keys).size().rename("cases")
        n_extra = extra_frame.groupby(keys)["weight"].sum().rename("extra")
        both = pd.concat([n_cases, n_extra], axis=1).fillna(0).astype("int64")
        out = {}
        for key, row in both.iterrows():
            key = key if isinstance(key, tuple) else (key,)
            out[key] = (int(row["cases"]), int(row["cases"] + row["extra"]))
        return out

    team = grouped(in_range[in_range["team_id"] == team_id], extras[extras["team_id"] == team_id], ["month"])
    units = grouped(in_range, extras, ["month", "unit_id"])
    compute = time.perf_counter() - start
    results = {
        "team": {(m, 0): v for (m,), v in team.items()},
        "units": {(m, int(u)): v for (m, u), v in units.items()},
    }
    return results, {"read_s": read, "compute_s": compute}
