"""Error pages: under /api/ a 404 is JSON like every other API answer (the schema documents it), so a
path the router does not match (e.g. a non-numeric id) is not an HTML page in the middle of the API."""

from __future__ import annotations

from django.http import JsonResponse
from django.views import defaults
from rest_framework.exceptions import NotFound


def not_found(request, exception=None):
    """`handler404`: JSON `{"detail": …}` under /api/, the site's page elsewhere."""
    if request.path.startswith("/api/"):
        # DRF's own words for a 404, so the router's misses read like the views' (translated likewise).
        body = {"detail": str(NotFound.default_detail)}
        return JsonResponse(body, status=404, json_dumps_params={"ensure_ascii": False})
    return defaults.page_not_found(request, exception)
