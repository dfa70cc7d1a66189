"""Admin of the organisation: units, departments, prosecutors, teams with their members, posts and API tokens.

A team's deletion detaches its cases (their team becomes none), which changes the ratio's attribution,
so it runs inside `rollup.maintained` like every other write that moves cases between groups.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cases import rollup
from cases.models import Case, TeamSpecialisation
from teams.models import (
    ApiToken,
    Department,
    Membership,
    NotificationPreference,
    Prosecutor,
    StaffRole,
    Team,
    Unit,
)


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "parent"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]
    list_select_related = ["parent"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "unit"]
    list_filter = ["unit"]
    search_fields = ["code", "name", "unit__name"]
    autocomplete_fields = ["unit"]
    list_select_related = ["unit"]


class MembershipInline(admin.TabularInline):
    model = Membership
    fields = ["prosecutor", "role", "date_from", "date_to"]
    autocomplete_fields = ["prosecutor"]
    extra = 0


@admin.register(Prosecutor)
class ProsecutorAdmin(admin.ModelAdmin):
    list_display = ["staff_code", "name", "role", "unit", "department", "user"]
    list_filter = ["role", "unit"]
    search_fields = ["staff_code", "name"]
    autocomplete_fields = ["unit", "department", "user"]
    list_select_related = ["unit", "department", "user"]


class TeamSpecialisationInline(admin.TabularInline):
    """The charges or chapters the team specialises in (informational, shown on its dashboard)."""

    model = TeamSpecialisation
    fields = ["chapter", "charge"]
    autocomplete_fields = ["charge"]
    extra = 1


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["team_code", "name", "unit"]
    list_filter = ["unit"]
    search_fields = ["team_code", "name"]
    autocomplete_fields = ["unit"]
    list_select_related = ["unit"]
    inlines = [MembershipInline, TeamSpecialisationInline]

    def delete_model(self, request, obj):
        with rollup.maintained(Case.objects.filter(team=obj).values_list("pk", flat=True)):
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with rollup.maintained(Case.objects.filter(team__in=queryset).values_list("pk", flat=True)):
            super().delete_queryset(request, queryset)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["team", "prosecutor", "role", "date_from", "date_to"]
    list_filter = ["role", "team__unit"]
    search_fields = ["team__team_code", "team__name", "prosecutor__staff_code", "prosecutor__name"]
    autocomplete_fields = ["team", "prosecutor"]
    list_select_related = ["team", "prosecutor"]


@admin.register(StaffRole)
class StaffRoleAdmin(admin.ModelAdmin):
    list_display = ["user", "unit", "kind"]
    list_filter = ["kind", "unit"]
    search_fields = ["user__username", "unit__name"]
    autocomplete_fields = ["user", "unit"]
    list_select_related = ["user", "unit"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued through the API (the key is shown once, only its hash is kept); here they are revoked."""

    list_display = ["user", "name", "prefix", "can_write", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["can_write"]
    search_fields = ["user__username", "name", "prefix"]
    fields = ["user", "name", "prefix", "can_write", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["user", "prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("吊销所选令牌"), permissions=["change"])
    def revoke(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, gettext("已吊销 %d 个令牌。") % count)


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "daily_digest", "last_digest_on")
    list_filter = ("daily_digest",)
    search_fields = ("user__username",)


from teams import year_admin  # noqa: E402, F401  (registers the team's year: plans, 述职, 评议)
