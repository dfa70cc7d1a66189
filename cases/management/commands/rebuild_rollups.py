"""`manage.py rebuild_rollups`: recompute the maintained count tables from the raw rows.

Three tables: the 案-件比's `RatioFact` (cases and events), the §9 indicators' `IndicatorFact` and the
review statistics' `ReviewFact` (final reviews, their findings and their cases' attribution);
`rollup.rebuild()` rebuilds all three.

Every write keeps them in its own transaction, so a rebuild is needed only when a release says so (a
changed fact definition) or after rows were changed behind the product's back (a restore, a
hand-written SQL fix). `--check` rebuilds inside a transaction that is rolled back and reports whether
a maintained table differed, changing nothing.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cases import indicator_facts, review_facts, rollup

TABLES = {"roll-up": rollup.snapshot, "indicators": indicator_facts.snapshot, "reviews": review_facts.snapshot}


class _RolledBack(Exception):
    """Leaves the check's transaction without committing its rebuild."""


def _snapshots() -> dict[str, dict]:
    return {name: snapshot() for name, snapshot in TABLES.items()}


def _sizes(snapshots: dict[str, dict]) -> str:
    return ", ".join(f"{name} {len(rows)} rows" for name, rows in snapshots.items())


class Command(BaseCommand):
    help = "Rebuild the 案-件比, indicator and review roll-ups from the raw rows (--check: only report differences)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="compare the maintained roll-ups with a rebuild, change nothing; exit status 1 if they differ",
        )

    def handle(self, *args, check=False, **options):
        started = time.monotonic()
        if not check:
            rollup.rebuild()
            seconds = time.monotonic() - started
            self.stdout.write(f"roll-up rebuilt: {_sizes(_snapshots())}, in {seconds:.1f} s")
            return
        maintained = _snapshots()
        try:
            with transaction.atomic():
                rollup.rebuild()
                rebuilt = _snapshots()
                raise _RolledBack
        except _RolledBack:
            pass
        problems = []
        for name in TABLES:
            before, after = maintained[name], rebuilt[name]
            differing = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
            if differing:
                sample = ", ".join(repr(key) for key in sorted(differing, key=repr)[:5])
                problems.append(
                    f"the maintained {name} differs from a rebuild in {len(differing)} rows (e.g. {sample})"
                )
        if problems:
            raise CommandError("; ".join(problems) + "; run `manage.py rebuild_rollups` to repair it")
        seconds = time.monotonic() - started
        self.stdout.write(f"roll-up matches a rebuild: {_sizes(maintained)} checked, in {seconds:.1f} s")
