"""`manage.py rebuild_rollups`: recompute the maintained roll-ups from the raw case and event rows:
the 案-件比's `RatioFact` and the §9 indicators' `IndicatorFact`.

Every write keeps the roll-up in its own transaction, so a rebuild is needed only when a release says
so (a changed fact definition) or after rows were changed behind the product's back (a restore, a
hand-written SQL fix). `--check` rebuilds inside a transaction that is rolled back and reports whether
the maintained roll-up differed, changing nothing.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cases import indicator_facts, rollup
from cases.models import IndicatorFact


class _RolledBack(Exception):
    """Leaves the check's transaction without committing its rebuild."""


class Command(BaseCommand):
    help = "Rebuild the 案-件比 and indicator roll-ups from the raw rows (--check: only report whether they differ)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="compare the maintained roll-up with a rebuild, change nothing; exit status 1 if they differ",
        )

    def handle(self, *args, check=False, **options):
        started = time.monotonic()
        if not check:
            rows = rollup.rebuild()  # the indicators' table with it
            indicators = IndicatorFact.objects.count()
            seconds = time.monotonic() - started
            self.stdout.write(f"roll-up rebuilt: {rows} rows, indicators {indicators} rows in {seconds:.1f} s")
            return
        maintained = {"ratio": rollup.snapshot(), "indicators": indicator_facts.snapshot()}
        try:
            with transaction.atomic():
                rollup.rebuild()
                rebuilt = {"ratio": rollup.snapshot(), "indicators": indicator_facts.snapshot()}
                raise _RolledBack
        except _RolledBack:
            pass
        differing = {
            (table, key)
            for table in maintained
            for key in maintained[table].keys() | rebuilt[table].keys()
            if maintained[table].get(key) != rebuilt[table].get(key)
        }
        if differing:
            sample = ", ".join(repr(key) for key in sorted(differing, key=repr)[:5])
            raise CommandError(
                f"the maintained roll-up differs from a rebuild in {len(differing)} rows (e.g. {sample}); "
                "run `manage.py rebuild_rollups` to repair it"
            )
        seconds = time.monotonic() - started
        rows = len(maintained["ratio"])
        indicators = len(maintained["indicators"])
        self.stdout.write(
            f"roll-up matches a rebuild: {rows} rows checked, indicators {indicators} rows, in {seconds:.1f} s"
        )
