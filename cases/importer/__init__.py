"""Spreadsheet import of staff, teams, cases and events (DESIGN.md "Import"), one code path for all callers.

    from cases.importer import run_import
    report = run_import("events.csv", kind="events", progress=print)
    report.ok, report.errors, report.warnings, report.counts, report.as_dict()

The management command `import_data`, the web upload and the REST API all call `run_import`.
Every row is validated first (types, references, DOMAIN.md §5 sequence rules against stored and
incoming events); any error means nothing is written. See docs/import.md.
"""

from __future__ import annotations

from cases.importer.report import ImportIssue, ImportReport

__all__ = ["ImportIssue", "ImportReport", "run_import"]


def run_import(
    source,
    kind: str | None = None,
    *,
    dry_run: bool = False,
    progress=None,
    user=None,
    encoding: str | None = None,
    name: str | None = None,
) -> ImportReport:
    """Validate and (unless `dry_run` or any error) write one CSV or XLSX file; returns the report.

    `source` is a path or a binary file object (an uploaded file). `kind` is staff, teams, cases or
    events; without it an XLSX imports its sheets of those names in that order, and a CSV's kind is
    recognised from its header. `progress(kind, done, total)` is called as rows are validated.
    `user` is recorded as the author of the history entries, and every row is checked against what
    that user may write (their units: unit, department, prosecutor, team, members, staff, cases and
    events); without a user (the operator's `import_data` command) nothing is restricted. `name` is
    the file name the history records (the uploaded file's, when `source` is a temporary copy).
    `encoding` is a CSV's encoding when the office names it (otherwise UTF-8, UTF-16 with BOM and
    GB18030 are recognised, anything else refused).
    """
    from cases.importer.runner import Importer
    from ops.observe import observed_import

    # One log line and the duration/rows metrics per import, whichever path (command, page, API, task) ran it.
    with observed_import(kind, user, dry_run) as observe:
        report = Importer(
            source, kind, dry_run=dry_run, progress=progress, user=user, encoding=encoding, name=name
        ).run()
        observe(report)
    return report
