"""Admin of the cases app: catalogue, cases, events (through `cases.services`), reviews, roll-up (read-only).

Events and cases are written only through `cases.services`, as everywhere else: the admin forms make
their write while they validate (inside the admin view's transaction), so a refused write is a form
error naming the DOMAIN.md §5 rule and nothing is saved. Reviews change only through their workflow
(`cases.review_workflow`), so they are read-only here; the roll-up is derived data, read-only too.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from cases import rollup, services
from cases.models import (
    AssessmentScheme,
    Case,
    Charge,
    EventType,
    Finding,
    GradeScale,
    IndicatorFact,
    OutcomeChoice,
    ProceduralEvent,
    QualityReview,
    RatioFact,
    ReviewFact,
    ReviewItem,
    ReviewTransition,
    RuleSet,
    TeamSpecialisation,
    TeamTarget,
)

RECOUNT_FIELDS = frozenset({"kind", "weight"})
RECOUNT_HELP = _(
    "修改“类别”或“计件权重”并保存后，系统会在保存生效时重新计算含该环节的所有案件的受理日期与件数，"
    "并重建案-件比汇总表，使统计保持正确；数据量大时保存需要较长时间。"
)
_CHUNK = 5_000


# --- the catalogue ---------------------------------------------------------------------------


def recount_cases_with(event_type_ids: Iterable[int]) -> int:
    """Re-derive the received date and items of every case holding these event types, then rebuild the roll-up.

    Only cases that hold one of the types can change, so those are the ones derived again; the
    roll-up is rebuilt whole because the weights of past months change with them. Returns the count.
    """
    ids = list(
        ProceduralEvent.objects.filter(event_type_id__in=list(event_type_ids))
        .order_by()
        .values_list("case_id", flat=True)
        .distinct()
    )
    with transaction.atomic():
        for start in range(0, len(ids), _CHUNK):
            services.derive_case_fields(ids[start : start + _CHUNK])
        rollup.rebuild()
    return len(ids)


def schedule_recount(event_type_ids: Iterable[int]) -> None:
    """Recount after the catalogue change is committed (a rolled-back edit recounts nothing)."""
    ids = sorted(set(event_type_ids))
    if ids:
        transaction.on_commit(lambda: recount_cases_with(ids))


class EventTypeForm(forms.ModelForm):
    class Meta:
        model = EventType
        fields = ["rule_set", "code", "label_zh", "label_en", "kind", "weight", "position"]
        help_texts = {"kind": RECOUNT_HELP, "weight": RECOUNT_HELP}


class EventTypeInline(admin.TabularInline):
    model = EventType
    form = EventTypeForm
    fields = ["position", "code", "label_zh", "label_en", "kind", "weight"]
    extra = 0


@admin.register(Charge)
class ChargeAdmin(SimpleHistoryAdmin):
    """The charge catalogue (罪名): seeded with the common charges, extended by the office here."""

    list_display = ["code", "name", "chapter", "position"]
    list_filter = ["chapter"]
    search_fields = ["code", "name"]
    ordering = ["chapter", "position", "code"]


@admin.register(TeamSpecialisation)
class TeamSpecialisationAdmin(admin.ModelAdmin):
    """Every team's charges or chapters (also edited on the team's own page)."""

    list_display = ["team", "chapter", "charge"]
    list_filter = ["chapter"]
    autocomplete_fields = ["team", "charge"]
    list_select_related = ["team", "charge"]


@admin.register(RuleSet)
class RuleSetAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "effective_from", "effective_to"]
    search_fields = ["code", "name"]
    inlines = [EventTypeInline]

    def save_formset(self, request, form, formset, change):
        touched = [f.instance.pk for f in formset.forms if f.instance.pk and RECOUNT_FIELDS & set(f.changed_data)]
        super().save_formset(request, form, formset, change)
        if formset.model is EventType and touched:
            schedule_recount(touched)
            self.message_user(request, gettext("诉讼环节的类别或权重已修改：相关案件的件数与汇总表已重新计算。"))


class OutcomeChoiceInline(admin.TabularInline):
    """The outcomes an event type records (DOMAIN §3); the indicators read the seeded codes."""

    model = OutcomeChoice
    fields = ["code", "label_zh", "label_en", "position"]
    extra = 0


@admin.register(EventType)
class EventTypeAdmin(SimpleHistoryAdmin):
    form = EventTypeForm
    list_display = ["code", "label_zh", "label_en", "kind", "weight", "position", "rule_set"]
    list_filter = ["rule_set", "kind"]
    search_fields = ["code", "label_zh", "label_en"]
    inlines = [OutcomeChoiceInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and RECOUNT_FIELDS & set(form.changed_data):
            schedule_recount([obj.pk])
            self.message_user(request, gettext("诉讼环节的类别或权重已修改：相关案件的件数与汇总表已重新计算。"))


@admin.register(OutcomeChoice)
class OutcomeChoiceAdmin(SimpleHistoryAdmin):
    """Outcome choices on their own (also edited inline on their event type)."""

    list_display = ["event_type", "code", "label_zh", "label_en", "position"]
    list_filter = ["event_type__rule_set", "event_type__code"]
    search_fields = ["code", "label_zh", "label_en"]


# --- cases and events: written through cases.services ----------------------------------------


class ServiceWriteForm(forms.ModelForm):
    """A model form that saves through `cases.services` while it validates, so a refusal is a form error.

    The admin view runs validation and saving in one transaction; the service writes in its own
    savepoint, so a refused write leaves nothing behind. `rule_error_field` is where rule errors show.
    """

    rule_error_field: str | None = None
    written = False

    def write(self):  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        try:
            self.instance = self.write()
        except services.SequenceRuleError as error:
            for violation in error.violations:
                self.add_error(self.rule_field(violation), str(violation))
        except ValidationError as error:
            self._add_service_error(error)
        else:
            self.written = True

    def rule_field(self, violation) -> str:
        """The form field a broken sequence rule is shown against."""
        return self.rule_error_field

    def _add_service_error(self, error: ValidationError) -> None:
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        aliases = {"event": "code"}
        for name, errors in error.error_dict.items():
            field = aliases.get(name, name)
            self.add_error(field if field in self.fields else None, errors)


class CaseAdminForm(ServiceWriteForm):
    rule_error_field = "closed_on"

    def rule_field(self, violation) -> str:
        return "line" if violation.rule == "case_line" else self.rule_error_field

    class Meta:
        model = Case
        # The editable fields of the one write path, plus identity and the many-to-many other charges.
        fields = ["case_no", *services.CASE_EDITABLE_FIELDS, "other_charges"]

    def write(self) -> Case:
        # Only what this form changed, so a concurrent writer's other fields are not overwritten.
        # Other charges (many-to-many) are the admin's save_related, afterwards.
        return services.save_case(self.instance, self.changed_data if self.instance.pk else None)


def event_code_choices() -> list[tuple[str, str]]:
    """Every event code of the catalogue with its Chinese label, in catalogue order."""
    seen: dict[str, str] = {}
    for code, label in EventType.objects.order_by("-rule_set__effective_from", "position").values_list(
        "code", "label_zh"
    ):
        seen.setdefault(code, f"{label}（{code}）")
    return list(seen.items())


class ProceduralEventAdminForm(ServiceWriteForm):
    code = forms.ChoiceField(label=_("诉讼环节"), choices=event_code_choices)

    class Meta:
        model = ProceduralEvent
        fields = ["case", "code", "date", "persons", "prosecutor", "note", "outcomes"]
        help_texts = {
            "date": _("保存时按统计规则（DOMAIN §5 顺序规则）检查，违反规则的记录不会保存。"),
            "outcomes": _('结果编码 → 人数，如 {"approved": 2, "not_approved": 1}；人数之和须等于涉及人数'),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["code"] = self.instance.event_type.code
            # An event belongs to its case: moving it is a delete and a new entry, each checked.
            self.fields["case"].disabled = True

    def write(self) -> ProceduralEvent:
        data = self.cleaned_data
        if self.instance.pk:
            return services.update_event(
                self.instance,
                code=data["code"],
                date=data["date"],
                persons=data["persons"],
                prosecutor=data["prosecutor"],
                note=data["note"],
                outcomes=data["outcomes"],
            )
        return services.log_event(
            data["case"],
            data["code"],
            data["date"],
            persons=data["persons"],
            prosecutor=data["prosecutor"],
            note=data["note"],
            outcomes=data["outcomes"],
        )


class ServiceWrittenAdmin(SimpleHistoryAdmin):
    """Saving is done by the form through the services; the admin only logs it."""

    def save_model(self, request, obj, form, change):
        if not getattr(form, "written", False):
            raise RuntimeError("cases and events are saved through cases.services by their admin form")


class ProceduralEventInline(admin.TabularInline):
    """A case's events, read-only here: each is added or corrected on its own page (rules checked there)."""

    model = ProceduralEvent
    fields = ["date", "event_type", "persons", "prosecutor", "note"]
    readonly_fields = fields
    ordering = ["date", "id"]
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(ServiceWrittenAdmin):
    form = CaseAdminForm
    list_display = ["case_no", "title", "unit", "prosecutor", "team", "received_on", "closed_on", "items"]
    list_filter = ["line", "category", "unit", "team"]
    search_fields = ["case_no", "title"]
    autocomplete_fields = ["unit", "department", "prosecutor", "team", "main_charge", "other_charges"]
    readonly_fields = ["received_on", "items", "add_event"]
    list_select_related = ["unit", "prosecutor", "team"]
    show_full_result_count = False  # a million cases: no COUNT(*) on every page
    inlines = [ProceduralEventInline]

    @admin.display(description=_("诉讼环节"))
    def add_event(self, obj: Case) -> str:
        if not obj.pk:
            return gettext("保存案件后即可登记诉讼环节。")
        url = reverse("admin:cases_proceduralevent_add") + f"?case={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, gettext("登记诉讼环节"))

    def delete_model(self, request, obj):
        with rollup.maintained([obj.pk]):
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with rollup.maintained(list(queryset.values_list("pk", flat=True))):
            super().delete_queryset(request, queryset)


