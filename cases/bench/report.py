"""The benchmark's printed table and its verdict on each DESIGN.md "Performance" target."""

from __future__ import annotations

TARGET_P50_MS = {"ratio_team_month": 50, "ratio_units_month": 250}
IMPORT_ROWS_PER_S = 50_000
IMPORT_PEAK_MB = 1024
DB_SPEEDUP = 10
DASHBOARD_MS = 300


def _get(report: dict, *path, default=None):
    node = report
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return default
        node = node[part]
    return node


def targets(report: dict) -> list[dict]:
    """Each DESIGN.md target with the measured figure and whether it was met (None: not measured)."""

    def verdict(what: str, target: str, measured, met) -> dict:
        return {"what": what, "target": target, "measured": measured, "met": None if measured is None else met}

    out = []
    rate = _get(report, "import", "events", "rows_per_s")
    out.append(verdict("import of events, rows/s", f"≥ {IMPORT_ROWS_PER_S:,}", rate, bool(rate and rate >= 50_000)))
    peak = _get(report, "import", "events", "peak_rss_mb")
    out.append(verdict("import of events, peak memory MB", f"< {IMPORT_PEAK_MB}", peak, bool(peak and peak < 1024)))
    for name, limit in TARGET_P50_MS.items():
        p50 = _get(report, "statistics", name, "http", "p50_ms")
        out.append(verdict(f"{name} via API, p50 ms", f"≤ {limit}", p50, p50 is not None and p50 <= limit))
        speedup = _get(report, "statistics", name, "db_speedup")
        equal = all(c["equal"] for c in _get(report, "statistics", name, "checks", default=[]))
        out.append(
            verdict(
                f"{name}: database time vs hand-written GROUP BY",
                f"≥ {DB_SPEEDUP}× less, numbers identical",
                speedup,
                speedup is not None and speedup >= DB_SPEEDUP and equal,
            )
        )
    # Issue 14: every statistic (ratio, indicators, reviews) with ≥ 10× less database time than its GROUP BY.
    for name, stat in report.get("statistics", {}).items():
        if name in TARGET_P50_MS or "db_speedup" not in stat:
            continue
        speedup, equal = stat["db_speedup"], all(c["equal"] for c in stat.get("checks", []))
        out.append(
            verdict(
                f"{name}: database time vs hand-written GROUP BY",
                f"≥ {DB_SPEEDUP}× less, numbers identical",
                speedup,
                speedup is not None and speedup >= DB_SPEEDUP and equal,
            )
        )
    p50 = _get(report, "dashboard", "http", "p50_ms")
    fixed = _get(report, "dashboard", "fixed_queries")
    out.append(
        verdict(
            "team dashboard, p50 ms (fixed query count)",
            f"≤ {DASHBOARD_MS}, fixed",
            p50,
            p50 is not None and p50 <= DASHBOARD_MS and bool(fixed),
        )
    )
    return out


