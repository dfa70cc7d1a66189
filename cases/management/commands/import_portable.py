"""manage.py import_portable FILE [--replace]: restore an export_portable backup, all or nothing."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cases import backup


class Command(BaseCommand):
    help = "Restore FILE written by export_portable into this migrated database, then rebuild the roll-up."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--replace", action="store_true", help="replace the data of a database that already holds cases"
        )

    def handle(self, *args, file: Path, replace: bool, **options):
        if not file.exists():
            raise CommandError(f"no such backup file: {file}")
        try:
            manifest = backup.import_portable(file, replace=replace)
        except backup.BackupError as error:
            raise CommandError(str(error)) from None
        rows = sum(manifest["counts"].values())
        self.stdout.write(f"restored {rows} rows from {file} (taken {manifest['created_at']}); counts verified")
