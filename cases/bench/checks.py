"""Reading the product's answers into the baselines' shape, and comparing them exactly.

Baseline rows are keyed (month "YYYY-MM", unit id or 0); the product's rows carry codes, so unit codes
are mapped to ids once. A mismatch is reported with the first differing keys, never rounded away.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from teams.models import Unit


class BenchmarkMismatch(AssertionError):
    """The product and a baseline disagree: the benchmark fails loudly rather than report a figure."""


@dataclass
class Check:
    """One equality check between the product and a baseline."""

    name: str
    equal: bool
    rows: int
    detail: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"name": self.name, "equal": self.equal, "rows": self.rows, "detail": self.detail[:5]}


def unit_ids() -> dict[str, int]:
    return dict(Unit.objects.values_list("code", "pk"))


def compare(name: str, product: dict, baseline: dict) -> Check:
    """Exact comparison of two keyed results; lists up to five differing keys."""
    detail = []
    for key in sorted(set(product) | set(baseline), key=str):
        if product.get(key) != baseline.get(key):
            detail.append(f"{key}: product {product.get(key)} ≠ baseline {baseline.get(key)}")
    return Check(name, not detail, len(baseline), detail)


def _pages(client, path: str) -> list[dict]:
    """Every result row of an API answer, following `next` links if the answer is paginated."""
    rows: list[dict] = []
    body = None
    for _ in range(1000):  # bounded: a statistic never has a thousand pages
        status, raw = client.get(path)
        if status != 200:
            raise BenchmarkMismatch(f"GET {path} answered {status}: {raw[:300]!r}")
        body = json.loads(raw)
        rows.extend(body.get("results", []))
        following = body.get("next")
        if not following:
            break
        path = following.split("://", 1)[-1].split("/", 1)[-1]
        path = "/" + path
    return rows


def _key(row: dict, by_unit: bool, units: dict[str, int]) -> tuple:
    return (row["month"], units.get(row.get("unit"), row.get("unit")) if by_unit else 0)


def ratio_rows(rows: list[dict], by_unit: bool, units: dict[str, int]) -> dict[tuple, tuple]:
    """{(month, unit id | 0): (cases, items)} from the ratio endpoint's or engine's rows."""
    return {_key(r, by_unit, units): (int(r["cases"]), int(r["items"])) for r in rows if r["cases"] or r["items"]}


def report_rows(report) -> list[dict]:
    """The engine's `RatioReport` / `IndicatorReport` rows as the API renders them."""
    return [row.as_dict() for row in report.rows]


def indicator_rows(rows: list[dict], by_unit: bool, units: dict[str, int]) -> dict[tuple, tuple]:
    """The event-counted indicator figures in `baselines.INDICATOR_COLUMNS` order, per (month, unit id | 0)."""
    out = {}
    for row in rows:
        supplementary, non_prosecution = row["supplementary_rate"], row["non_prosecution_rate"]
        counts = (
            supplementary["denominator"],
            supplementary["numerator"],
            row["extension_rate"]["numerator"],
            (non_prosecution["denominator"] or 0) - non_prosecution["numerator"],
            non_prosecution["numerator"],
            row["judgment_acceptance_rate"]["denominator"],
            row["self_supplementary_count"]["numerator"],
        )
        counts = tuple(int(c or 0) for c in counts)
        if any(counts):
            out[_key(row, by_unit, units)] = counts
    return out


GRADES = ("excellent", "qualified", "flawed", "unqualified")


def review_rows(rows: list[dict], by_unit: bool, units: dict[str, int]) -> dict[tuple, tuple]:
    """(reviews, average score to the cent, count per grade, deductions per dimension, top findings)
    per (month, unit id | 0)."""
    from cases.bench.baselines import DIMENSIONS

    out = {}
    for row in rows:
        if not row.get("reviews"):
            continue
        grades = row.get("grades") or {}
        deductions = row.get("deductions") or {}
        average = row.get("average_score")
        out[_key(row, by_unit, units)] = (
            int(row["reviews"]),
            None if average is None else round(float(average), 2),
            *(int(grades.get(g, 0)) for g in GRADES),
            *(round(float(deductions.get(d, 0)), 2) for d in DIMENSIONS),
            tuple((f["item"], int(f["count"])) for f in row.get("top_findings") or []),
        )
    return out


def fetch(client, path: str) -> list[dict]:
    return _pages(client, path)