def _fmt(value, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        value = f"{value:,.1f}" if value >= 100 else f"{value:,.2f}"
    elif isinstance(value, int):
        value = f"{value:,}"
    return f"{value}{unit}"


def _http(http: dict) -> str:
    text = f"{_fmt(http['p50_ms'])} / {_fmt(http['p95_ms'])} ms"
    if "server_cpu_ms" in http:
        text += f" (cpu {_fmt(http['server_cpu_ms'])} + db {_fmt(http['database_cpu_ms'])} ms)"
    return text


def _import(run: dict) -> str:
    return _fmt(run["rows_per_s"], " rows/s") + f" ({_fmt(run['seconds'])} s, cpu {_fmt(run.get('cpu_s'))} s)"


def table_rows(report: dict) -> list[tuple[str, str, str, str]]:
    """(figure, product, baseline in the same run, target) for every measured figure."""
    rows = []
    imp = report.get("import") or {}
    if imp:
        events, cases, copy = imp["events"], imp["cases"], imp["copy"]
        rows.append(
            (
                f"import events ({events['rows']:,} rows)",
                _import(events),
                "COPY " + _fmt(copy.get("rows_per_s"), " rows/s"),
                f"≥ {IMPORT_ROWS_PER_S:,} rows/s",
            )
        )
        rows.append(("import events, peak RSS", _fmt(events["peak_rss_mb"], " MB"), "", f"< {IMPORT_PEAK_MB} MB"))
        rows.append(
            (
                f"import cases ({cases['rows']:,} rows)",
                _import(cases),
                "",
                f"peak {_fmt(cases['peak_rss_mb'], ' MB')}",
            )
        )
    for name, stat in report.get("statistics", {}).items():
        http = stat["http"]
        target = f"p50 ≤ {TARGET_P50_MS[name]} ms" if name in TARGET_P50_MS else ""
        rows.append(
            (
                f"{name} API p50 / p95",
                _http(http),
                f"GROUP BY {_fmt(stat['baseline_sql']['p50_ms'])} ms",
                target,
            )
        )
        if "product_db" in stat:
            rows.append(
                (
                    f"{name} database time",
                    f"{_fmt(stat['product_db']['p50_ms'])} ms ({stat['product_db']['queries']} queries)",
                    f"GROUP BY {_fmt(stat['baseline_sql']['p50_ms'])} ms → {_fmt(stat['db_speedup'])}×",
                    f"≥ {DB_SPEEDUP}× less",
                )
            )
    if "prosecutors" in report:
        http = report["prosecutors"]["http"]
        rows.append(("prosecutor list API p50 / p95", _http(http), "", ""))
    if "dashboard" in report:
        dash = report["dashboard"]
        queries = ", ".join(f"{k} {v}" for k, v in dash["queries"].items())
        rows.append(
            (
                "team dashboard p50 / p95",
                _http(dash["http"]),
                f"queries: {queries}",
                f"≤ {DASHBOARD_MS} ms, fixed queries",
            )
        )
    if "pandas" in report:
        pandas = report["pandas"]
        rows.append(
            (
                "pandas over CSV export (both ratio statistics)",
                "",
                f"export {_fmt(pandas['export_s'])} s + read {_fmt(pandas['read_s'])} s + "
                f"group {_fmt(pandas['compute_s'])} s",
                "",
            )
        )
    study = report.get("partitioning") or {}
    tables = study.get("tables") or {}
    if len(tables) == 2:
        plain, by_year = tables.values()
        for query in ("group_by_team_year", "group_by_units_year", "case_timeline", "partial_month_all_events"):
            rows.append(
                (
                    f"events partitioned by year: {query} p50",
                    f"{_fmt(by_year[query]['p50_ms'])} ms",
                    f"plain table {_fmt(plain[query]['p50_ms'])} ms",
                    "",
                )
            )
    return rows


def render_table(report: dict) -> str:
    """The one table the command prints, then the targets and the checks."""
    header = ("figure", "product", "baseline (same run)", "target")
    rows = [header, *table_rows(report)]
    widths = [max(_width(r[i]) for r in rows) for i in range(4)]
    lines = [" | ".join(_pad(cell, widths[i]) for i, cell in enumerate(row)) for row in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    data = report.get("dataset", {})
    title = (
        f"caseqa benchmark — scale {report['scale']}: {data.get('cases', 0):,} cases, "
        f"{data.get('events', 0):,} events, "
        f"{data.get('reviews', 0):,} reviews, {data.get('units', 0)} units; {report['server']}; "
        f"{report['machine'].get('database')} {report['machine'].get('postgresql', '')}"
    )
    verdicts = [
        f"  {'MET ' if t['met'] else ('n/a ' if t['met'] is None else 'MISS')} {t['what']}: "
        f"{_fmt(t['measured'])} (target {t['target']})"
        for t in report.get("targets", [])
    ]
    failed = report.get("failures") or []
    tail = ["product = baselines: " + ("all equal" if not failed else "DIFFERENT: " + ", ".join(failed))]
    return "\n".join([title, "", *lines, "", "targets:", *verdicts, *tail])


def _width(text: str) -> int:
    # CJK characters take two columns in a terminal.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(text))


def _pad(text: str, width: int) -> str:
    return str(text) + " " * (width - _width(text))


def markdown_table(report: dict) -> str:
    """The same table as Markdown (docs/performance.md is written from a full run's JSON)."""
    lines = ["| figure | product | baseline (same run) | target |", "|---|---|---|---|"]
    for row in table_rows(report):
        lines.append("| " + " | ".join(cell.replace("|", "/") for cell in row) + " |")
    lines += ["", "| target (DESIGN.md) | measured | met |", "|---|---|---|"]
    for t in report.get("targets", []):
        verdict = "n/a" if t["met"] is None else ("yes" if t["met"] else "**no**")
        lines.append(f"| {t['what']} ({t['target']}) | {_fmt(t['measured'])} | {verdict} |")
    return "\n".join(lines)
