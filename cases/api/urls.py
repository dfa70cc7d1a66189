"""The cases app's API routes: `register(router)` adds its viewsets; `urlpatterns` its plain views."""

from django.urls import path

from cases.api import imports, stats, views


def register(router) -> None:
    """Register cases, events and the event catalogue on the project's /api/v1/ router."""
    router.register("cases", views.CaseViewSet, basename="case")
    router.register("events", views.EventViewSet, basename="event")
    router.register("event-types", views.EventTypeViewSet, basename="eventtype")
    router.register("charges", views.ChargeViewSet, basename="charge")


urlpatterns = [
    path("stats/ratio/", stats.RatioStatsView.as_view(), name="stats-ratio"),
    path("stats/indicators/", stats.IndicatorStatsView.as_view(), name="stats-indicators"),
    path("stats/reviews/", stats.ReviewStatsView.as_view(), name="stats-reviews"),
    path("imports/", imports.ImportView.as_view(), name="imports"),
    path("imports/<uuid:job_id>/", imports.ImportStatusView.as_view(), name="import-status"),
]
