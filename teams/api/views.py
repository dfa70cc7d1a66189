"""Read-only endpoints of the organisation, each scoped by `<Model>.objects.readable_by` and looked up by code."""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets

from cases.api.common import ScopedViewSetMixin
from teams.api import serializers
from teams.filters import DepartmentFilterSet, ProsecutorFilterSet, TeamFilterSet, UnitFilterSet
from teams.models import Department, Membership, Prosecutor, Team, Unit


def _code_param(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.STR, OpenApiParameter.PATH, description=description)


@extend_schema_view(
    list=extend_schema(summary="单位列表 / units"),
    retrieve=extend_schema(
        summary="单位 / one unit", parameters=[_code_param("code", "单位编码（或数字 id）/ unit code (or id)")]
    ),
)
class UnitViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Units (检察院) the user may see."""

    queryset = Unit.objects.select_related("parent").order_by("code")
    serializer_class = serializers.UnitSerializer
    filterset_class = UnitFilterSet
    lookup_field = "code"

    def scope_queryset(self, queryset):
        return queryset.readable_by(self.request.user)


@extend_schema_view(
    list=extend_schema(summary="部门列表 / departments"),
    retrieve=extend_schema(
        summary="部门 / one department",
        parameters=[_code_param("code", "部门编码（或数字 id）/ department code (or id)")],
    ),
)
class DepartmentViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Departments (部门) the user may see."""

    queryset = Department.objects.select_related("unit").order_by("code")
    serializer_class = serializers.DepartmentSerializer
    filterset_class = DepartmentFilterSet
    lookup_field = "code"

    def scope_queryset(self, queryset):
        return queryset.readable_by(self.request.user)


@extend_schema_view(
    list=extend_schema(summary="检察人员列表 / prosecutors"),
    retrieve=extend_schema(
        summary="检察人员 / one prosecutor",
        parameters=[_code_param("staff_code", "工号（或数字 id）/ staff code (or id)")],
    ),
)
class ProsecutorViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Prosecutors (检察人员) the user may see."""

    queryset = Prosecutor.objects.select_related("unit", "department").order_by("staff_code")
    serializer_class = serializers.ProsecutorSerializer
    filterset_class = ProsecutorFilterSet
    lookup_field = "staff_code"

    def scope_queryset(self, queryset):
        return queryset.readable_by(self.request.user)


@extend_schema_view(
    list=extend_schema(summary="办案团队列表（含成员）/ teams with members"),
    retrieve=extend_schema(
        summary="办案团队（含成员）/ one team with members",
        parameters=[_code_param("team_code", "团队编码（或数字 id）/ team code (or id)")],
    ),
)
class TeamViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Specialised teams (专业化办案团队) the user may see, with their members."""

    queryset = (
        Team.objects.select_related("unit")
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related("prosecutor").order_by(
                    Membership.Role.rank(), "prosecutor__staff_code"
                ),
            )
        )
        .order_by("team_code")
    )
    serializer_class = serializers.TeamSerializer
    filterset_class = TeamFilterSet
    lookup_field = "team_code"

    def scope_queryset(self, queryset):
        return queryset.readable_by(self.request.user)
