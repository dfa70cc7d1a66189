"""The REST API: /api/v1/ (one router for every app), the OpenAPI schema and the offline Swagger UI.

Each app contributes through `register(router)` in its `api` package (teams.api.urls, cases.api.urls);
the reviews endpoints join the same way from `cases.api.reviews.register(router)` when that module
exists, and may add plain views through its `urlpatterns`.
"""

import importlib

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from cases.api import urls as cases_api
from teams.api import urls as teams_api

OPTIONAL_API_MODULES = ("cases.api.reviews",)


class Router(DefaultRouter):
    """The v1 router; its root lists the resources."""

    include_format_suffixes = False


def _optional_modules():
    for name in OPTIONAL_API_MODULES:
        try:
            yield importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise


router = Router()
teams_api.register(router)
cases_api.register(router)
extra_patterns = []
for module in _optional_modules():
    module.register(router)
    extra_patterns += getattr(module, "urlpatterns", [])

v1_patterns = [*cases_api.urlpatterns, *extra_patterns, *router.urls]

urlpatterns = [
    path("v1/", include(v1_patterns)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file: the CSP allows no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
]
