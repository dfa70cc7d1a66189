"""REST resources: the access matrix over every endpoint, look-ups by code, pagination and errors."""

from __future__ import annotations

import datetime
from urllib.parse import quote

import pytest
from rest_framework.test import APIClient

from teams.api.auth import issue_token
from tests.builders import VISIBLE_CASES, build_world, rolled_back

ROLES = sorted(VISIBLE_CASES)
D = datetime.date

# role → codes each organisation list shows
VISIBLE = {
    "units": {
        "admin": {"A", "A1", "B"},
        "outsider": set(),
        "prosecutor": {"A"},
        "lead": {"A"},
        "former": {"A"},
        "leader": {"A", "A1"},
        "clerk": {"A", "A1"},
        "clerk_b": {"B"},
    },
    "departments": {
        "admin": {"A-D1", "A1-D1", "B-D1"},
        "outsider": set(),
        "prosecutor": {"A-D1"},
        "lead": {"A-D1"},
        "former": {"A-D1"},
        "leader": {"A-D1", "A1-D1"},
        "clerk": {"A-D1", "A1-D1"},
        "clerk_b": {"B-D1"},
    },
    "prosecutors": {
        "admin": {"PA-1", "PA-2", "PA-3", "PA-4", "PA1-1", "PB-1"},
        "outsider": set(),
        "prosecutor": {"PA-1"},
        "lead": {"PA-1", "PA-2"},  # PA-4 left the team in 2023: visible to the lead for those years only
        "former": {"PA-4"},
        "leader": {"PA-1", "PA-2", "PA-3", "PA-4", "PA1-1"},
        "clerk": {"PA-1", "PA-2", "PA-3", "PA-4", "PA1-1"},
        "clerk_b": {"PB-1"},
    },
    "teams": {
        "admin": {"TA"},
        "outsider": set(),
        "prosecutor": {"TA"},
        "lead": {"TA"},
        "former": set(),
        "leader": {"TA"},
        "clerk": {"TA"},
        "clerk_b": set(),
    },
}
CODE_FIELD = {"units": "code", "departments": "code", "prosecutors": "staff_code", "teams": "team_code"}
ALL_CODES = {resource: VISIBLE[resource]["admin"] for resource in VISIBLE}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """One world for the whole module (read-only tests): built once, rolled back at the end."""
    with django_db_blocker.unblock(), rolled_back():
        yield build_world()


def client_for(world, role: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(world.users[role])
    return client


def _codes(response, field: str) -> set[str]:
    assert response.status_code == 200, response.content
    return {row[field] for row in response.json()["results"]}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("resource", sorted(VISIBLE))
def test_organisation_lists_and_details_follow_access(world, role, resource):
    client = client_for(world, role)
    field = CODE_FIELD[resource]
    assert _codes(client.get(f"/api/v1/{resource}/"), field) == VISIBLE[resource][role]
    for code in ALL_CODES[resource]:
        response = client.get(f"/api/v1/{resource}/{quote(code)}/")
        assert response.status_code == (200 if code in VISIBLE[resource][role] else 404), (code, response.content)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_cases_and_events_follow_access(world, role):
    client = client_for(world, role)
    expected = {world.cases[k].case_no for k in VISIBLE_CASES[role]}
    assert _codes(client.get("/api/v1/cases/"), "case_no") == expected
    assert {row["case"] for row in client.get("/api/v1/events/?page_size=500").json()["results"]} == expected
    for case in world.cases.values():
        response = client.get(f"/api/v1/cases/{quote(case.case_no)}/")
        assert response.status_code == (200 if case.case_no in expected else 404)
        event = case.events.first()
        assert client.get(f"/api/v1/events/{event.pk}/").status_code == (200 if case.case_no in expected else 404)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_ratio_statistics_follow_access(world, role):
    response = client_for(world, role).get("/api/v1/stats/ratio/?date_from=2025-01-01&date_to=2025-12-31")
    assert response.status_code == 200
    expected = [world.cases[k] for k in VISIBLE_CASES[role]]
    assert response.json()["total"]["cases"] == len(expected)
    assert response.json()["total"]["items"] == sum(c.items for c in expected)


@pytest.mark.django_db
def test_case_detail_by_url_encoded_case_number_carries_events_and_items(world):
    case = world.cases["own_team"]
    response = client_for(world, "clerk").get("/api/v1/cases/" + quote(case.case_no) + "/")
    assert response.status_code == 200
    body = response.json()
    assert body["case_no"] == "检刑受〔2025〕000001号"
    assert body["items"] == 2 and body["team"] == "TA" and body["prosecutor"] == "PA-1"
    assert [e["event"] for e in body["events"]] == ["prosecution_review", "supplementary_investigation"]
    assert body["events"][1]["weight"] == 1


@pytest.mark.django_db
def test_lookup_by_integer_id_also_works(world):
    unit = world.units["A"]
    response = client_for(world, "leader").get(f"/api/v1/units/{unit.pk}/")
    assert response.status_code == 200 and response.json()["code"] == "A"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/units/",
        "/api/v1/departments/",
        "/api/v1/prosecutors/",
        "/api/v1/teams/",
        "/api/v1/cases/",
        "/api/v1/events/",
        "/api/v1/event-types/",
        "/api/v1/tokens/",
        "/api/v1/cases/at-risk/",
        "/api/v1/stats/ratio/",
        "/api/v1/stats/indicators/",
        "/api/v1/stats/reviews/",
    ],
)
def test_no_credentials_is_401(world, path):
    response = APIClient().get(path)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.django_db
