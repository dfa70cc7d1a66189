"""How each figure grows with the data set: benchmark reports at several scales side by side.

`growth_table(reports)` lines up the same figure from each report (ordered by case count) and the
factor between the smallest and the largest, against the factor by which the cases grew, so a figure
that grows with the data (a scan) is told apart from one that stays flat (an index or roll-up read).
"""

from __future__ import annotations

import json
from pathlib import Path

FIGURES: list[tuple[str, tuple[str, ...]]] = [
    ("cases", ("dataset", "cases")),
    ("events", ("dataset", "events")),
    ("roll-up rows (all levels)", ("dataset", "rollup_rows")),
    ("import events rows/s", ("import", "events", "rows_per_s")),
    ("import events cpu s", ("import", "events", "cpu_s")),
    ("import events peak MB", ("import", "events", "peak_rss_mb")),
    ("COPY rows/s", ("import", "copy", "rows_per_s")),
]
for _name in (
    "ratio_team_month",
    "ratio_units_month",
    "indicators_team_month",
    "indicators_units_month",
    "reviews_units_month",
):
    FIGURES += [
        (f"{_name} API p50 ms", ("statistics", _name, "http", "p50_ms")),
        (f"{_name} server+db cpu ms", ("statistics", _name, "http", "cpu_ms")),
        (f"{_name} GROUP BY p50 ms", ("statistics", _name, "baseline_sql", "p50_ms")),
    ]
    if _name.startswith(("ratio", "indicators")):
        FIGURES.append((f"{_name} product db ms", ("statistics", _name, "product_db", "p50_ms")))
FIGURES += [
    ("prosecutor list API p50 ms", ("prosecutors", "http", "p50_ms")),
    ("team dashboard p50 ms", ("dashboard", "http", "p50_ms")),
    ("team dashboard server+db cpu ms", ("dashboard", "http", "cpu_ms")),
    ("team dashboard queries", ("dashboard", "queries", "large_team")),
    ("pandas export+read+group s", ("pandas", "total_s")),
]


def _value(report: dict, path: tuple[str, ...]):
    if path == ("dataset", "rollup_rows"):
        rows = [v for k, v in report.get("dataset", {}).items() if k.startswith("rollup_")]
        return sum(rows) if rows else None
    if path[-1] == "cpu_ms":
        http = _value(report, path[:-1]) or {}
        if "server_cpu_ms" not in http:
            return None
        return round(http["server_cpu_ms"] + http["database_cpu_ms"], 1)
    node = report
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def load(paths: list[Path]) -> list[dict]:
    reports = [json.loads(Path(p).read_text()) for p in paths]
    return sorted(reports, key=lambda r: r.get("dataset", {}).get("cases", 0))


def growth_rows(reports: list[dict]) -> list[list]:
    """[figure, value at each scale…, growth factor first → last] for every figure any report has."""
    rows = []
    for name, path in FIGURES:
        values = [_value(r, path) for r in reports]
        if all(v is None for v in values):
            continue
        first, last = values[0], values[-1]
        factor = round(last / first, 1) if isinstance(first, int | float) and first and last is not None else None
        rows.append([name, *values, factor])
    return rows


def growth_table(reports: list[dict]) -> str:
    """A Markdown table of every figure across the reports."""
    scales = [f"{r.get('dataset', {}).get('cases', 0):,} cases" for r in reports]
    lines = ["| figure | " + " | ".join(scales) + " | growth |", "|---" * (len(scales) + 2) + "|"]
    for name, *values, factor in growth_rows(reports):
        cells = ["—" if v is None else (f"{v:,}" if isinstance(v, int) else f"{v:,.1f}") for v in values]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {'—' if factor is None else f'{factor}×'} |")
    return "\n".join(lines)
