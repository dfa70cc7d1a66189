"""Statistics endpoints: the ratio, the §9 indicators and review results, as JSON, CSV or XLSX.

Thin by design: parameters are validated by `StatsParams`, the user's scope comes from
`teams.access.scope_for`, and the numbers from the engines (`cases.ratio.ratio_for`,
`cases.indicators.indicators_for`, `cases.review_stats.review_stats_for`); nothing is recounted here.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.api.exports import CSVRenderer, ExportMixin, XLSXRenderer
from cases.api.params import STATS_PARAMETERS, StatsParams
from cases.indicators import COUNTERWEIGHTS, INDICATOR_NAMES, INDICATORS, indicators_for
from cases.ratio import DIMENSIONS, PERIODS, ratio_for
from cases.review_stats import review_stats_for
from teams.access import scope_for


def _keys_and_names(keys: dict, labels: dict) -> dict:
    out = dict(keys)
    for dim, label in labels.items():
        out[f"{dim}_name"] = label
    return out


def ratio_row(row) -> dict:
    """One ratio row as the API shows it: group keys, their names, counts, ratio forms and extras."""
    return {
        **_keys_and_names(row.keys, row.labels),
        "cases": row.cases,
        "items": row.items,
        "ratio": row.ratio,
        "ratio_display": row.ratio_display,
        "index": row.index,
        "extras": dict(sorted(row.extras.items())),
    }


def indicator_row(row) -> dict:
    """One indicators row: group keys, names and each indicator's numerator, denominator, value, unit,
    and its counterweights (DOMAIN §9) with their values in the same group (issue 13 D5)."""
    figures = {}
    for name, indicator in row.values.items():
        against = COUNTERWEIGHTS[name].against
        figures[name] = {
            **indicator.as_dict(),
            "unit": INDICATORS[name].counts,
            "counterweights": {other: row.values[other].value for other in against if other in row.values},
        }
    return {**_keys_and_names(row.keys, row.labels), **figures}


def indicator_catalogue() -> dict:
    """What each figure is: label, unit (persons / cases / events), better direction, and what to read
    beside it and why; "ratio" is the 案-件比 itself."""
    catalogue = {
        name: {
            "label": str(spec.label),
            "unit": spec.counts,
            "better": spec.better,
            "is_rate": spec.is_rate,
            "counterweights": list(COUNTERWEIGHTS[name].against),
            "reason": str(COUNTERWEIGHTS[name].reason),
        }
        for name, spec in INDICATORS.items()
    }
    ratio = COUNTERWEIGHTS["ratio"]
    catalogue["ratio"] = {
        "label": str(_("案-件比")),
        "unit": "cases",
        "better": "lower",
        "is_rate": False,
        "counterweights": list(ratio.against),
        "reason": str(ratio.reason),
    }
    return catalogue


def review_row(row) -> dict:
    """One review-statistics row, whatever the engine's row type: keys, names and the four figures."""
    if isinstance(row, dict):
        data, labels = dict(row), row.get("labels", {})
        data.pop("labels", None)
    else:
        data = row.as_dict() if hasattr(row, "as_dict") else dict(vars(row))
        labels = getattr(row, "labels", {}) or {}
        data.pop("labels", None)
    keys = {k: v for k, v in data.items() if k in PERIODS or k in DIMENSIONS}
    if not keys and hasattr(row, "keys") and isinstance(row.keys, dict):
        keys = row.keys
    data.pop("keys", None)
    return {
        **_keys_and_names(keys, labels),
        "reviews": data.get("reviews", 0),
        "average_score": data.get("average_score"),
        "grades": dict(data.get("grades") or {}),
        "deductions": dict(data.get("deductions") or {}),
        "top_findings": list(data.get("top_findings") or []),
    }


def _key_fields() -> dict:
    fields = {}
    for name in PERIODS:
        fields[name] = serializers.CharField(
            required=False, allow_null=True, help_text="期间 / period: YYYY-MM, YYYY-Qn, YYYY"
        )
    for name in DIMENSIONS:
        fields[name] = serializers.CharField(required=False, allow_null=True, help_text=f"{name} 编码（空为无）/ code")
        fields[f"{name}_name"] = serializers.CharField(required=False, allow_null=True, help_text=f"{name} 名称 / name")
    return fields


