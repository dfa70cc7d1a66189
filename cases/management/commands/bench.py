"""`manage.py bench`: the product's figures beside their baselines at a scale (DESIGN.md "Performance")."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from cases.bench.checks import BenchmarkMismatch
from cases.bench.runner import Options, run_benchmark
from cases.demo import PRESETS


class Command(BaseCommand):
    help = (
        "Generate the benchmark data set at a scale into an empty PostgreSQL database, measure import, "
        "statistics over HTTP (gunicorn on 127.0.0.1) and the dashboard beside the baselines, print one table "
        "and write JSON. Fails when the product's numbers differ from the hand-written GROUP BY."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", default="small", help=f"{', '.join(PRESETS)}, or a number of cases")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--repeat", type=int, default=20, help="measured runs per figure (after warm-up)")
        parser.add_argument("--json", dest="json_path", type=Path, help="write the report here as JSON")
        parser.add_argument("--workdir", type=Path, help="keep the generated files and logs here")
        parser.add_argument("--reuse", action="store_true", help="measure the data set already in the database")
        parser.add_argument("--import-every", type=int, help="re-import every n-th case under a new number")
        parser.add_argument("--skip-import", action="store_true")
        parser.add_argument("--skip-stats", action="store_true", help="skip statistics, dashboard and pandas")
        parser.add_argument("--partition-study", action="store_true", help="also measure events partitioned by year")
        parser.add_argument(
            "--in-process",
            action="store_true",
            help="serve through Django's test client and import in-process (CI; no gunicorn, no child process)",
        )
        parser.add_argument(
            "--growth",
            nargs="+",
            type=Path,
            metavar="JSON",
            help="print how each figure grows across reports of earlier runs (one report: its table), as Markdown",
        )
        parser.add_argument(
            "--allow-sqlite", action="store_true", help="run on SQLite (a smoke run only: no COPY, no figures)"
        )

    def handle(self, *args, **options):
        if options["growth"]:
            from cases.bench.growth import growth_table, load

            reports = load(options["growth"])
            if len(reports) == 1:
                from cases.bench.report import markdown_table

                self.stdout.write(markdown_table(reports[0]))
            else:
                self.stdout.write(growth_table(reports))
            return
        if connection.vendor != "postgresql" and not options["allow_sqlite"]:
            raise CommandError(
                "The benchmark measures PostgreSQL (DESIGN.md): set DATABASE_URL=postgres://... to an empty "
                "database of its own, e.g. createdb caseqa_bench. Pass --allow-sqlite for a smoke run on SQLite."
            )
        scale = options["scale"]
        if scale not in PRESETS:
            try:
                scale = int(scale)
            except ValueError:
                raise CommandError(f"unknown scale {scale!r}: {', '.join(PRESETS)} or a number of cases") from None
        if options["repeat"] < 1 or options["repeat"] > 1000:
            raise CommandError("--repeat must be between 1 and 1000")
        run = Options(
            scale=scale,
            seed=options["seed"],
            repeat=options["repeat"],
            json_path=options["json_path"],
            in_process=options["in_process"],
            reuse=options["reuse"],
            import_every=options["import_every"],
            workdir=options["workdir"],
            skip_import=options["skip_import"],
            skip_stats=options["skip_stats"],
            partition_study=options["partition_study"],
        )
        try:
            run_benchmark(run, log=lambda line: self.stdout.write(line))
        except BenchmarkMismatch as error:
            raise CommandError(str(error)) from error
        except RuntimeError as error:
            raise CommandError(str(error)) from error
