"""Validation of the staff and teams sheets (a few thousand rows: plain loops are clear and fast enough)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from cases import messages
from cases.importer.organisation import StaffRef, TeamRef
from cases.importer.parsing import CellError, Choices, parse_date
from cases.importer.validate_common import SheetValidator
from teams.models import Membership, Prosecutor

STAFF_ROLES = Choices.build(Prosecutor.Role.choices, {"助理": "assistant", "助理检察官": "assistant"})
TEAM_ROLES = Choices.build(
    Membership.Role.choices,
    {"团队带头人": "leader", "负责人": "leader", "核心": "core", "成员": "member", "其他成员": "member"},
)


class _RowValidator(SheetValidator):
    """Row-by-row validation for the small organisation sheets."""

    def rows(self):
        done = 0
        for frame in self.frames():
            columns = {name: self.text(frame, name).tolist() for name in frame.columns}
            for i, row in enumerate(frame.index):
                yield int(row), {name: values[i] for name, values in columns.items()}
            done += len(frame)
            self.context.tell(self.kind, done, self.sheet.total)

    def required(self, row: int, cells: dict, names) -> bool:
        ok = True
        for name in names:
            if not cells.get(name, ""):
                self.report.error(self.kind, row, name, "", _("必填"))
                ok = False
        return ok

    def choice(self, row: int, cells: dict, name: str, choices: Choices) -> tuple[bool, str | None]:
        try:
            return True, choices.parse(cells.get(name, ""))
        except CellError as error:
            self.report.error(self.kind, row, name, cells.get(name, ""), str(error))
            return False, None

    def _may_change(self, record) -> bool:
        """May this import change the stored (or earlier imported) staff member or team? New ones: yes."""
        return record is None or self.context.org.may_write(record.unit)

    def date(self, row: int, cells: dict, name: str) -> tuple[bool, object]:
        try:
            return True, parse_date(cells.get(name, ""))
        except CellError as error:
            self.report.error(self.kind, row, name, cells.get(name, ""), str(error))
            return False, None


class StaffValidator(_RowValidator):
    """staff: staff_code*, name*, unit*, department*, role, unit_code, department_code."""

    kind = "staff"

    def run(self) -> None:
        org = self.context.org
        first_rows: dict[str, tuple[int, tuple]] = {}
        self.created: list[StaffRef] = []
        for row, cells in self.rows():
            if not self.required(row, cells, ("staff_code", "name", "unit", "department")):
                continue
            ok, role = self.choice(row, cells, "role", STAFF_ROLES)
            if not ok:
                continue
            unit = org.resolve_unit(self.kind, row, cells["unit"], cells.get("unit_code", ""))
            if unit is None:
                continue
            department = org.resolve_department(
                self.kind, row, unit, cells["department"], cells.get("department_code", "")
            )
            if department is None:
                continue
            code = cells["staff_code"]
            if not self._may_change(org.staff.get(code)):
                self.report.error(self.kind, row, "staff_code", code, str(messages.STAFF_CODE_UNAVAILABLE))
                continue
            values = (cells["name"], unit, department, role)
            if code in first_rows:
                first_row, first_values = first_rows[code]
                if values != first_values:
                    self.report.error(
                        self.kind, row, "staff_code", code, _("与第%(row)d行的同一工号信息不一致") % {"row": first_row}
                    )
                continue
            first_rows[code] = (row, values)
            self._apply(row, code, cells["name"], unit, department, role)

    def _apply(self, row, code, name, unit, department, role) -> None:
        staff = self.context.org.staff.get(code)
        if staff is None:
            staff = StaffRef(code, name, unit, department, role or Prosecutor.Role.PROSECUTOR, None, row)
            self.context.org.staff[code] = staff
            self.created.append(staff)
            self.report.count("staff", "created")
            return
        new = (name, unit, department, role or staff.role)
        if new != (staff.name, staff.unit, staff.department, staff.role):
            staff.name, staff.unit, staff.department, staff.role = new
            staff.changed, staff.row = True, row
            self.report.count("staff", "updated")
        else:
            self.report.count("staff", "unchanged")


class TeamValidator(_RowValidator):
    """teams: team_code*, team_name*, unit*, staff_code*, team_role*, date_from, date_to (one row per membership)."""

    kind = "teams"

    def run(self) -> None:
        org = self.context.org
        org.load_memberships()
        first_rows: dict[str, tuple[int, tuple]] = {}
        self.created: list[TeamRef] = []
        for row, cells in self.rows():
            if not self.required(row, cells, ("team_code", "team_name", "unit", "staff_code", "team_role")):
                continue
            ok_role, role = self.choice(row, cells, "team_role", TEAM_ROLES)
            ok_from, date_from = self.date(row, cells, "date_from")
            ok_to, date_to = self.date(row, cells, "date_to")
            staff_code = cells["staff_code"]
            if org.usable_staff(staff_code) is None:
                plain = _("工号不存在（既未登记，也不在本次导入的 staff 中）")
                self.report.error(self.kind, row, "staff_code", staff_code, org.unknown_staff(plain))
                continue
            if not (ok_role and ok_from and ok_to):
                continue
            if date_from and date_to and date_to < date_from:
                self.report.error(self.kind, row, "date_to", cells["date_to"], _("截止日期早于起始日期"))
                continue
            unit = org.resolve_unit(self.kind, row, cells["unit"], cells.get("unit_code", ""))
            if unit is None:
                continue
            code = cells["team_code"]
            if not self._may_change(org.teams.get(code)):
                self.report.error(self.kind, row, "team_code", code, str(messages.TEAM_CODE_UNAVAILABLE))
                continue
            team_values = (cells["team_name"], unit)
            if code in first_rows:
                first_row, first_values = first_rows[code]
                if team_values != first_values:
                    self.report.error(
                        self.kind,
                        row,
                        "team_name" if team_values[0] != first_values[0] else "unit",
                        cells["team_name"] if team_values[0] != first_values[0] else cells["unit"],
                        _("与第%(row)d行的同一团队名称或单位不一致") % {"row": first_row},
                    )
                    continue
            else:
                first_rows[code] = (row, team_values)
                self._apply_team(row, code, *team_values)
            self._apply_membership(row, org.teams[code], staff_code, role, date_from, date_to, cells)

    def _apply_team(self, row, code, name, unit) -> None:
        team = self.context.org.teams.get(code)
        if team is None:
            team = TeamRef(code, name, unit, None, row)
            self.context.org.teams[code] = team
            self.created.append(team)
            self.report.count("teams", "created")
        elif (name, unit) != (team.name, team.unit):
            team.name, team.unit, team.changed, team.row = name, unit, True, row
            self.report.count("teams", "updated")
        else:
            self.report.count("teams", "unchanged")

    def _apply_membership(self, row, team, staff_code, role, date_from, date_to, cells) -> None:
        key = (staff_code, date_from)
        current = team.memberships.get(key)
        if current is None:
            team.memberships[key] = {"id": None, "role": role, "date_to": date_to, "row": row, "changed": True}
            self.report.count("memberships", "created")
            return
        if current["row"]:  # an earlier row of this file
            if (role, date_to) != (current["role"], current["date_to"]):
                self.report.error(
                    self.kind,
                    row,
                    "staff_code",
                    staff_code,
                    _("与第%(row)d行的同一成员记录不一致") % {"row": current["row"]},
                )
            return
        new = (role, date_to or current["date_to"])
        current["row"] = row
        if new != (current["role"], current["date_to"]):
            current["role"], current["date_to"], current["changed"] = *new, True
            self.report.count("memberships", "updated")
        else:
            self.report.count("memberships", "unchanged")
