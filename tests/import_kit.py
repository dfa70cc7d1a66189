"""Builders of import files for the import tests (CSV in any encoding, XLSX with openpyxl)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from openpyxl import Workbook

from cases.models import Case, ProceduralEvent
from teams.models import Department, Membership, Prosecutor, Team, Unit

CASE_HEADER = ["case_no", "title", "line", "category", "unit", "department", "prosecutor", "team", "closed_on"]
EVENT_HEADER = ["case_no", "event", "date", "persons", "prosecutor", "note"]


def write_csv(path: Path, header: list[str], rows: list[list[object]], encoding: str = "utf-8") -> Path:
    """A CSV file as Excel would save it in `encoding` (utf-8, utf-8-sig or gb18030)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, sheets: dict[str, tuple[list[str], list[list[object]]]]) -> Path:
    """An XLSX workbook with one sheet per entry (cells keep their Python types: dates stay dates)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, (header, rows) in sheets.items():
        sheet = workbook.create_sheet(name)
        sheet.append(header)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


def table_counts() -> dict[str, int]:
    """Row counts of every table an import may write, history included (to prove nothing was written)."""
    return {
        "units": Unit.objects.count(),
        "departments": Department.objects.count(),
        "staff": Prosecutor.objects.count(),
        "teams": Team.objects.count(),
        "memberships": Membership.objects.count(),
        "cases": Case.objects.count(),
        "events": ProceduralEvent.objects.count(),
        "case_history": Case.history.count(),
        "event_history": ProceduralEvent.history.count(),
    }


def imported(client, data) -> dict:
    """POST an import (202 + status URL) and read its report from the status URL.

    Tests run tasks with django-tasks' immediate backend, so the job has finished when the POST answers;
    tests/test_import_jobs.py runs the database backend with a real worker.
    """
    response = client.post("/api/v1/imports/", data)
    assert response.status_code == 202, response.content
    queued = response.json()
    assert response["Location"] == queued["status_url"] and queued["status"] == "done"
    status = client.get(queued["status_url"])
    assert status.status_code == 200
    return status.json()["report"]
