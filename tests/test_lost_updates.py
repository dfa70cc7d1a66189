"""Nothing lost under concurrency: writes apply only their own fields under the row lock, and the API's
ETag/If-Match makes an edit based on a stale read fail with 412 (issue 12)."""

from __future__ import annotations

import datetime
from functools import partial
from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from cases import services
from cases.models import Case, ProceduralEvent
from teams.models import StaffRole
from tests.factories import TeamFactory, make_case, make_office
from tests.test_concurrency import CONCURRENT, one_writer, run_together

D = datetime.date
TODAY = D(2025, 12, 31)
TRIALS = 40


def clerk_of(unit):
    user = get_user_model().objects.create(username=f"clerk-{unit.pk}")
    StaffRole.objects.create(user=user, unit=unit, kind=StaffRole.Kind.CASE_MANAGEMENT)
    return user


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@CONCURRENT
def test_three_concurrent_patches_lose_no_field(today_fixed):
    """The 40×3 trial: closed_on, title and team PATCHed at once by three connections; every field stays."""
    today_fixed(TODAY)
    office = make_office()
    clerk = clerk_of(office.unit)
    teams = [office.team, TeamFactory(unit=office.unit, team_code="T-2")]
    lost = {"closed_on": 0, "title": 0, "team": 0}

    def patch(url, body):
        with one_writer():  # SQLite only: its one writer; on PostgreSQL the three truly overlap
            return api(clerk).patch(url, body, format="json").status_code

    for trial in range(TRIALS):
        case = make_case(office.prosecutors[0], [("prosecution_review", D(2025, 1, 1))], team=teams[trial % 2])
        url = f"/api/v1/cases/{quote(case.case_no)}/"
        closed, title, team = D(2025, 3, 1) + datetime.timedelta(days=trial), f"改名{trial}", teams[(trial + 1) % 2]
        bodies = [{"closed_on": closed.isoformat()}, {"title": title}, {"team": team.team_code}]
        before = Case.objects.get(pk=case.pk).version
        outcomes = run_together([partial(patch, url, body) for body in bodies])
        assert outcomes == [("ok", 200)] * 3, outcomes
        case.refresh_from_db()
        lost["closed_on"] += case.closed_on != closed
        lost["title"] += case.title != title
        lost["team"] += case.team_id != team.pk
        assert case.version == before + 3  # one version per write: none overwrote another unseen
    assert lost == {"closed_on": 0, "title": 0, "team": 0}


@pytest.fixture
def world(org, today_fixed):
    today_fixed(TODAY)
    case = make_case(org.prosecutors[0], [("prosecution_review", D(2025, 1, 1))])
    return {"case": case, "clerk": clerk_of(org.unit), "url": f"/api/v1/cases/{quote(case.case_no)}/"}


def test_case_detail_has_an_etag_and_a_stale_if_match_is_412_naming_what_changed(world):
    client, url = api(world["clerk"]), world["url"]
    read = client.get(url)
    etag = read["ETag"]
    assert etag == f'"{read.json()["version"]}"'
    assert client.patch(url, {"title": "他人先改"}, format="json").status_code == 200  # someone else, meanwhile
    response = client.patch(url, {"persons": 3}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 412
    body = response.json()
    assert [c["field"] for c in body["changed"]] == ["title"] and body["changed"][0]["after"] == "他人先改"
    assert response["ETag"] == f'"{body["version"]}"'
    assert Case.objects.get(pk=world["case"].pk).persons == 1  # nothing saved
    response = client.patch(url, {"persons": 3}, format="json", HTTP_IF_MATCH=response["ETag"])
    assert response.status_code == 200 and response["ETag"] != etag
    assert Case.objects.get(pk=world["case"].pk).persons == 3


def test_a_logged_event_changes_the_case_version(world):
    client, url = api(world["clerk"]), world["url"]
    etag = client.get(url)["ETag"]
    services.log_event(world["case"], "supplementary_investigation", D(2025, 2, 1))
    response = client.patch(url, {"title": "x"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 412
    assert [c["field"] for c in response.json()["changed"]] == ["events"]


def test_if_match_is_optional_unless_required(world, settings):
    client, url = api(world["clerk"]), world["url"]
    assert client.patch(url, {"title": "无条件"}, format="json").status_code == 200
    settings.API_REQUIRE_IF_MATCH = True
    response = client.patch(url, {"title": "须带版本"}, format="json")
    assert response.status_code == 428
    assert Case.objects.get(pk=world["case"].pk).title == "无条件"
    etag = client.get(url)["ETag"]
    assert client.patch(url, {"title": "须带版本"}, format="json", HTTP_IF_MATCH=etag).status_code == 200
    assert client.patch(url, {"title": "乱写"}, format="json", HTTP_IF_MATCH='"abc"').status_code == 412


def test_event_detail_etag_and_conditional_correction_and_delete(world):
    client = api(world["clerk"])
    event = services.log_event(world["case"], "supplementary_investigation", D(2025, 2, 1))
    url = f"/api/v1/events/{event.pk}/"
    etag = client.get(url)["ETag"]
    assert etag == '"1"'
    response = client.patch(url, {"note": "更正"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200 and response["ETag"] == '"2"'
    assert client.patch(url, {"note": "过时"}, format="json", HTTP_IF_MATCH=etag).status_code == 412
    assert client.delete(url, HTTP_IF_MATCH=etag).status_code == 412
    assert ProceduralEvent.objects.get(pk=event.pk).note == "更正"
    assert client.delete(url, HTTP_IF_MATCH='"2"').status_code == 204
    assert not ProceduralEvent.objects.filter(pk=event.pk).exists()


def test_services_write_only_the_given_fields(world, org):
    """A writer holding a stale copy writes only what it changed (the lost-update bug's root)."""
    stale = Case.objects.get(pk=world["case"].pk)
    other = Case.objects.get(pk=world["case"].pk)
    other.closed_on = D(2025, 3, 1)
    services.save_case(other, ["closed_on"])
    stale.title = "只改名称"
    services.save_case(stale, ["title"])
    fresh = Case.objects.get(pk=world["case"].pk)
    assert (fresh.closed_on, fresh.title) == (D(2025, 3, 1), "只改名称")
    with pytest.raises(services.StaleVersionError):
        services.save_case(stale, ["persons"], version=1)
