"""The case numbers one import mentions, kept in compact arrays (an events file can mention a million):
stored id, prosecutor, closed dates and line per case, looked up in batches."""

from __future__ import annotations

import datetime
from array import array
from collections.abc import Iterable

import numpy as np
import pandas as pd

from cases.importer.db import select_in
from cases.importer.organisation import as_date
from cases.models import Case

# Case lines, criminal first (index 0, the default and the only line the seeded catalogue applies to).
LINES = [Case.Line.CRIMINAL.value, *(v for v in Case.Line.values if v != Case.Line.CRIMINAL)]


class CaseRegistry:
    """Case numbers the import mentions → compact per-case facts (stored id, prosecutor, closed dates).

    With a write scope (`write_units`), a stored case of a unit outside it is not registered: events
    naming it read as naming an unknown case, and the cases sheet may not take its number (`foreign`).
    """

    def __init__(self, write_units: frozenset[int] | None = None) -> None:
        self.write_units = write_units
        self.foreign: set[str] = set()
        self.index: dict[str, int] = {}
        self.case_nos: list[str] = []
        self.ids = array("q")  # stored id, 0 while the case is new
        self.prosecutor_ids = array("q")  # stored handling prosecutor (0 for a new case)
        self.stored_closed = array("i")  # ordinal of the stored closed date, 0 if open or new
        self.new_closed = array("i")  # ordinal of the closed date the import sets, 0 if it sets none
        self.case_rows = array("i")  # row of the case in the cases sheet, 0 if not there
        # Case line (§5 rule 9) as an index into LINES: stored (criminal for a new case), and the one the import
        # sets (−1 if it sets none).
        self.stored_line = array("b")
        self.new_line = array("b")
        self.unknown: set[str] = set()

    def __len__(self) -> int:
        return len(self.case_nos)

    def _append(
        self, case_no: str, pk: int, prosecutor_id: int, closed: datetime.date | None, line: str = LINES[0]
    ) -> int:
        key = len(self.case_nos)
        self.index[case_no] = key
        self.case_nos.append(case_no)
        self.ids.append(pk)
        self.prosecutor_ids.append(prosecutor_id)
        self.stored_closed.append(closed.toordinal() if closed else 0)
        self.new_closed.append(0)
        self.case_rows.append(0)
        self.stored_line.append(LINES.index(line))
        self.new_line.append(-1)
        return key

    def set_line(self, key: int, line: str) -> None:
        """The line the import gives a case (a new case's is stored as given: no change to check)."""
        if self.ids[key]:
            self.new_line[key] = LINES.index(line)
        else:
            self.stored_line[key] = LINES.index(line)

    def line_indexes(self) -> tuple[np.ndarray, np.ndarray]:
        """(line after the import, stored line) of every case, as indexes into LINES (0 = criminal)."""
        stored = np.frombuffer(self.stored_line, dtype=np.int8) if len(self) else np.zeros(0, np.int8)
        new = np.frombuffer(self.new_line, dtype=np.int8) if len(self) else np.zeros(0, np.int8)
        return np.where(new >= 0, new, stored), stored

    def load(self, case_nos: Iterable[str]) -> None:
        """Look up, in batches, the stored cases among `case_nos` not seen before."""
        wanted = [n for n in dict.fromkeys(case_nos) if n and n not in self.index and n not in self.unknown]
        if not wanted:
            return
        table = Case._meta.db_table
        sql = f"SELECT id, case_no, prosecutor_id, closed_on, line, unit_id FROM {table} WHERE case_no {{in}}"
        scope = self.write_units
        for pk, case_no, prosecutor_id, closed_on, line, unit_id in select_in(sql, wanted):
            if scope is not None and unit_id not in scope:
                self.foreign.add(case_no)
                continue
            self._append(case_no, pk, prosecutor_id, as_date(closed_on), line if line in LINES else LINES[0])
        self.unknown.update(n for n in wanted if n not in self.index)

    def release_index(self) -> None:
        """Forget the case-number index once every sheet is validated (it is the largest structure held)."""
        self.index = {}
        self.unknown = set()

    def add_new(self, case_no: str) -> int:
        """Register a case the cases sheet creates; events later in the import may refer to it."""
        self.unknown.discard(case_no)
        return self._append(case_no, 0, 0, None)

    def keys(self, case_nos: np.ndarray) -> np.ndarray:
        """Registry keys of an array of case numbers, −1 where unknown (each distinct number looked up once)."""
        codes, uniques = pd.factorize(case_nos, sort=False)
        get = self.index.get
        lookup = np.fromiter((get(n, -1) for n in uniques), dtype=np.int64, count=len(uniques))
        return np.append(lookup, -1)[codes]
