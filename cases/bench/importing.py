"""Import throughput through the product's path, and PostgreSQL COPY of the same event rows beside it.

A sample of the generated cases is written out again under new case numbers (a fresh set of cases
the database has never seen) as a cases CSV and an events CSV in the documented import format;
`manage.py import_data` loads them in a child process that reports its own peak resident memory
(`cases.bench.hwm`). The COPY baseline loads the very same event rows, already resolved to ids, into a scratch
copy of the events table (same columns, indexes and constraints, no foreign keys).
"""

from __future__ import annotations

import csv
import datetime
import itertools
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.models.functions import Mod

from cases.bench.hwm import read_peak_mb
from cases.bench.server import child_environment
from cases.models import Case, EventType, ProceduralEvent
from cases.sequence_rules import EventRecord, check_sequence

CASE_HEADER = [
    "case_no",
    "title",
    "line",
    "category",
    "unit",
    "department",
    "prosecutor",
    "team",
    "persons",
    "received_on",
    "closed_on",
    "plea_leniency",
    "sentencing_recommendation",
    "judgment_accepted",
]
EVENT_HEADER = ["case_no", "event", "date", "persons", "prosecutor", "note"]
COPY_COLUMNS = ("case_id", "event_type_id", "date", "persons", "prosecutor_id", "note", "created_at")


@dataclass
class ImportFiles:
    """The generated import files and what they hold."""

    cases_csv: Path
    events_csv: Path
    copy_csv: Path
    cases: int
    events: int
    left_out: int = 0


@dataclass
class ImportRun:
    """One import: rows, wall seconds, peak resident memory of the importing process, exit status."""

    rows: int
    seconds: float
    peak_rss_mb: float | None  # None: the child died before reporting it
    status: int
    in_process: bool
    cpu_seconds: float | None = None

    @property
    def rows_per_second(self) -> float:
        return round(self.rows / self.seconds, 1) if self.seconds else 0.0

    def as_dict(self) -> dict:
        return {
            "rows": self.rows,
            "seconds": round(self.seconds, 3),
            "rows_per_s": self.rows_per_second,
            "peak_rss_mb": None if self.peak_rss_mb is None else round(self.peak_rss_mb, 1),
            "exit_status": self.status,
            "in_process": self.in_process,
            # The importing process's own CPU (user + system); the database's work is on top of it.
            "cpu_s": None if self.cpu_seconds is None else round(self.cpu_seconds, 3),
        }


