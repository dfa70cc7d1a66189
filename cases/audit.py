"""A case's change history as people read it: who, when, why, and before → after for each changed field.

Read from the django-simple-history tables of the case and of its events (every write through
`cases.services` leaves an entry there with `history_change_reason` and, in a request, the user).
Each entry is compared with the one before it of the same record; an event's deletion shows the
values it had. Two queries for the entries, one per related table for the labels.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cases.models import Case, EventType, OutcomeChoice, ProceduralEvent
from cases.outcomes import display as outcome_text
from cases.services import CASE_EDITABLE_FIELDS

# The history shows what a correction may change (the rest is derived, or the case's identity).
CASE_FIELDS = CASE_EDITABLE_FIELDS
EVENT_FIELDS = ("event_type", "date", "persons", "prosecutor", "note", "outcomes")


@dataclass(frozen=True)
class FieldChange:
    """One field of one history entry: its value before and after."""

    field: str
    label: str
    before: str
    after: str


@dataclass
class Entry:
    """One write to the case or one of its events."""

    when: datetime.datetime
    who: str
    subject: str
    action: str  # "+" created, "~" changed, "-" deleted (simple-history's history_type)
    reason: str
    changes: list[FieldChange] = field(default_factory=list)

    @property
    def action_label(self) -> str:
        return {"+": _("新增"), "~": _("更正"), "-": _("删除")}[self.action]


class _Labels:
    """Values as people read them, each related row looked up once."""

    def __init__(self):
        self._rows: dict[tuple[type, object], str] = {}
        self._outcomes: dict[tuple[int, str], str] | None = None

    def prime(self, model, pks) -> None:
        """Look up many rows of `model` in one query."""
        for row in model._default_manager.filter(pk__in=set(pks)):
            self._rows[(model, row.pk)] = row.label if isinstance(row, EventType) else getattr(row, "name", str(row))

    def related(self, model, pk) -> str:
        key = (model, pk)
        if key not in self._rows:
            row = model._default_manager.filter(pk=pk).first()
            if row is None:
                self._rows[key] = str(pk)
            elif isinstance(row, EventType):
                self._rows[key] = row.label
            else:
                self._rows[key] = getattr(row, "name", None) or str(row)
        return self._rows[key]

    def outcomes(self, event_type_id: int, value) -> str:
        if self._outcomes is None:
            rows = OutcomeChoice.objects.values_list("event_type_id", "code", "label_zh", "label_en")
            english = (get_language() or "").startswith("en")
            self._outcomes = {(t, c): (en or zh) if english else zh for t, c, zh, en in rows}
        labels = {code: self._outcomes.get((event_type_id, code), code) for code in value or {}}
        return outcome_text(value, labels)

    def value(self, model, name: str, record) -> str:
        model_field = model._meta.get_field(name)
        raw = getattr(record, model_field.attname)
        if raw in (None, "", {}):
            return ""
        if model_field.is_relation:
            return self.related(model_field.related_model, raw)
        if name == "outcomes":
            return self.outcomes(record.event_type_id, raw)
        if model_field.choices:
            return str(dict(model_field.flatchoices).get(raw, raw))
        if isinstance(raw, bool):
            return _("是") if raw else _("否")
        if isinstance(raw, datetime.date):
            return raw.isoformat()
        return str(raw)


def _who(record) -> str:
    user = record.history_user
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _entries(model, records, names, subject, labels: _Labels) -> list[Entry]:
    previous: dict[int, object] = {}
    found = []
    for record in records:  # oldest first, so each record's predecessor is known
        before = previous.get(record.id)
        previous[record.id] = record
        entry = Entry(record.history_date, _who(record), subject(record), record.history_type, "")
        entry.reason = record.history_change_reason or ""
        compared = record.history_type == "-" or (record.history_type == "~" and before is not None)
        for name in names if compared else ():  # a creation lists nothing: its subject says what it is
            if record.history_type == "-":
                old, new = labels.value(model, name, record), ""
            else:
                attname = model._meta.get_field(name).attname
                if getattr(before, attname) == getattr(record, attname):
                    continue  # unchanged: no label looked up
                old, new = labels.value(model, name, before), labels.value(model, name, record)
            if old != new:
                label = str(model._meta.get_field(name).verbose_name)
                entry.changes.append(FieldChange(name, label, old, new))
        if entry.action != "~" or entry.changes or before is None:  # a write that changed nothing shown: left out
            found.append(entry)
    return found


def case_history(case: Case, limit: int = 100) -> list[Entry]:
    """The newest `limit` writes to the case and its events, newest first."""
    labels = _Labels()
    case_records = case.history.select_related("history_user").order_by("history_date", "history_id")
    event_records = (
        ProceduralEvent.history.filter(case_id=case.pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )

    event_records = list(event_records)
    labels.prime(EventType, (record.event_type_id for record in event_records))

    def event_subject(record) -> str:
        return f"{labels.related(EventType, record.event_type_id)} {record.date.isoformat()}"

    entries = _entries(Case, case_records, CASE_FIELDS, lambda record: _("案件"), labels)
    entries += _entries(ProceduralEvent, event_records, EVENT_FIELDS, event_subject, labels)
    entries.sort(key=lambda entry: entry.when, reverse=True)
    return entries[:limit]
