"""Registering a case takes its intake step and date (DOMAIN §4: a case counts from its first base event)."""

import datetime

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, ProceduralEvent
from teams.models import StaffRole
from tests.factories import make_office

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk_client(client):
    org = make_office()
    clerk = User.objects.create(username="clerk")
    StaffRole.objects.create(user=clerk, unit=org.unit, kind=StaffRole.Kind.CASE_MANAGEMENT)
    client.force_login(clerk)
    client.org = org
    return client


def registration(org, **changes):
    data = {
        "case_no": "检刑受〔2026〕999号",
        "title": "测试案",
        "line": "criminal",
        "department": org.departments[0].pk,
        "prosecutor": org.prosecutors[0].pk,
        "persons": 2,
        "sentencing_recommendation": "none",
        "judgment_accepted": "unknown",
        "intake": "prosecution_review",
        "received_on": "2026-03-02",
    }
    return {**data, **changes}


def test_the_intake_step_is_logged_and_dates_the_case(clerk_client):
    response = clerk_client.post(reverse("cases:create"), registration(clerk_client.org))
    assert response.status_code == 302
    case = Case.objects.get()
    event = ProceduralEvent.objects.get(case=case)
    assert (event.event_type.code, event.date, event.persons) == ("prosecution_review", datetime.date(2026, 3, 2), 2)
    assert case.received_on == datetime.date(2026, 3, 2)


def test_the_form_offers_only_intake_steps(clerk_client):
    form = clerk_client.get(reverse("cases:create")).context["form"]
    codes = {code for code, _label in form.fields["intake"].choices if code}
    assert codes == {"arrest_review", "prosecution_review"}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"received_on": ""}, "received_on"),
        ({"intake": ""}, "intake"),
        ({"intake": "indictment"}, "intake"),
    ],
)
def test_missing_or_wrong_intake_is_a_field_error_and_saves_nothing(clerk_client, changes, field):
    response = clerk_client.post(reverse("cases:create"), registration(clerk_client.org, **changes))
    assert response.status_code == 400 and field in response.context["form"].errors
    assert not Case.objects.exists()


def test_an_intake_the_sequence_rules_refuse_saves_nothing(clerk_client):
    tomorrow = (timezone.localdate() + datetime.timedelta(days=2)).isoformat()
    response = clerk_client.post(reverse("cases:create"), registration(clerk_client.org, received_on=tomorrow))
    assert response.status_code == 400
    assert "规则1" in response.content.decode()
    assert not Case.objects.exists() and not ProceduralEvent.objects.exists()
