"""What one import knows: the organisation and cases already stored plus those its earlier rows bring.

Units, departments, prosecutors and teams are few (hundreds to thousands) and are loaded whole;
cases are looked up in batches only for the case numbers a file mentions, and kept in compact
arrays because an events file can mention a million of them.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _

from cases import messages
from cases.importer.db import select_in
from cases.importer.report import ImportReport
from cases.models import Case, EventType, RuleSet
from teams.models import Department, Membership, Prosecutor, Team, Unit

LOOKUP_BATCH = 5_000


def as_date(value) -> datetime.date | None:
    """A date from a raw database row (SQLite may hand back ISO text)."""
    if value is None or isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value)[:10])


@dataclass(slots=True, eq=False)
class UnitRef:
    """A unit stored (id set) or to be created by this import (id None, `row` where first seen)."""

    code: str
    name: str
    id: int | None = None
    row: int = 0


@dataclass(slots=True, eq=False)
class DepartmentRef:
    """A department stored or to be created, inside its unit."""

    code: str
    name: str
    unit: UnitRef
    id: int | None = None
    row: int = 0


@dataclass(slots=True, eq=False)
class StaffRef:
    """A prosecutor as stored, or as the staff sheet of this import will leave it."""

    staff_code: str
    name: str
    unit: UnitRef
    department: DepartmentRef
    role: str
    id: int | None = None
    row: int = 0
    changed: bool = False


@dataclass(slots=True, eq=False)
class TeamRef:
    """A team as stored, or as the teams sheet of this import will leave it."""

    team_code: str
    name: str
    unit: UnitRef
    id: int | None = None
    row: int = 0
    changed: bool = False
    memberships: dict = field(default_factory=dict)  # (staff_code, date_from) -> membership dict


def generated_code(prefix: str, *parts: str) -> str:
    """A stable code for a unit or department the file names without one (same name → same code)."""
    digest = hashlib.sha1("/".join(parts).encode()).hexdigest()[:8].upper()
    return f"{prefix}-{digest}"


class Organisation:
    """Units, departments, prosecutors and teams: stored ones plus those the import adds.

    `write_units` is the importing user's write scope (ids of the units they may write; None for an
    operator or a superuser: everything). Within a scope every reference a row makes must name a
    stored unit of the scope, a department of such a unit, or staff and teams of such units; what
    lies outside reads like an unknown reference, so the report is no oracle of other units' data.
    """

    def __init__(self, report: ImportReport, write_units: frozenset[int] | None = None):
        self.report = report
        self.write_units = write_units
        self.units_by_code: dict[str, UnitRef] = {}
        self.units_by_name: dict[str, UnitRef] = {}
        for pk, code, name in Unit.objects.values_list("pk", "code", "name"):
            self._add_unit(UnitRef(code, name, pk))
        self.departments_by_code: dict[str, DepartmentRef] = {}
        self.departments_by_name: dict[tuple[str, str], DepartmentRef] = {}
        units_by_id = {u.id: u for u in self.units_by_code.values()}
        for pk, code, name, unit_id in Department.objects.values_list("pk", "code", "name", "unit_id"):
            self._add_department(DepartmentRef(code, name, units_by_id[unit_id], pk))
        departments_by_id = {d.id: d for d in self.departments_by_code.values()}
        self.staff: dict[str, StaffRef] = {}
        for pk, code, name, unit_id, dep_id, role in Prosecutor.objects.values_list(
            "pk", "staff_code", "name", "unit_id", "department_id", "role"
        ):
            self.staff[code] = StaffRef(code, name, units_by_id[unit_id], departments_by_id[dep_id], role, pk)
        self.teams: dict[str, TeamRef] = {}
        for pk, code, name, unit_id in Team.objects.values_list("pk", "team_code", "name", "unit_id"):
            self.teams[code] = TeamRef(code, name, units_by_id[unit_id], pk)
        self._memberships_loaded = False
        self.new_units: list[UnitRef] = []
        self.new_departments: list[DepartmentRef] = []

    def _add_unit(self, unit: UnitRef) -> None:
        self.units_by_code[unit.code] = unit
        self.units_by_name[unit.name] = unit

    def _add_department(self, department: DepartmentRef) -> None:
        self.departments_by_code[department.code] = department
        self.departments_by_name[(department.unit.code, department.name)] = department

    def load_memberships(self) -> None:
        """Stored memberships, keyed per team by (staff code, date_from) (loaded once, when a teams sheet comes)."""
        if self._memberships_loaded:
            return
        teams_by_id = {t.id: t for t in self.teams.values() if t.id}
        rows = Membership.objects.values_list(
            "pk", "team_id", "prosecutor__staff_code", "role", "date_from", "date_to"
        ).order_by("pk")
        for pk, team_id, staff_code, role, date_from, date_to in rows:
            teams_by_id[team_id].memberships[(staff_code, date_from)] = {
                "id": pk,
                "role": role,
                "date_to": date_to,
                "row": 0,
            }
        self._memberships_loaded = True

    @property
    def restricted(self) -> bool:
        return self.write_units is not None

    def may_write(self, unit: UnitRef) -> bool:
        """Is `unit` inside the import's write scope (a unit the import creates is: only operators create)?"""
        return self.write_units is None or unit.id in self.write_units

    def usable_staff(self, code: str) -> StaffRef | None:
        """The staff member with this code if stored or imported and inside the write scope."""
        staff = self.staff.get(code)
        return staff if staff is not None and self.may_write(staff.unit) else None

    def usable_team(self, code: str) -> TeamRef | None:
        """The team with this code if stored or imported and inside the write scope."""
        team = self.teams.get(code)
        return team if team is not None and self.may_write(team.unit) else None

    def unknown_staff(self, plain: str) -> str:
        """Why a staff code is refused: `plain` for an operator, the scope's wording for a user."""
        return str(messages.STAFF_OUT_OF_SCOPE) if self.restricted else plain

    def unknown_team(self, plain: str) -> str:
        return str(messages.TEAM_OUT_OF_SCOPE) if self.restricted else plain

    def resolve_unit(self, kind: str, row: int, value: str, code: str = "") -> UnitRef | None:
        """The unit named or coded `value` (created on first sight by name, with `code` or a generated one).

        `code` comes from a second column (`unit_code`): when both name a stored unit they must name
        the same one, else the row is an error (which one was meant is unknown).
        """
        unit = self.units_by_code.get(value) or self.units_by_name.get(value)
        if self.restricted:
            return self._unit_in_scope(kind, row, unit, value, code)
        if unit is not None:
            if code and code != unit.code:
                self.report.error(
                    kind,
                    row,
                    "unit_code",
                    code,
                    _("单位「%(name)s」的编码是 %(code)s") % {"name": unit.name, "code": unit.code},
                )
                return None
            return unit
        code = code or generated_code("U", value)
        if code in self.units_by_code:
            taken = self.units_by_code[code].name
            self.report.error(kind, row, "unit_code", code, _("编码已属于单位「%(name)s」") % {"name": taken})
            return None
        unit = UnitRef(code, value, None, row)
        self._add_unit(unit)
        self.new_units.append(unit)
        return unit

    def _unit_in_scope(self, kind: str, row: int, unit: UnitRef | None, value: str, code: str) -> UnitRef | None:
        """A user's import: every unit column names one stored unit of the scope (no unit is created)."""
        ok = unit is not None and self.may_write(unit)
        if not ok:
            self.report.error(kind, row, "unit", value, str(messages.UNIT_OUT_OF_SCOPE))
        if code:
            by_code = self.units_by_code.get(code)
            if by_code is None or not self.may_write(by_code):
                self.report.error(kind, row, "unit_code", code, str(messages.UNIT_OUT_OF_SCOPE))
                ok = False
            elif ok and by_code is not unit:
                self.report.error(kind, row, "unit_code", code, str(messages.UNIT_COLUMNS_DISAGREE))
                ok = False
        return unit if ok else None

    def resolve_department(
        self, kind: str, row: int, unit: UnitRef, value: str, code: str = ""
    ) -> DepartmentRef | None:
        """The department of `unit` named or coded `value` (created on first sight like units).

        Within a write scope the messages never name another unit's department or unit.
        """
        department = self.departments_by_code.get(value) or self.departments_by_name.get((unit.code, value))
        if self.restricted:
            other = department if department is not None else self.departments_by_code.get(code)
            if other is not None and not self.may_write(other.unit):
                column, cell = ("department", value) if department is not None else ("department_code", code)
                self.report.error(kind, row, column, cell, str(messages.DEPARTMENT_OUT_OF_SCOPE))
                return None
            if department is not None and code and code != department.code:
                self.report.error(kind, row, "department_code", code, str(messages.DEPARTMENT_COLUMNS_DISAGREE))
                return None
        if department is not None:
            if department.unit is not unit:
                self.report.error(
                    kind,
                    row,
                    "department",
                    value,
                    _("部门「%(dep)s」属于单位「%(unit)s」") % {"dep": department.name, "unit": department.unit.name},
                )
                return None
            if code and code != department.code:
                self.report.error(
                    kind,
                    row,
                    "department_code",
                    code,
                    _("部门「%(name)s」的编码是 %(code)s") % {"name": department.name, "code": department.code},
                )
                return None
            return department
        code = code or generated_code("D", unit.code, value)
        if code in self.departments_by_code:
            taken = self.departments_by_code[code]
            self.report.error(
                kind,
                row,
                "department_code",
                code,
                _("编码已属于「%(unit)s」的部门「%(name)s」") % {"unit": taken.unit.name, "name": taken.name},
            )
            return None
        department = DepartmentRef(code, value, unit, None, row)
        self._add_department(department)
        self.new_departments.append(department)
        return department


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


