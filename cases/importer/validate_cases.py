"""Validation of the cases sheet: parse columns by distinct value, resolve references, diff with stored cases."""

from __future__ import annotations

import numpy as np
from django.utils.translation import gettext as _

from cases import charges, messages
from cases.importer.organisation import LOOKUP_BATCH
from cases.importer.parsing import CellError, Choices, parse_bool, parse_date_ordinal, parse_positive_int
from cases.importer.validate_common import SheetValidator
from cases.models import Case

LINES = Choices.build(Case.Line.choices, {"刑事检察": "criminal", "民事检察": "civil", "行政检察": "administrative"})
CATEGORIES = Choices.build(Case.Category.choices, {"普通犯罪": "ordinary", "重大犯罪": "major", "职务犯罪": "duty"})
SENTENCING = Choices.build(Case.Sentencing.choices, {"无": "none", "提出": "proposed", "采纳": "adopted"})
ACCEPTANCE = Choices.build(
    Case.Acceptance.choices,
    {"是": "yes", "否": "no", "true": "yes", "false": "no", "1": "yes", "0": "no", "不详": "unknown"},
)

# Fields a row may set, in the order of `CaseRow.values`; references are compared by object.
FIELDS = (
    "title",
    "line",
    "category",
    "unit",
    "department",
    "prosecutor",
    "team",
    "persons",
    "closed_on",
    "plea_leniency",
    "sentencing_recommendation",
    "judgment_accepted",
    "main_charge",
    "other_charges",
)
DEFAULTS = {
    "title": "",
    "line": Case.Line.CRIMINAL,
    "category": "",
    "team": None,
    "persons": 1,
    "closed_on": 0,
    "plea_leniency": None,
    "sentencing_recommendation": Case.Sentencing.NONE,
    "judgment_accepted": Case.Acceptance.UNKNOWN,
    "main_charge": None,
    "other_charges": frozenset(),
}


