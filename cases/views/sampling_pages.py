"""The review lead's monthly sampling page (draw, then assign each case) and each reviewer's own tasks.

Names: `cases:review_sampling` (GET shows the month, POST draws it), `cases:review_sampling_assign`
(POST: reviewers for the sample's cases), `cases:my_reviews`. The sampling pages answer 404 to anyone
who leads no unit, and for a unit or sample outside the lead's units (`review_access.lead_units`);
refusals of a step come back as form errors or messages, never a 500.
"""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Case as CaseWhen
from django.db.models import Count, IntegerField, Prefetch, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from cases import review_assignment as assignment
from cases import review_workflow as wf
from cases.models import QualityReview, ReviewSample, ReviewTransition
from cases.review_access import lead_units
from cases.sampling import KEY, SamplingError, parse_month

S = QualityReview.Status
REASONS = {KEY: _lazy("重点案件"), "random": _lazy("随机抽取")}


class DrawForm(forms.Form):
    """The parameters of a month's draw; the same seed draws the same cases."""

    percentage = forms.DecimalField(
        label=_lazy("抽查比例（%）"), min_value=0, max_value=100, decimal_places=2, initial=5
    )
    seed = forms.CharField(
        label=_lazy("随机种子"), max_length=100, help_text=_lazy("任意文字或数字；相同的种子抽出相同的案件")
    )


def _previous_month(today: datetime.date) -> datetime.date:
    return (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


def _month_and_unit(request, data):
    """The month and unit asked for (default: last month, the lead's first unit); 404 for no lead."""
    units = lead_units(request.user).order_by("code")
    if not units.exists():
        raise Http404
    try:
        month = parse_month(data.get("month") or _previous_month(timezone.localdate()))
    except SamplingError:
        month = _previous_month(timezone.localdate())
    code = data.get("unit")
    unit = get_object_or_404(units, code=code) if code else units.first()
    return month, unit, units


def _page_url(month: datetime.date, unit) -> str:
    return reverse("cases:review_sampling") + "?" + urlencode({"month": f"{month:%Y-%m}", "unit": unit.code})


@login_required
def review_sampling(request):
    """A month's sample of a unit: the draw form until it is drawn, then its cases and their reviewers."""
    data = request.POST if request.method == "POST" else request.GET
    month, unit, units = _month_and_unit(request, data)
    sample = assignment.stored_sample(request.user, month, unit)
    form = DrawForm(request.POST or None, initial={"seed": f"{unit.code}-{month:%Y-%m}"})
    if request.method == "POST" and sample is None and form.is_valid():
        try:
            assignment.draw_sample(
                request.user, unit, month, form.cleaned_data["percentage"], form.cleaned_data["seed"]
            )
        except SamplingError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        except wf.ReviewWorkflowError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("已抽取本月评查案件"))
            return redirect(_page_url(month, unit))
    rows, types = [], dict(QualityReview.Type.choices)
    if sample is not None:
        entries = list(
            sample.entries.select_related("case__prosecutor", "case__unit", "proposed_reviewer", "review__reviewer")
        )
        choices = assignment.reviewer_choices_for(entries)
        for entry in entries:
            review = entry.review if entry.review and entry.review.status != S.WITHDRAWN else None
            rows.append(
                {
                    "entry": entry,
                    "reason": REASONS.get(entry.reason, entry.reason),
                    "review": review,
                    "choices": [] if review else [(u, types[t]) for u, t in choices[entry.pk]],
                }
            )
    context = {
        "month": month,
        "month_value": f"{month:%Y-%m}",
        "unit": unit,
        "units": units,
        "sample": sample,
        "rows": rows,
        "form": form,
        "open": sum(1 for r in rows if r["review"] is None),
    }
    return render(request, "cases/reviews/sampling.html", context)


@login_required
@require_POST
def review_sampling_assign(request, pk: int):
    """Assign the chosen reviewers (`reviewer-<entry id>` = user id) to the sample's unassigned cases."""
    sample = get_object_or_404(ReviewSample.objects.filter(unit__in=lead_units(request.user)), pk=pk)
    made = 0
    for entry in sample.entries.select_related("case"):
        value = request.POST.get(f"reviewer-{entry.pk}", "")
        if not value:
            continue
        try:
            assignment.assign(entry, int(value), request.user)
        except ValueError:
            messages.error(request, _("%(case)s：所选人员不能评查该案件") % {"case": entry.case.case_no})
        except wf.ReviewWorkflowError as error:
            messages.error(request, f"{entry.case.case_no}：{error.message}")
        else:
            made += 1
    if made:
        messages.success(request, _("已分配 %(n)d 件评查任务") % {"n": made})
    else:
        messages.info(request, _("没有新的分配"))
    return redirect(_page_url(sample.month, sample.unit))


@login_required
def my_reviews(request):
    """The reviews assigned to the user (or opened by them), drafts first, each with its next step."""
    created = ReviewTransition.objects.filter(action=ReviewTransition.Action.CREATE).select_related("actor")
    reviews = (
        QualityReview.objects.visible_to(request.user)
        .filter(reviewer=request.user)
        .exclude(status=S.WITHDRAWN)
        .select_related("case__unit", "case__prosecutor", "grade_scale")
        .prefetch_related(Prefetch("transitions", queryset=created, to_attr="creation"))
        .annotate(
            n_findings=Count("findings"),
            open_first=CaseWhen(When(status=S.DRAFT, then=Value(0)), default=Value(1), output_field=IntegerField()),
        )
        .order_by("open_first", "-created_at", "-id")
    )
    rows = []
    for review in reviews[:500]:
        creator = review.creation[0].actor if review.creation else None
        untouched = review.status == S.DRAFT and not (review.method or review.summary or review.n_findings)
        rows.append(
            {
                "review": review,
                "assigned_by": creator if creator and creator.pk != request.user.pk else None,
                "state": _("未开始") if untouched else review.get_status_display(),
                "start": untouched,
                "editable": review.status == S.DRAFT,
            }
        )
    return render(request, "cases/reviews/mine.html", {"rows": rows})
