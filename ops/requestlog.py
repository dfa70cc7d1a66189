"""One log line per request: method, path, status, duration and who (user name and id).

No client address, user agent or query string (they could identify a person or carry a name); the
path passes the personal-data filter like every record (case numbers stay readable).
"""

from __future__ import annotations

import logging
import time

from django.utils.functional import SimpleLazyObject, empty

log = logging.getLogger("caseqa.requests")
# Probes and scrapes every few seconds would drown the log.
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def _resolved_user(request):
    """The request's user if something already looked it up; the log line costs no query of its own."""
    user = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject) and user._wrapped is empty:
        return None
    return user


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = None
        try:
            response = self.get_response(request)
            return response
        finally:
            if request.path not in QUIET_PATHS:
                self._log(request, response, time.perf_counter() - started)

    @staticmethod
    def _log(request, response, seconds: float) -> None:
        user = _resolved_user(request)
        name = user.get_username() if user is not None and user.is_authenticated else "-"
        user_id = user.pk if user is not None and user.is_authenticated else None
        status = response.status_code if response is not None else 500
        outcome = "ok" if status < 400 else ("refused" if status < 500 else "error")
        duration_ms = round(seconds * 1000)
        log.info(
            "%s %s %d %dms user=%s",
            request.method,
            request.path,
            status,
            duration_ms,
            name,
            extra={
                "event": "request",
                "method": request.method,
                "path": request.path,
                "status": status,
                "duration_ms": duration_ms,
                "user": name,
                "user_id": user_id,
                "outcome": outcome,
            },
        )
