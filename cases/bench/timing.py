"""Small measuring tools: repeated wall-clock samples with percentiles, and a database clock."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection


@dataclass
class Samples:
    """Wall-clock samples of one measured operation, in seconds."""

    seconds: list[float] = field(default_factory=list)

    def percentile(self, p: float) -> float | None:
        """Nearest-rank percentile (p in 0..100); None without samples."""
        if not self.seconds:
            return None
        ordered = sorted(self.seconds)
        rank = max(1, math.ceil(p / 100 * len(ordered)))
        return ordered[rank - 1]

    @property
    def p50_ms(self) -> float | None:
        value = self.percentile(50)
        return None if value is None else round(value * 1000, 2)

    @property
    def p95_ms(self) -> float | None:
        value = self.percentile(95)
        return None if value is None else round(value * 1000, 2)

    def as_dict(self) -> dict:
        return {"p50_ms": self.p50_ms, "p95_ms": self.p95_ms, "runs": len(self.seconds)}


def repeat(fn: Callable[[], object], runs: int, warmup: int = 1) -> tuple[Samples, object]:
    """Run `fn` `warmup` times unmeasured, then `runs` times measured; returns samples and the last result."""
    result = None
    for _ in range(warmup):
        result = fn()
    samples = Samples()
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        samples.seconds.append(time.perf_counter() - start)
    return samples, result


class DatabaseClock:
    """An `execute_wrapper` summing the time spent in the database driver (execute and fetch) and the queries.

    psycopg's client-side cursors fetch the whole result inside execute, so this is the database
    work plus the transfer of its result, the same thing the baselines' clock measures.
    """

    def __init__(self):
        self.seconds = 0.0
        self.queries = 0

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - start
            self.queries += 1


def database_time(fn: Callable[[], object]) -> tuple[float, int, object]:
    """(seconds in the database, query count, result) of one call of `fn` on the default connection."""
    clock = DatabaseClock()
    with connection.execute_wrapper(clock):
        result = fn()
    return clock.seconds, clock.queries, result