RatioRowSerializer = type(
    "RatioRow",
    (serializers.Serializer,),
    {
        **_key_fields(),
        "cases": serializers.IntegerField(help_text="案数 / cases"),
        "items": serializers.IntegerField(help_text="件数 / items"),
        "ratio": serializers.FloatField(allow_null=True, help_text="件数 ÷ 案数，无案为空 / items per case, null"),
        "ratio_display": serializers.CharField(allow_null=True, help_text='如 "1:1.43" / e.g. "1:1.43"'),
        "index": serializers.FloatField(allow_null=True, help_text="指数 ×100，两位小数 / index ×100"),
        "extras": serializers.DictField(
            child=serializers.IntegerField(), help_text="增加环节编码 → 加权件数 / extra event code → items"
        ),
        "__doc__": "One group of the 案-件比.",
    },
)


class _ReportSerializer(serializers.Serializer):
    basis = serializers.CharField(help_text="flow / cohort")
    date_from = serializers.DateField(help_text="起始日期（含）/ from, inclusive")
    date_to = serializers.DateField(help_text="截止日期（含）/ to, inclusive")
    group_by = serializers.ListField(child=serializers.CharField(), help_text="分组 / grouping")


class RatioReportSerializer(_ReportSerializer):
    """The 案-件比 by group, with the total."""

    results = RatioRowSerializer(many=True)
    total = RatioRowSerializer()


class IndicatorValueSerializer(serializers.Serializer):
    """One indicator: numerator over denominator (none for plain counts), its unit and counterweights."""

    numerator = serializers.IntegerField()
    denominator = serializers.IntegerField(allow_null=True)
    value = serializers.FloatField(allow_null=True)
    unit = serializers.ChoiceField(["persons", "cases", "events"], help_text="计数单位：人 / 案 / 次 / unit counted")
    counterweights = serializers.DictField(
        child=serializers.FloatField(allow_null=True),
        help_text="对照指标 → 同组取值（DOMAIN §9）/ counterweight → its value in this group",
    )


class IndicatorInfoSerializer(serializers.Serializer):
    """What a figure is and what to read beside it."""

    label = serializers.CharField()
    unit = serializers.CharField(help_text="persons / cases / events")
    better = serializers.CharField(allow_null=True, help_text="lower / higher / null (政策性)")
    is_rate = serializers.BooleanField()
    counterweights = serializers.ListField(child=serializers.CharField())
    reason = serializers.CharField()


IndicatorRowSerializer = type(
    "IndicatorRow",
    (serializers.Serializer,),
    {
        **_key_fields(),
        **{name: IndicatorValueSerializer(required=False) for name in INDICATOR_NAMES},
        "__doc__": "One group of the §9 indicators.",
    },
)


class IndicatorReportSerializer(_ReportSerializer):
    """The §9 indicators by group, with the total, and what each indicator is (`indicators`)."""

    results = IndicatorRowSerializer(many=True)
    total = IndicatorRowSerializer()
    indicators = serializers.DictField(child=IndicatorInfoSerializer(), help_text="指标说明 / what each figure is")


class TopFindingSerializer(serializers.Serializer):
    """A review item and how often it was found."""

    item = serializers.CharField(help_text="评查项编码 / review item code")
    count = serializers.IntegerField(help_text="次数 / times found")


ReviewRowSerializer = type(
    "ReviewStatsRow",
    (serializers.Serializer,),
    {
        **_key_fields(),
        "reviews": serializers.IntegerField(help_text="终结评查数 / final reviews"),
        "average_score": serializers.FloatField(allow_null=True, help_text="平均分 / average score"),
        "grades": serializers.DictField(child=serializers.IntegerField(), help_text="等次 → 件数 / grade → count"),
        "deductions": serializers.DictField(
            child=serializers.FloatField(), help_text="评查维度 → 扣分 / dimension → points deducted"
        ),
        "top_findings": serializers.ListField(
            child=TopFindingSerializer(), help_text="最常见评查项 / most frequent review items"
        ),
        "__doc__": "One group of final quality reviews.",
    },
)


