"""Template helpers of the pages: navigation flags and table cells."""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse

from teams.access import can_write

register = template.Library()


@register.simple_tag(takes_context=True)
def nav(context) -> dict:
    """What the header offers the current user: write pages, review pages (when installed)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    try:
        reviews = reverse("cases:reviews")
    except NoReverseMatch:
        reviews = None
    return {"can_write": can_write(user), "reviews": reviews}


@register.filter
def json_safe_id(value: str) -> str:
    """An element id from a table or chart name."""
    return "".join(ch if ch.isalnum() else "-" for ch in str(value))
