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