def write_files(directory: Path, prefix: str, sample_every: int, today: datetime.date) -> ImportFiles:
    """Cases CSV and events CSV for every `sample_every`-th case under "<prefix>case_no", plus the COPY rows.

    A sampled case whose stored events break a DOMAIN §5 sequence rule is left out (and counted): the
    import would rightly refuse the whole file, and the benchmark measures the import of a valid one.
    """
    directory.mkdir(parents=True, exist_ok=True)
    cases_csv, events_csv, copy_csv = (directory / "cases.csv", directory / "events.csv", directory / "copy.csv")
    sample = Case.objects.annotate(slot=Mod("id", sample_every)).filter(slot=0)
    kinds = dict(EventType.objects.values_list("pk", "kind"))
    events = (
        ProceduralEvent.objects.filter(case__in=sample.values("pk"))
        .order_by("case_id", "date", "id")
        .values_list(
            "case__case_no",
            "event_type__code",
            "date",
            "persons",
            "prosecutor__staff_code",
            "note",
            "case_id",
            "event_type_id",
            "prosecutor_id",
            "created_at",
            "case__closed_on",
        )
    )
    n_events, invalid = 0, set()
    with (
        open(events_csv, "w", newline="", encoding="utf-8") as handle,
        open(copy_csv, "w", newline="", encoding="utf-8") as copy_handle,
    ):
        out, copy_out = csv.writer(handle), csv.writer(copy_handle)
        out.writerow(EVENT_HEADER)
        for case_id, rows in itertools.groupby(events.iterator(chunk_size=50_000), key=lambda r: r[6]):
            rows = list(rows)
            records = [EventRecord(r[1], r[2], i, True, kinds[r[7]]) for i, r in enumerate(rows)]
            if check_sequence([], records, rows[0][10], today):
                invalid.add(case_id)
                continue
            for case_no, code, day, persons, staff, note, _case, type_id, staff_id, created, _closed in rows:
                out.writerow([prefix + case_no, code, day.isoformat(), persons, staff or "", note])
                copy_out.writerow(
                    [case_id, type_id, day.isoformat(), persons, staff_id or "", note, created.isoformat()]
                )
                n_events += 1
    rows = sample.exclude(pk__in=invalid).order_by("pk")
    fields = (
        "case_no",
        "title",
        "line",
        "category",
        "unit__code",
        "department__code",
        "prosecutor__staff_code",
        "team__team_code",
        "persons",
        "closed_on",
        "plea_leniency",
        "sentencing_recommendation",
        "judgment_accepted",
    )
    n_cases = 0
    with open(cases_csv, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(CASE_HEADER)
        for (
            case_no,
            title,
            line,
            category,
            unit,
            dept,
            staff,
            team,
            persons,
            closed,
            plea,
            sent,
            judged,
        ) in rows.values_list(*fields).iterator(chunk_size=20_000):
            plea_text = "" if plea is None else ("true" if plea else "false")
            row = [prefix + case_no, title, line, category, unit, dept, staff, team or "", persons, ""]
            out.writerow([*row, closed or "", plea_text, sent, judged])
            n_cases += 1
    return ImportFiles(cases_csv, events_csv, copy_csv, n_cases, n_events, len(invalid))


def run_import(path: Path, kind: str, rows: int, *, in_process: bool, log_path: Path) -> ImportRun:
    """Import one file with `manage.py import_data`; in a child process unless `in_process`."""
    if in_process:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        status = 0
        with open(log_path, "a", encoding="utf-8") as log:
            try:
                call_command("import_data", str(path), kind=kind, stdout=log, stderr=log)
            except SystemExit as exit_:
                status = int(exit_.code or 0)
            except Exception as error:  # the report says what failed; the caller fails loudly on status
                log.write(f"{type(error).__name__}: {error}\n")
                status = 1
        seconds = time.perf_counter() - start
        peak = max(before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        return ImportRun(rows, seconds, peak / 1024, status, True)
    command = [str(Path(settings.BASE_DIR) / "manage.py"), "import_data", "--kind", kind, str(path)]
    seconds, peak_mb, status, cpu = run_child(command, log_path)
    return ImportRun(rows, seconds, peak_mb, status, False, cpu)


def run_child(python_args: list[str], log_path: Path) -> tuple[float, float | None, int, float]:
    """Run `python <python_args>` to its end; (wall seconds, its own peak resident MB, exit status, CPU seconds).

    The peak comes from the child itself (`cases.bench.hwm`): `wait4`'s figure would include this
    process's size. CPU seconds do come from `wait4` (they are not inherited).
    """
    peak_file = log_path.with_suffix(".peak")
    peak_file.unlink(missing_ok=True)
    command = [sys.executable, "-m", "cases.bench.hwm", str(peak_file), *python_args]
    with open(log_path, "ab") as log:
        start = time.perf_counter()
        process = subprocess.Popen(command, env=child_environment(), stdout=log, stderr=log, cwd=settings.BASE_DIR)
        _pid, wait_status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(wait_status)
    return seconds, read_peak_mb(peak_file), process.returncode, usage.ru_utime + usage.ru_stime


def copy_baseline(copy_csv: Path, rows: int) -> dict:
    """PostgreSQL COPY of the same event rows into a scratch copy of the events table; rows/s."""
    if connection.vendor != "postgresql":
        return {"rows": rows, "seconds": None, "rows_per_s": None, "note": "PostgreSQL only"}
    table = ProceduralEvent._meta.db_table
    scratch = "bench_copy_events"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {scratch}")
        cursor.execute(f"CREATE TABLE {scratch} (LIKE {table} INCLUDING ALL)")
        data = copy_csv.read_bytes()
        start = time.perf_counter()
        statement = f"COPY {scratch} ({', '.join(COPY_COLUMNS)}) FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL (note))"
        with cursor.cursor.copy(statement) as copy:
            view = memoryview(data)
            for offset in range(0, len(data), 1 << 20):
                copy.write(view[offset : offset + (1 << 20)])
        seconds = time.perf_counter() - start
        cursor.execute(f"SELECT count(*) FROM {scratch}")
        loaded = cursor.fetchone()[0]
        cursor.execute(f"DROP TABLE {scratch}")
    return {"rows": loaded, "seconds": round(seconds, 3), "rows_per_s": round(loaded / seconds, 1)}


def imported_counts(prefix: str) -> tuple[int, int]:
    """(cases, events) stored under the import's case-number prefix."""
    cases = Case.objects.filter(case_no__startswith=prefix)
    return cases.count(), ProceduralEvent.objects.filter(case__in=cases.values("pk")).count()
