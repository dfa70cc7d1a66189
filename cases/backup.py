"""Portable backup: every record of the office as a compressed JSON-lines file, loadable into SQLite or PostgreSQL.

`export_portable` writes one consistent snapshot (one read transaction, REPEATABLE READ on PostgreSQL)
of every model except what is derived or transient — the ratio roll-up (rebuilt on import),
sessions, login-lockout records, content types and permissions (recreated by `migrate`) — plus a
manifest beside it with the row count of each model and the roll-up's totals. `import_portable`
loads such a file into a migrated database in one transaction: it empties the tables it restores,
loads, rebuilds the roll-up and checks every count and total against the manifest; any difference
rolls the whole load back. PostgreSQL installations may prefer `scripts/backup.sh` (pg_dump).
"""

from __future__ import annotations

import contextlib
import datetime
import gzip
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.apps import apps
from django.core import serializers
from django.core.management import call_command
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.db.models import Sum

from cases import rollup
from cases.models import Case, RatioFact, ReviewFact

FORMAT = "caseqa-portable/1"
# Derived or transient data: recreated by migrate, the roll-up rebuild, or simply not worth keeping.
EXCLUDED_APPS = ("contenttypes", "sessions", "axes")
EXCLUDED_MODELS = ("auth.Permission", "cases.RatioFact", "cases.ReviewFact")


class FullPrecisionEncoder(DjangoJSONEncoder):
    """Django's encoder cuts datetimes to milliseconds; a backup keeps every microsecond."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


class BackupError(Exception):
    """A backup file that cannot be restored here, with the reason."""


def manifest_path(path: Path) -> Path:
    return path.with_name(path.name + ".manifest.json")


def portable_models() -> list[type[models.Model]]:
    """The concrete models whose rows a backup carries (proxies share their concrete model's rows)."""
    return [
        model
        for model in apps.get_models()
        if model._meta.app_label not in EXCLUDED_APPS
        and model._meta.label not in EXCLUDED_MODELS
        and not model._meta.proxy
        and model._meta.managed
    ]


def rollup_totals() -> dict[str, list[int]]:
    """Σ cases and Σ items of the roll-up per basis: a fingerprint of every statistic."""
    totals = {basis: [0, 0] for basis in RatioFact.Basis.values}
    for row in RatioFact.objects.values("basis").annotate(c=Sum("cases"), i=Sum("items")):
        totals[row["basis"]] = [row["c"] or 0, row["i"] or 0]
    return totals


def counts() -> dict[str, int]:
    return {model._meta.label: model._base_manager.count() for model in portable_models()}


@contextlib.contextmanager
def _snapshot() -> Iterator[None]:
    """One read transaction over every table, so a backup taken beside writers is consistent."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Must be the transaction's first statement: every table is then read at one instant.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def export_portable(path: Path) -> dict:
    """Write the backup to `path` (gzip-compressed JSON lines, `.jsonl.gz`) and its manifest beside it.

    Rows are streamed model by model (memory stays flat on a large office) in `loaddata`'s format.
    """
    path = Path(path)
    with _snapshot():
        manifest = {
            "format": FORMAT,
            "created_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "database": connection.vendor,
            "counts": counts(),
            "rollup": rollup_totals(),
        }
        with gzip.open(path, "wt", encoding="utf-8") as out:
            for model in portable_models():
                for obj in model._base_manager.order_by("pk").iterator(chunk_size=2_000):
                    record = serializers.serialize("python", [obj], use_natural_foreign_keys=True)[0]
                    out.write(json.dumps(record, cls=FullPrecisionEncoder, ensure_ascii=False) + "\n")
    manifest_path(path).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return manifest


def _tables(model_list: Iterable[type[models.Model]]) -> list[str]:
    tables = []
    for model in model_list:
        tables.append(model._meta.db_table)
        tables.extend(f.remote_field.through._meta.db_table for f in model._meta.local_many_to_many)
    return sorted(set(tables))


def import_portable(path: Path, *, replace: bool = False) -> dict:
    """Load a backup into this (migrated) database, all or nothing; returns the manifest it matched."""
    path = Path(path)
    try:
        manifest = json.loads(manifest_path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"manifest {manifest_path(path).name} is missing beside {path.name}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r} (expected {FORMAT})")
    unknown = set(manifest["counts"]) - {m._meta.label for m in portable_models()}
    if unknown:
        raise BackupError(f"the backup holds models this version does not know: {', '.join(sorted(unknown))}")
    if not replace and Case.objects.exists():
        raise BackupError("the database already holds cases; restore into an empty database or pass --replace")
    with transaction.atomic():
        tables = _tables([*portable_models(), RatioFact, ReviewFact])
        # Empty what the backup restores (the seeded catalogue included: the backup carries the office's own).
        for sql in connection.ops.sql_flush(no_style(), tables, reset_sequences=False, allow_cascade=False):
            with connection.cursor() as cursor:
                cursor.execute(sql)
        call_command("loaddata", str(path), format="jsonl", verbosity=0)
        rollup.rebuild()
        found, expected = counts(), manifest["counts"]
        # Models added since the backup was taken are simply empty.
        differences = [
            f"{label}: {expected.get(label, 0)} → {found.get(label, 0)}"
            for label in sorted(set(found) | set(expected))
            if found.get(label, 0) != expected.get(label, 0)
        ]
        if rollup_totals() != manifest["rollup"]:
            differences.append(f"roll-up: {manifest['rollup']} → {rollup_totals()}")
        if differences:
            raise BackupError("restored data differs from the manifest: " + "; ".join(differences))
    return manifest