class ReviewReportSerializer(_ReportSerializer):
    """Final quality reviews by group, with the total."""

    results = ReviewRowSerializer(many=True)
    total = ReviewRowSerializer()


def _responses(serializer) -> dict:
    return {
        (200, "application/json"): serializer,
        (200, CSVRenderer.media_type): OpenApiResponse(OpenApiTypes.STR, description="CSV, UTF-8 BOM"),
        (200, XLSXRenderer.media_type): OpenApiResponse(OpenApiTypes.BINARY, description="XLSX"),
        (400, "application/json"): OpenApiResponse(
            OpenApiTypes.OBJECT, description="{参数: [原因]} / {field: [reason]}"
        ),
    }


class _StatsView(ExportMixin, APIView):
    def params(self, request) -> StatsParams:
        params = StatsParams(data=request.query_params, context={"request": request})
        params.is_valid(raise_exception=True)
        return params

    def engine_kwargs(self, request) -> dict:
        params = self.params(request)
        data = params.validated_data
        return {
            "group_by": data["group_by"],
            "basis": data["basis"],
            "date_from": data["date_from"],
            "date_to": data["date_to"],
            "filters": params.filters(),
            "scope": scope_for(request.user),
        }

    @staticmethod
    def envelope(report, kwargs, results, total) -> dict:
        return {
            "basis": kwargs["basis"],
            "date_from": kwargs["date_from"],
            "date_to": kwargs["date_to"],
            "group_by": list(kwargs["group_by"]),
            "results": results,
            "total": total,
        }


class RatioStatsView(_StatsView):
    """案-件比 by period and attribution (DOMAIN §4), on the flow or cohort basis."""

    export_name = "ratio"

    @extend_schema(
        summary="案-件比统计 / case-to-item ratio",
        description="按期间、单位、部门、团队、检察官、条线、罪名类别分组；flow（流量）或 cohort（审结）口径。",
        parameters=STATS_PARAMETERS,
        responses=_responses(RatioReportSerializer),
    )
    def get(self, request):
        kwargs = self.engine_kwargs(request)
        report = ratio_for(**kwargs)
        return Response(self.envelope(report, kwargs, [ratio_row(r) for r in report.rows], ratio_row(report.total)))


class IndicatorStatsView(_StatsView):
    """The §9 indicators beside the ratio, by the same grouping and filters."""

    export_name = "indicators"

    @extend_schema(
        summary="质效指标 / indicators (DOMAIN §9)",
        description=(
            "退查率、延长率、不捕率、不诉率、认罪认罚适用率、量刑建议采纳率、一审服判率、自行补充侦查，"
            "以及由环节结果计算的对照指标：捕后不诉率、无罪判决人数与比率、改判/发回重审人数。"
            "每个指标注明计数单位（unit）与对照指标（counterweights，附同组取值）。"
        ),
        parameters=STATS_PARAMETERS,
        responses=_responses(IndicatorReportSerializer),
    )
    def get(self, request):
        kwargs = self.engine_kwargs(request)
        report = indicators_for(**kwargs)
        rows = [indicator_row(r) for r in report.rows]
        body = self.envelope(report, kwargs, rows, indicator_row(report.total))
        return Response({**body, "indicators": indicator_catalogue()})


class ReviewStatsView(_StatsView):
    """Final quality reviews (评查) by the same grouping and filters: count, average score, grades, deductions."""

    export_name = "reviews"

    @extend_schema(
        summary="评查统计 / quality review statistics",
        description="只统计终结的评查 / only final reviews count.",
        parameters=STATS_PARAMETERS,
        responses=_responses(ReviewReportSerializer),
    )
    def get(self, request):
        kwargs = self.engine_kwargs(request)
        report = review_stats_for(**kwargs)
        rows = [review_row(r) for r in report.rows]
        return Response(self.envelope(report, kwargs, rows, review_row(report.total)))
