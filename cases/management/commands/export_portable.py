"""manage.py export_portable FILE: a consistent, database-neutral backup (see cases/backup.py)."""

from pathlib import Path

from django.core.management.base import BaseCommand

from cases import backup


class Command(BaseCommand):
    help = "Write every record to FILE (.jsonl.gz) with a manifest beside it; restore with import_portable."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        manifest = backup.export_portable(file)
        rows = sum(manifest["counts"].values())
        flow_cases, flow_items = manifest["rollup"]["flow"]
        self.stdout.write(
            f"exported {rows} rows of {len(manifest['counts'])} models to {file} "
            f"(flow: {flow_cases} cases, {flow_items} items); manifest {backup.manifest_path(file).name}"
        )
