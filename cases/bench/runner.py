"""One benchmark run: data set, statistics over HTTP beside their SQL baselines, pandas, import and COPY.

The order matters: statistics are measured on the generated data set first; the import comes last
because it adds a fresh set of cases, after which the ratio is checked against the baselines again
(the import path must leave the roll-up equal to the raw rows).
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.bench import baselines, checks, dataset, frames, importing, server
from cases.bench.report import render_table, targets
from cases.bench.timing import Samples, database_time, repeat
from cases.indicators import indicators_for
from cases.ratio import RatioFilters, ratio_for
from cases.review_stats import review_stats_for

# How many cases of the data set are re-imported under new numbers, by scale (every n-th case).
# Seconds one figure may take: a statistic slower than budget / repeat gets fewer runs (at least MIN_RUNS).
FIGURE_BUDGET_S = 60.0
MIN_RUNS = 3
# The dashboard's query count may differ by this much between the largest and the smallest team.
FIXED_QUERY_SLACK = 2
IMPORT_EVERY = {"tiny": 1, "small": 1, "medium": 4, "full": 4}


@dataclass
class Options:
    """What to run: scale, seed, repetitions, where to write, and how to serve."""

    scale: str | int = "small"
    seed: int = 2026
    repeat: int = 20
    json_path: Path | None = None
    in_process: bool = False
    reuse: bool = False
    import_every: int | None = None
    workdir: Path | None = None
    skip_import: bool = False
    skip_stats: bool = False
    partition_study: bool = False


@dataclass(frozen=True)
class Statistic:
    """One measured statistic: its endpoint and parameters, its baseline, and how to read both."""

    name: str
    path: str
    kind: str  # ratio, indicators or reviews
    by_unit: bool
    team: bool


STATISTICS = (
    Statistic("ratio_team_month", "/api/v1/stats/ratio/", "ratio", by_unit=False, team=True),
    Statistic("ratio_units_month", "/api/v1/stats/ratio/", "ratio", by_unit=True, team=False),
    Statistic("indicators_team_month", "/api/v1/stats/indicators/", "indicators", by_unit=False, team=True),
    Statistic("indicators_units_month", "/api/v1/stats/indicators/", "indicators", by_unit=True, team=False),
    Statistic("reviews_team_month", "/api/v1/stats/reviews/", "reviews", by_unit=False, team=True),
    Statistic("reviews_units_month", "/api/v1/stats/reviews/", "reviews", by_unit=True, team=False),
)
BASELINES = {
    "ratio": baselines.ratio_baseline,
    "indicators": baselines.indicators_baseline,
    "reviews": baselines.reviews_baseline,
}
READERS = {"ratio": checks.ratio_rows, "indicators": checks.indicator_rows, "reviews": checks.review_rows}
ENGINES = {"ratio": ratio_for, "indicators": indicators_for, "reviews": review_stats_for}


def run_benchmark(options: Options, log=print) -> dict:
    """Run everything; returns the report (also written as JSON). Raises BenchmarkMismatch on any inequality."""
    report: dict = {"scale": str(options.scale), "seed": options.seed, "repeat": options.repeat}
    report["machine"] = _machine()
    report["server"] = "in-process (django.test.Client)" if options.in_process else "gunicorn, 2 sync workers"
    failures: list[str] = []
    with contextlib.ExitStack() as stack:
        workdir = options.workdir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="caseqa-bench-")))
        workdir.mkdir(parents=True, exist_ok=True)
        data = dataset.prepare(options.scale, options.seed, reuse=options.reuse, log=log)
        report["dataset"] = {**data.counts, "seconds": data.seconds, "today": data.today.isoformat()}
        report["window"] = {"date_from": data.window.date_from.isoformat(), "date_to": data.window.date_to.isoformat()}
        report["team"] = data.team_code
        units = checks.unit_ids()

        if not options.skip_stats:
            if options.in_process:
                client = server.InProcessClient(data.token, data.session_key)
            else:
                base, master = stack.enter_context(server.gunicorn(log_path=workdir / "gunicorn.log"))
                client = server.HttpClient(base, data.token, data.session_key, master_pid=master)
            log("statistics…")
            report["statistics"] = {}
            for statistic in STATISTICS:
                result = measure_statistic(statistic, data, client, units, options.repeat)
                report["statistics"][statistic.name] = result
                failures += [c["name"] for c in result["checks"] if not c["equal"]]
                log(f"  {statistic.name}: {result['http']}")
                _save(options, report)
            report["prosecutors"] = {"http": _http_samples(client, "/api/v1/prosecutors/", options.repeat)}
            report["dashboard"] = measure_dashboard(client, data, options.repeat)

            log("pandas over a CSV export…")
            report["pandas"] = measure_pandas(workdir / "export", data, units)
            failures += [c["name"] for c in report["pandas"]["checks"] if not c["equal"]]

        if not options.skip_import:
            log("import through the product, and COPY…")
            report["import"] = measure_import(options, data, workdir / "import")
            failures += report["import"]["failures"]
            _save(options, report)
        if options.partition_study:
            from cases.bench.partitioning import study

            log("partitioning study…")
            report["partitioning"] = study(data.window, data.team_id, options.repeat)

    report["machine"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    report["targets"] = targets(report)
    report["failures"] = failures
    _save(options, report)
    log(render_table(report))
    if failures:
        raise checks.BenchmarkMismatch("the product's numbers differ from the baselines: " + ", ".join(failures))
    return report


def _save(options: Options, report: dict) -> None:
    """Write the report so far (a long run keeps what it measured if it is stopped)."""
    if options.json_path:
        Path(options.json_path).write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str))


def _machine() -> dict:
    info = {"cpus": os.cpu_count(), "python": platform.python_version(), "database": connection.vendor}
    # The box is shared: the load average says how much of it the benchmark had.
    info["load_average_start"] = [round(x, 2) for x in os.getloadavg()]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            info["postgresql"] = cursor.fetchone()[0]
    return info


def _params(statistic: Statistic, data: dataset.DataSet) -> dict:
    params = {
        "group_by": "unit,month" if statistic.by_unit else "month",
        "basis": "flow",
        "date_from": data.window.date_from.isoformat(),
        "date_to": data.window.date_to.isoformat(),
    }
    if statistic.team:
        params["team"] = data.team_code
    return params


def budgeted(first_seconds: float, runs: int) -> int:
    """How many measured runs fit the per-figure budget, given how long the warm-up call took."""
    return max(MIN_RUNS, min(runs, int(FIGURE_BUDGET_S / max(first_seconds, 1e-3))))


def _http_samples(client, path: str, runs: int, session: bool = False) -> dict:
    """p50/p95 wall time of GET `path`, and the server's and database's CPU milliseconds per request."""

    def get():
        status, body = client.get(path, session=session)
        if status != 200:
            raise checks.BenchmarkMismatch(f"GET {path} answered {status}: {body[:300]!r}")
        return body

    get()  # warm-up: connections, caches, first-request imports
    start = time.perf_counter()
    get()
    runs = budgeted(time.perf_counter() - start, runs)
    before = client.cpu()
    samples, _ = repeat(get, runs, warmup=0)
    result = samples.as_dict()
    after = client.cpu()
    if before is not None and after is not None:
        for part in ("server", "database"):
            result[f"{part}_cpu_ms"] = round((after[part] - before[part]) * 1000 / runs, 1)
    return result


def measure_statistic(statistic: Statistic, data: dataset.DataSet, client, units: dict, runs: int) -> dict:
    """HTTP p50/p95, the engine's database time, the baseline's time, and the equality checks."""
    params = _params(statistic, data)
    baseline_fn = BASELINES[statistic.kind]
    team_id = data.team_id if statistic.team else None

    def run_baseline():
        return baseline_fn(data.window.date_from, data.window.date_to, team_id=team_id, by_unit=statistic.by_unit)

    baseline = run_baseline()  # warms the cache
    baseline_samples = Samples()
    for _ in range(budgeted(baseline.seconds, runs)):
        baseline = run_baseline()
        baseline_samples.seconds.append(baseline.seconds)

    path = statistic.path + "?" + urlencode(params)
    result: dict = {"path": path, "baseline_sql": baseline_samples.as_dict(), "rows": len(baseline.rows), "checks": []}
    read = READERS[statistic.kind]
    api_rows = checks.fetch(client, path)
    result["checks"].append(
        checks.compare(f"{statistic.name}/api", read(api_rows, statistic.by_unit, units), baseline.rows).as_dict()
    )
    result["http"] = _http_samples(client, path, runs)

    engine = ENGINES.get(statistic.kind)
    if engine is not None:
        filters = RatioFilters(team=data.team_code if statistic.team else None)

        def call():
            return engine(
                group_by=params["group_by"],
                basis="flow",
                date_from=data.window.date_from,
                date_to=data.window.date_to,
                filters=filters,
            )

        start = time.perf_counter()
        database_time(call)  # warm-up
        db_samples, queries = Samples(), 0
        for _ in range(budgeted(time.perf_counter() - start, runs)):
            seconds, queries, engine_report = database_time(call)
            db_samples.seconds.append(seconds)
        engine_rows = read(checks.report_rows(engine_report), statistic.by_unit, units)
        result["checks"].append(checks.compare(f"{statistic.name}/engine", engine_rows, baseline.rows).as_dict())
        result["product_db"] = {**db_samples.as_dict(), "queries": queries}
        product, hand = db_samples.p50_ms, baseline_samples.p50_ms
        result["db_speedup"] = round(hand / product, 1) if product else None
    return result


def measure_dashboard(client, data: dataset.DataSet, runs: int) -> dict:
    """Server time of the team dashboard over HTTP, and its query count for the largest and smallest team."""
    from django.test import Client

    path = f"/teams/{data.team_code}/"
    http = _http_samples(client, path, runs, session=True)
    counts = {}
    local = Client()
    local.cookies["sessionid"] = data.session_key
    for label, code in (("large_team", data.team_code), ("small_team", data.small_team_code)):
        local.get(f"/teams/{code}/")  # warm caches that are filled once per process
        with CaptureQueriesContext(connection) as queries:
            status = local.get(f"/teams/{code}/").status_code
        if status != 200:
            raise checks.BenchmarkMismatch(f"GET /teams/{code}/ answered {status}")
        counts[label] = len(queries)
    # An N+1 grows with the team (members, cases, months); sections skipped for a quieter team may save one or two.
    fixed = max(counts.values()) - min(counts.values()) <= FIXED_QUERY_SLACK
    return {"path": path, "http": http, "queries": counts, "fixed_queries": fixed}


def measure_pandas(directory: Path, data: dataset.DataSet, units: dict) -> dict:
    """Export, read and group with pandas; the numbers must equal the SQL baselines'."""
    paths, export_seconds = frames.export(directory)
    results, seconds = frames.ratio_frames(paths, data.window.date_from, data.window.date_to, data.team_id)
    team = baselines.ratio_baseline(data.window.date_from, data.window.date_to, team_id=data.team_id)
    every = baselines.ratio_baseline(data.window.date_from, data.window.date_to, by_unit=True)
    found = [
        checks.compare("pandas/ratio_team_month", results["team"], team.rows).as_dict(),
        checks.compare("pandas/ratio_units_month", results["units"], every.rows).as_dict(),
    ]
    total = export_seconds + seconds["read_s"] + seconds["compute_s"]
    return {
        "export_s": round(export_seconds, 3),
        "read_s": round(seconds["read_s"], 3),
        "compute_s": round(seconds["compute_s"], 3),
        "total_s": round(total, 3),
        "checks": found,
    }


