"""Security settings and mechanisms: production checks, password hashing, login lockout, CSRF, headers, logs.

The access matrix over pages and endpoints is in tests/test_security_access.py.
"""

from __future__ import annotations

import io
import logging
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from caseqa.logging_filters import MASK, PersonalDataFilter, mask_personal_data
from cases.importer import run_import

REPO = Path(__file__).resolve().parent.parent
User = get_user_model()


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("TESTING", "DEBUG")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, env=environment, capture_output=True, text=True, timeout=300
    )


PRODUCTION_ENV = {
    "PRODUCTION": "1",
    "SECRET_KEY": secrets.token_urlsafe(60),
    "ALLOWED_HOSTS": "caseqa.example.org",
}


def test_production_settings_pass_check_deploy_with_no_warning():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


def test_development_settings_do_fail_check_deploy():
    """The check is not vacuous: the development defaults are reported."""
    result = _manage("check", "--deploy", "--fail-level", "WARNING", DEBUG="1")
    assert result.returncode != 0
    warnings = ("security.W004", "security.W008", "security.W009", "security.W012", "security.W016", "security.W018")
    for warning in warnings:
        assert warning in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", PRODUCTION="1", SECRET_KEY="", ALLOWED_HOSTS="caseqa.example.org")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def _serve(how: str, **env: str) -> subprocess.CompletedProcess:
    """Start a serving process the way an office would: the WSGI application (gunicorn, uwsgi) or runserver.
    A refusal ends it at once; a server that starts instead runs into the timeout (a failure)."""
    environment = {k: v for k, v in os.environ.items() if k not in ("TESTING", "DEBUG")}
    environment.update(env)
    command = (
        [sys.executable, "-c", "import caseqa.wsgi"]
        if how == "wsgi"
        else [sys.executable, "manage.py", "runserver", "--noreload", "127.0.0.1:0"]
    )
    return subprocess.run(command, cwd=REPO, env=environment, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("how", ["wsgi", "runserver"])
@pytest.mark.parametrize("debug", [None, "0", "false"])
def test_without_debug_a_missing_secret_key_refuses_to_start_also_without_production(debug, how):
    """Issue 10 L4: DEBUG off and no PRODUCTION once served on the development key published in the source."""
    env = {"SECRET_KEY": "", "ALLOWED_HOSTS": "caseqa.example.org"}
    if debug is not None:
        env["DEBUG"] = debug
    result = _serve(how, **env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_commands_that_serve_nothing_run_on_a_fresh_checkout_without_any_setting():
    """A newcomer's `manage.py makemigrations --check` (or migrate) needs no key: only servers sign anything.
    It used to die with a bare AppRegistryNotReady (Django swallows the settings' ImproperlyConfigured)."""
    environment = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    result = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes detected" in result.stdout


@pytest.mark.parametrize("env", [{"DEBUG": "1"}, {"TESTING": "1"}])
def test_the_development_key_serves_only_debug_and_tests_and_check_deploy_flags_it(env):
    assert _manage("check", SECRET_KEY="", **env).returncode == 0
    deploy = _manage("check", "--deploy", SECRET_KEY="", **env)
    assert "security.W009" in deploy.stdout + deploy.stderr


@pytest.mark.parametrize("secret_key", ["", "a-real-key-" + "x" * 50])
def test_production_refuses_debug(secret_key):
    result = _manage("check", PRODUCTION="1", DEBUG="1", SECRET_KEY=secret_key, ALLOWED_HOSTS="caseqa.example.org")
    assert result.returncode != 0
    assert "PRODUCTION=1 refuses DEBUG=1" in result.stderr


@pytest.mark.django_db
def test_passwords_are_hashed_with_argon2id():
    user = User.objects.create_user("clerk", password="a-long-passphrase-9")
    assert user.password.startswith("argon2$argon2id$")
    assert "a-long-passphrase-9" not in user.password
    assert user.check_password("a-long-passphrase-9")


@pytest.mark.django_db
@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=5)
def test_login_is_locked_after_repeated_failures():
    User.objects.create_user("clerk", password="a-long-passphrase-9")
    User.objects.create_user("colleague", password="another-passphrase-7")
    client = Client()
    url = reverse("login")
    for attempt in range(5):
        response = client.post(url, {"username": "clerk", "password": f"guess-{attempt}"})
        assert "_auth_user_id" not in client.session
    assert response.status_code == 429

    # Now even the right password is refused for that account from that address ...
    response = client.post(url, {"username": "clerk", "password": "a-long-passphrase-9"})
    assert response.status_code == 429 and "_auth_user_id" not in client.session
    # ... while a colleague at the same desk still logs in (the lock is per username and address).
    response = client.post(url, {"username": "colleague", "password": "another-passphrase-7"})
    assert response.status_code == 302 and "_auth_user_id" in client.session

    from django.core.management import call_command

    call_command("axes_reset_username", "clerk", verbosity=0)
    fresh = Client()
    response = fresh.post(url, {"username": "clerk", "password": "a-long-passphrase-9"})
    assert response.status_code == 302 and "_auth_user_id" in fresh.session


@pytest.mark.django_db
@override_settings(AXES_ENABLED=True)
def test_a_success_before_the_limit_resets_the_count():
    User.objects.create_user("clerk", password="a-long-passphrase-9")
    client = Client()
    for _ in range(4):
        client.post(reverse("login"), {"username": "clerk", "password": "wrong"})
    assert client.post(reverse("login"), {"username": "clerk", "password": "a-long-passphrase-9"}).status_code == 302
    client.logout()
    for _ in range(4):
        assert client.post(reverse("login"), {"username": "clerk", "password": "wrong"}).status_code == 200


def _patterns(resolver: URLResolver, prefix: str = "") -> list[tuple[str, URLPattern]]:
    found = []
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found.extend(_patterns(entry, route))
        else:
            found.append((route, entry))
    return found


SAMPLE = {"int": "1", "str": "x", "slug": "x", "path": "1", "uuid": "00000000-0000-0000-0000-000000000001"}


def _concrete(route: str) -> str | None:
    """A URL for a route with sample values in its parameters; None for format-suffix and catch-all variants."""
    # Router (regex) segments: anchors go, named groups take a sample value.
    route = re.sub(r"\(\?P<\w+>([^)]*)\)", lambda m: "1" if "\\d" in m.group(1) or "0-9" in m.group(1) else "x", route)
    route = re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE[m.group(1) or "str"], route)
    route = route.replace("^", "").replace("$", "")
    if re.search(r"[\\()\[\]*+?|]", route):
        return None
    return "/" + route


