import datetime
import time

from django.db import connection

from cases.indicators import indicators_for
from cases.ratio import RatioFilters

D = datetime.date
times = {}


def wrapper(execute, sql, params, many, context):
    t = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        times.setdefault(sql[:150], []).append((time.perf_counter() - t) * 1000)


for gb, team in (("month", "HGHQ-990000"), ("unit,month", None)):
    times.clear()
    with connection.execute_wrapper(wrapper):
        for _ in range(30):
            indicators_for(
                group_by=gb,
                basis="flow",
                date_from=D(2025, 10, 1),
                date_to=D(2025 + 1, 9, 30),
                filters=RatioFilters(team=team),
            )
    print(gb)
    for sql, ts in times.items():
        print(f"   min {min(ts):.2f} median {sorted(ts)[len(ts) // 2]:.2f}  {sql}")
