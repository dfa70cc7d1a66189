"""Shared fixtures: the organisation a test needs, built through the same model layer as the product."""

import pytest

from tests import factories


@pytest.fixture
def org(db):
    """A unit with two departments, three prosecutors and a team (the smallest realistic office)."""
    return factories.make_office()


@pytest.fixture
def today_fixed(monkeypatch):
    """Pin 'today' (Asia/Shanghai) for the sequence rules and deadlines."""
    import datetime

    def pin(day: datetime.date):
        monkeypatch.setattr("cases.services.today", lambda: day)
        return day

    return pin


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the default language: a request in English (cookie or header) leaves the
    thread's active language switched, and later tests in the same worker would read English labels."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Tests marked `standby` need a real standby (tests/test_real_standby.py): without
    DATABASE_REPLICA_URL they are deselected, not failed or skipped.

    A test that reads the database only through a module-scoped fixture (one that requests
    `django_db_setup` and unblocks the database itself) carries no `db` mark, so pytest-django would
    order it with the tests that use no database — after the transactional tests, whose flush empties
    the seeded catalogue. Marking it `django_db` runs it with the other database tests, before any flush."""
    import os

    if not os.getenv("DATABASE_REPLICA_URL"):
        deselected = [item for item in items if item.get_closest_marker("standby")]
        if deselected:
            config.hook.pytest_deselected(items=deselected)
            items[:] = [item for item in items if not item.get_closest_marker("standby")]
    for item in items:
        names = getattr(item, "fixturenames", ())
        unmarked = not item.get_closest_marker("django_db") and not {"db", "transactional_db"} & set(names)
        if "django_db_setup" in names and unmarked:
            item.add_marker(pytest.mark.django_db)


@pytest.fixture
def world(db):
    """The shared world of tests/builders.py: units A (with A1) and B, a team, cases, a login per role."""
    from tests.builders import build_world

    return build_world()
