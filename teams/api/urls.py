"""The organisation's API routes: `register(router)` adds them to the project's /api/v1/ router."""

from teams.api import tokens, views


def register(router) -> None:
    """Register the organisation and token viewsets."""
    router.register("units", views.UnitViewSet, basename="unit")
    router.register("departments", views.DepartmentViewSet, basename="department")
    router.register("prosecutors", views.ProsecutorViewSet, basename="prosecutor")
    router.register("teams", views.TeamViewSet, basename="team")
    router.register("tokens", tokens.ApiTokenViewSet, basename="apitoken")