_PARENTHESES = re.compile(r"[（(].*?[)）]")
_BRACKETS = re.compile(r"[（()）\s]")


def _outcome_choices() -> dict:
    """Per event type id, its outcome choices (`cases.outcomes.Choices`); types without any are absent."""
    from cases.models import OutcomeChoice
    from cases.outcomes import Choices

    rows: dict[int, list] = {}
    for type_id, code, label_zh, label_en in OutcomeChoice.objects.order_by("position", "code").values_list(
        "event_type_id", "code", "label_zh", "label_en"
    ):
        rows.setdefault(type_id, []).append((code, label_zh, label_en))
    return {type_id: Choices.of(choices) for type_id, choices in rows.items()}


class Catalogue:
    """Event codes of every rule set, the spellings accepted for them, and the rule set in force by date."""

    def __init__(self) -> None:
        self.rule_sets = list(
            RuleSet.objects.order_by("effective_from").values_list("pk", "effective_from", "effective_to")
        )
        self.codes: list[str] = []
        code_index: dict[str, int] = {}
        labels: dict[str, set[str]] = {}
        self.types: dict[tuple[int, int], tuple[int, bool]] = {}  # (rule set, code index) -> (type id, is base)
        for pk, rule_set_id, code, label_zh, label_en, kind in EventType.objects.values_list(
            "pk", "rule_set_id", "code", "label_zh", "label_en", "kind"
        ).order_by("position", "code"):
            if code not in code_index:
                code_index[code] = len(self.codes)
                self.codes.append(code)
            self.types[(rule_set_id, code_index[code])] = (pk, kind == EventType.Kind.BASE)
            # 审查起诉（受理） is also written 审查起诉受理 or 审查起诉 in offices' sheets.
            for spelling in (label_zh, _PARENTHESES.sub("", label_zh), _BRACKETS.sub("", label_zh), label_en.lower()):
                labels.setdefault(spelling.strip(), set()).add(code)
        self.code_index = code_index
        self.outcome_choices = _outcome_choices()
        # Codes first; a label only where it names a single step.
        self.aliases = {spelling: next(iter(c)) for spelling, c in labels.items() if spelling and len(c) == 1}
        self.aliases.update({code.lower(): code for code in code_index})

    def parse_code(self, text: str) -> int | None:
        """The code index of a catalogue code or an unambiguous Chinese/English label; None if blank."""
        from cases.importer.parsing import CellError

        word = text.strip()
        if not word:
            return None
        code = self.aliases.get(word) or self.aliases.get(word.lower()) or self.aliases.get(_BRACKETS.sub("", word))
        if code is None:
            raise CellError(_("不是诉讼环节目录中的编码或名称（如 supplementary_investigation 或 退回补充侦查）"))
        return self.code_index[code]

    def rule_set_for(self, ordinals: np.ndarray) -> np.ndarray:
        """Per date, the rule set in force (the latest one starting on or before it; else the newest)."""
        newest = max(self.rule_sets, key=lambda r: r[1])[0]
        result = np.full(len(ordinals), newest, dtype=np.int64)
        for pk, start, end in self.rule_sets:  # ascending start: later sets win
            in_force = ordinals >= start.toordinal()
            if end:
                in_force &= ordinals <= end.toordinal()
            result[in_force] = pk
        return result

    def resolve(self, code_idx: np.ndarray, ordinals: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(event type id, is base, missing) per row: the step of each code in the rule set in force on its date."""
        rule_sets = self.rule_set_for(ordinals)
        type_ids = np.zeros(len(code_idx), dtype=np.int64)
        is_base = np.zeros(len(code_idx), dtype=bool)
        missing = np.zeros(len(code_idx), dtype=bool)
        pairs = rule_sets * 1024 + code_idx
        for pair in np.unique(pairs):
            rule_set, index = divmod(int(pair), 1024)
            mask = pairs == pair
            entry = self.types.get((rule_set, index))
            if entry is None:
                missing[mask] = True
            else:
                type_ids[mask], is_base[mask] = entry
        return type_ids, is_base, missing
