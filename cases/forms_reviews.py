"""Forms of the review pages: the review's own fields, its findings (a formset) and each workflow step."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from caseqa.widgets import DateInput
from cases.models import Grade, QualityReview, ReviewItem


class ReviewForm(forms.Form):
    """A draft review's fields; `case` is only asked when opening a review."""

    case = forms.CharField(label=_("统一受案号"), max_length=100)
    review_type = forms.ChoiceField(label=_("评查类型"), choices=QualityReview.Type.choices)
    reviewed_on = forms.DateField(label=_("评查日期"), widget=DateInput())
    proposes_merit = forms.BooleanField(label=_("拟评为优质案件"), required=False)
    wrongful = forms.BooleanField(label=_("认定为错案"), required=False)
    method = forms.CharField(label=_("评查方式"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    summary = forms.CharField(label=_("评查意见"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["case"]


class FindingForm(forms.Form):
    """One finding: an item of the catalogue, how many times, what exactly."""

    item = forms.ModelChoiceField(
        label=_("评查项"), queryset=ReviewItem.objects.order_by("position", "code"), to_field_name="code"
    )
    count = forms.IntegerField(label=_("次数"), min_value=1, max_value=999, initial=1)
    note = forms.CharField(label=_("具体问题"), required=False, max_length=2000)


class BaseFindingFormSet(forms.BaseFormSet):
    """Findings as table rows: each input is labelled by its column for screen readers (no visible label)."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        for field in form.fields.values():
            field.widget.attrs.setdefault("aria-label", str(field.label or _("删除")))


FindingFormSet = forms.formset_factory(
    FindingForm, formset=BaseFindingFormSet, extra=2, can_delete=True
)  # more rows are added on the page ("添加一行评查发现")


def findings_of(formset) -> list[tuple[str, int, str]]:
    """The filled, undeleted findings of a valid formset as (code, count, note)."""
    rows = []
    for form in formset.forms:
        data = form.cleaned_data
        if not data or data.get("DELETE") or not data.get("item"):
            continue
        rows.append((data["item"].code, data["count"], data.get("note", "")))
    return rows


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 3}))


class ResolveForm(forms.Form):
    resolution = forms.ChoiceField(label=_("处理结果"), choices=QualityReview.Resolution.choices)
    grade = forms.ChoiceField(label=_("变更后的等级"), choices=[("", "—"), *Grade.choices], required=False)
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 3}))


class OverrideForm(forms.Form):
    grade = forms.ChoiceField(label=_("评定等级"), choices=Grade.choices)
    reason = forms.CharField(label=_("调整理由"), widget=forms.Textarea(attrs={"rows": 3}))
