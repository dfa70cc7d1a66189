"""`manage.py rebuild_rollups`: recompute the maintained roll-ups from the raw rows.

Two count tables: the ratio's `RatioFact` (cases and events) and the review statistics' `ReviewFact`
(final reviews, their findings and their cases' attribution); `rollup.rebuild()` rebuilds both.

Every write keeps the roll-up in its own transaction, so a rebuild is needed only when a release says
so (a changed fact definition) or after rows were changed behind the product's back (a restore, a
hand-written SQL fix). `--check` rebuilds inside a transaction that is rolled back and reports whether
the maintained roll-up differed, changing nothing.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cases import review_facts, rollup


class _RolledBack(Exception):
    """Leaves the check's transaction without committing its rebuild."""


class Command(BaseCommand):
    help = "Rebuild the 案-件比 and review roll-ups from the raw rows (--check: only report whether they differ)."

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
            reviews = review_facts.ReviewFact.objects.count()
            self.stdout.write(
                f"roll-up rebuilt: {rows} rows, review roll-up {reviews} rows, in {time.monotonic() - started:.1f} s"
            )
            return
        maintained, maintained_reviews = rollup.snapshot(), review_facts.snapshot()
        try:
            with transaction.atomic():
                rollup.rebuild()
                rebuilt, rebuilt_reviews = rollup.snapshot(), review_facts.snapshot()
                raise _RolledBack
        except _RolledBack:
            pass
        problems = []
        for name, before, after in (
            ("roll-up", maintained, rebuilt),
            ("review roll-up", maintained_reviews, rebuilt_reviews),
        ):
            differing = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
            if differing:
                sample = ", ".join(repr(key) for key in sorted(differing, key=repr)[:5])
                problems.append(
                    f"the maintained {name} differs from a rebuild in {len(differing)} rows (e.g. {sample})"
                )
        if problems:
            raise CommandError("; ".join(problems) + "; run `manage.py rebuild_rollups` to repair it")
        seconds = time.monotonic() - started
        self.stdout.write(
            f"roll-up matches a rebuild: {len(maintained)} rows checked, "
            f"review roll-up {len(maintained_reviews)} rows checked, in {seconds:.1f} s"
        )
