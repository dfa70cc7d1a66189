"""Browser tests: pytest-playwright driving Debian's /usr/bin/chromium against Django's live server.

`playwright install` cannot download browsers here, so the launch points at the system Chromium.
Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls from a thread
with a running loop unless DJANGO_ALLOW_ASYNC_UNSAFE is set, which is safe here (one thread uses it).

These tests run last on each worker: once Playwright's loop is up, and after their transactional
flushes, other tests would see an unsafe-async flag and a wiped catalogue; at the end nothing follows.
"""

from __future__ import annotations

import datetime
import os

import pytest

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "browser-test-pw-1"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Browser tests after every other test (stable order otherwise; pytest-django's reordering first)."""
    here = os.path.dirname(__file__)
    items.sort(key=lambda item: str(item.path).startswith(here))


@pytest.fixture(scope="session")
def migrated_contents(django_db_setup, django_db_blocker) -> str:
    """The test database as the migrations left it (catalogue, review items, charges, overall tasks…),
    read before Playwright's event loop starts: under that loop Django hands the thread other connection
    objects, which lack what the test runner serialized, so serialized rollback cannot restore it."""
    from django.db import connections

    with django_db_blocker.unblock():
        default = connections["default"]
        return getattr(default, "_test_serialized_contents", None) or default.creation.serialize_db_to_string()


def restore_migrated_contents(contents: str) -> None:
    """Put back what the migrations seeded (the product's own apps) if an earlier transactional test's
    flush removed it; content types and permissions the flush's post_migrate has made again stay."""
    from django.core import serializers
    from django.db import transaction

    from cases.models import EventType

    if EventType.objects.exists():
        return
    with transaction.atomic():
        for record in serializers.deserialize("json", contents):
            if record.object._meta.app_label in ("cases", "teams", "importjobs"):
                record.save()


@pytest.fixture(scope="session", autouse=True)
def allow_orm_beside_playwright(migrated_contents):
    """Only while browser tests run (they run last), never for the processes other tests start."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    viewport = {"width": 1366, "height": 900}  # a laptop screen
    return {**browser_context_args, "locale": "zh-CN", "viewport": viewport, "accept_downloads": True}


@pytest.fixture
def demo_office(transactional_db, migrated_contents, settings):
    """The test office with a login per role (fast password hashing) and cases over two months.

    The live server needs committed rows (a transactional test), and the flush that ends one empties
    what the migrations seeded; each test starts from the migrated database's contents again."""
    from django.contrib.auth.models import User
    from django.utils import timezone

    from teams.models import StaffRole
    from teams.periods import add_months, month_label
    from tests.factories import make_case, make_office

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    restore_migrated_contents(migrated_contents)
    org = make_office()
    p1, p2, p3 = org.prosecutors

    def login(name, prosecutor=None, kind=None):
        user = User.objects.create_user(name, password=PASSWORD)
        if prosecutor:
            prosecutor.user = user
            prosecutor.save()
        if kind:
            StaffRole.objects.create(user=user, unit=org.unit, kind=kind)
        return user

    org.users = {
        "lead": login("lead", p1),
        "prosecutor": login("prosecutor", p2),
        "leadership": login("leadership", kind=StaffRole.Kind.LEADERSHIP),
        "clerk": login("clerk", kind=StaffRole.Kind.CASE_MANAGEMENT),
    }
    today = timezone.localdate()
    this_month = today.replace(day=1)
    last_month = add_months(this_month, -1)
    day1 = last_month + datetime.timedelta(days=2)
    org.cases = [
        make_case(p1, [("prosecution_review", day1), ("supplementary_investigation", day1)], team=org.team),
        make_case(p3, [("prosecution_review", day1)], team=org.team),
        make_case(p1, [("prosecution_review", this_month), ("review_extension", this_month)], team=org.team),
        make_case(p2, [("arrest_review", this_month)]),
    ]
    org.months = (month_label(last_month), month_label(this_month))
    return org


@pytest.fixture
def sign_in(page, live_server):
    """Log in through the login form; returns the page after the landing redirect."""

    def go(username: str):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state("load")
        return page

    return go
