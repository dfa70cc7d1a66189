"""Query parameters shared by the statistics endpoints (ratio, indicators, reviews), validated once.

Every bad parameter is a 400 naming it: unknown group_by or basis, impossible or reversed dates,
unknown codes (or codes of what the user may not see: answered alike, never hinting they exist).
"""

from __future__ import annotations

import datetime

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from cases.facts import BASES, FLOW
from cases.models import Case, Charge
from cases.ratio import DIMENSIONS, GROUP_BY_CHOICES, RatioFilters, RatioQueryError, parse_chapter, parse_group_by
from teams.models import Department, Prosecutor, Team, Unit

# The engine walks months; keep dates where calendars and the roll-up make sense.
EARLIEST = datetime.date(1990, 1, 1)
LATEST = datetime.date(2099, 12, 31)

FILTER_NAMES = DIMENSIONS  # every grouping dimension is a filter too

# Filter → (model whose `objects.readable_by(user)` bounds it, code field, also accepts the exact name)
CODE_FILTERS = {
    "unit": (Unit, "code", True),
    "department": (Department, "code", True),
    "team": (Team, "team_code", False),
    "prosecutor": (Prosecutor, "staff_code", False),
}


class StatsParams(serializers.Serializer):
    """group_by, basis, inclusive date range and attribution filters (codes)."""

    group_by = serializers.CharField(required=False, allow_blank=True, default="")
    basis = serializers.ChoiceField(choices=BASES, required=False, default=FLOW)
    date_from = serializers.DateField(required=False, allow_null=True, default=None)
    date_to = serializers.DateField(required=False, allow_null=True, default=None)
    unit = serializers.CharField(required=False, allow_blank=True, max_length=200)
    department = serializers.CharField(required=False, allow_blank=True, max_length=200)
    team = serializers.CharField(required=False, allow_blank=True, max_length=200)
    prosecutor = serializers.CharField(required=False, allow_blank=True, max_length=200)
    line = serializers.ChoiceField(choices=Case.Line.choices, required=False, allow_blank=True)
    category = serializers.ChoiceField(choices=Case.Category.choices, required=False, allow_blank=True)
    charge = serializers.CharField(required=False, allow_blank=True, max_length=100)
    charge_chapter = serializers.CharField(required=False, allow_blank=True, max_length=100)

    def validate_group_by(self, value):
        try:
            return parse_group_by(value)
        except RatioQueryError as error:
            raise serializers.ValidationError(str(error)) from None

    def _in_range(self, value):
        if value is not None and not EARLIEST <= value <= LATEST:
            raise serializers.ValidationError(_("日期须在 %(a)s 至 %(b)s 之间") % {"a": EARLIEST, "b": LATEST})
        return value

    validate_date_from = _in_range
    validate_date_to = _in_range

    def validate(self, attrs):
        today = timezone.localdate()
        attrs["date_from"] = attrs.get("date_from") or datetime.date(today.year, 1, 1)
        attrs["date_to"] = attrs.get("date_to") or today
        if attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError(
                {
                    "date_from": [
                        _("起始日期 %(a)s 晚于截止日期 %(b)s") % {"a": attrs["date_from"], "b": attrs["date_to"]}
                    ]
                }
            )
        user = self.context["request"].user
        for name, (model, code_field, by_name) in CODE_FILTERS.items():
            value = (attrs.get(name) or "").strip()
            if not value:
                attrs[name] = None
                continue
            visible = model.objects.readable_by(user)
            matches = visible.filter(**{code_field: value})
            if not matches.exists() and not (by_name and visible.filter(name=value).exists()):
                raise serializers.ValidationError({name: [_("未知的编码：%(value)s") % {"value": value}]})
            attrs[name] = value
        for name in ("line", "category"):
            attrs[name] = attrs.get(name) or None
        charge = (attrs.get("charge") or "").strip()
        if charge and not Charge.objects.filter(Q(code=charge) | Q(name=charge)).exists():
            raise serializers.ValidationError({"charge": [_("未知的罪名：%(value)s") % {"value": charge}]})
        attrs["charge"] = charge or None
        chapter = (attrs.get("charge_chapter") or "").strip()
        try:
            attrs["charge_chapter"] = parse_chapter(chapter) if chapter else None
        except RatioQueryError:
            message = _("未知的刑法分则章：%(value)s（应为 1–10 或 第一章…第十章）") % {"value": chapter}
            raise serializers.ValidationError({"charge_chapter": [message]}) from None
        return attrs

    def filters(self) -> RatioFilters:
        data = self.validated_data
        return RatioFilters(**{name: data.get(name) for name in FILTER_NAMES})


def _p(name, type_, description, enum=None, default=None) -> OpenApiParameter:
    return OpenApiParameter(name, type_, OpenApiParameter.QUERY, description=description, enum=enum, default=default)


FORMAT_PARAM = _p(
    "format", OpenApiTypes.STR, "返回格式 / answer format: json, csv (UTF-8 BOM), xlsx", ["json", "csv", "xlsx"]
)

STATS_PARAMETERS = [
    _p(
        "group_by",
        OpenApiTypes.STR,
        "分组，逗号分隔 / comma list of: " + ", ".join(GROUP_BY_CHOICES),
    ),
    _p("basis", OpenApiTypes.STR, "口径 / basis: flow（流量，默认）or cohort（审结）", list(BASES), FLOW),
    _p("date_from", OpenApiTypes.DATE, "起始日期（含），默认当年1月1日 / inclusive, default 1 January this year"),
    _p("date_to", OpenApiTypes.DATE, "截止日期（含），默认今天 / inclusive, default today"),
    _p("unit", OpenApiTypes.STR, "单位编码或名称 / unit code or exact name"),
    _p("department", OpenApiTypes.STR, "部门编码或名称 / department code or exact name"),
    _p("team", OpenApiTypes.STR, "团队编码 / team code"),
    _p("prosecutor", OpenApiTypes.STR, "检察官工号 / prosecutor staff code"),
    _p("line", OpenApiTypes.STR, "业务条线 / line of work", list(Case.Line.values)),
    _p("category", OpenApiTypes.STR, "案件严重程度 / severity", list(Case.Category.values)),
    _p("charge", OpenApiTypes.STR, "主罪名编码或名称 / main charge, code or name (cases cut by their main charge)"),
    _p("charge_chapter", OpenApiTypes.STR, "主罪名所在刑法分则章 / chapter of the main charge: 1–10 or 第一章…第十章"),
    FORMAT_PARAM,
]
