"""WSGI entry point for gunicorn."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caseqa.settings")
application = get_wsgi_application()

from caseqa.serving import refuse_the_development_key  # noqa: E402 (needs the settings loaded above)

refuse_the_development_key()
