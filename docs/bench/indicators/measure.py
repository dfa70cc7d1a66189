"""Min / median database time of the indicators (team by month, all units by month) vs the hand-written GROUP BY."""

import datetime
import statistics
import sys

from cases.bench import baselines
from cases.bench.timing import database_time
from cases.indicators import indicators_for
from cases.ratio import RatioFilters
from teams.models import Team

D = datetime.date
date_from, date_to = D(2025, 10, 1), D(2026, 9, 30)
team = Team.objects.get(team_code="HGHQ-990000")
raw = "--raw" in sys.argv
N = 30


def engine(team_code, group_by):
    return lambda: indicators_for(
        group_by=group_by,
        basis="flow",
        date_from=date_from,
        date_to=date_to,
        filters=RatioFilters(team=team_code),
        **({"raw": True} if raw else {}),
    )


for name, call, base in [
    (
        "team_month",
        engine(team.team_code, "month"),
        lambda: baselines.indicators_baseline(date_from, date_to, team_id=team.pk),
    ),
    (
        "units_month",
        engine(None, "unit,month"),
        lambda: baselines.indicators_baseline(date_from, date_to, by_unit=True),
    ),
]:
    n = N if name == "team_month" or not raw else 5
    database_time(call)
    base()
    eng = [database_time(call)[0] * 1000 for _ in range(n)]
    _, queries, _ = database_time(call)
    hand = [base().seconds * 1000 for _ in range(n)]
    print(
        f"{name}{' (raw)' if raw else ''}: engine db min {min(eng):.2f} / median {statistics.median(eng):.2f} ms "
        f"({queries} queries); GROUP BY min {min(hand):.2f} / median {statistics.median(hand):.2f} ms; "
        f"ratio min {min(hand) / min(eng):.1f}x, median {statistics.median(hand) / statistics.median(eng):.1f}x"
    )
