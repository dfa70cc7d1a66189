"""Assessment (考核) on the API: a prosecutor's score line by line, and a team's year against its target.

`GET /api/v1/assessment/?prosecutor=<staff_code>&year=YYYY` (the year's total and its periods, one per
scheme in force, each item by item; `lines` lists every period's lines in date order) and
`GET /api/v1/team-results/?team=<team_code>&year=YYYY&basis=flow|cohort`. Both start from
the managers (`Prosecutor.objects.readable_by(user, year)`, `Team.objects.readable_by(user)`): a person
or team the user may not see is a 404, like an unknown code; bad parameters are a 400 naming them.
What they list and count is limited to what the user may open (`cases.assessment`).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.assessment import AssessmentError, assess_prosecutor, team_results
from cases.facts import BASES
from cases.projection import last_complete_month_end, project_ratio
from cases.ratio import RatioFilters
from teams.access import scope_for
from teams.models import Prosecutor, Team

YEAR_PARAM = OpenApiParameter("year", OpenApiTypes.INT, description="年度，默认今年 / year, default this year")
ERROR_400 = OpenApiResponse(OpenApiTypes.OBJECT, description="{参数: [原因]}")


def _number(value):
    return float(value) if isinstance(value, Decimal) else value


def _year(request) -> int:
    raw = request.query_params.get("year")
    if raw in (None, ""):
        return timezone.localdate().year
    try:
        year = int(raw)
        if not 2000 <= year <= 2100:
            raise ValueError
    except ValueError:
        raise exceptions.ValidationError({"year": [_("须为 2000 至 2100 之间的年份")]}) from None
    return year


class SchemeRef(serializers.Serializer):
    effective_from = serializers.DateField(help_text="生效日期 / in force from")
    name = serializers.CharField()


class LineOut(serializers.Serializer):
    component = serializers.ChoiceField(["quality", "efficiency"])
    code = serializers.CharField(help_text="base, grade_<等级>, wrongful_veto, floor, ratio")
    label = serializers.CharField()
    points = serializers.FloatField(help_text="加分为正，扣分为负 / points added (negative: deducted)")
    count = serializers.IntegerField()
    cases = serializers.ListField(child=serializers.CharField(), help_text="案号 / the cases behind the line")
    detail = serializers.CharField(allow_blank=True)


class PeriodOut(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    scheme = SchemeRef(allow_null=True, help_text="null：此期间尚无施行中的考核办法，不计分 / no scheme yet")
    quality = serializers.FloatField()
    efficiency = serializers.FloatField()
    total = serializers.FloatField()
    person_ratio = serializers.CharField(allow_null=True)
    unit_ratio = serializers.CharField(allow_null=True)
    lines = LineOut(many=True)
    unscored_cases = serializers.ListField(child=serializers.CharField())
    note = serializers.CharField(allow_blank=True)


class AssessmentOut(serializers.Serializer):
    prosecutor = serializers.CharField()
    prosecutor_name = serializers.CharField()
    year = serializers.IntegerField()
    scheme = SchemeRef(help_text="年末施行的办法 / the scheme in force at the end of the year")
    quality = serializers.FloatField(help_text="各期质量分之和 / the sum of the periods'")
    efficiency = serializers.FloatField()
    total = serializers.FloatField()
    person_ratio = serializers.CharField(allow_null=True)
    unit_ratio = serializers.CharField(allow_null=True)
    periods = PeriodOut(many=True)
    lines = LineOut(many=True)


def _scheme(scheme):
    return None if scheme is None else {"effective_from": scheme.effective_from.isoformat(), "name": scheme.name}


def _lines(lines):
    return [
        {
            "component": line.component,
            "code": line.code,
            "label": line.label,
            "points": _number(line.points),
            "count": line.count,
            "cases": line.case_nos,
            "detail": line.detail,
        }
        for line in lines
    ]


def _period(period):
    return {
        "date_from": period.date_from.isoformat(),
        "date_to": period.date_to.isoformat(),
        "scheme": _scheme(period.scheme),
        "quality": _number(period.quality),
        "efficiency": _number(period.efficiency),
        "total": _number(period.total),
        "person_ratio": period.person_ratio,
        "unit_ratio": period.unit_ratio,
        "lines": _lines(period.lines),
        "unscored_cases": period.unscored,
        "note": period.note,
    }


def _required(request, name: str) -> str:
    value = request.query_params.get(name, "").strip()
    if not value:
        raise exceptions.ValidationError({name: [_("必须提供")]})
    return value


class AssessmentView(APIView):
    """A prosecutor's assessment for a year: the sum of its periods (one per scheme in force), each item by item
    with the cases behind each line."""

    @extend_schema(
        summary="个人考核 / a prosecutor's assessment",
        parameters=[OpenApiParameter("prosecutor", OpenApiTypes.STR, required=True, description="工号"), YEAR_PARAM],
        responses={200: AssessmentOut, 400: ERROR_400},
    )
    def get(self, request):
        code, year = _required(request, "prosecutor"), _year(request)
        # A former member of a team the user leads is visible for the years of the membership only.
        period = (datetime.date(year, 1, 1), datetime.date(year, 12, 31))
        people = Prosecutor.objects.readable_by(request.user, period).select_related("unit")
        prosecutor = people.filter(staff_code=code).first()
        if prosecutor is None:
            raise Http404
        try:
            result = assess_prosecutor(prosecutor, year, viewer=request.user)
        except AssessmentError as error:
            raise exceptions.ValidationError({"year": [str(error)]}) from None
        return Response(
            {
                "prosecutor": prosecutor.staff_code,
                "prosecutor_name": prosecutor.name,
                "year": year,
                "scheme": _scheme(result.scheme),
                "quality": _number(result.quality),
                "efficiency": _number(result.efficiency),
                "total": _number(result.total),
                "person_ratio": result.person_ratio,
                "unit_ratio": result.unit_ratio,
                "periods": [_period(period) for period in result.periods],
                "lines": _lines(result.lines),
            }
        )


class TeamResultsView(APIView):
    """A team's year: ratio, reviews, the target tracked month by month and members side by side."""

    @extend_schema(
        summary="团队年度成绩 / a team's results",
        parameters=[
            OpenApiParameter("team", OpenApiTypes.STR, required=True, description="团队编码"),
            YEAR_PARAM,
            OpenApiParameter("basis", OpenApiTypes.STR, enum=list(BASES), description="flow（默认）/ cohort"),
        ],
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT), 400: ERROR_400},
    )
    def get(self, request):
        code, year = _required(request, "team"), _year(request)
        basis = request.query_params.get("basis") or "flow"
        if basis not in BASES:
            raise exceptions.ValidationError({"basis": [_("须为 flow 或 cohort")]})
        team = Team.objects.readable_by(request.user).filter(team_code=code).first()
        if team is None:
            raise Http404
        result = team_results(team, year, basis=basis, viewer=request.user)
        as_of = min(last_complete_month_end(timezone.localdate()), datetime.date(year, 12, 31))
        target = None if result.target_ratio is None else float(result.target_ratio)
        projection = project_ratio(
            year,
            as_of,
            filters=RatioFilters(team=team.team_code),
            scope=scope_for(request.user),
            basis=basis,
            target=target,
        )
        return Response(
            {
                "team": team.team_code,
                "team_name": team.name,
                "year": year,
                "basis": basis,
                "target_ratio": _number(result.target_ratio),
                "cases": result.cases,
                "items": result.items,
                "ratio_display": result.ratio_display,
                "reviews": result.reviews,
                "average_score": _number(result.average_score),
                "grades": result.grades,
                "months": [{k: _number(v) for k, v in vars(m).items()} for m in result.months],
                "members": [{k: _number(v) for k, v in vars(m).items()} for m in result.members],
                # Year-end projection with a range and on_track / at_risk / off_track (cases.projection).
                "projection": projection.as_dict(),
            }
        )
