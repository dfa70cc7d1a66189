"""Case list and page, registering cases, logging events, the import upload, the review pages."""

from django.urls import path

from cases import views_reviews
from cases.views import corrections, imports, notices, pages, sampling_pages

app_name = "cases"

urlpatterns = [
    path("cases/", pages.case_list, name="list"),
    path("notices/", notices.notices, name="notices"),
    path("notices/count/", notices.notice_count, name="notice_count"),
    path("cases/new/", pages.case_create, name="create"),
    path("cases/<int:pk>/", pages.case_detail, name="detail"),
    path("cases/<int:pk>/events/new/", pages.event_create, name="event_create"),
    # Corrections (issue 12): case-management staff of the case's unit, each with a reason and a version.
    path("cases/<int:pk>/edit/", corrections.case_edit, name="case_edit"),
    path("cases/<int:pk>/close/", corrections.case_close, name="case_close"),
    path("cases/<int:pk>/reopen/", corrections.case_reopen, name="case_reopen"),
    path("cases/<int:pk>/events/<int:event_pk>/edit/", corrections.event_edit, name="event_edit"),
    path("cases/<int:pk>/events/<int:event_pk>/delete/", corrections.event_delete, name="event_delete"),
    path("imports/upload/", imports.import_upload, name="import"),
    path("imports/jobs/<uuid:pk>/", imports.import_job, name="import_job"),
    path("imports/template.xlsx", imports.import_template, name="import_template"),
    # Before the review routes: "sampling" and "mine" are pages, not review ids or steps.
    path("reviews/sampling/", sampling_pages.review_sampling, name="review_sampling"),
    path("reviews/sampling/<int:pk>/assign/", sampling_pages.review_sampling_assign, name="review_sampling_assign"),
    path("reviews/mine/", sampling_pages.my_reviews, name="my_reviews"),
    *views_reviews.urlpatterns,
]
