"""Forms of the ledger's corrections (issue 12): each carries the record's version and a required reason."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from caseqa.widgets import DateInput
from cases import services
from cases.codes import REVIEW_ENDS
from cases.models import Case, OutcomeChoice, ProceduralEvent
from cases.outcomes import choices_for
from cases.views.forms import CaseForm
from teams.models import Prosecutor

# The history's `history_change_reason` column (django-simple-history: varchar(100)).
REASON_MAX_LENGTH = 100


class Correction(forms.Form):
    """What every correction carries: why (kept in the history) and the version the clerk read."""

    reason = forms.CharField(
        label=_("更正理由"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("请填写更正理由：变更记录保存该理由")},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    # Form field → the record's field, for carrying over what others changed meanwhile (`rebase`).
    tracked: dict[str, str] = {}

    def rebase(self, current, expected: int, changes) -> list[str]:
        """Show the form again after a conflict, at the record's current version: a field another writer
        changed and this clerk left as read takes the current value (a second submit must not undo it);
        one both changed keeps the clerk's input. Returns the record's fields both changed."""
        self.data = self.data.copy()
        self.data[self.add_prefix("version")] = str(current.version)
        then = current.history.filter(version__lte=expected).order_by("-version", "-history_date").first()
        both = []
        for change in changes:
            name = next((f for f, m in self.tracked.items() if m == change.field and f in self.fields), None)
            if name is None or then is None:
                continue
            if _key(self.cleaned_data.get(name)) == _key(self.record_value(name, then)):
                field = self.fields[name]
                shown = field.widget.format_value(field.prepare_value(self.record_value(name, current)))
                self.data[self.add_prefix(name)] = shown[0] if isinstance(shown, list) else (shown or "")
            else:
                both.append(change.field)
        return both

    def record_value(self, name: str, record):
        """The value of form field `name` on `record` (the row or one of its history entries)."""
        return getattr(record, self.tracked[name])


def _key(value):
    """A value as compared across a form and a record: a row by its pk, blank as None."""
    if value in ("", None):
        return None
    return getattr(value, "pk", value)


# The case's fields a correction may change here; received date and items are derived, closed date has
# its own forms (审结 / 重新打开), other charges are written with the case's registration only.
CASE_CORRECTION_FIELDS = [
    "title",
    "line",
    "category",
    "main_charge",
    "department",
    "prosecutor",
    "team",
    "persons",
    "plea_leniency",
    "sentencing_recommendation",
    "judgment_accepted",
]


class CaseCorrectionForm(CaseForm, Correction):
    """A correction of a case's attribution and outcome fields (through `services.update_case`)."""

    class Meta(CaseForm.Meta):
        fields = CASE_CORRECTION_FIELDS

    field_order = [*CASE_CORRECTION_FIELDS, "reason", "version"]
    tracked = {name: name for name in CASE_CORRECTION_FIELDS}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["version"] = self.instance.version

    def changes(self) -> dict:
        """{field: value} for `services.update_case` (the unit follows the department)."""
        data = self.cleaned_data
        changes = {name: data[name] for name in CASE_CORRECTION_FIELDS}
        changes["unit"] = data["department"].unit
        return changes


class CloseForm(Correction):
    """审结: the closed date, set explicitly (no procedural event closes a case by itself); an open case
    is offered the date of its last closing decision (提起公诉, 不起诉决定) when it has one."""

    closed_on = forms.DateField(label=_("审结日期"), widget=DateInput())

    field_order = ["closed_on", "reason", "version"]

    def __init__(self, *args, case: Case, **kwargs):
        closed_on = case.closed_on or last_closing_decision(case)
        kwargs.setdefault("initial", {"closed_on": closed_on, "version": case.version})
        super().__init__(*args, **kwargs)
        if case.closed_on is None and closed_on is not None:
            self.fields["closed_on"].help_text = _("默认取本案最后一个审结环节（提起公诉或不起诉决定）的日期")

    def clean_closed_on(self):
        value = self.cleaned_data["closed_on"]
        if value > services.today():
            raise forms.ValidationError(_("审结日期不得晚于今天"))
        return value


def last_closing_decision(case: Case):
    """The date of the case's last 提起公诉 or 不起诉决定, or None."""
    dates = case.events.filter(event_type__code__in=REVIEW_ENDS).order_by("-date").values_list("date", flat=True)
    return dates.first()


class ReopenForm(Correction):
    """重新打开: the closed date cleared (a case closed by mistake, or not yet closed after all)."""

    def __init__(self, *args, case: Case, **kwargs):
        kwargs.setdefault("initial", {"version": case.version})
        super().__init__(*args, **kwargs)


class EventDeleteForm(Correction):
    """Deleting one procedural event: the history keeps its values and the reason."""

    def __init__(self, *args, event: ProceduralEvent, **kwargs):
        kwargs.setdefault("initial", {"version": event.version})
        super().__init__(*args, **kwargs)


def typed_outcomes(event: ProceduralEvent) -> str:
    """An event's outcomes as a clerk types them (``批准逮捕:2;不批准逮捕:1``, one outcome by its name)."""
    if not event.outcomes:
        return ""
    labels = dict(OutcomeChoice.objects.filter(event_type_id=event.event_type_id).values_list("code", "label_zh"))
    if len(event.outcomes) == 1:
        return labels.get(next(iter(event.outcomes)), next(iter(event.outcomes)))
    return ";".join(f"{labels.get(code, code)}:{n}" for code, n in event.outcomes.items())


class EventCorrectionForm(Correction):
    """A correction of one event's date, persons, handling prosecutor, note and outcome (`update_event`)."""

    date = forms.DateField(label=_("日期"), widget=DateInput())
    persons = forms.IntegerField(label=_("涉及人数"), min_value=1)
    prosecutor = forms.ModelChoiceField(
        label=_("经办检察官"), queryset=Prosecutor.objects.none(), required=False, empty_label=_("（承办检察官）")
    )
    note = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    outcome = forms.CharField(
        label=_("结果"),
        required=False,
        max_length=500,
        help_text=_("多名犯罪嫌疑人结果不同时写“批准逮捕:2;不批准逮捕:1”"),
    )

    field_order = ["date", "persons", "prosecutor", "note", "outcome", "reason", "version"]
    tracked = {"date": "date", "persons": "persons", "prosecutor": "prosecutor", "note": "note", "outcome": "outcomes"}

    def record_value(self, name: str, record):
        return typed_outcomes(record) if name == "outcome" else super().record_value(name, record)

    def __init__(self, *args, event: ProceduralEvent, **kwargs):
        self.event = event
        self.has_outcomes = bool(choices_for(event.event_type).codes)
        kwargs.setdefault(
            "initial",
            {
                "date": event.date,
                "persons": event.persons,
                "prosecutor": event.prosecutor_id,
                "note": event.note,
                "outcome": typed_outcomes(event),
                "version": event.version,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["prosecutor"].queryset = Prosecutor.objects.filter(unit_id=event.case.unit_id)
        if not self.has_outcomes:
            del self.fields["outcome"]

    def changes(self) -> dict:
        """Keyword arguments for `services.update_event` (the outcome only where the type has choices)."""
        data = self.cleaned_data
        changes = {name: data[name] for name in ("date", "persons", "note")}
        # Blank reads "the case's prosecutor", as when the event was logged (`services.log_event`).
        changes["prosecutor"] = data["prosecutor"] or self.event.case.prosecutor
        if self.has_outcomes:
            changes["outcomes"] = data["outcome"]
        return changes
