"""The import run: open the sheets, validate them in order, check sequences, then write or refuse."""

from __future__ import annotations

from django.db import DatabaseError, connection, transaction
from django.utils.translation import gettext as _

from cases import services
from cases.importer.readers import FileError, display_name, open_sheets
from cases.importer.report import ImportReport
from cases.importer.sequence_check import check_all
from cases.importer.validate_cases import CaseValidator
from cases.importer.validate_common import ImportContext
from cases.importer.validate_events import EventValidator
from cases.importer.validate_org import StaffValidator, TeamValidator
from cases.importer.writer import Writer
from cases.models import Case
from teams.access import writable_unit_ids

LOCK_TABLE_ABOVE = 20_000
VALIDATORS = {"staff": StaffValidator, "teams": TeamValidator, "cases": CaseValidator, "events": EventValidator}


class Importer:
    """One import of one file (see `cases.importer.run_import`)."""

    def __init__(
        self, source, kind: str | None, *, dry_run: bool = False, progress=None, user=None, encoding=None, name=None
    ):
        self.source = source
        self.encoding = encoding
        self.kind = kind
        self.report = ImportReport(dry_run=dry_run)
        self.progress = progress
        self.user = user
        self.name = name or display_name(source)
        # A user's import is checked against what they may write; the operator's command (no user) is not.
        self.write_units = None if user is None else writable_unit_ids(user)

    def run(self) -> ImportReport:
        report = self.report
        try:
            sheets = open_sheets(self.source, self.kind, self.encoding)
            context = ImportContext(report, services.today(), self.progress, self.write_units)
            for sheet in sheets:
                validator = VALIDATORS[sheet.kind](context, sheet)
                if validator.check_header():
                    validator.run()
        except FileError as error:
            report.error(self.kind or "file", 1, "", "", str(error))
            return report
        context.cases.release_index()
        if not report.ok or report.dry_run:
            self._check(context)
            return report
        if self.progress is not None:
            self.progress("checking", 0, None)  # the last step seen from outside until the commit
        try:
            # Checked and written in one transaction, holding the stored cases the file touches: a clerk
            # logging an event on one of them meanwhile either commits first (and the check sees it) or
            # waits and is then checked against what the import wrote (DOMAIN §5 holds for both).
            with transaction.atomic():
                lock_cases(context.cases.ids)
                outcome = self._check(context)
                if report.ok:
                    reason = _("导入 %(name)s") % {"name": self.name}
                    Writer(context, outcome, reason=reason, user=self.user).write()
                    report.written = True
        except (DatabaseError, ValueError) as error:
            # e.g. another clerk stored the same case number meanwhile: the transaction is rolled back.
            report.written = False
            report.error(self.kind or "file", 1, "", "", _("写入失败，未写入任何数据：%(error)s") % {"error": error})
        return report

    def _check(self, context: ImportContext):
        outcome = check_all(context)
        self._count_organisation(context)
        self.report.sort()
        return outcome

    def _count_organisation(self, context: ImportContext) -> None:
        self.report.count("units", "created", len(context.org.new_units))
        self.report.count("departments", "created", len(context.org.new_departments))


def lock_cases(stored_ids) -> None:
    """Hold the stored cases an import touches until its transaction ends (PostgreSQL; see `Importer.run`).

    Row locks in id order, the order every writer takes them, so two imports cannot deadlock; above
    `LOCK_TABLE_ABOVE` cases one table lock is cheaper than writing a lock into each row. EXCLUSIVE
    still lets everyone read but stops `select_for_update`, which every form and API write takes
    first. SQLite needs nothing: the transaction holds the database's single write lock from BEGIN.
    """
    if connection.vendor != "postgresql":
        return
    ids = sorted({int(pk) for pk in stored_ids if pk})
    if len(ids) > LOCK_TABLE_ABOVE:
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {Case._meta.db_table} IN EXCLUSIVE MODE")
        return
    for start in range(0, len(ids), 5_000):
        chunk = ids[start : start + 5_000]
        list(Case.objects.select_for_update().filter(pk__in=chunk).order_by("pk").values_list("pk", flat=True))
