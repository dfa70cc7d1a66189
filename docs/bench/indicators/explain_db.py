"""Server-side time (EXPLAIN ANALYZE planning + execution, min of 15) of the engine's statements vs the GROUP BY."""

import datetime
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.bench import baselines
from cases.indicators import indicators_for
from cases.ratio import RatioFilters
from teams.models import Team

D = datetime.date
f, t = D(2025, 10, 1), D(2026, 9, 30)
team = Team.objects.get(team_code="HGHQ-990000")


def server_ms(fn):
    with CaptureQueriesContext(connection) as q:
        fn()
    total = 0.0
    for query in q.captured_queries:
        best = None
        for _ in range(15):
            with connection.cursor() as c:
                c.execute("EXPLAIN (ANALYZE, TIMING OFF) " + query["sql"])
                text = "\n".join(r[0] for r in c.fetchall())
            ms = sum(float(x) for x in re.findall(r"(?:Planning|Execution) Time: ([\d.]+) ms", text))
            best = ms if best is None else min(best, ms)
        total += best
    return total, len(q.captured_queries)


for name, eng, base in [
    (
        "team by month",
        lambda: indicators_for(group_by="month", date_from=f, date_to=t, filters=RatioFilters(team=team.team_code)),
        lambda: baselines.indicators_baseline(f, t, team_id=team.pk),
    ),
    (
        "all units by month",
        lambda: indicators_for(group_by="unit,month", date_from=f, date_to=t),
        lambda: baselines.indicators_baseline(f, t, by_unit=True),
    ),
]:
    e, n = server_ms(eng)
    b, m = server_ms(base)
    print(f"{name}: engine {e:.2f} ms server-side ({n} statements), GROUP BY {b:.2f} ms ({m}) -> {b / e:.1f}x")
