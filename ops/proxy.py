"""The client's address as the office's reverse proxy saw it.

Behind nginx every request comes from the proxy's address, so a lockout keyed on REMOTE_ADDR would
lock every user out together. nginx appends the address it accepted the connection from to
X-Forwarded-For (deploy/nginx/caseqa.conf); whatever a client wrote there itself comes before it and
is not trusted. With TRUSTED_PROXY_COUNT proxies in a chain, the N-th address from the right is the
client's. Without BEHIND_PROXY the header is ignored (anyone could forge it) and REMOTE_ADDR counts.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def client_address(request) -> str | None:
    """The client's IP address (used by django-axes for the login lockout)."""
    remote = request.META.get("REMOTE_ADDR")
    if not getattr(settings, "BEHIND_PROXY", False):
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    count = max(getattr(settings, "TRUSTED_PROXY_COUNT", 1), 1)
    if len(hops) < count:
        return remote
    candidate = hops[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
