"""The glossary explains 指数, both bases and every §9 indicator with its counterweight; headings that use
a term carry its explanation as a tooltip; dashboards link to it."""

import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from cases.indicators import INDICATORS
from teams.models import StaffRole
from tests.factories import make_case, make_office

pytestmark = pytest.mark.django_db


@pytest.fixture
def leader(client):
    org = make_office()
    make_case(org.prosecutors[0], [("prosecution_review", timezone.localdate())], team=org.team)
    user = User.objects.create(username="leader")
    StaffRole.objects.create(user=user, unit=org.unit, kind=StaffRole.Kind.LEADERSHIP)
    client.force_login(user)
    return client


def test_glossary_explains_the_terms_and_every_indicator(leader):
    html = leader.get(reverse("teams:glossary")).content.decode()
    for term in ("指数", "流量口径", "审结口径", "案-件比"):
        assert f">{term}</dt>" in html
    for name, spec in INDICATORS.items():
        row = re.search(rf'<tr id="indicator-{name}">(.*?)</tr>', html, re.S)
        assert row and str(spec.label) in row.group(1), name
        assert "÷" in row.group(1) or not spec.is_rate, name  # a rate states its formula


def test_the_index_heading_explains_itself_and_dashboards_link_the_glossary(leader):
    html = leader.get(reverse("teams:unit", args=["U-MAIN"])).content.decode()
    assert re.search(r'<abbr title="[^"]*× 100[^"]*">指数</abbr>', html)
    assert f'href="{reverse("teams:glossary")}"' in html


def test_glossary_in_english(leader):
    leader.cookies["django_language"] = "en"
    html = leader.get(reverse("teams:glossary")).content.decode()
    assert "Flow basis" in html and "Index" in html
