"""Requests carrying NUL characters are refused with 400 before any view runs.

PostgreSQL text cannot hold U+0000, so a code like `a%00b` in a URL or a query parameter would make
the database raise and the server answer 500. Django's form fields already refuse NUL in form and
JSON bodies; this covers the path and the query string, which reach look-ups directly.
"""

from __future__ import annotations

from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _

NUL = "\x00"


class RejectNulCharactersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        field = self._offending_field(request)
        if field is None:
            return self.get_response(request)
        message = _("不得包含空字符（NUL）")
        if request.path.startswith("/api/"):
            return JsonResponse({field: [message]}, status=400)
        return HttpResponseBadRequest(f"{field}: {message}", content_type="text/plain; charset=utf-8")

    @staticmethod
    def _offending_field(request) -> str | None:
        if NUL in request.path:
            return "path"
        for key, values in request.GET.lists():
            if NUL in key or any(NUL in value for value in values):
                return key.replace(NUL, "\\0")
        return None
