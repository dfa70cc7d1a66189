"""The DRF classes named in settings import on their own, in a fresh process, in any order.

Django runs system checks in an order that changes from process to process; DRF's pagination check
can be the first thing to load `cases.api.common`. That once failed with a circular import
(half the time, in management commands only), so each setting is resolved first in its own process.
"""

import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

REPO = Path(__file__).resolve().parent.parent
SETTINGS = [
    "DEFAULT_PAGINATION_CLASS",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS",
    "EXCEPTION_HANDLER",
    "DEFAULT_AUTHENTICATION_CLASSES",
    "DEFAULT_PERMISSION_CLASSES",
    "DEFAULT_THROTTLE_CLASSES",
    "DEFAULT_FILTER_BACKENDS",
    "DEFAULT_SCHEMA_CLASS",
]


@pytest.mark.parametrize("name", SETTINGS)
def test_each_drf_setting_resolves_first_in_a_fresh_process(name):
    code = (
        "import django; django.setup();"
        "from rest_framework.settings import api_settings;"
        f"print(repr(api_settings.{name}))"
    )
    env = {"DJANGO_SETTINGS_MODULE": "caseqa.settings", "TESTING": "1", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    configured = settings.REST_FRAMEWORK[name]
    for dotted in [configured] if isinstance(configured, str) else configured:
        assert dotted.rsplit(".", 1)[1] in done.stdout, done.stdout