class CaseValidator(SheetValidator):
    """cases: case_no*, title, line, category, unit*, department*, prosecutor*, team, persons, received_on,
    closed_on, plea_leniency, sentencing_recommendation, judgment_accepted, charge (the main charge, code or
    name), other_charges (a list, `cases.charges.LIST_SEPARATORS`), unit_code, department_code.

    `unit_code` / `department_code` name the unit / department a second time: they must agree with
    `unit` / `department`. A user's import refuses every reference outside their write scope.

    A blank optional cell means "not given": a new case takes the default, a stored case keeps its value.
    """

    kind = "cases"

    def run(self) -> None:
        self.new: dict[int, tuple] = {}  # registry key -> given values (FIELDS order, None = not given)
        self.changes: dict[int, dict] = {}  # stored id -> {field: new value}
        self.change_keys: dict[int, int] = {}  # stored id -> registry key
        self.received: dict[int, tuple[int, int, str]] = {}  # registry key -> (row, ordinal given, cell)
        # A stored case seen earlier in the file -> hash of its values there (a new case's are in `new`, its
        # first row in the registry): a hash, not the tuple, because a cases file may hold a million rows.
        self.seen_stored: dict[int, int] = {}
        done = 0
        for frame in self.frames():
            self._frame(frame)
            done += len(frame)
            self.context.tell(self.kind, done, self.sheet.total)
        self.context.case_sheet = self

    def _frame(self, frame) -> None:
        org, registry = self.context.org, self.context.cases
        rows = frame.index.to_numpy()
        case_no = self.text(frame, "case_no").to_numpy(dtype=object)
        self.flag(rows, "case_no", case_no, case_no == "", _("必填"))
        parsed = {
            "line": self.parse(frame, "line", LINES.parse),
            "category": self.parse(frame, "category", CATEGORIES.parse),
            "persons": self.parse(frame, "persons", parse_positive_int),
            "received_on": self.parse(frame, "received_on", parse_date_ordinal),
            "closed_on": self.parse(frame, "closed_on", parse_date_ordinal),
            "plea_leniency": self.parse(frame, "plea_leniency", parse_bool),
            "sentencing_recommendation": self.parse(frame, "sentencing_recommendation", SENTENCING.parse),
            "judgment_accepted": self.parse(frame, "judgment_accepted", ACCEPTANCE.parse),
            "main_charge": self._parse_charges(frame, "charge", self._one_charge),
            "other_charges": self._parse_charges(frame, "other_charges", self._charge_list),
        }
        bad = case_no == ""
        for result in parsed.values():
            bad = bad | result.bad
        main, others = parsed["main_charge"].values, parsed["other_charges"].values
        for i in range(len(rows)):
            if main[i] is not None and others[i] is not None and main[i] in others[i]:
                self.report.error(self.kind, rows[i], "other_charges", "", _("其他罪名不得包含主罪名"))
                bad[i] = True
        names = ("title", "unit", "unit_code", "department", "department_code", "prosecutor", "team")
        text = {name: self.text(frame, name).tolist() for name in names}
        raw_received = self.text(frame, "received_on").tolist()
        registry.load(case_no[~bad])
        if registry.foreign:
            # Stored in a unit outside the importing user's scope: the number is taken, whose it is unsaid.
            taken = np.fromiter((n in registry.foreign for n in case_no), dtype=bool, count=len(case_no))
            self.flag(rows, "case_no", case_no, taken & ~bad, str(messages.CASE_NO_UNAVAILABLE))
            bad = bad | taken
        stored_ids = [registry.ids[registry.index[n]] for n in case_no[~bad] if n in registry.index]
        stored = self._stored_values([pk for pk in stored_ids if pk])
        places: dict[tuple[str, ...], tuple] = {}
        for i, row in enumerate(rows):
            for name in ("unit", "department", "prosecutor"):
                if not text[name][i]:
                    self.report.error(self.kind, row, name, "", _("必填"))
                    bad[i] = True
            if bad[i]:
                continue
            place_key = tuple(text[name][i] for name in ("unit", "unit_code", "department", "department_code"))
            if place_key not in places or None in places[place_key]:  # a failed one again: report every row
                unit = org.resolve_unit(self.kind, row, place_key[0], place_key[1])
                department = unit and org.resolve_department(self.kind, row, unit, place_key[2], place_key[3])
                places[place_key] = (unit, department)
            unit, department = places[place_key]
            prosecutor = org.usable_staff(text["prosecutor"][i])
            if prosecutor is None:
                self.report.error(
                    self.kind, row, "prosecutor", text["prosecutor"][i], org.unknown_staff(_("工号不存在"))
                )
            team = None
            if text["team"][i]:
                team = org.usable_team(text["team"][i])
                if team is None:
                    self.report.error(self.kind, row, "team", text["team"][i], org.unknown_team(_("团队编码不存在")))
            if unit is None or department is None or prosecutor is None or (text["team"][i] and team is None):
                continue
            given = {
                "title": text["title"][i] or None,
                "unit": unit,
                "department": department,
                "prosecutor": prosecutor,
                "team": team,
                **{name: parsed[name].values[i] for name in parsed if name != "received_on"},
            }
            self._row(int(row), case_no[i], given, stored)
            if not parsed["received_on"].blank[i]:
                key = registry.index[case_no[i]]
                self.received[key] = (int(row), int(parsed["received_on"].values[i]), raw_received[i])

    def _row(self, row: int, case_no: str, given: dict, stored: dict[int, dict]) -> None:
        registry = self.context.cases
        key = registry.index.get(case_no)
        signature = tuple(given[f] for f in FIELDS)
        if key is not None and (key in self.new or key in self.seen_stored):
            same = signature == self.new[key] if key in self.new else hash(signature) == self.seen_stored[key]
            if not same:
                first_row = registry.case_rows[key]
                self.report.error(
                    self.kind, row, "case_no", case_no, _("与第%(row)d行的同一案件信息不一致") % {"row": first_row}
                )
            return
        if key is None:
            key = registry.add_new(case_no)
            self.new[key] = signature  # a tuple, not a dict: a cases file may hold a million new cases
            self.report.count("cases", "created")
        else:
            current = stored[registry.ids[key]]
            diff = {f: given[f] for f in FIELDS if given[f] is not None and given[f] != current[f]}
            if diff:
                self.changes[registry.ids[key]] = diff
                self.change_keys[registry.ids[key]] = key
                self.report.count("cases", "updated")
            else:
                self.report.count("cases", "unchanged")
            self.seen_stored[key] = hash(signature)
        registry.case_rows[key] = row
        closed = given["closed_on"]
        if closed:
            registry.new_closed[key] = closed
        if given["line"] is not None:
            registry.set_line(key, given["line"])

    def _parse_charges(self, frame, column: str, parse):
        if not hasattr(self, "_charges"):
            self._charges = charges.charge_index()  # read once per import, not per frame
        return self.parse(frame, column, parse)

    def _one_charge(self, text: str) -> int | None:
        text = text.strip()
        if not text:
            return None
        found = charges.resolve(text, self._charges)
        if found is None:
            raise CellError(_("罪名目录中没有该罪名（填写罪名名称或编码，见 /api/v1/charges/）"))
        return found

    def _charge_list(self, text: str) -> frozenset[int] | None:
        names = charges.split_list(text)
        if not names:
            return None
        unknown = [name for name in names if charges.resolve(name, self._charges) is None]
        if unknown:
            raise CellError(_("罪名目录中没有：%(names)s（多个罪名用；分隔）") % {"names": "；".join(unknown)})
        return frozenset(charges.resolve(name, self._charges) for name in names)

    def new_values(self, key: int) -> dict:
        """Field values of a case to create: the given ones, defaults for the rest."""
        return {f: (DEFAULTS.get(f) if v is None else v) for f, v in zip(FIELDS, self.new[key], strict=True)}

    def _stored_values(self, ids: list[int]) -> dict[int, dict]:
        """Stored field values of the given cases, references as the organisation's refs."""
        org = self.context.org
        units = {u.id: u for u in org.units_by_code.values() if u.id}
        departments = {d.id: d for d in org.departments_by_code.values() if d.id}
        staff = {s.id: s for s in org.staff.values() if s.id}
        teams = {t.id: t for t in org.teams.values() if t.id}
        names = ("pk", "unit_id", "department_id", "prosecutor_id", "team_id", "main_charge_id")
        names += tuple(f for f in FIELDS if f not in _REFS and f not in _CHARGES)
        result = {}
        for start in range(0, len(ids), LOOKUP_BATCH):
            batch = ids[start : start + LOOKUP_BATCH]
            others: dict[int, set[int]] = {}
            through = Case.other_charges.through.objects.filter(case_id__in=batch)
            for case_id, charge_id in through.values_list("case_id", "charge_id"):
                others.setdefault(case_id, set()).add(charge_id)
            for values in Case.objects.filter(pk__in=batch).values(*names):
                values["main_charge"] = values.pop("main_charge_id")
                values["other_charges"] = frozenset(others.get(values["pk"], ()))
                values["unit"] = units[values.pop("unit_id")]
                values["department"] = departments[values.pop("department_id")]
                values["prosecutor"] = staff[values.pop("prosecutor_id")]
                values["team"] = teams.get(values.pop("team_id"))
                closed = values["closed_on"]
                values["closed_on"] = closed.toordinal() if closed else 0
                result[values.pop("pk")] = values
        return result


_REFS = ("unit", "department", "prosecutor", "team")
_CHARGES = ("main_charge", "other_charges")
