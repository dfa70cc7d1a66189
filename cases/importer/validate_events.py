"""Validation of the events sheet, vectorised: millions of rows become a few compact numpy arrays.

Cells are parsed by distinct value (dates, codes, staff codes repeat endlessly), case numbers are
resolved against the registry in batches, and only bad rows are touched one by one. Matching with
stored events and the sequence rules happen afterwards, case by case (`cases.importer.sequence`).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from cases.importer.parsing import CellError, ordinal_to_date, parse_date_ordinal, parse_positive_int
from cases.importer.validate_common import SheetValidator
from cases.outcomes import Choices, parse_outcomes

ALL_PERSONS = 0  # an outcome's persons in {code: ALL_PERSONS}: all the event's persons, once known
_COUNTED = re.compile(r"[:：]")


def with_persons(outcomes: dict | None, persons: int) -> dict | None:
    """Outcomes with `ALL_PERSONS` resolved to the event's persons."""
    if not outcomes:
        return outcomes
    return {code: n if n != ALL_PERSONS else persons for code, n in outcomes.items()}


class EventValidator(SheetValidator):
    """events: case_no*, event*, date*, persons, prosecutor, note, outcome (event = catalogue code).

    In a user's import, a case or prosecutor outside their write scope reads as unknown.

    After `run`, the valid rows are in parallel arrays: `rows`, `case_keys` (case registry keys),
    `codes` (catalogue code index), `dates` (ordinals), `persons` (0 = not given), `staff`
    (index into `staff_refs`, −1 = not given), `notes` (None = not given), `outcomes` ({code: persons},
    None = not given; see `cases.outcomes`), `type_ids`, `is_base`.
    """

    kind = "events"

    def run(self) -> None:
        self.staff_refs: list = []
        # Cases with an event row that could not be read: their sequence is not checked (the rule
        # would judge the case without that row and blame the wrong one); the bad row is reported.
        self.unparsed_cases: set[int] = set()
        self._staff_index: dict[str, int] = {}
        parts: list[dict[str, np.ndarray]] = []
        done = 0
        for frame in self.frames():
            parts.append(self._frame(frame))
            done += len(frame)
            self.context.tell(self.kind, done, self.sheet.total)
        names = ("rows", "case_keys", "codes", "dates", "persons", "staff", "notes", "outcomes")
        if parts:
            arrays = {name: np.concatenate([p[name] for p in parts]) for name in names}
        else:
            arrays = {name: np.zeros(0, dtype=np.int64) for name in names}
        del parts
        for name, values in arrays.items():
            setattr(self, name, values)
        self._resolve_types()
        self._check_outcomes()
        self._drop_repeats()
        self.context.event_sheet = self

    def _frame(self, frame: pd.DataFrame) -> dict[str, np.ndarray]:
        context, registry = self.context, self.context.cases
        rows = frame.index.to_numpy(dtype=np.int64)
        case_no = self.text(frame, "case_no")
        case_values = case_no.to_numpy(dtype=object)
        blank_case = case_values == ""
        self.flag(rows, "case_no", case_values, blank_case, _("必填"))
        codes = self.parse(frame, "event", context.catalogue.parse_code, required=True, dtype=np.int16, fill=-1)
        dates = self.parse(frame, "date", parse_date_ordinal, required=True, dtype=np.int32, fill=0)
        persons = self.parse(frame, "persons", parse_positive_int, dtype=np.int32, fill=0)
        staff = self.parse(frame, "prosecutor", self._staff_index_of, dtype=np.int32, fill=-1)

        uniques = pd.unique(case_values[~blank_case])
        registry.load(uniques)
        keys = registry.keys(case_values)
        unknown = (keys < 0) & ~blank_case
        self.flag(rows, "case_no", case_values, unknown, _("案件不存在（既未登记，也不在本次导入的 cases 中）"))

        bad = blank_case | unknown | codes.bad | codes.blank | dates.bad | dates.blank | persons.bad | staff.bad
        self.unparsed_cases.update(keys[bad & (keys >= 0)].tolist())
        keep = ~bad
        if self.has("note"):
            notes = self.text(frame, "note").to_numpy(dtype=object)[keep]
            notes[notes == ""] = None
        else:
            notes = np.full(int(keep.sum()), None, dtype=object)
        outcomes = self.text(frame, "outcome").to_numpy(dtype=object)[keep]
        outcomes[outcomes == ""] = None
        return {
            "rows": rows[keep],
            "case_keys": keys[keep],
            "codes": codes.values[keep],
            "dates": dates.values[keep],
            "persons": persons.values[keep],
            "staff": staff.values[keep],
            "notes": notes,
            "outcomes": outcomes,
        }

    def _staff_index_of(self, code: str) -> int | None:
        code = code.strip()
        if not code:
            return None
        if code not in self._staff_index:
            org = self.context.org
            ref = org.usable_staff(code)
            if ref is None:
                raise CellError(org.unknown_staff(_("工号不存在")))
            self._staff_index[code] = len(self.staff_refs)
            self.staff_refs.append(ref)
        return self._staff_index[code]

    def _resolve_types(self) -> None:
        catalogue = self.context.catalogue
        self.type_ids, self.is_base, missing = catalogue.resolve(self.codes.astype(np.int64), self.dates)
        if missing.any():
            for position in np.flatnonzero(missing):
                self.report.error(
                    self.kind,
                    self.rows[position],
                    "event",
                    catalogue.codes[self.codes[position]],
                    _("该环节不在 %(date)s 适用的统计规则中") % {"date": ordinal_to_date(self.dates[position])},
                )
            self.unparsed_cases.update(self.case_keys[missing].tolist())
            self._keep(~missing)

    def _check_outcomes(self) -> None:
        """Outcome cells against their event type's choices (`cases.outcomes.parse_outcomes`), once per
        distinct (type, cell, persons); persons not given become the outcomes' sum.

        A single outcome without persons on a row without persons stands for all the event's persons,
        which are known only once the row is matched with a stored event: it is kept as {code: 0}
        (`ALL_PERSONS`) and resolved by the checker (stored event) or the writer (new event, 1 person).
        """
        given = np.flatnonzero(pd.notna(self.outcomes)) if len(self.outcomes) else []
        if not len(given):
            return
        choices = self.context.catalogue.outcome_choices
        empty = Choices.of([])
        parsed: dict[tuple, tuple] = {}
        bad = np.zeros(len(self.rows), dtype=bool)
        for position in given:
            text, persons = self.outcomes[position], int(self.persons[position]) or None
            key = (int(self.type_ids[position]), text, persons)
            if key not in parsed:
                try:
                    outcomes, total = parse_outcomes(choices.get(key[0], empty), text, persons)
                    if persons is None and len(outcomes) == 1 and not _COUNTED.search(text):
                        outcomes, total = dict.fromkeys(outcomes, ALL_PERSONS), 0
                    parsed[key] = (outcomes, total)
                except ValidationError as exc:
                    parsed[key] = (None, exc.messages[0])
            outcomes, total = parsed[key]
            if outcomes is None:
                self.report.error(self.kind, self.rows[position], "outcome", text, total)
                bad[position] = True
                continue
            self.outcomes[position] = outcomes
            self.persons[position] = total
        if bad.any():
            self._keep(~bad)

    def _keep(self, mask: np.ndarray) -> None:
        names = ("rows", "case_keys", "codes", "dates", "persons", "staff", "notes", "outcomes", "type_ids", "is_base")
        for name in names:
            setattr(self, name, getattr(self, name)[mask])

    def _drop_repeats(self) -> None:
        """Rows repeating (case, event, date): identical ones are dropped, differing ones are errors."""
        if not len(self.rows):
            return
        # One int64 per row (case key, code, date) packed into bits: duplicates by sorting, little memory.
        # Ordinals of dates up to 9999-12-31 fit in 22 bits, catalogue codes in 8.
        composite = (self.case_keys.astype(np.int64) << 30) | (self.codes.astype(np.int64) << 22) | self.dates
        order = np.argsort(composite, kind="stable")
        ordered = composite[order]
        repeated_sorted = np.zeros(len(order), dtype=bool)
        repeated_sorted[1:] = ordered[1:] == ordered[:-1]
        if not repeated_sorted.any():
            return
        repeated = np.zeros(len(order), dtype=bool)
        repeated[order] = repeated_sorted
        involved = np.isin(composite, ordered[repeated_sorted])
        first_of: dict[tuple, int] = {}
        for position in np.flatnonzero(involved):
            key = (int(self.case_keys[position]), int(self.codes[position]), int(self.dates[position]))
            first = first_of.setdefault(key, position)
            if first == position:
                continue
            same = (
                self.persons[position] == self.persons[first]
                and self.staff[position] == self.staff[first]
                and self.notes[position] == self.notes[first]
                and self.outcomes[position] == self.outcomes[first]
            )
            if not same:
                self.report.error(
                    self.kind,
                    self.rows[position],
                    "event",
                    self.context.catalogue.codes[self.codes[position]],
                    _("与第%(row)d行是同一案件同一日期的同一环节，但内容不一致") % {"row": int(self.rows[first])},
                )
        self._keep(~repeated)
