"""The organisation one import knows: units, departments, prosecutors and teams already stored plus
those its earlier rows bring, and the importing user's write scope over them.

They are few (hundreds to thousands) and are loaded whole; the cases a file mentions are kept by
`cases.importer.registry`, the event catalogue by `cases.importer.catalogue`.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from cases import messages
from cases.importer.report import ImportReport
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
