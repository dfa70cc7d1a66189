"""Cases, events and the event catalogue: scoped by `Case.objects.visible_to` (and the events'), written
through `cases.services`."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.settings import api_settings

from cases import deadlines, services
from cases.api.common import ScopedViewSetMixin, VersionedMixin, sequence_error_body
from cases.api.exports import CSVRenderer, ExportMixin, XLSXRenderer
from cases.api.params import FORMAT_PARAM
from cases.api.serializers import (
    CaseSerializer,
    ChargeSerializer,
    EventSerializer,
    EventTypeSerializer,
    EventWriteSerializer,
)
from cases.filters import CaseFilterSet, EventTypeFilterSet, ProceduralEventFilterSet
from cases.models import Case, Charge, EventType, ProceduralEvent, RuleSet
from cases.services import SequenceRuleError
from teams import access

ERROR_400 = OpenApiResponse(
    OpenApiTypes.OBJECT, description="{字段: [原因]}，违反顺序规则时附 violations / field errors"
)


class WriteAccess(permissions.BasePermission):
    """Unsafe methods need write access (case management of the object's unit, or superuser)."""

    message = _("没有写权限")

    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or access.can_write(request.user)

    def has_object_permission(self, request, view, obj):
        if request.method in permissions.SAFE_METHODS:
            return True
        case = obj if isinstance(obj, Case) else obj.case
        return access.can_write_case(request.user, case)


# The project-wide checks (authenticated; read-only tokens) plus the write check of cases and events.
WRITE_PERMISSIONS = [*api_settings.DEFAULT_PERMISSION_CLASSES, WriteAccess]


AT_RISK_PARAMETERS = [
    OpenApiParameter(
        "within_days",
        OpenApiTypes.INT,
        description="距期限天数以内视为临期，默认 5 / days before a deadline counted as at risk",
    ),
    FORMAT_PARAM,
]


class DeadlineSerializer(serializers.Serializer):
    """A running statutory clock of an open case (DOMAIN §6)."""

    case_no = serializers.CharField(help_text="统一受案号 / case number")
    title = serializers.CharField(help_text="案件名称 / title")
    prosecutor = serializers.CharField(help_text="承办检察官工号 / staff code")
    prosecutor_name = serializers.CharField(help_text="承办检察官 / prosecutor")
    team = serializers.CharField(allow_null=True, help_text="团队编码 / team code")
    unit = serializers.CharField(help_text="单位编码 / unit code")
    kind = serializers.CharField(help_text="arrest_review / prosecution_review / supplementary_investigation")
    label = serializers.CharField(help_text="期限名称 / deadline")
    starts_on = serializers.DateField(help_text="起算日 / clock started")
    due_on = serializers.DateField(help_text="届满日 / due")
    days_left = serializers.IntegerField(help_text="剩余天数（负数为已超期）/ days left, negative when overdue")
    status = serializers.CharField(help_text="at_risk 临期 / overdue 超期")


class AtRiskPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    today = serializers.DateField()
    within_days = serializers.IntegerField()
    results = DeadlineSerializer(many=True)


@extend_schema_view(
    list=extend_schema(summary="案件列表 / cases", description="含诉讼环节与件数 / with events and items"),
    retrieve=extend_schema(
        summary="案件 / one case",
        parameters=[OpenApiParameter("case_no", OpenApiTypes.STR, OpenApiParameter.PATH, description="统一受案号")],
    ),
    create=extend_schema(summary="登记案件 / register a case", responses={201: CaseSerializer, 400: ERROR_400}),
    update=extend_schema(
        summary="修改案件 / change a case",
        parameters=[OpenApiParameter("case_no", OpenApiTypes.STR, OpenApiParameter.PATH, description="统一受案号")],
        responses={200: CaseSerializer, 400: ERROR_400},
    ),
    partial_update=extend_schema(
        summary="修改案件（部分）/ change a case",
        parameters=[OpenApiParameter("case_no", OpenApiTypes.STR, OpenApiParameter.PATH, description="统一受案号")],
        responses={200: CaseSerializer, 400: ERROR_400},
    ),
)
class CaseViewSet(
    VersionedMixin,
    ExportMixin,
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Cases the user may see, with their events and item count; written through `cases.services`."""

    queryset = (
        Case.objects.select_related("unit", "department", "prosecutor", "team", "main_charge")
        .prefetch_related(
            "other_charges",
            Prefetch(
                "events",
                queryset=ProceduralEvent.objects.select_related("event_type", "prosecutor").order_by("date", "id"),
            ),
        )
        .order_by("-received_on", "case_no")
    )
    serializer_class = CaseSerializer
    permission_classes = WRITE_PERMISSIONS
    filterset_class = CaseFilterSet
    lookup_field = "case_no"
    renderer_classes = ExportMixin.renderer_classes[:1]
    export_name = "cases-at-risk"

    def scope_queryset(self, queryset):
        return queryset.visible_to(self.request.user)

    def perform_update(self, serializer):
        self.versioned(serializer.save())

    def update(self, request, *args, **kwargs):
        try:
            return super().update(request, *args, **kwargs)
        except SequenceRuleError as error:  # a new closed date broke rule 6: blame closed_on
            return Response(sequence_error_body(error, on_case=True), status=status.HTTP_400_BAD_REQUEST)

    @extend_schema(
        summary="临期与超期案件 / open cases near or past a deadline",
        description="未审结案件中距法定期限 within_days 天以内或已超期的期限（DOMAIN §6），按届满日排序。",
        parameters=AT_RISK_PARAMETERS,
        responses={
            (200, "application/json"): AtRiskPageSerializer,
            (200, CSVRenderer.media_type): OpenApiResponse(OpenApiTypes.STR),
            (200, XLSXRenderer.media_type): OpenApiResponse(OpenApiTypes.BINARY),
            (400, "application/json"): ERROR_400,
        },
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="at-risk",
        renderer_classes=ExportMixin.renderer_classes,
        filterset_class=CaseFilterSet,
    )
    def at_risk(self, request):
        within = request.query_params.get("within_days")
        if within in (None, ""):
            within_days = deadlines.at_risk_days()
        else:
            try:
                within_days = int(within)
                if not 0 <= within_days <= 366:
                    raise ValueError
            except ValueError:
                raise exceptions.ValidationError({"within_days": [_("须为 0 至 366 之间的整数")]}) from None
        cases = self.filter_queryset(Case.objects.visible_to(request.user))
        found = deadlines.at_risk(cases, within_days=within_days)
        day = services.today()
        if self.wants_export():
            return Response({"results": self._enrich(found)})
        page = self.paginate_queryset(found)
        response = self.get_paginated_response(self._enrich(page))
        response.data["today"], response.data["within_days"] = day, within_days
        return response

    @staticmethod
    def _enrich(found: list) -> list[dict]:
        ids = {d.case_id for d in found}
        info = {
            row[0]: row[1:]
            for row in Case.objects.filter(pk__in=ids).values_list(
                "pk", "title", "prosecutor__staff_code", "prosecutor__name", "team__team_code", "unit__code"
            )
        }
        rows = []
        for d in found:
            title, staff_code, name, team, unit = info[d.case_id]
            rows.append(
                {
                    "case_no": d.case_no,
                    "title": title,
                    "prosecutor": staff_code,
                    "prosecutor_name": name,
                    "team": team,
                    "unit": unit,
                    "kind": d.kind,
                    "label": d.label,
                    "starts_on": d.starts_on,
                    "due_on": d.due_on,
                    "days_left": d.days_left,
                    "status": d.status,
                }
            )
        return rows


@extend_schema_view(
    list=extend_schema(summary="诉讼环节列表 / events"),
    retrieve=extend_schema(summary="诉讼环节 / one event"),
    create=extend_schema(
        summary="登记诉讼环节 / log an event",
        description="经顺序规则校验（DOMAIN §5）；违反时 400，指明字段、规则与原因。",
        request=EventWriteSerializer,
        responses={201: EventSerializer, 400: ERROR_400},
    ),
    update=extend_schema(
        summary="更正诉讼环节 / correct an event",
        request=EventWriteSerializer,
        responses={200: EventSerializer, 400: ERROR_400},
    ),
    partial_update=extend_schema(
        summary="更正诉讼环节（部分）/ correct an event",
        request=EventWriteSerializer,
        responses={200: EventSerializer, 400: ERROR_400},
    ),
    destroy=extend_schema(summary="删除诉讼环节 / delete an event", responses={204: None, 400: ERROR_400}),
)
class EventViewSet(VersionedMixin, ScopedViewSetMixin, viewsets.ModelViewSet):
    """Procedural events of the cases the user may see; every write goes through `cases.services`."""

    queryset = ProceduralEvent.objects.select_related("case", "event_type", "prosecutor").order_by("-date", "-id")
    serializer_class = EventSerializer
    permission_classes = WRITE_PERMISSIONS
    filterset_class = ProceduralEventFilterSet
    lookup_value_regex = r"[0-9]+"

    def scope_queryset(self, queryset):
        return queryset.visible_to(self.request.user)

    def get_serializer_class(self):
        return EventWriteSerializer if self.action in ("create", "update", "partial_update") else EventSerializer

    def _answer(self, event, code):
        event = self.get_queryset().get(pk=event.pk)
        return Response(EventSerializer(event, context=self.get_serializer_context()).data, status=code)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._answer(self.versioned(serializer.save()), status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        event = self.get_object()
        serializer = self.get_serializer(event, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        return self._answer(self.versioned(serializer.save()), status.HTTP_200_OK)

    def perform_destroy(self, instance):
        from cases.services import delete_event

        delete_event(instance, version=self.expected_version())


@extend_schema_view(
    list=extend_schema(summary="诉讼环节目录 / event catalogue", description="默认为当前生效的统计规则。"),
    retrieve=extend_schema(
        summary="诉讼环节类型 / one event type",
        parameters=[OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH, description="环节编码")],
    ),
)
class EventTypeViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """The event catalogue (rule set in force today unless `rule_set` is given); public to every user."""

    queryset = (
        EventType.objects.select_related("rule_set").prefetch_related("outcome_choices").order_by("position", "code")
    )
    serializer_class = EventTypeSerializer
    filterset_class = EventTypeFilterSet
    lookup_field = "code"

    def scope_queryset(self, queryset):
        if self.request.query_params.get("rule_set"):
            return queryset
        in_force = RuleSet.objects.in_force_or_latest(services.today())
        return queryset.filter(rule_set=in_force)


@extend_schema_view(
    list=extend_schema(summary="罪名目录 / the charge catalogue"),
    retrieve=extend_schema(
        summary="罪名 / one charge",
        parameters=[OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH, description="罪名编码")],
    ),
)
class ChargeViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """The charge catalogue (罪名, with chapters); public to every user like the event catalogue."""

    queryset = Charge.objects.order_by("chapter", "position", "code")
    serializer_class = ChargeSerializer
    lookup_field = "code"
    lookup_value_regex = "[^/]+"

    def scope_queryset(self, queryset):
        return queryset
