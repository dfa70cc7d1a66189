"""`manage.py import_data [--kind staff|teams|cases|events] FILE`: the spreadsheet import from the shell."""

from __future__ import annotations

import argparse
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cases.importer import run_import
from cases.importer.report import KINDS


class Command(BaseCommand):
    help = _("导入人员、团队、案件或诉讼环节（CSV 或 XLSX）；有任何错误则不写入任何数据")
    # The system checks import every URL, view and dashboard module: about 1.2 s and 27 MB per run for
    # nothing the import uses (`manage.py check` and the test suite still run them).
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("CSV 或 XLSX 文件"))
        parser.add_argument("--kind", choices=KINDS, help=_("导入类型；XLSX 不指定时按工作表名依次导入"))
        parser.add_argument("--dry-run", action="store_true", help=_("只校验，不写入"))
        parser.add_argument("--encoding", help=_("CSV 文件的编码（如 big5）；不指定时识别 UTF-8 与 GB18030"))
        parser.add_argument("--progress-every", type=int, default=100_000, help=_("每校验多少行报告一次进度"))
        # Still accepted (scripts pass it), though the checks are skipped anyway.
        parser.add_argument("--skip-checks", action="store_true", help=argparse.SUPPRESS)

    def handle(self, *args, **options):
        every = max(options["progress_every"], 1)
        started = time.monotonic()
        last: dict[str, int] = {}

        def progress(kind: str, done: int, total: int | None) -> None:
            # Report each time another `every` rows are done, and at the end of each sheet.
            if done // every > last.get(kind, -1) // every or (total and done >= total):
                last[kind] = done
                of = f"/{total}" if total else ""
                what = {
                    "sequence": "cases checked against the sequence rules",
                    "written": "rows written",
                    "checking": "validated; checking the sequence rules and writing",
                }.get(kind, "rows validated")
                self.stderr.write(f"{kind}: {done}{of} {what} ({time.monotonic() - started:.1f}s)")

        try:
            report = run_import(
                options["file"],
                options["kind"],
                dry_run=options["dry_run"],
                progress=progress,
                encoding=options["encoding"],
            )
        except FileNotFoundError:
            raise CommandError(_("文件不存在：%(file)s") % {"file": options["file"]}) from None
        for issue in report.errors:
            self.stdout.write(_("错误 ") + str(issue))
        if report.errors_not_listed:
            self.stdout.write(_("另有 %(n)d 处错误未列出") % {"n": report.errors_not_listed})
        for issue in report.warnings:
            self.stdout.write(_("警告 ") + str(issue))
        for issue in report.skipped:
            self.stdout.write(_("跳过 ") + str(issue))
        for line in report.summary_lines():
            self.stdout.write(line)
        elapsed = time.monotonic() - started
        if not report.ok:
            raise CommandError(_("导入失败：%(n)d 处错误，未写入任何数据") % {"n": report.error_count}, returncode=2)
        state = _("校验通过（未写入：--dry-run）") if report.dry_run else _("导入完成")
        self.stdout.write(self.style.SUCCESS(f"{state}（{elapsed:.1f}s）"))
