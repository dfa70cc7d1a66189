"""Review pages: the list with the user's to-do, the review form, the review with its workflow steps,
and the printable 评查意见书 with its DOCX download.

Route them with `urlpatterns` below inside the cases URLconf (`app_name = "cases"`): names
`cases:reviews`, `cases:review_create`, `cases:review_detail`, `cases:review_edit`,
`cases:review_action`, `cases:review_report`, `cases:review_report_docx`. Every page answers 404 for
a review the user may not see (`QualityReview.objects.visible_to`); every step is a call into
`cases.review_workflow`, whose refusals come back as form errors or a message, never a 500.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from caseqa.wording import clauses, labelled
from cases import review_workflow as wf
from cases.forms_reviews import FindingFormSet, OverrideForm, ReasonForm, ResolveForm, ReviewForm, findings_of
from cases.models import Case, QualityReview
from cases.review_access import lead_units
from cases.review_report import render_review_docx, report_context
from teams import access

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
S = QualityReview.Status


def _visible(request, pk: int) -> QualityReview:
    queryset = QualityReview.objects.visible_to(request.user).select_related(
        "case__prosecutor", "case__unit", "reviewer", "grade_scale"
    )
    return get_object_or_404(queryset, pk=pk)


@login_required
def review_list(request):
    """Reviews the user may see, with what waits for them on top."""
    user = request.user
    visible = QualityReview.objects.visible_to(user).select_related("case__prosecutor", "reviewer", "grade_scale")
    grant = access.access_for(user)
    todo_q = Q(status=S.DRAFT, reviewer=user)
    if grant.prosecutor_id:
        todo_q |= Q(status=S.SUBMITTED, case__prosecutor_id=grant.prosecutor_id)
    if grant.everything or "review_lead" in grant.roles:
        todo_q |= Q(status=S.OBJECTED) & ~Q(reviewer=user)
    todo = list(visible.filter(todo_q).order_by("submitted_at", "id")[:100])
    status = request.GET.get("status", "")
    listed = visible.order_by("-reviewed_on", "-id")
    if status in S.values:
        listed = listed.filter(status=status)
    page = Paginator(listed, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "cases/reviews/list.html",
        {
            "todo": todo,
            "page": page,
            "status": status,
            "statuses": S.choices,
            "may_review": wf.may_review(user),
            "may_sample": lead_units(user).exists(),
        },
    )


def _apply_errors(error: wf.ReviewWorkflowError, form, formset) -> None:
    """Put a workflow refusal on the field it names (a finding row, a form field) or on the form."""
    field = error.field or ""
    if field.startswith("findings[") and formset is not None:
        index = int(field[len("findings[") : field.index("]")])
        filled = [f for f in formset.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        target = filled[index] if index < len(filled) else None
        if target is not None:
            target.add_error("item" if field.endswith(".item") else None, error.message)
            return
    if field in form.fields:
        form.add_error(field, error.message)
    else:
        form.add_error(None, error.message)


@login_required
def review_create(request):
    """Open a draft review of a closed case (reviewers and review leads)."""
    if not wf.may_review(request.user):
        raise Http404
    initial = {"case": request.GET.get("case", ""), "reviewed_on": timezone.localdate()}
    form = ReviewForm(request.POST or None, initial=initial)
    formset = FindingFormSet(request.POST or None, prefix="findings")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = form.cleaned_data
        # Out of reach and unknown answer alike (no existence oracle); the workflow checks again.
        case = Case.objects.reviewable_by(request.user).filter(case_no=data["case"]).first()
        if case is None:
            form.add_error("case", wf.unknown_case(data["case"]).message)
        else:
            try:
                review = wf.create_review(
                    case,
                    request.user,
                    review_type=data["review_type"],
                    reviewed_on=data["reviewed_on"],
                    findings=findings_of(formset),
                    proposes_merit=data["proposes_merit"],
                    wrongful=data["wrongful"],
                    method=data["method"],
                    summary=data["summary"],
                )
            except wf.ReviewWorkflowError as error:
                _apply_errors(error, form, formset)
            else:
                messages.success(request, _("评查草稿已保存"))
                return redirect("cases:review_detail", pk=review.pk)
    return render(request, "cases/reviews/form.html", {"form": form, "formset": formset, "review": None})


@login_required
def review_edit(request, pk: int):
    """Edit a draft: its fields and the whole list of findings (its reviewer only)."""
    review = _visible(request, pk)
    if review.status != S.DRAFT or review.reviewer_id != request.user.pk:
        messages.error(request, _("只有本评查的评查员可以修改草稿"))
        return redirect("cases:review_detail", pk=review.pk)
    fields = {name: getattr(review, name) for name in wf.DRAFT_FIELDS}
    current = [{"item": f.item, "count": f.count, "note": f.note} for f in review.findings.select_related("item")]
    form = ReviewForm(request.POST or None, initial=fields, editing=True)
    formset = FindingFormSet(request.POST or None, prefix="findings", initial=current)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            wf.update_draft(review, request.user, findings=findings_of(formset), **form.cleaned_data)
        except wf.ReviewWorkflowError as error:
            _apply_errors(error, form, formset)
        else:
            messages.success(request, _("评查草稿已保存"))
            return redirect("cases:review_detail", pk=review.pk)
    return render(request, "cases/reviews/form.html", {"form": form, "formset": formset, "review": review})


@login_required
def review_detail(request, pk: int):
    """A review: its findings, grades, objection, transitions, and the steps this user may take."""
    review = _visible(request, pk)
    actions = wf.allowed_actions(review, request.user)
    context = report_context(review)
    context.update(
        {
            "actions": actions,
            "reason_form": ReasonForm(),
            "resolve_form": ResolveForm(),
            "override_form": OverrideForm(initial={"grade": review.final_grade}),
        }
    )
    return render(request, "cases/reviews/detail.html", context)


STEP_FORMS = {"object": ReasonForm, "resolve": ResolveForm, "override": OverrideForm}
# Steps whose reason is optional (a withdrawn draft may say why).
OPTIONAL_REASON_STEPS = ("withdraw",)


@login_required
@require_POST
def review_action(request, pk: int, step: str):
    """Take one workflow step (submit, accept, object, resolve, override, withdraw); a refusal comes back
    as a message."""
    review = _visible(request, pk)
    form = STEP_FORMS[step](request.POST) if step in STEP_FORMS else None
    if step not in ("submit", "accept", *OPTIONAL_REASON_STEPS, *STEP_FORMS):
        raise Http404
    if form is not None and not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, labelled(label, clauses(errors)) if label else clauses(errors))
        return redirect("cases:review_detail", pk=review.pk)
    data = form.cleaned_data if form is not None else {}
    try:
        if step == "submit":
            wf.submit(review, request.user)
        elif step == "accept":
            wf.accept(review, request.user)
        elif step == "withdraw":
            wf.withdraw(review, request.user, request.POST.get("reason", "")[:5000])
        elif step == "object":
            wf.object_to(review, request.user, data["reason"])
        elif step == "resolve":
            wf.resolve(review, request.user, data["resolution"], data["reason"], grade=data["grade"] or None)
        else:
            wf.override_grade(review, request.user, data["grade"], data["reason"])
    except wf.ReviewWorkflowError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("操作已完成"))
    return redirect("cases:review_detail", pk=review.pk)


@login_required
def review_report(request, pk: int):
    """The printable review report (HTML with print styles)."""
    review = _visible(request, pk)
    context = report_context(review)
    context["docx_url"] = reverse("cases:review_report_docx", args=[review.pk])
    return render(request, "cases/reviews/report.html", context)


@login_required
def review_report_docx(request, pk: int):
    """The same report as a Word document."""
    review = _visible(request, pk)
    response = HttpResponse(render_review_docx(review), content_type=DOCX_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        True, f"评查意见书-{review.case.case_no}-{review.pk}.docx"
    )
    return response


urlpatterns = [
    path("reviews/", review_list, name="reviews"),
    path("reviews/new/", review_create, name="review_create"),
    path("reviews/<int:pk>/", review_detail, name="review_detail"),
    path("reviews/<int:pk>/edit/", review_edit, name="review_edit"),
    path("reviews/<int:pk>/report/", review_report, name="review_report"),
    path("reviews/<int:pk>/report.docx", review_report_docx, name="review_report_docx"),
    # After the fixed paths: "report" and "edit" are pages, not steps.
    path("reviews/<int:pk>/<slug:step>/", review_action, name="review_action"),
]
