"""The import run: open the sheets, validate them in order, check sequences, then write or refuse."""

from __future__ import annotations

from django.db import DatabaseError
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

VALIDATORS = {"staff": StaffValidator, "teams": TeamValidator, "cases": CaseValidator, "events": EventValidator}


class Importer:
    """One import of one file (see `cases.importer.run_import`)."""

    def __init__(self, source, kind: str | None, *, dry_run: bool = False, progress=None, user=None):
        self.source = source
        self.kind = kind
        self.report = ImportReport(dry_run=dry_run)
        self.progress = progress
        self.user = user

    def run(self) -> ImportReport:
        report = self.report
        try:
            sheets = open_sheets(self.source, self.kind)
            context = ImportContext(report, services.today(), self.progress)
            for sheet in sheets:
                validator = VALIDATORS[sheet.kind](context, sheet)
                if validator.check_header():
                    validator.run()
        except FileError as error:
            report.error(self.kind or "file", 1, "", "", str(error))
            return report
        context.cases.release_index()
        outcome = check_all(context)
        self._count_organisation(context)
        report.sort()
        if report.ok and not report.dry_run:
            reason = _("导入 %(name)s") % {"name": display_name(self.source)}
            try:
                Writer(context, outcome, reason=reason, user=self.user).write()
            except (DatabaseError, ValueError) as error:
                # e.g. another clerk stored the same case number meanwhile: the transaction is rolled back.
                report.error(
                    self.kind or "file", 1, "", "", _("写入失败，未写入任何数据：%(error)s") % {"error": error}
                )
                return report
            report.written = True
        return report

    def _count_organisation(self, context: ImportContext) -> None:
        self.report.count("units", "created", len(context.org.new_units))
        self.report.count("departments", "created", len(context.org.new_departments))
