"""Admin of the stored monthly samples (the sampling page's draws): shown; a draw may be deleted to redraw.

Deleting a draw removes only the stored list of cases: the reviews already assigned from it stay, and
their cases are not drawn again (`sample_cases` skips reviewed cases).
"""

from django.contrib import admin

from cases.admin import ReadOnlyMixin
from cases.models import ReviewSample, ReviewSampleCase


class ReviewSampleCaseInline(ReadOnlyMixin, admin.TabularInline):
    model = ReviewSampleCase
    fields = ["case", "reason", "proposed_reviewer", "review"]
    readonly_fields = fields
    extra = 0


@admin.register(ReviewSample)
class ReviewSampleAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["month", "unit", "percentage", "seed", "drawn_by", "drawn_at"]
    list_filter = ["month"]
    list_select_related = ["unit", "drawn_by"]
    inlines = [ReviewSampleCaseInline]

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(ReviewSampleCase)
class ReviewSampleCaseAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["sample", "case", "reason", "proposed_reviewer", "review"]
    list_filter = ["reason"]
    list_select_related = ["sample__unit", "case", "proposed_reviewer", "review"]

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser  # deleting a draw deletes its cases