@pytest.mark.django_db
def test_every_unsafe_request_without_a_csrf_token_is_refused():
    """Every route of the site and the API refuses a session-authenticated POST/PUT/PATCH/DELETE with no token."""
    admin = User.objects.create_superuser("admin", password="a-long-passphrase-9")
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    checked = []
    for route, _ in _patterns(get_resolver()):
        url = _concrete(route)
        if url is None or url.startswith("/static/"):
            continue
        for method in ("post", "put", "patch", "delete"):
            # POST as a form (multipart, as browsers and the import upload send), the rest as JSON.
            kwargs = {} if method == "post" else {"content_type": "application/json"}
            response = getattr(client, method)(url, data={}, **kwargs)
            assert response.status_code in (403, 405), (method, url, response.status_code)
            if response.status_code == 403:
                checked.append(url)
        # The form pages render the token a browser needs.
        page = client.get(url)
        if page.status_code == 200 and page["Content-Type"].startswith("text/html"):
            html = page.content.decode()
            for form in re.findall(r"<form[^>]*method=[\"']?post[^>]*>.*?</form>", html, flags=re.S | re.I):
                assert "csrfmiddlewaretoken" in form, (url, form[:200])
    assert len(set(checked)) >= 20, sorted(set(checked))
    for must in ("/accounts/logout/", "/cases/new/", "/imports/upload/", "/i18n/setlang/", "/api/v1/cases/"):
        assert must in checked