def test_no_credentials_cannot_import(world):
    assert APIClient().post("/api/v1/imports/", {}).status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page_size=501", "page_size"),
        ("page_size=0", "page_size"),
        ("page_size=abc", "page_size"),
        ("page=0", "page"),
        ("page=x", "page"),
        ("unit=NOPE", "unit"),
        ("unit=B", "unit"),  # another unit's code is answered like an unknown one
        ("team=TA&received_from=2025-02-30", "received_from"),
        ("line=space", "line"),
        ("format=pdf", "format"),
    ],
)
def test_bad_list_parameters_are_400_naming_the_field(world, query, field):
    response = client_for(world, "clerk").get(f"/api/v1/cases/?{query}")
    assert response.status_code == 400, response.content
    assert field in response.json()


@pytest.mark.django_db
def test_pages_are_stable_and_complete(world):
    client = client_for(world, "admin")
    first = client.get("/api/v1/cases/?page_size=2").json()
    second = client.get("/api/v1/cases/?page_size=2&page=2").json()
    third = client.get("/api/v1/cases/?page_size=2&page=3").json()
    seen = [r["case_no"] for page in (first, second, third) for r in page["results"]]
    assert first["count"] == 5 and len(seen) == 5 and len(set(seen)) == 5
    assert client.get("/api/v1/cases/?page_size=2&page=4").status_code == 404


@pytest.mark.django_db
def test_filters_by_code_and_name(world):
    client = client_for(world, "leader")
    assert _codes(client.get("/api/v1/cases/?unit=A1"), "case_no") == {world.cases["a1"].case_no}
    assert _codes(client.get("/api/v1/cases/?unit=甲市乙区人民检察院"), "case_no") == {world.cases["a1"].case_no}
    assert _codes(client.get("/api/v1/cases/?team=TA"), "case_no") == {world.cases["own_team"].case_no}
    assert _codes(client.get("/api/v1/prosecutors/?team=TA"), "staff_code") == {"PA-1", "PA-2", "PA-4"}
    assert _codes(client.get("/api/v1/events/?event=supplementary_investigation&unit=A"), "case") == {
        world.cases["own_team"].case_no
    }


@pytest.mark.django_db
def test_team_carries_its_members(world):
    body = client_for(world, "lead").get("/api/v1/teams/TA/").json()
    members = {(m["staff_code"], m["role"]) for m in body["members"]}
    assert members == {("PA-1", "member"), ("PA-2", "leader"), ("PA-4", "leader")}


@pytest.mark.django_db
def test_event_types_list_the_catalogue(world):
    body = client_for(world, "outsider").get("/api/v1/event-types/?kind=base").json()
    assert {row["code"] for row in body["results"]} == {"arrest_review", "prosecution_review"}
    detail = client_for(world, "outsider").get("/api/v1/event-types/supplementary_investigation/").json()
    assert detail["kind"] == "extra" and detail["weight"] == 1


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_read_only_token_reads_like_its_user_and_never_writes(world, role):
    _token, key = issue_token(world.users[role], "报表系统")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    expected = {world.cases[k].case_no for k in VISIBLE_CASES[role]}
    assert _codes(client.get("/api/v1/cases/"), "case_no") == expected
    response = client.post("/api/v1/events/", {"case": world.cases["b"].case_no, "event": "review_extension"})
    assert response.status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_indicators_reviews_and_at_risk_follow_access(world, role):
    from cases import deadlines
    from cases.indicators import indicators_for
    from teams import access

    client = client_for(world, role)
    user = world.users[role]
    body = client.get("/api/v1/stats/indicators/?date_from=2025-01-01&date_to=2025-12-31").json()
    expected = indicators_for(date_from=D(2025, 1, 1), date_to=D(2025, 12, 31), scope=access.scope_for(user))
    figure = expected.total.values["supplementary_rate"].as_dict()
    # The API row adds the indicator's unit and counterweights beside the engine's figure.
    assert {k: body["total"]["supplementary_rate"][k] for k in figure} == figure
    assert client.get("/api/v1/stats/reviews/").status_code == 200
    at_risk = client.get("/api/v1/cases/at-risk/?within_days=366").json()
    visible = {world.cases[k].case_no for k in VISIBLE_CASES[role]}
    assert {r["case_no"] for r in at_risk["results"]} <= visible
    assert len(at_risk["results"]) == len(deadlines.at_risk(access.visible_cases(user), within_days=366))
