"""Server-side execution time (EXPLAIN ANALYZE, best of 5) of every statement review statistics and their
hand-written GROUP BY run, one team and all units by month over the benchmark's window (docs/performance.md).

Run with `python manage.py shell < docs/bench/review_exec.py`; BENCH_JSON names a bench report for its window.
"""

import datetime
import json
import os
import re

from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from cases.bench import baselines
from cases.ratio import RatioFilters
from cases.review_stats import review_stats_for
from teams.models import Team

with open(os.environ.get("BENCH_JSON", "/tmp/rbench-after.json")) as report:
    w = json.load(report)["window"]
df, dt = datetime.date.fromisoformat(w["date_from"]), datetime.date.fromisoformat(w["date_to"])
team = Team.objects.annotate(n=Count("cases")).filter(n__gt=0).order_by("-n", "team_code").first()


def server_ms(fn):
    with CaptureQueriesContext(connection) as q:
        fn()
    total = 0.0
    for x in q.captured_queries:
        best = None
        for _ in range(5):
            with connection.cursor() as c:
                c.execute("EXPLAIN (ANALYZE) " + x["sql"])
                ms = float(re.search(r"Execution Time: ([\d.]+)", "\n".join(r[0] for r in c.fetchall())).group(1))
            best = ms if best is None else min(best, ms)
        total += best
    return round(total, 2), len(q.captured_queries)


out = {}
for name, kw, base in (
    ("reviews_team_month", dict(group_by="month", filters=RatioFilters(team=team.team_code)), dict(team_id=team.pk)),
    ("reviews_units_month", dict(group_by="unit,month"), dict(by_unit=True)),
):
    e = server_ms(lambda kw=kw: review_stats_for(date_from=df, date_to=dt, **kw))
    b = server_ms(lambda base=base: baselines.reviews_baseline(df, dt, **base))
    out[name] = {"engine_exec_ms": e, "baseline_exec_ms": b, "ratio": round(b[0] / e[0], 1)}
print(json.dumps(out))
