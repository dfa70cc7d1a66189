"""Cost of the review hook on case writes: `rollup.maintained` around an empty write, rolled back, with and
without `review_facts.before`/`after` (docs/performance.md). NOREV=1 picks cases without reviews.

Run with `python manage.py shell < docs/bench/review_write.py` on a benchmark database.
"""

import os
import statistics
import time

from django.db import transaction

from cases import review_facts, rollup
from cases.models import Case, QualityReview

if os.environ.get("NOREV"):
    ids = list(Case.objects.filter(reviews__isnull=True).order_by("pk").values_list("pk", flat=True)[:4000:200])
else:
    finals = QualityReview.objects.filter(status="final").order_by("case_id")
    ids = list(finals.values_list("case_id", flat=True)[:4000:200])
bulk = list(Case.objects.order_by("pk").values_list("pk", flat=True)[:10000])


def run(label: str) -> None:
    singles = []
    for pk in ids:
        with transaction.atomic():
            start = time.perf_counter()
            with rollup.maintained([pk]):
                pass
            singles.append(time.perf_counter() - start)
            transaction.set_rollback(True)
    with transaction.atomic():
        start = time.perf_counter()
        with rollup.maintained(bulk):
            pass
        seconds = time.perf_counter() - start
        transaction.set_rollback(True)
    single = round(statistics.median(singles) * 1000, 1)
    print(label, "single case p50 ms", single, "| 10,000 cases ms", round(seconds * 1000))


run("with review hook")
hooks = review_facts.before, review_facts.after
review_facts.before = review_facts.after = lambda *args: None
run("without review hook")
review_facts.before, review_facts.after = hooks
run("with review hook")
