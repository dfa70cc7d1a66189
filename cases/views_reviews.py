"""The review report pages: the printable 评查意见书 and its DOCX download.

Route them with `urlpatterns` below (names `review_report`, `review_report_docx`; inside the cases
app's URLconf they are `cases:review_report` and `cases:review_report_docx`). Both answer 404 for a
review the user may not see (`cases.review_access.visible_reviews`).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.http import content_disposition_header

from cases.review_access import visible_reviews
from cases.review_report import render_review_docx, report_context

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _visible(request, pk: int):
    return get_object_or_404(visible_reviews(request.user).select_related("case"), pk=pk)


@login_required
def review_report(request, pk: int):
    """The printable review report (HTML with print styles)."""
    review = _visible(request, pk)
    context = report_context(review)
    for name in ("cases:review_report_docx", "review_report_docx"):
        try:
            context["docx_url"] = reverse(name, args=[review.pk])
            break
        except NoReverseMatch:
            continue
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
    path("reviews/<int:pk>/report/", review_report, name="review_report"),
    path("reviews/<int:pk>/report.docx", review_report_docx, name="review_report_docx"),
]
