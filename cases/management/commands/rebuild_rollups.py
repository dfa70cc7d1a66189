"""`manage.py rebuild_rollups`: recompute the maintained roll-up from the raw case and event rows.

Every write keeps the roll-up in its own transaction, so a rebuild is needed only when a release says
so (a changed fact definition) or after rows were changed behind the product's back (a restore, a
hand-written SQL fix). `--check` rebuilds inside a transaction that is rolled back and reports whether
the maintained roll-up differed, changing nothing.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cases import rollup


class _RolledBack(Exception):
    """Leaves the check's transaction without committing its rebuild."""


class Command(BaseCommand):
    help = "Rebuild the 案-件比 roll-up from the raw rows (--check: only report whether it differs)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="compare the maintained roll-up with a rebuild, change nothing; exit status 1 if they differ",
        )

    def handle(self, *args, check=False, **options):
        started = time.monotonic()
        if not check:
            rows = rollup.rebuild()
            self.stdout.write(f"roll-up rebuilt: {rows} rows in {time.monotonic() - started:.1f} s")
            return
        maintained = rollup.snapshot()
        try:
            with transaction.atomic():
                rollup.rebuild()
                rebuilt = rollup.snapshot()
                raise _RolledBack
        except _RolledBack:
            pass
        differing = {key for key in maintained.keys() | rebuilt.keys() if maintained.get(key) != rebuilt.get(key)}
        if differing:
            sample = ", ".join(repr(key) for key in sorted(differing, key=repr)[:5])
            raise CommandError(
                f"the maintained roll-up differs from a rebuild in {len(differing)} rows (e.g. {sample}); "
                "run `manage.py rebuild_rollups` to repair it"
            )
        seconds = time.monotonic() - started
        self.stdout.write(f"roll-up matches a rebuild: {len(maintained)} rows checked in {seconds:.1f} s")
