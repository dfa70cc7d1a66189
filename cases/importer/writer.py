"""Writing a validated import: bulk inserts and updates in batches, history rows, derived fields, roll-up.

Called only when validation found no error, inside one transaction: either everything is written
or nothing. Cases and events keep their audit trail through django-simple-history's bulk helpers.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from cases import rollup, services
from cases.importer.db import copy_with_history, is_postgres, iso_dates
from cases.importer.parsing import ordinal_to_date
from cases.importer.sequence_check import Outcome
from cases.importer.validate_cases import FIELDS
from cases.importer.validate_common import ImportContext
from cases.importer.validate_events import with_persons
from cases.models import Case, ProceduralEvent
from teams.models import Department, Membership, Prosecutor, Team, Unit

BATCH = 5_000
COPY_BATCH = 50_000  # rows per COPY round on PostgreSQL: its rows, frame and text buffer are the write's peak


class Writer:
    """Writes the organisation, then cases and events, then derives case fields and keeps the roll-up."""

    def __init__(self, context: ImportContext, outcome: Outcome, *, reason: str, user=None):
        self.context = context
        self.outcome = outcome
        self.report = context.report
        self.history = {"default_change_reason": reason, "default_user": user, "default_date": timezone.now()}

    def write(self) -> None:
        with transaction.atomic():
            self._organisation()
            new_case_ids = self._new_cases()
            with_events = self._cases_with_incoming_events()
            # The roll-up changes only for cases that get events or change their own fields: a new case
            # without events counts nothing (no received date), and an event's persons, prosecutor or
            # note count nothing either. The derived fields depend on the events alone.
            changed = self.context.case_sheet.changes if self.context.case_sheet is not None else {}
            touched = sorted(set(with_events).union(changed))
            with rollup.maintained(touched, new_case_ids=new_case_ids):
                self._changed_cases()
                self._other_charges()
                self._new_events()
                self._updated_events()
                services.derive_case_fields(with_events)

    # Organisation ---------------------------------------------------------------------------

    def _organisation(self) -> None:
        org = self.context.org
        if org.new_units:
            Unit.objects.bulk_create([Unit(code=u.code, name=u.name) for u in org.new_units], batch_size=BATCH)
            ids = dict(Unit.objects.filter(code__in=[u.code for u in org.new_units]).values_list("code", "pk"))
            for unit in org.new_units:
                unit.id = ids[unit.code]
        if org.new_departments:
            Department.objects.bulk_create(
                [Department(code=d.code, name=d.name, unit_id=d.unit.id) for d in org.new_departments], batch_size=BATCH
            )
            codes = [d.code for d in org.new_departments]
            ids = dict(Department.objects.filter(code__in=codes).values_list("code", "pk"))
            for department in org.new_departments:
                department.id = ids[department.code]
        self._staff()
        self._teams()

    def _staff(self) -> None:
        staff = list(self.context.org.staff.values())
        new = [s for s in staff if s.id is None]
        if new:
            Prosecutor.objects.bulk_create(
                [
                    Prosecutor(
                        staff_code=s.staff_code,
                        name=s.name,
                        unit_id=s.unit.id,
                        department_id=s.department.id,
                        role=s.role,
                    )
                    for s in new
                ],
                batch_size=BATCH,
            )
            ids = dict(
                Prosecutor.objects.filter(staff_code__in=[s.staff_code for s in new]).values_list("staff_code", "pk")
            )
            for ref in new:
                ref.id = ids[ref.staff_code]
        changed = [s for s in staff if s.changed]
        if changed:
            Prosecutor.objects.bulk_update(
                [
                    Prosecutor(pk=s.id, name=s.name, unit_id=s.unit.id, department_id=s.department.id, role=s.role)
                    for s in changed
                ],
                ["name", "unit", "department", "role"],
                batch_size=BATCH,
            )

    def _teams(self) -> None:
        teams = list(self.context.org.teams.values())
        new = [t for t in teams if t.id is None]
        if new:
            Team.objects.bulk_create([Team(team_code=t.team_code, name=t.name, unit_id=t.unit.id) for t in new])
            ids = dict(Team.objects.filter(team_code__in=[t.team_code for t in new]).values_list("team_code", "pk"))
            for ref in new:
                ref.id = ids[ref.team_code]
        changed = [t for t in teams if t.changed]
        if changed:
            Team.objects.bulk_update([Team(pk=t.id, name=t.name, unit_id=t.unit.id) for t in changed], ["name", "unit"])
        staff = self.context.org.staff
        create, update = [], []
        for team in teams:
            for (staff_code, date_from), m in team.memberships.items():
                if not m.get("changed"):
                    continue
                membership = Membership(
                    team_id=team.id,
                    prosecutor_id=staff[staff_code].id,
                    role=m["role"],
                    date_from=date_from,
                    date_to=m["date_to"],
                )
                if m["id"] is None:
                    create.append(membership)
                else:
                    membership.pk = m["id"]
                    update.append(membership)
        Membership.objects.bulk_create(create, batch_size=BATCH)
        Membership.objects.bulk_update(update, ["role", "date_to"], batch_size=BATCH)

    # Cases ----------------------------------------------------------------------------------

    def _new_cases(self) -> list[int]:
        sheet = self.context.case_sheet
        registry = self.context.cases
        if sheet is None or not sheet.new:
            return []
        keys = list(sheet.new)
        ids: list[int] = []
        for start in range(0, len(keys), COPY_BATCH if is_postgres() else BATCH):
            batch = keys[start : start + (COPY_BATCH if is_postgres() else BATCH)]
            if is_postgres():
                pks = self._copy_cases(batch)
            else:
                objs = [Case(case_no=registry.case_nos[k], **_case_fields(sheet.new_values(k))) for k in batch]
                bulk_create_with_history(objs, Case, batch_size=BATCH, **self.history)
                stored = dict(
                    Case.objects.filter(case_no__in=[registry.case_nos[k] for k in batch]).values_list("case_no", "pk")
                )
                pks = [stored[registry.case_nos[k]] for k in batch]
            for key, pk in zip(batch, pks, strict=True):
                registry.ids[key] = pk
                registry.prosecutor_ids[key] = sheet.new[key][FIELDS.index("prosecutor")].id
            ids.extend(pks)
        return ids

    def _copy_cases(self, keys: list[int]) -> list[int]:
        """New cases through COPY (PostgreSQL), columns in the model's order, history alongside."""
        sheet, registry = self.context.case_sheet, self.context.cases
        now = self.history["default_date"].isoformat()
        rows = [_case_fields(sheet.new_values(k)) for k in keys]
        frame = pd.DataFrame(rows)
        frame.insert(0, "case_no", [registry.case_nos[k] for k in keys])
        for name in ("team_id", "main_charge_id"):
            frame[name] = frame[name].astype("Int64")
        frame["closed_on"] = [d.isoformat() if d else "" for d in frame["closed_on"]]
        frame["received_on"], frame["items"], frame["version"] = "", 0, 1  # a new case is at version 1
        frame["created_at"], frame["updated_at"] = now, now
        columns = [f.attname for f in Case._meta.concrete_fields if f.attname != "id"]
        ids = dict((no, pk) for pk, no in copy_with_history(Case, frame[columns], self.history, ("id", "case_no")))
        return [ids[registry.case_nos[k]] for k in keys]

    def _cases_with_incoming_events(self) -> list[int]:
        """Ids of the cases the events sheet has rows for (new cases included, once they have ids)."""
        registry = self.context.cases
        # A chunk checked only for a changed closed date has no incoming event: its empty key array is float.
        keys = np.concatenate([np.zeros(0, np.int64), *self.outcome.touched_keys]).astype(np.int64)
        all_ids = np.frombuffer(registry.ids, dtype=np.int64) if len(registry) else np.zeros(0, np.int64)
        ids = np.unique(all_ids[keys])
        return ids[ids > 0].tolist()

    def _changed_cases(self) -> None:
        sheet = self.context.case_sheet
        if sheet is None or not sheet.changes:
            return
        registry = self.context.cases
        ids = sorted(sheet.changes)
        now = timezone.now()
        for start in range(0, len(ids), BATCH):
            objs = list(Case.objects.filter(pk__in=ids[start : start + BATCH]))
            fields: set[str] = {"updated_at"}
            for case in objs:
                values = _case_fields(sheet.changes[case.pk])
                for name, value in values.items():
                    setattr(case, name, value)
                fields.update(values)
                case.updated_at = now
                if "prosecutor_id" in values:
                    registry.prosecutor_ids[sheet.change_keys[case.pk]] = values["prosecutor_id"]
            bulk_update_with_history(objs, Case, sorted(fields), batch_size=BATCH, **self.history)

    def _other_charges(self) -> None:
        """A case's other charges as the file lists them (a given list replaces the stored one)."""
        sheet, registry = self.context.case_sheet, self.context.cases
        if sheet is None:
            return
        position = FIELDS.index("other_charges")
        given = {registry.ids[k]: values[position] for k, values in sheet.new.items() if values[position]}
        given |= {pk: change["other_charges"] for pk, change in sheet.changes.items() if "other_charges" in change}
        if not given:
            return
        through = Case.other_charges.through
        ids = sorted(given)
        for start in range(0, len(ids), BATCH):
            through.objects.filter(case_id__in=ids[start : start + BATCH]).delete()
        rows = [through(case_id=pk, charge_id=charge) for pk in ids for charge in sorted(given[pk])]
        through.objects.bulk_create(rows, batch_size=BATCH)

    # Events ---------------------------------------------------------------------------------

    def _new_events(self) -> None:
        e = self.context.event_sheet
        positions = self.outcome.positions()
        if e is None or not len(positions):
            return
        registry = self.context.cases
        case_ids = np.frombuffer(registry.ids, dtype=np.int64)
        prosecutor_ids = np.frombuffer(registry.prosecutor_ids, dtype=np.int64)
        staff_ids = np.array([ref.id for ref in e.staff_refs] + [0], dtype=np.int64)
        positions = np.sort(positions)  # file order, so ids follow the rows
        size = COPY_BATCH if is_postgres() else BATCH
        for start in range(0, len(positions), size):
            batch = positions[start : start + size]
            keys = e.case_keys[batch]
            staff = staff_ids[e.staff[batch]]  # −1 picks the trailing 0
            staff = np.where(staff > 0, staff, prosecutor_ids[keys])
            persons = np.where(e.persons[batch] > 0, e.persons[batch], 1)
            if is_postgres():
                frame = pd.DataFrame(
                    {
                        "case_id": case_ids[keys],
                        "event_type_id": e.type_ids[batch],
                        "date": iso_dates(e.dates[batch]),
                        "persons": persons,
                        "prosecutor_id": pd.array(np.where(staff > 0, staff, 0), dtype="Int64"),
                        "note": [n or "" for n in e.notes[batch]],
                        "outcomes": [
                            json.dumps(with_persons(o, n), ensure_ascii=False) if o else ""
                            for o, n in zip(e.outcomes[batch], persons.tolist(), strict=True)
                        ],
                        "created_at": self.history["default_date"].isoformat(),
                    }
                )
                frame.loc[frame["prosecutor_id"] == 0, "prosecutor_id"] = pd.NA
                copy_with_history(ProceduralEvent, frame, self.history)
                self.context.tell("written", start + len(batch), len(positions))
                continue
            objs = [
                ProceduralEvent(
                    case_id=case_id,
                    event_type_id=type_id,
                    date=ordinal_to_date(day),
                    persons=n,
                    prosecutor_id=prosecutor_id or None,
                    note=note or "",
                    outcomes=with_persons(outcomes, n) or None,
                )
                for case_id, type_id, day, n, prosecutor_id, note, outcomes in zip(
                    case_ids[keys].tolist(),
                    e.type_ids[batch].tolist(),
                    e.dates[batch].tolist(),
                    persons.tolist(),
                    staff.tolist(),
                    e.notes[batch].tolist(),
                    e.outcomes[batch].tolist(),
                    strict=True,
                )
            ]
            bulk_create_with_history(objs, ProceduralEvent, batch_size=BATCH, **self.history)

    def _updated_events(self) -> None:
        updates = self.outcome.updates
        if not updates:
            return
        staff_refs = self.context.event_sheet.staff_refs
        for start in range(0, len(updates), BATCH):
            batch = {pk: rest for pk, *rest in updates[start : start + BATCH]}
            objs = list(ProceduralEvent.objects.filter(pk__in=list(batch)))
            for event in objs:
                persons, staff, note, outcomes = batch[event.pk]
                event.persons, event.note, event.outcomes = persons, note, outcomes
                if staff >= 0:
                    event.prosecutor_id = staff_refs[staff].id
            bulk_update_with_history(
                objs, ProceduralEvent, ["persons", "prosecutor", "note", "outcomes"], batch_size=BATCH, **self.history
            )


def _case_fields(values: dict) -> dict:
    """Validated case values as model field values (references by id, ordinals as dates)."""
    fields = {}
    for name, value in values.items():
        if name in ("unit", "department", "prosecutor", "team"):
            fields[f"{name}_id"] = value.id if value is not None else None
        elif name == "main_charge":
            fields["main_charge_id"] = value
        elif name == "other_charges":
            continue  # not a column of the case: written by Writer._other_charges
        elif name == "closed_on":
            fields[name] = ordinal_to_date(value) if value else None
        elif name == "category" or name == "title":
            fields[name] = value or ""
        else:
            fields[name] = value
    return fields
