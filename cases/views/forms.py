"""Forms of the work pages: register a case, log a procedural event, upload an import file."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from caseqa.widgets import DateInput
from cases import messages
from cases.models import Case, EventType, RuleSet
from cases.sequence_rules import EventRecord, check_sequence
from cases.services import stored_records, today
from teams.models import Department, Prosecutor, Team


class CaseForm(forms.ModelForm):
    """A new case: its number, attribution and outcome fields (received date and items are derived)."""

    class Meta:
        model = Case
        fields = [
            "case_no",
            "title",
            "line",
            "category",
            "main_charge",
            "other_charges",
            "department",
            "prosecutor",
            "team",
            "persons",
            "closed_on",
            "plea_leniency",
            "sentencing_recommendation",
            "judgment_accepted",
        ]
        widgets = {"closed_on": DateInput()}
        error_messages = {"case_no": {"unique": messages.CASE_NO_UNAVAILABLE}}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Only where the user may write.
        departments = Department.objects.select_related("unit").writable_by(user)
        prosecutors = Prosecutor.objects.writable_by(user)
        teams = Team.objects.writable_by(user)
        self.fields["department"].queryset = departments
        self.fields["department"].label_from_instance = lambda d: f"{d.unit.name} · {d.name}"
        self.fields["prosecutor"].queryset = prosecutors
        self.fields["team"].queryset = teams

    def clean(self):
        data = super().clean()
        main, others = data.get("main_charge"), data.get("other_charges") or ()
        if main is not None and main in others:
            self.add_error("other_charges", _("其他罪名不得包含主罪名"))
        department, prosecutor = data.get("department"), data.get("prosecutor")
        if department and prosecutor and prosecutor.unit_id != department.unit_id:
            self.add_error("prosecutor", _("承办检察官不属于所选部门的单位"))
        return data

    def save(self, commit=True):
        case = super().save(commit=False)
        case.unit_id = case.department.unit_id
        return case


class CaseRegistrationForm(CaseForm):
    """A new case with its intake step (审查逮捕 or 审查起诉 受理) and date: the case counts from it."""

    intake = forms.ChoiceField(label=_("受理环节"))
    received_on = forms.DateField(label=_("受理日期"), widget=DateInput())

    field_order = ["case_no", "title", "intake", "received_on"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        rule_set = RuleSet.objects.in_force_or_latest(today())
        intakes = EventType.objects.filter(rule_set=rule_set, kind=EventType.Kind.BASE).order_by("position")
        self.fields["intake"].choices = [("", "—"), *((et.code, et.label) for et in intakes)]


def event_type_choices(case: Case | None = None) -> list[tuple[str, list[tuple[str, str]]]]:
    """Catalogue steps of the rule set in force, labelled in the active language and grouped by kind;
    for a case, the steps its timeline allows today (the sequence rules, DOMAIN §5) come first."""
    rule_set = RuleSet.objects.in_force_or_latest(today())
    types = list(EventType.objects.filter(rule_set=rule_set).order_by("position", "code"))
    allowed = _next_steps(case, types) if case is not None else set()
    groups: dict[str, list] = {k: [] for k in EventType.Kind.values}
    following = []
    for et in types:
        choice = (et.code, et.label)
        (following if et.code in allowed else groups[et.kind]).append(choice)
    kinds = [(str(EventType.Kind(kind).label), choices) for kind, choices in groups.items() if choices]
    return [(str(_("可接续的环节")), following), *kinds] if following else kinds


def _next_steps(case: Case, types: list[EventType]) -> set[str]:
    """Codes that could be logged on `case` today without breaking a sequence rule."""
    stored = stored_records(case)
    day = today()
    return {
        et.code
        for et in types
        if not check_sequence(
            stored,
            [EventRecord(et.code, day, "new", True, et.kind)],
            case.closed_on,
            day,
            case.closed_on,
            line=case.line,
        )
    }


class EventForm(forms.Form):
    """One procedural step of a case; it goes through `cases.services.log_event` (rules checked there)."""

    event = forms.ChoiceField(label=_("诉讼环节"))
    date = forms.DateField(label=_("日期"), widget=DateInput())
    persons = forms.IntegerField(label=_("涉及人数"), min_value=1, initial=1)
    prosecutor = forms.ModelChoiceField(
        label=_("经办检察官"), queryset=Prosecutor.objects.none(), required=False, empty_label=_("（承办检察官）")
    )
    note = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    outcome = forms.CharField(
        label=_("结果"),
        required=False,
        max_length=500,
        help_text=_("有结果的环节填写：如“批准逮捕”“无罪”“改判”；多名犯罪嫌疑人结果不同时写“批准逮捕:2;不批准逮捕:1”"),
    )

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["event"].choices = [("", "—"), *event_type_choices(case)]
        self.fields["prosecutor"].queryset = Prosecutor.objects.filter(unit_id=case.unit_id)


class ImportForm(forms.Form):
    """A CSV or XLSX file, its kind (or every sheet of an XLSX), and whether only to check it."""

    KINDS = [("", _("自动（XLSX 按工作表导入全部）")), ("staff", _("人员")), ("teams", _("团队"))]
    KINDS += [("cases", _("案件")), ("events", _("诉讼环节"))]

    file = forms.FileField(label=_("文件（.csv 或 .xlsx）"))
    kind = forms.ChoiceField(label=_("数据类型"), choices=KINDS, required=False)
    dry_run = forms.BooleanField(label=_("仅校验，不写入"), required=False)
    encoding = forms.CharField(
        label=_("文件编码"),
        required=False,
        max_length=40,
        help_text=_("仅 CSV：留空时自动识别 UTF-8 与 GB18030；其他编码（如 big5）请填写"),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = upload.name.lower()
        if not name.endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("只接受 .csv 或 .xlsx 文件"))
        if upload.size > settings.IMPORT_MAX_UPLOAD_BYTES:
            raise forms.ValidationError(too_large_message(upload.size))
        return upload

    def clean_encoding(self):
        return clean_encoding_name(self.cleaned_data["encoding"], forms.ValidationError)


def too_large_message(size: int) -> str:
    """The refusal of an upload over IMPORT_MAX_UPLOAD_BYTES, with both sizes."""
    return _("文件过大：%(size).1f MB，上传上限为 %(limit).0f MB；请拆分文件，或由管理员用命令行 import_data 导入") % {
        "size": size / 1024 / 1024,
        "limit": settings.IMPORT_MAX_UPLOAD_BYTES / 1024 / 1024,
    }


def clean_encoding_name(name: str, error_class) -> str:
    """An encoding name the office gave, checked (blank: detect); `error_class` raised for an unknown one."""
    from cases.importer.encodings import EncodingError, normalised_encoding

    name = (name or "").strip()
    if not name:
        return ""
    try:
        return normalised_encoding(name)
    except EncodingError as error:
        raise error_class(str(error)) from None
