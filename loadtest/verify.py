"""After a load run: every statistic equals a recount (run with `manage.py shell < loadtest/verify.py`).

The maintained roll-up must equal `rollup.rebuild()`, and `ratio_for` by unit and month (both bases)
must equal a plain SQL-free recount over the raw case and event rows. Exits non-zero on a difference.
"""

import datetime
import json
import sys
from collections import defaultdict

from django.db.models import Q

from cases import rollup
from cases.models import Case, EventType, ProceduralEvent
from cases.ratio import ratio_for

maintained = rollup.snapshot()
rollup.rebuild()
rebuilt = rollup.snapshot()

recount = {"flow": defaultdict(lambda: [0, 0]), "cohort": defaultdict(lambda: [0, 0])}
extras = defaultdict(list)
for case_id, day, weight in ProceduralEvent.objects.filter(event_type__kind=EventType.Kind.EXTRA).values_list(
    "case_id", "date", "event_type__weight"
):
    extras[case_id].append((day, weight))
cases = Case.objects.filter(~Q(received_on=None)).values_list("id", "unit__code", "received_on", "closed_on")
for case_id, unit, received, closed in cases.iterator(chunk_size=10_000):
    flow = recount["flow"]
    flow[(f"{received:%Y-%m}", unit)][0] += 1
    flow[(f"{received:%Y-%m}", unit)][1] += 1
    for day, weight in extras[case_id]:
        flow[(f"{day:%Y-%m}", unit)][1] += weight
    if closed:
        cohort = recount["cohort"][(f"{closed:%Y-%m}", unit)]
        cohort[0] += 1
        cohort[1] += 1 + sum(w for _, w in extras[case_id])

differences = []
first = min(Case.objects.exclude(received_on=None).values_list("received_on", flat=True))
for basis in ("flow", "cohort"):
    last = datetime.date(2030, 12, 31)
    report = ratio_for(group_by="month,unit", basis=basis, date_from=first.replace(day=1), date_to=last)
    engine = {(r.keys["month"], r.keys["unit"]): [r.cases, r.items] for r in report.rows if r.cases or r.items}
    expected = {k: v for k, v in recount[basis].items() if v != [0, 0]}
    differing = [k for k in engine.keys() | expected.keys() if engine.get(k) != expected.get(k)]
    if differing:
        differences.append(f"{basis}: {len(differing)} rows differ, e.g. {sorted(differing)[:3]}")

result = {
    "cases": Case.objects.count(),
    "events": ProceduralEvent.objects.count(),
    "rollup_rows": len(rebuilt),
    "rollup_equals_rebuild": maintained == rebuilt,
    "ratio_equals_recount": not differences,
    "differences": differences,
}
print(json.dumps(result, ensure_ascii=False))
if not (result["rollup_equals_rebuild"] and result["ratio_equals_recount"]):
    sys.exit(1)
