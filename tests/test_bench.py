"""The benchmark must not rot: its tiny run equals the baselines and reports every figure (no timing asserted)."""

import json
import urllib.request
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from cases.bench import baselines, checks, importing, server
from cases.bench.report import targets
from cases.bench.runner import STATISTICS
from cases.bench.timing import Samples

# Every figure the JSON must carry (dotted paths); on SQLite the COPY baseline is null by design.
FIGURES = [
    "dataset.cases",
    "dataset.events",
    "dataset.reviews",
    "import.events.rows_per_s",
    "import.events.peak_rss_mb",
    "import.cases.rows_per_s",
    "import.copy.rows_per_s",
    "prosecutors.http.p50_ms",
    "dashboard.http.p50_ms",
    "dashboard.http.p95_ms",
    "dashboard.queries.large_team",
    "dashboard.queries.small_team",
    "pandas.export_s",
    "pandas.read_s",
    "pandas.compute_s",
]
for _stat in STATISTICS:
    FIGURES += [f"statistics.{_stat.name}.http.p50_ms", f"statistics.{_stat.name}.http.p95_ms"]
    FIGURES += [f"statistics.{_stat.name}.baseline_sql.p50_ms"]
    if _stat.kind in ("ratio", "indicators"):
        FIGURES += [f"statistics.{_stat.name}.product_db.p50_ms", f"statistics.{_stat.name}.db_speedup"]


def _lookup(report: dict, dotted: str):
    node = report
    for part in dotted.split("."):
        assert isinstance(node, dict) and part in node, f"the benchmark JSON lacks {dotted}"
        node = node[part]
    return node


@pytest.mark.django_db
def test_tiny_benchmark_equals_its_baselines_and_reports_every_figure(tmp_path):
    out = tmp_path / "bench.json"
    call_command(
        "bench",
        "--scale",
        "tiny",
        "--repeat",
        "2",
        "--in-process",
        "--allow-sqlite",
        "--json",
        str(out),
        "--workdir",
        str(tmp_path / "work"),
        stdout=open(tmp_path / "stdout.txt", "w"),  # noqa: SIM115
    )
    report = json.loads(out.read_text())
    assert report["failures"] == []
    for dotted in FIGURES:
        value = _lookup(report, dotted)
        if dotted == "import.copy.rows_per_s" and connection.vendor != "postgresql":
            assert value is None  # COPY is PostgreSQL's
            continue
        assert value is not None, dotted
    # Each statistic was compared with its baseline through the API (and the engine where one is called).
    for stat in STATISTICS:
        names = {c["name"]: c for c in report["statistics"][stat.name]["checks"]}
        assert names[f"{stat.name}/api"]["equal"] is True
        assert names[f"{stat.name}/api"]["rows"] > 0, f"{stat.name}: the baseline found nothing to compare"
    assert all(c["equal"] for c in report["import"]["checks"])
    assert report["import"]["stored"] == [report["import"]["cases"]["rows"], report["import"]["events"]["rows"]]
    assert report["import"]["events"]["rows"] == report["dataset"]["events"]
    assert all(isinstance(n, int) and n > 0 for n in report["dashboard"]["queries"].values())
    assert {t["what"] for t in report["targets"]} >= {"import of events, rows/s", "ratio_team_month via API, p50 ms"}
    assert "ratio_team_month" in (tmp_path / "stdout.txt").read_text()


def test_bench_refuses_sqlite_without_the_flag(monkeypatch):
    monkeypatch.setattr("cases.management.commands.bench.connection", SimpleNamespace(vendor="sqlite"))
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("bench", "--scale", "tiny")


def test_a_baseline_difference_is_reported_key_by_key():
    found = checks.compare("x", {("2026-01", 0): (3, 4)}, {("2026-01", 0): (3, 5), ("2026-02", 0): (1, 1)})
    assert not found.equal
    assert len(found.detail) == 2 and "product (3, 4) ≠ baseline (3, 5)" in found.detail[0]
    assert checks.compare("y", {("m", 1): (1, 1)}, {("m", 1): (1, 1)}).equal


def test_percentiles_are_nearest_rank():
    samples = Samples([0.010, 0.020, 0.030, 0.040, 0.100])
    assert samples.p50_ms == 30.0
    assert samples.p95_ms == 100.0
    assert Samples().p50_ms is None


def test_child_peak_memory_is_the_childs_own(tmp_path):
    command = ["-c", "block = bytearray(120 * 1024 * 1024); block[::4096] = b'x' * len(block[::4096])"]
    seconds, peak_mb, status, cpu = importing.run_child(command, tmp_path / "child.log")
    assert status == 0 and seconds > 0 and cpu > 0
    assert 120 <= peak_mb < 400
    _s, _p, failed, _c = importing.run_child(["-c", "raise SystemExit(3)"], tmp_path / "child.log")
    assert failed == 3


@pytest.mark.django_db
def test_gunicorn_serves_on_loopback_and_stops(tmp_path, monkeypatch):
    # The login page needs no table, so an empty SQLite file is enough for the server under test.
    monkeypatch.setattr(server, "database_url", lambda: f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    with server.gunicorn(workers=1, log_path=tmp_path / "gunicorn.log") as (base, master):
        assert base.startswith("http://127.0.0.1:")
        client = server.HttpClient(base, "no-token", "no-session", master_pid=master)
        before = client.cpu()["server"]
        for _ in range(5):
            status, body = client.get("/accounts/login/")
            assert status == 200 and b"<form" in body
        assert server.children(master), "gunicorn runs its workers as children of the master"
        assert client.cpu()["server"] >= before
    with pytest.raises(OSError):
        urllib.request.urlopen(base + "/accounts/login/", timeout=2)


def test_targets_are_judged_from_the_figures():
    report = {
        "import": {"events": {"rows_per_s": 60_000.0, "peak_rss_mb": 1500.0}},
        "statistics": {
            "ratio_team_month": {"http": {"p50_ms": 20.0}, "db_speedup": 30.0, "checks": [{"equal": True}]},
            "ratio_units_month": {"http": {"p50_ms": 300.0}, "db_speedup": 12.0, "checks": [{"equal": False}]},
            "reviews_team_month": {"http": {"p50_ms": 9.0}, "db_speedup": 20.0, "checks": [{"equal": True}]},
            "reviews_units_month": {"http": {"p50_ms": 90.0}, "db_speedup": 6.0, "checks": [{"equal": True}]},
        },
        "dashboard": {"http": {"p50_ms": 100.0}, "fixed_queries": True},
    }
    met = {t["what"]: t["met"] for t in targets(report)}
    assert met["import of events, rows/s"] is True
    assert met["import of events, peak memory MB"] is False
    assert met["ratio_team_month via API, p50 ms"] is True
    assert met["ratio_units_month via API, p50 ms"] is False
    assert met["ratio_units_month: database time vs hand-written GROUP BY"] is False  # numbers differ
    assert met["team dashboard, p50 ms (fixed query count)"] is True
    # Every statistic's database time is judged, not only the ratio's (issue 14).
    assert met["reviews_team_month: database time vs hand-written GROUP BY"] is True
    assert met["reviews_units_month: database time vs hand-written GROUP BY"] is False


def test_month_label_sql_follows_the_database():
    sql = baselines.month_of("c.received_on")
    assert ("to_char" in sql) == (connection.vendor == "postgresql")