@admin.register(ProceduralEvent)
class ProceduralEventAdmin(ServiceWrittenAdmin):
    form = ProceduralEventAdminForm
    list_display = ["case", "event_type", "date", "persons", "prosecutor"]
    list_filter = ["event_type__kind", "event_type"]
    search_fields = ["case__case_no"]
    autocomplete_fields = ["case", "prosecutor"]
    list_select_related = ["case", "event_type", "prosecutor"]
    show_full_result_count = False
    actions = ["delete_checked"]

    def get_actions(self, request):
        actions = super().get_actions(request)
        # Bulk delete would skip the rules; `delete_checked` deletes through the services instead.
        actions.pop("delete_selected", None)
        return actions

    def delete_model(self, request, obj):
        services.delete_event(obj)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except services.SequenceRuleError as error:
            for violation in error.violations:
                self.message_user(request, gettext("未删除：%s") % violation, messages.ERROR)
            return redirect(reverse("admin:cases_proceduralevent_change", args=[object_id]))

    @admin.action(description=_("删除所选诉讼环节（按顺序规则逐条检查）"), permissions=["delete"])
    def delete_checked(self, request, queryset):
        events = list(queryset.select_related("case").order_by("case_id", "-date", "-id"))
        try:
            with transaction.atomic():
                # Latest first, so that a step is gone before the step it depends on.
                for event in events:
                    services.delete_event(event)
        except services.SequenceRuleError as error:
            for violation in error.violations:
                self.message_user(request, gettext("未删除任何记录：%s") % violation, messages.ERROR)
            return
        self.message_user(request, gettext("已删除 %d 条诉讼环节记录。") % len(events))


