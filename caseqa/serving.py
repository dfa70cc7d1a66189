"""What every serving process checks before it answers a request (WSGI servers and runserver)."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def refuse_the_development_key() -> None:
    """A server signs sessions, CSRF tokens and password-reset links with SECRET_KEY: the development key
    is in the source, so only a DEBUG=1 box or a test run may serve with it (issue 10 L4)."""
    if settings.DEVELOPMENT_KEY_IN_USE and not (settings.DEBUG or settings.TESTING):
        raise ImproperlyConfigured(settings.SECRET_KEY_MISSING)
