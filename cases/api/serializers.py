"""Serializers of cases, procedural events and the event catalogue.

Writes never save a model directly: `create`/`update` call `cases.services` (save_case, log_event,
update_event), the one write path that applies every DOMAIN.md §4–§5 rule and keeps the roll-up.
Codes of units, departments, prosecutors, teams and cases are resolved only within what the user may
write (`<Model>.objects.writable_by`), so another unit's code is answered like an unknown one.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from cases import charges, messages, services
from cases.api.common import CodeField
from cases.models import Case, Charge, EventType, OutcomeChoice, ProceduralEvent
from teams import access
from teams.models import Department, Prosecutor, Team, Unit


class ScopedCodeField(CodeField):
    """A related object given by its code, chosen among `model.objects.<scope>(user)` (e.g. `writable_by`)."""

    def __init__(self, model, scope: str, **kwargs):
        self.model, self.scope = model, scope
        kwargs.setdefault(
            "error_messages",
            {"does_not_exist": _("未知或无权使用的编码：{value}"), "invalid": _("编码须为文本")},
        )
        super().__init__(queryset=model.objects.all(), **kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        queryset = self.model.objects.all()
        return queryset if request is None else getattr(queryset, self.scope)(request.user)


class ChargeField(CodeField):
    """A charge of the catalogue given by its code or its name (with or without the final 罪)."""

    default_error_messages = {"unknown": _("未知的罪名：%(value)s")}

    def __init__(self, **kwargs):
        super().__init__(slug_field="code", queryset=Charge.objects.all(), **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("nul")
        pk = charges.resolve(str(data))
        if pk is None:
            self.fail("unknown", value=data)
        return Charge.objects.get(pk=pk)


class OutcomeChoiceSerializer(serializers.ModelSerializer):
    """One outcome an event type can record."""

    class Meta:
        model = OutcomeChoice
        fields = ["code", "label_zh", "label_en"]
        extra_kwargs = {"code": {"help_text": "结果编码 / outcome code"}}


class EventTypeSerializer(serializers.ModelSerializer):
    """A catalogue entry: code, labels, kind (base / extra / neutral), weight and its outcome choices."""

    rule_set = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="统计规则编码 / rule set")
    outcome_choices = OutcomeChoiceSerializer(
        many=True, read_only=True, help_text="该环节可记录的结果（无则为空）/ the outcomes it records, if any"
    )

    class Meta:
        model = EventType
        fields = ["code", "label_zh", "label_en", "kind", "weight", "position", "rule_set", "outcome_choices"]
        extra_kwargs = {
            "code": {"help_text": "环节编码 / event code"},
            "kind": {"help_text": "base 基础环节 / extra 增加件数 / neutral 不计件"},
            "weight": {"help_text": "计件权重（仅 extra 计入）/ weight, counted for extras only"},
        }


class EventSerializer(serializers.ModelSerializer):
    """A procedural event as read: its case number, event code and labels, date, persons, prosecutor, note."""

    case = serializers.SlugRelatedField(slug_field="case_no", read_only=True, help_text="统一受案号 / case number")
    event = serializers.CharField(source="event_type.code", read_only=True, help_text="环节编码 / event code")
    event_label = serializers.CharField(source="event_type.label_zh", read_only=True, help_text="环节名称")
    kind = serializers.CharField(source="event_type.kind", read_only=True, help_text="base / extra / neutral")
    weight = serializers.SerializerMethodField(help_text="本环节增加的件数 / items this step adds")
    prosecutor = serializers.SlugRelatedField(
        slug_field="staff_code", read_only=True, allow_null=True, help_text="经办检察官工号 / handled by (staff code)"
    )

    class Meta:
        model = ProceduralEvent
        fields = [
            "id",
            "case",
            "event",
            "event_label",
            "kind",
            "weight",
            "date",
            "persons",
            "prosecutor",
            "note",
            "outcomes",
            "version",
        ]
        extra_kwargs = {
            "outcomes": {"help_text": "结果编码 → 人数，未记录为空 / outcome code → persons, null when none"}
        }

    def get_weight(self, event) -> int:
        return event.event_type.counted_weight


class CaseEventSerializer(EventSerializer):
    """An event inside its case (the case number is the parent's)."""

    class Meta(EventSerializer.Meta):
        fields = [f for f in EventSerializer.Meta.fields if f != "case"]


class CaseSerializer(serializers.ModelSerializer):
    """A case with its attribution (codes and names), derived received date and items, and its events.

    `received_on` and `items` are derived from the events (DOMAIN §4) and cannot be written; unit and
    department default to the prosecutor's.
    """

    unit = ScopedCodeField(Unit, "writable_by", slug_field="code", required=False, help_text="单位编码 / unit code")
    unit_name = serializers.CharField(source="unit.name", read_only=True, help_text="单位名称 / unit name")
    department = ScopedCodeField(
        Department,
        "writable_by",
        slug_field="code",
        required=False,
        help_text="部门编码 / department code",
    )
    department_name = serializers.CharField(source="department.name", read_only=True, help_text="部门名称")
    prosecutor = ScopedCodeField(
        Prosecutor,
        "writable_by",
        slug_field="staff_code",
        help_text="承办检察官工号 / handling prosecutor (staff code)",
    )
    prosecutor_name = serializers.CharField(source="prosecutor.name", read_only=True, help_text="承办检察官姓名")
    team = ScopedCodeField(
        Team,
        "writable_by",
        slug_field="team_code",
        required=False,
        allow_null=True,
        help_text="办案团队编码（可空）/ team code, null for none",
    )
    team_name = serializers.CharField(source="team.name", read_only=True, allow_null=True, help_text="团队名称")
    main_charge = ChargeField(
        required=False, allow_null=True, help_text="主罪名编码或名称，见 /api/v1/charges/ / main charge, code or name"
    )
    main_charge_name = serializers.CharField(source="main_charge.name", read_only=True, allow_null=True)
    other_charges = ChargeField(many=True, required=False, help_text="其他罪名（编码或名称）/ other charges")
    is_open = serializers.BooleanField(read_only=True, help_text="未审结 / still open")
    events = CaseEventSerializer(many=True, read_only=True, help_text="诉讼环节，按日期 / events by date")

    class Meta:
        model = Case
        fields = [
            "id",
            "case_no",
            "title",
            "line",
            "category",
            "main_charge",
            "main_charge_name",
            "other_charges",
            "unit",
            "unit_name",
            "department",
            "department_name",
            "prosecutor",
            "prosecutor_name",
            "team",
            "team_name",
            "persons",
            "received_on",
            "closed_on",
            "is_open",
            "plea_leniency",
            "sentencing_recommendation",
            "judgment_accepted",
            "items",
            "version",
            "events",
        ]
        read_only_fields = ["id", "received_on", "items", "version"]
        extra_kwargs = {
            # Unique across all units: a taken number answers the same whoever holds it (cases.messages).
            "case_no": {
                "help_text": "统一受案号 / unified case number",
                "validators": [UniqueValidator(Case.objects.all(), message=messages.CASE_NO_UNAVAILABLE)],
            },
            "title": {"help_text": "案件名称 / title"},
            "line": {"help_text": "业务条线 / line of work"},
            "category": {"help_text": "案件严重程度（可空）/ severity, blank for none"},
            "persons": {"help_text": "犯罪嫌疑人数 / number of suspects", "min_value": 1, "max_value": 100000},
            "received_on": {"help_text": "受理日期：最早基础环节的日期（派生）/ derived from the earliest base event"},
            "closed_on": {"help_text": "审结日期（未审结为空）/ closed date, null while open"},
            "items": {"help_text": "件数：1 + 增加环节权重之和（派生）/ items, derived"},
        }

    def validate_closed_on(self, value):
        if value is not None and value > services.today():
            raise serializers.ValidationError(_("审结日期不得晚于今天"))
        return value

    def validate(self, attrs):
        prosecutor = attrs.get("prosecutor") or getattr(self.instance, "prosecutor", None)
        if self.instance is None:
            attrs.setdefault("unit", prosecutor.unit if prosecutor else None)
            attrs.setdefault("department", prosecutor.department if prosecutor else None)
        unit = attrs.get("unit") or getattr(self.instance, "unit", None)
        department = attrs.get("department") or getattr(self.instance, "department", None)
        if unit is None or not access.can_write_unit(self.context["request"].user, unit.pk):
            raise serializers.ValidationError({"unit": [_("无权在该单位登记案件")]})
        if department is None or department.unit_id != unit.pk:
            raise serializers.ValidationError({"department": [_("部门不属于该单位")]})
        main = attrs.get("main_charge", getattr(self.instance, "main_charge", None))
        if main is not None and any(c.pk == main.pk for c in attrs.get("other_charges", ())):
            raise serializers.ValidationError({"other_charges": [_("其他罪名不得包含主罪名")]})
        return attrs

    def create(self, validated_data):
        others = validated_data.pop("other_charges", None)
        with transaction.atomic():
            case = services.save_case(Case(**validated_data))
            if others is not None:
                case.other_charges.set(others)
        return case

    def update(self, instance, validated_data):
        # Only the fields the request gives are written, under the row lock (nothing of a concurrent writer lost).
        others = validated_data.pop("other_charges", None)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        with transaction.atomic():
            case = services.save_case(instance, validated_data.keys(), version=self.context.get("if_match"))
            if others is not None:
                case.other_charges.set(others)
        return case


class ChargeSerializer(serializers.ModelSerializer):
    """One charge of the catalogue (罪名) and its chapter of the Criminal Law."""

    chapter_name = serializers.CharField(source="get_chapter_display", read_only=True, help_text="章名 / chapter")

    class Meta:
        model = Charge
        fields = ["code", "name", "chapter", "chapter_name"]


class EventWriteSerializer(serializers.Serializer):
    """An event to log or correct; the sequence rules (DOMAIN §5) are checked by `cases.services`."""

    case = ScopedCodeField(Case, "writable_by", slug_field="case_no", help_text="统一受案号 / case number")
    event = serializers.SlugField(max_length=64, help_text="环节编码，见 /api/v1/event-types/ / event code")
    date = serializers.DateField(help_text="环节日期 / date of the step")
    persons = serializers.IntegerField(
        min_value=1, max_value=100000, required=False, help_text="涉及人数（默认：各结果人数之和，或 1）/ persons"
    )
    prosecutor = ScopedCodeField(
        Prosecutor,
        "writable_by",
        slug_field="staff_code",
        required=False,
        allow_null=True,
        help_text="经办检察官工号（默认承办检察官）/ handled by, default the case's prosecutor",
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, help_text="备注 / note")
    outcome = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=500,
        help_text='结果：编码或名称（全部人数），或分人数 "批准逮捕:2;不批准逮捕:1" / outcome, or per-outcome persons',
    )
    outcomes = serializers.DictField(
        child=serializers.IntegerField(min_value=1, max_value=100000),
        required=False,
        allow_empty=True,
        help_text="结果编码 → 人数（与 outcome 二选一）/ outcome code → persons, instead of outcome",
    )

    def validate(self, attrs):
        if "outcome" in attrs and "outcomes" in attrs:
            raise serializers.ValidationError({"outcome": [_("outcome 与 outcomes 只能填写一个")]})
        if "outcome" in attrs:
            attrs["outcomes"] = attrs.pop("outcome")
        return attrs

    def validate_case(self, case):
        if self.instance is not None and case.pk != self.instance.case_id:
            raise serializers.ValidationError(_("不能把环节移到另一个案件"))
        return case

    def create(self, validated_data):
        case = validated_data.pop("case")
        code, date = validated_data.pop("event"), validated_data.pop("date")
        validated_data.setdefault("persons", None)  # the outcomes' sum, else 1
        return services.log_event(case, code, date, **validated_data)

    def update(self, instance, validated_data):
        validated_data.pop("case", None)
        if "event" in validated_data:
            validated_data["code"] = validated_data.pop("event")
        return services.update_event(instance, version=self.context.get("if_match"), **validated_data)