@pytest.mark.django_db
def test_pages_carry_the_security_headers_and_a_strict_csp(client):
    client.force_login(User.objects.create_superuser("admin", password="a-long-passphrase-9"))
    response = client.get(reverse("cases:list"))
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
    script_src = re.search(r"script-src ([^;]+)", policy).group(1)
    assert "'unsafe-inline'" not in script_src and "http" not in script_src
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    # An inline script runs only with this response's nonce.
    nonce = re.search(r"'nonce-([^']+)'", script_src)
    for tag in re.findall(r"<script\b[^>]*>", response.content.decode()):
        assert "src=" in tag or (nonce and f'nonce="{nonce.group(1)}"' in tag), tag


# Logs --------------------------------------------------------------------------------------------

PERSONAL = ["张三丰", "某某涉嫌盗窃案", "110101199003077777", "13812345678", "li.si@example.cn"]


def test_the_filter_masks_names_titles_and_numbers_but_keeps_case_numbers():
    text = "case 检刑受[2025]000123号 title 张三丰涉嫌盗窃案 id 110101199003077777 tel 13812345678 li.si@example.cn"
    masked = mask_personal_data(text)
    assert "检刑受[2025]000123号" in masked
    for value in ("张三丰", "110101199003077777", "13812345678", "li.si@example.cn"):
        assert value not in masked
    assert masked.count(MASK) == 4


def test_the_filter_masks_arguments_and_tracebacks():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "saving %s failed", ("张三丰",), None)
    try:
        raise ValueError("title 某某涉嫌盗窃案 refused")
    except ValueError:
        record.exc_info = sys.exc_info()
    assert PersonalDataFilter().filter(record)
    formatted = logging.Formatter().format(record)
    assert "saving [*] failed" in formatted and "ValueError: title [*] refused" in formatted
    assert not any(value in formatted for value in PERSONAL)


@pytest.fixture
def site_log():
    """What the configured console handler writes (the handler every logger goes through)."""
    handlers = [h for h in logging.getLogger().handlers if any(isinstance(f, PersonalDataFilter) for f in h.filters)]
    assert handlers, "the console handler has no personal-data filter"
    stream = io.StringIO()
    previous = handlers[0].setStream(stream)
    try:
        yield stream
    finally:
        handlers[0].setStream(previous)


@pytest.mark.django_db
def test_no_personal_data_reaches_the_log_in_failing_imports_and_api_errors(org, tmp_path, client, site_log):
    path = tmp_path / "cases.csv"
    path.write_text(
        "case_no,title,unit,department,prosecutor\n"
        "检刑受[2025]000001号,张三丰涉嫌盗窃案,U-MAIN,D-1,NOBODY\n"
        "检刑受[2025]000002号,某某涉嫌盗窃案 13812345678,U-MAIN,D-1,P-001\n"
        "检刑受[2025]000003号,li.si@example.cn 110101199003077777,U-MAIN,D-404,P-001\n",
        encoding="utf-8",
    )
    report = run_import(path, "cases")
    assert not report.ok
    client.force_login(User.objects.create_superuser("admin", password="a-long-passphrase-9"))
    for url in ("/api/v1/cases/张三丰涉嫌盗窃案/", "/api/v1/prosecutors/13812345678/", "/cases/999999/"):
        assert client.get(url).status_code == 404
    assert client.get("/api/v1/stats/ratio/", {"group_by": "张三丰"}).status_code == 400
    # Whatever the product itself logs, and a direct error record quoting a person, pass the filter.
    logging.getLogger("cases.importer").error("import of %s failed", "张三丰涉嫌盗窃案 li.si@example.cn")
    logging.getLogger("django.request").warning("Not Found: /api/v1/cases/%s/", "张三丰涉嫌盗窃案")

    written = site_log.getvalue()
    assert "import of [*]" in written and "Not Found" in written
    # Escaped forms count too (Django writes non-ASCII paths as \\uXXXX).
    unescaped = re.sub(r"(?:\\u[0-9a-fA-F]{4})+", lambda m: m.group(0).encode().decode("unicode_escape"), written)
    for value in PERSONAL:
        assert value not in unescaped, value
