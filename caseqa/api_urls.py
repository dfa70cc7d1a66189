"""The REST API: /api/v1/ (one router for every app), the OpenAPI schema and the offline Swagger UI.

Each app contributes through `register(router)` in its `api` package (teams.api.urls, cases.api.urls,
cases.api.reviews), and may add plain views through its `urlpatterns`.
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from cases.api import reviews as reviews_api
from cases.api import urls as cases_api
from teams.api import urls as teams_api


class Router(DefaultRouter):
    """The v1 router; its root lists the resources."""

    include_format_suffixes = False


router = Router()
teams_api.register(router)
cases_api.register(router)
reviews_api.register(router)

v1_patterns = [*cases_api.urlpatterns, *reviews_api.urlpatterns, *router.urls]

urlpatterns = [
    path("v1/", include(v1_patterns)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file: the CSP allows no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
]
