import statistics
import time

from django.db import transaction

from cases import indicator_facts, rollup
from cases.models import Case

ids = list(Case.objects.filter(closed_on__isnull=False).order_by("pk").values_list("pk", flat=True)[:2000:50])


def measure(label, batch):
    samples = []
    for start in range(0, 20):
        chosen = (
            ids[start : start + batch]
            if batch == 1
            else list(Case.objects.order_by("pk").values_list("pk", flat=True)[start * batch : (start + 1) * batch])
        )
        with transaction.atomic():
            t = time.perf_counter()
            with rollup.maintained(chosen):
                pass
            samples.append((time.perf_counter() - t) * 1000)
            transaction.set_rollback(True)
        if batch > 1 and len(samples) >= 3:
            break
    print(f"{label}: min {min(samples):.1f} median {statistics.median(samples):.1f} ms")


for batch in (1, 5000):
    measure(f"maintained({batch} cases), ratio + indicators", batch)
    saved = indicator_facts.add_facts, indicator_facts.apply, indicator_facts.prepare
    indicator_facts.add_facts = indicator_facts.apply = indicator_facts.prepare = lambda *a, **k: None
    measure(f"maintained({batch} cases), ratio only", batch)
    indicator_facts.add_facts, indicator_facts.apply, indicator_facts.prepare = saved
