"""Admin of the team's year: the overall tasks and the 评议 scale (an office renames or adds), plans with
their goals, achievements, 述职 and 评议 (with their history)."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from teams.models import Achievement, AnnualPlan, OverallTask, PlanGoal, RatingLevel, YearEndRating, YearEndReport


@admin.register(OverallTask)
class OverallTaskAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "measure", "order", "active"]
    list_editable = ["order", "active"]
    search_fields = ["code", "name"]


@admin.register(RatingLevel)
class RatingLevelAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "order", "active"]
    list_editable = ["order", "active"]


class PlanGoalInline(admin.TabularInline):
    model = PlanGoal
    extra = 0


@admin.register(PlanGoal)
class PlanGoalAdmin(SimpleHistoryAdmin):
    list_display = ["plan", "task", "target"]
    list_filter = ["task", "plan__year"]
    list_select_related = ["plan__team", "task"]


@admin.register(AnnualPlan)
class AnnualPlanAdmin(SimpleHistoryAdmin):
    list_display = ["team", "year", "updated_by", "updated_at"]
    list_filter = ["year", "team__unit"]
    search_fields = ["team__name", "team__team_code"]
    autocomplete_fields = ["team"]
    readonly_fields = ["created_by", "created_at", "updated_by", "updated_at"]
    inlines = [PlanGoalInline]
    list_select_related = ["team", "updated_by"]


@admin.register(Achievement)
class AchievementAdmin(SimpleHistoryAdmin):
    list_display = ["title", "task", "date", "plan", "recorded_by"]
    list_filter = ["task", "plan__year"]
    search_fields = ["title", "plan__team__name"]
    autocomplete_fields = ["members"]
    readonly_fields = ["recorded_by", "recorded_at"]
    list_select_related = ["task", "plan__team", "recorded_by"]


@admin.register(YearEndReport)
class YearEndReportAdmin(SimpleHistoryAdmin):
    list_display = ["team", "year", "status", "submitted_by", "submitted_at"]
    list_filter = ["year", "status", "team__unit"]
    search_fields = ["team__name", "team__team_code"]
    readonly_fields = ["drafted_by", "drafted_at", "updated_at", "submitted_by", "submitted_at", "figures"]
    list_select_related = ["team", "submitted_by"]


@admin.register(YearEndRating)
class YearEndRatingAdmin(SimpleHistoryAdmin):
    list_display = ["report", "level", "outcome", "rated_by", "rated_at"]
    list_filter = ["level", "outcome", "report__year"]
    readonly_fields = ["rated_by", "rated_at"]
    list_select_related = ["report__team", "level", "rated_by"]