def measure_import(options: Options, data: dataset.DataSet, directory: Path) -> dict:
    """Cases then events of a fresh set of cases through `import_data`; COPY of the same event rows."""
    every = options.import_every or IMPORT_EVERY.get(str(options.scale), 4)
    prefix = f"B{int(time.time())}-"
    files = importing.write_files(directory, prefix, every, data.today)
    log_path = directory / "import.log"
    cases = importing.run_import(
        files.cases_csv, "cases", files.cases, in_process=options.in_process, log_path=log_path
    )
    events = importing.run_import(
        files.events_csv, "events", files.events, in_process=options.in_process, log_path=log_path
    )
    failures = []
    for name, run in (("import/cases", cases), ("import/events", events)):
        if run.status != 0:
            failures.append(f"{name} exited {run.status} (see {log_path})")
    stored = importing.imported_counts(prefix)
    if stored != (files.cases, files.events):
        failures.append(f"import stored {stored} (cases, events), the files hold {(files.cases, files.events)}")
    result = {
        "sample_every": every,
        "left_out_invalid_cases": files.left_out,
        "cases": cases.as_dict(),
        "events": events.as_dict(),
        "copy": importing.copy_baseline(files.copy_csv, files.events),
        "stored": list(stored),
    }
    # After the import the engine must still equal the hand-written GROUP BY (roll-up kept by the import path).
    after = []
    for statistic in STATISTICS[:2]:
        team_id = data.team_id if statistic.team else None
        baseline = baselines.ratio_baseline(
            data.window.date_from, data.window.date_to, team_id=team_id, by_unit=statistic.by_unit
        )
        report = ratio_for(
            group_by="unit,month" if statistic.by_unit else "month",
            date_from=data.window.date_from,
            date_to=data.window.date_to,
            filters=RatioFilters(team=data.team_code if statistic.team else None),
        )
        rows = checks.ratio_rows(checks.report_rows(report), statistic.by_unit, checks.unit_ids())
        check = checks.compare(f"after-import/{statistic.name}", rows, baseline.rows)
        after.append(check.as_dict())
        if not check.equal:
            failures.append(check.name)
    result["checks"] = after
    result["failures"] = failures
    return result