# --- quality reviews and assessment -----------------------------------------------------------


class ReadOnlyMixin:
    """Shown, never edited here: the data has its own write path (workflow or roll-up)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class FindingInline(ReadOnlyMixin, admin.TabularInline):
    model = Finding
    fields = ["item", "count", "points", "nature", "dimension", "note"]
    readonly_fields = fields
    extra = 0


class ReviewTransitionInline(ReadOnlyMixin, admin.TabularInline):
    model = ReviewTransition
    fields = ["at", "action", "from_status", "to_status", "actor", "reason"]
    readonly_fields = fields
    extra = 0


@admin.register(QualityReview)
class QualityReviewAdmin(ReadOnlyMixin, SimpleHistoryAdmin):
    """Reviews change only through their workflow (submit, accept, object, resolve); here they are shown."""

    list_display = ["case", "review_type", "reviewer", "reviewed_on", "status", "score", "final_grade", "final_on"]
    list_filter = ["status", "review_type", "final_grade"]
    search_fields = ["case__case_no"]
    list_select_related = ["case", "reviewer"]
    inlines = [FindingInline, ReviewTransitionInline]


@admin.register(Finding)
class FindingAdmin(ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = ["review", "item", "count", "points", "nature", "dimension"]
    list_filter = ["nature", "dimension"]


@admin.register(ReviewTransition)
class ReviewTransitionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["review", "action", "from_status", "to_status", "actor", "at"]
    list_filter = ["action"]


@admin.register(ReviewItem)
class ReviewItemAdmin(SimpleHistoryAdmin):
    list_display = ["code", "dimension", "nature", "points", "text", "effective_from", "effective_to"]
    list_filter = ["dimension", "nature"]
    search_fields = ["code", "text"]


@admin.register(GradeScale)
class GradeScaleAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "effective_from", "effective_to"]


@admin.register(AssessmentScheme)
class AssessmentSchemeAdmin(SimpleHistoryAdmin):
    """Schemes by effective date (any day, typically a quarter's first): each is in force until the next one
    starts; the rules are checked by `validate_scheme_rules`, a second scheme on the same day is refused."""

    list_display = ["effective_from", "name", "in_force_until"]
    date_hierarchy = "effective_from"
    search_fields = ["name"]
    fields = ["effective_from", "name", "rules"]

    def get_queryset(self, request):
        later = AssessmentScheme.objects.filter(effective_from__gt=OuterRef("effective_from"))
        next_start = Subquery(later.order_by("effective_from").values("effective_from")[:1])
        return super().get_queryset(request).annotate(next_start=next_start)

    @admin.display(description=_("施行至"))
    def in_force_until(self, obj):
        """The day before the next scheme starts (the list reads it in the same query)."""
        start = getattr(obj, "next_start", None)
        return gettext("（现行）") if start is None else start - datetime.timedelta(days=1)


@admin.register(TeamTarget)
class TeamTargetAdmin(SimpleHistoryAdmin):
    list_display = ["team", "year", "target_ratio"]
    list_filter = ["year"]
    autocomplete_fields = ["team"]


# --- the roll-up ----------------------------------------------------------------------------


@admin.register(RatioFact)
class RatioFactAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """The maintained monthly roll-up (`manage.py` rebuild recomputes it); never edited by hand."""

    show_full_result_count = False

    def get_list_display(self, request):
        return [f.name for f in RatioFact._meta.fields if f.name != "id"]

    def get_list_filter(self, request):
        return [name for name in ("level", "basis", "event_code") if name in {f.name for f in RatioFact._meta.fields}]


class CountTableAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """A maintained count table (`manage.py rebuild_rollups` recomputes it), listed as stored; never edited."""

    show_full_result_count = False

    def get_list_display(self, request):
        return [f.name for f in self.model._meta.fields if f.name != "id"]


@admin.register(ReviewFact)
class ReviewFactAdmin(CountTableAdmin):
    """The count table of final reviews."""

    list_filter = ["level", "dimension"]


@admin.register(IndicatorFact)
class IndicatorFactAdmin(CountTableAdmin):
    """The count table of the §9 indicators."""

    list_filter = ["level", "basis"]


# The sampling page's stored draws (kept apart: this module is long enough).
from cases import admin_sampling  # noqa: E402, F401
