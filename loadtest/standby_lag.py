"""Replication lag under an import, and what a reader of the standby sees meanwhile (docs/scaling.md).

    scripts/standby.sh
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/caseqa_lag .venv/bin/python loadtest/standby_lag.py [CASES]

Creates (drops first) that database on the primary, generates the benchmark's office with CASES cases
(default 15,000), writes every case again under a new number as a cases file and an events file
(`cases.bench.importing.write_files`), waits for the standby to catch up, then imports both files with
`manage.py import_data` in a child process while a sampler, every SAMPLE_SECONDS, reads on the primary
its WAL position and `pg_stat_replication` (bytes behind, write/flush/replay lag) and on the standby
(port STANDBY_PORT, default 5433, same database name) what a reader there sees: the number of cases and
events and the roll-up's total of items. Prints one JSON line. Not in the suite.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import psycopg

REPO = Path(__file__).resolve().parent.parent
SAMPLE_SECONDS = 0.05
PREFIX = "L"
# Whole-table counts, cheap enough to sample often: a partial import would show a value in between.
SEEN = """SELECT (SELECT count(*) FROM cases_case), (SELECT count(*) FROM cases_proceduralevent),
                 (SELECT coalesce(sum(items), 0) FROM cases_ratiofact WHERE level = 'unit')"""
LAG = """SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn),
                extract(epoch FROM write_lag), extract(epoch FROM flush_lag), extract(epoch FROM replay_lag)
           FROM pg_stat_replication WHERE application_name = 'standby'"""


def manage(*args: str) -> None:
    env = {**os.environ, "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50)}
    env.pop("DATABASE_REPLICA_URL", None)
    subprocess.run([sys.executable, str(REPO / "manage.py"), *args], cwd=REPO, env=env, check=True)


def prepare(cases: int, work: Path) -> tuple[int, int]:
    """The office and the two files to import (in this process: Django set up on DATABASE_URL)."""
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caseqa.settings")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.pop("DATABASE_REPLICA_URL", None)
    import django

    django.setup()
    from cases.bench.dataset import prepare as generate
    from cases.bench.importing import write_files

    data = generate(cases, log=lambda line: print(line, file=sys.stderr))
    files = write_files(work, PREFIX, 1, data.today)
    return files.cases, files.events


class Sampler(threading.Thread):
    def __init__(self, primary_url: str, standby_url: str):
        super().__init__(daemon=True)
        self.primary = psycopg.connect(primary_url, autocommit=True)
        self.standby = psycopg.connect(standby_url, autocommit=True)
        self.samples: list[dict] = []
        self.stop = threading.Event()

    def sample(self) -> dict:
        row = self.primary.execute(LAG).fetchone() or (None, None, None, None)
        seen = self.standby.execute(SEEN).fetchone()
        primary_seen = self.primary.execute(SEEN).fetchone()
        return {
            "t": time.monotonic(),
            "bytes": float(row[0] or 0),
            "write": float(row[1] or 0),
            "flush": float(row[2] or 0),
            "replay": float(row[3] or 0),
            "standby": tuple(seen),
            "primary": tuple(primary_seen),
        }

    def run(self) -> None:
        while not self.stop.is_set():
            self.samples.append(self.sample())
            time.sleep(SAMPLE_SECONDS)


def caught_up(primary_url: str, standby_url: str, deadline: float = 120) -> float:
    """Wait until the standby has replayed all the primary has written; seconds waited (10 ms polls)."""
    with psycopg.connect(primary_url, autocommit=True) as p, psycopg.connect(standby_url, autocommit=True) as s:
        target = p.execute("SELECT pg_current_wal_lsn()::text").fetchone()[0]
        started = time.monotonic()
        while not s.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]).fetchone()[0]:
            assert time.monotonic() - started < deadline
            time.sleep(0.01)
        return round(time.monotonic() - started, 3)


def visible_after(samples: list[dict], index: int) -> list[float]:
    """For each value the primary reached: seconds until the standby showed it (sampling resolution)."""
    delays = []
    for value in sorted({s["primary"][index] for s in samples})[1:]:
        on_primary = next(s["t"] for s in samples if s["primary"][index] == value)
        on_standby = next((s["t"] for s in samples if s["standby"][index] == value), None)
        delays.append(None if on_standby is None else round(on_standby - on_primary, 3))
    return delays


def summary(samples: list[dict], cases: int, events: int, seconds: dict) -> dict:
    def top(key):
        values = sorted(s[key] for s in samples)
        return {"max": round(values[-1], 3), "p95": round(values[int(0.95 * (len(values) - 1))], 3)}

    return {
        "import_cases": cases,
        "import_events": events,
        "import_seconds": seconds,
        "samples": len(samples),
        "sample_period_s": round((samples[-1]["t"] - samples[0]["t"]) / max(len(samples) - 1, 1), 3),
        "bytes_behind": top("bytes"),
        "write_lag_s": top("write"),
        "flush_lag_s": top("flush"),
        "replay_lag_s": top("replay"),
        # A reader of the standby sees these values only: before the import, or all of it.
        "standby_cases_seen": sorted({s["standby"][0] for s in samples}),
        "standby_events_seen": sorted({s["standby"][1] for s in samples}),
        "standby_rollup_items_seen": sorted({s["standby"][2] for s in samples}),
        "primary_rollup_items_seen": sorted({s["primary"][2] for s in samples}),
        "cases_visible_on_standby_after_s": visible_after(samples, 0),
        "events_visible_on_standby_after_s": visible_after(samples, 1),
    }


def main() -> None:
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 15_000
    url = os.environ["DATABASE_URL"]
    name = urlparse(url).path.lstrip("/")
    port = os.environ.get("STANDBY_PORT", "5433")
    standby_url = f"postgresql://postgres@127.0.0.1:{port}/{name}"
    admin = url.rsplit("/", 1)[0] + "/postgres"
    subprocess.run(["psql", admin, "-q", "-c", f"DROP DATABASE IF EXISTS {name}", "-c", f"CREATE DATABASE {name}"])
    manage("migrate", "--noinput", "-v0")
    work = Path(tempfile.mkdtemp(prefix="caseqa-lag-"))
    cases, events = prepare(size, work)
    caught_up(url, standby_url)
    sampler = Sampler(url, standby_url)
    sampler.start()
    seconds = {}
    for kind in ("cases", "events"):
        started = time.monotonic()
        manage("import_data", "--kind", kind, str(work / f"{kind}.csv"))
        seconds[kind] = round(time.monotonic() - started, 2)
        # From the import's commit (its process has ended) to the standby having replayed it.
        seconds[f"{kind}_replayed_after"] = caught_up(url, standby_url)
    time.sleep(2 * SAMPLE_SECONDS)  # one more sample after the catch-up
    sampler.stop.set()
    sampler.join()
    print(json.dumps(summary(sampler.samples, cases, events, seconds)))


if __name__ == "__main__":
    main()
