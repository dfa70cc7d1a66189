"""What every sheet validator shares: the import context, the header check and column access."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _

from cases.case_numbers import normalise_case_no
from cases.importer.catalogue import Catalogue
from cases.importer.headers import REQUIRED
from cases.importer.organisation import Organisation
from cases.importer.parsing import Parsed, map_unique
from cases.importer.readers import Sheet
from cases.importer.registry import CaseRegistry
from cases.importer.report import ImportReport
from cases.models import Case
from teams.models import Department, Prosecutor, Team, Unit

COLUMNS = {
    "staff": ("staff_code", "name", "unit", "department", "role", "unit_code", "department_code"),
    "teams": ("team_code", "team_name", "unit", "staff_code", "team_role", "date_from", "date_to", "unit_code"),
    "cases": (
        "case_no",
        "title",
        "line",
        "category",
        "unit",
        "department",
        "unit_code",
        "department_code",
        "prosecutor",
        "team",
        "persons",
        "received_on",
        "closed_on",
        "plea_leniency",
        "sentencing_recommendation",
        "judgment_accepted",
        "charge",
        "other_charges",
    ),
    "events": ("case_no", "event", "date", "persons", "prosecutor", "note", "outcome"),
}

Progress = Callable[[str, int, int | None], None]

# Columns read in a stored form rather than as written (a case number in any accepted form).
NORMALISED = {"case_no": normalise_case_no}


@functools.cache
def max_lengths() -> dict[str, dict[str, int]]:
    """Per sheet, the text columns that are stored and the length their database column holds."""

    def limit(model, name: str) -> int:
        return model._meta.get_field(name).max_length

    unit = max(limit(Unit, "name"), limit(Unit, "code"))  # a unit cell holds a code or a name
    department = max(limit(Department, "name"), limit(Department, "code"))
    return {
        "staff": {
            "staff_code": limit(Prosecutor, "staff_code"),
            "name": limit(Prosecutor, "name"),
            "unit": unit,
            "department": department,
            "unit_code": limit(Unit, "code"),
            "department_code": limit(Department, "code"),
        },
        "teams": {
            "team_code": limit(Team, "team_code"),
            "team_name": limit(Team, "name"),
            "unit": unit,
            "unit_code": limit(Unit, "code"),
            "staff_code": limit(Prosecutor, "staff_code"),
        },
        "cases": {
            "case_no": limit(Case, "case_no"),
            "title": limit(Case, "title"),
            "unit": unit,
            "department": department,
            "unit_code": limit(Unit, "code"),
            "department_code": limit(Department, "code"),
            "prosecutor": limit(Prosecutor, "staff_code"),
            "team": limit(Team, "team_code"),
        },
        "events": {"case_no": limit(Case, "case_no"), "prosecutor": limit(Prosecutor, "staff_code")},
    }


@dataclass
class ImportContext:
    """Everything validators share: stored and incoming rows, the report, today and the progress callback.

    `write_units` is the importing user's write scope (None: an operator's or superuser's import).
    """

    report: ImportReport
    today: datetime.date
    progress: Progress | None = None
    write_units: frozenset[int] | None = None
    org: Organisation = None  # type: ignore[assignment]
    cases: CaseRegistry = None  # type: ignore[assignment]
    catalogue: Catalogue = None  # type: ignore[assignment]
    # Filled by the validators, read by the sequence check and the writer.
    case_sheet: object = None
    event_sheet: object = None
    staff_sheet: object = None
    team_sheet: object = None

    def __post_init__(self) -> None:
        if self.org is None:
            self.org = Organisation(self.report, self.write_units)
        if self.cases is None:
            self.cases = CaseRegistry(self.write_units)
        if self.catalogue is None:
            self.catalogue = Catalogue()

    def tell(self, kind: str, done: int, total: int | None) -> None:
        """Report progress (rows validated so far) to whoever asked for it."""
        if self.progress is not None:
            self.progress(kind, done, total)


class SheetValidator:
    """Base of the per-kind validators: header check, column access, vectorised error reporting."""

    kind = ""

    def __init__(self, context: ImportContext, sheet: Sheet):
        self.context = context
        self.report = context.report
        self.sheet = sheet
        self.columns = set(sheet.header)

    def check_header(self) -> bool:
        """Report each missing required column (on the header row); False if the sheet cannot be read on."""
        missing = [name for name in REQUIRED[self.kind] if name not in self.columns]
        for name in missing:
            self.report.error(self.kind, self.sheet.header_row, name, "", _("缺少必填列 %(name)s") % {"name": name})
        if missing:
            self._reader_notes()
        return not missing

    def _reader_notes(self) -> None:
        """What the reader skipped (title rows, columns, totals, notes) and the cells it could not read."""
        for row, reason, value in self.sheet.skipped:
            self.report.skip(self.kind, row, value, reason)
        for row, column, value, reason in self.sheet.cell_errors:
            self.report.error(self.kind, row, column, value, reason)
        self.sheet.skipped, self.sheet.cell_errors = [], []

    def has(self, name: str) -> bool:
        return name in self.columns

    def frames(self) -> Iterator[pd.DataFrame]:
        """The sheet's frames, each cell longer than its database column reported first (SQLite would
        store it whole, PostgreSQL refuse the whole write without saying which row)."""
        for frame in self.sheet.frames():
            for name, limit in max_lengths()[self.kind].items():
                if name not in frame.columns:
                    continue
                cells = frame[name].to_numpy(dtype=object)
                codes, uniques = pd.factorize(cells, sort=False)
                too_long = np.array([len(str(u).strip()) > limit for u in uniques] + [False])[codes]
                reason = _("超过 %(n)d 个字符的长度上限") % {"n": limit}
                self.flag(frame.index, name, cells, too_long, reason)
            yield frame
        self._reader_notes()

    @staticmethod
    def text(frame: pd.DataFrame, name: str) -> pd.Series:
        """The column's cells as stripped strings ("" where blank or where the column is absent), case
        numbers in their stored form (`NORMALISED`).

        Stripped per distinct value: no new string per cell (str.strip returns the same object when
        there is nothing to strip), which keeps a 2.5-million-row file's memory flat.
        """
        if name not in frame.columns:
            return pd.Series("", index=frame.index, dtype=object)
        codes, uniques = pd.factorize(frame[name].to_numpy(dtype=object), sort=False)
        normalise = NORMALISED.get(name)
        stripped = [str(u).strip() for u in uniques]
        if normalise is not None:
            stripped = [normalise(u) for u in stripped]
        stripped = np.array([*stripped, ""], dtype=object)
        return pd.Series(stripped[codes], index=frame.index, dtype=object)

    def parse(self, frame: pd.DataFrame, name: str, parse, *, required: bool = False, **kw) -> Parsed:
        """Parse one column and report its bad cells (and blank ones when required)."""
        column = self.text(frame, name)
        parsed = map_unique(column, parse, **kw)
        self.flag(frame.index, name, column, parsed.bad, parsed.reasons)
        if required:
            self.flag(frame.index, name, column, parsed.blank, _("必填"))
        return parsed

    def flag(self, rows, name: str, values, mask: np.ndarray, reason) -> None:
        """One error per row where `mask` holds; `reason` is a string or an array of reasons."""
        if not mask.any():
            return
        rows = np.asarray(rows)
        values = np.asarray(values, dtype=object)
        positions = np.flatnonzero(mask)
        for position in positions:
            why = reason if isinstance(reason, str) else reason[position]
            self.report.error(self.kind, rows[position], name, values[position], why)
