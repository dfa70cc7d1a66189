"""Writes through the API: cases and events go through cases.services, rules answer 400 naming field and rule."""

from __future__ import annotations

import datetime
import hashlib
from urllib.parse import quote

import pytest
from rest_framework.test import APIClient

from cases.models import Case, ProceduralEvent
from teams.api.auth import issue_token
from teams.models import ApiToken
from tests.import_kit import imported

D = datetime.date


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def token_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


NEW_CASE = {"case_no": "检刑受[2026]000900号", "title": "某某盗窃案", "prosecutor": "PA-3", "category": "ordinary"}


def test_case_management_registers_a_case_in_its_unit(world):
    response = client_for(world.users["clerk"]).post("/api/v1/cases/", NEW_CASE, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["unit"], body["department"], body["items"], body["received_on"]) == ("A", "A-D1", 0, None)
    assert Case.objects.filter(case_no=NEW_CASE["case_no"]).exists()


@pytest.mark.parametrize("role", ["leader", "prosecutor", "lead", "outsider"])
def test_readers_cannot_register_cases(world, role):
    response = client_for(world.users[role]).post("/api/v1/cases/", NEW_CASE, format="json")
    assert response.status_code == 403
    assert not Case.objects.filter(case_no=NEW_CASE["case_no"]).exists()


def test_case_management_cannot_register_in_another_unit(world):
    response = client_for(world.users["clerk_b"]).post("/api/v1/cases/", NEW_CASE, format="json")
    assert response.status_code == 400
    assert "prosecutor" in response.json()  # PA-3 of unit A is not even visible to unit B
    data = {**NEW_CASE, "prosecutor": "PB-1", "unit": "A"}
    response = client_for(world.users["clerk_b"]).post("/api/v1/cases/", data, format="json")
    assert response.status_code == 400 and "unit" in response.json()


def test_duplicate_case_number_and_wrong_types_are_400(world):
    client = client_for(world.users["clerk"])
    taken = {**NEW_CASE, "case_no": world.cases["a_other"].case_no}
    assert "case_no" in client.post("/api/v1/cases/", taken, format="json").json()
    response = client.post("/api/v1/cases/", {**NEW_CASE, "persons": "many"}, format="json")
    assert response.status_code == 400 and "persons" in response.json()
    response = client.post("/api/v1/cases/", {**NEW_CASE, "department": "A1-D1"}, format="json")
    assert response.status_code == 400 and "department" in response.json()


def test_logging_events_updates_items_and_received_date(world):
    client = client_for(world.users["clerk"])
    case = world.cases["a_other"]
    response = client.post(
        "/api/v1/events/",
        {"case": case.case_no, "event": "review_extension", "date": "2025-03-25", "note": "延长"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["event"] == "review_extension" and response.json()["prosecutor"] == "PA-3"
    case.refresh_from_db()
    assert case.items == 2
    detail = client.get(f"/api/v1/cases/{quote(case.case_no)}/").json()
    assert detail["items"] == 2 and len(detail["events"]) == 2


def test_sequence_rule_violation_is_400_naming_field_and_rule(world):
    client = client_for(world.users["clerk"])
    case = world.cases["a1"]  # prosecution_review 2025-03-03, one 退补 2025-03-20
    response = client.post(
        "/api/v1/events/", {"case": case.case_no, "event": "arrest_reconsideration", "date": "2025-04-01"}
    )
    assert response.status_code == 400
    body = response.json()
    assert "event" in body
    assert body["violations"][0]["rule"] == "needs_predecessor"
    assert body["violations"][0]["rule_title"].startswith("规则3")
    future = (datetime.date.today() + datetime.timedelta(days=3)).isoformat()
    response = client.post("/api/v1/events/", {"case": case.case_no, "event": "review_extension", "date": future})
    assert response.status_code == 400 and response.json()["violations"][0]["rule"] == "date_range"
    assert "date" in response.json()
    assert ProceduralEvent.objects.filter(case=case).count() == 2


def test_unknown_event_code_and_duplicate_event_are_400(world):
    client = client_for(world.users["clerk"])
    case = world.cases["a1"]
    response = client.post("/api/v1/events/", {"case": case.case_no, "event": "teleport", "date": "2025-04-01"})
    assert response.status_code == 400 and "event" in response.json()
    response = client.post(
        "/api/v1/events/", {"case": case.case_no, "event": "prosecution_review", "date": "2025-03-03"}
    )
    assert response.status_code == 400 and "event" in response.json()


def test_closing_before_a_review_step_is_refused_on_closed_on(world):
    client = client_for(world.users["clerk"])
    case = world.cases["a1"]
    url = f"/api/v1/cases/{quote(case.case_no)}/"
    response = client.patch(url, {"closed_on": "2025-03-10"}, format="json")
    assert response.status_code == 400
    assert response.json()["violations"][0]["rule"] == "after_closure"
    assert "closed_on" in response.json()
    case.refresh_from_db()
    assert case.closed_on is None
    response = client.patch(url, {"closed_on": "2025-04-10", "plea_leniency": True}, format="json")
    assert response.status_code == 200 and response.json()["closed_on"] == "2025-04-10"


def test_correcting_and_deleting_events_keep_the_rules(world):
    client = client_for(world.users["clerk"])
    case = world.cases["a1"]
    review = case.events.get(event_type__code="prosecution_review")
    extra = case.events.get(event_type__code="supplementary_investigation")
    response = client.patch(f"/api/v1/events/{extra.pk}/", {"date": "2025-03-22", "persons": 2}, format="json")
    assert response.status_code == 200 and response.json()["date"] == "2025-03-22"
    response = client.delete(f"/api/v1/events/{review.pk}/")
    assert response.status_code == 400 and response.json()["violations"][0]["rule"] == "needs_prosecution_review"
    assert client.delete(f"/api/v1/events/{extra.pk}/").status_code == 204
    case.refresh_from_db()
    assert case.items == 1


def test_other_units_objects_are_404_for_writes(world):
    client = client_for(world.users["clerk_b"])
    case = world.cases["a1"]
    assert client.patch(f"/api/v1/cases/{quote(case.case_no)}/", {"title": "x"}, format="json").status_code == 404
    assert client.delete(f"/api/v1/events/{case.events.first().pk}/").status_code == 404
    response = client.post("/api/v1/events/", {"case": case.case_no, "event": "review_extension", "date": "2025-04-1"})
    assert response.status_code == 400 and "case" in response.json()


def test_visible_but_not_writable_case_is_403(world):
    """A leader who also does case management elsewhere reads unit A but may not change it."""
    from teams.models import StaffRole

    StaffRole.objects.create(user=world.users["leader"], unit=world.units["B"], kind=StaffRole.Kind.CASE_MANAGEMENT)
    case = world.cases["a1"]
    response = client_for(world.users["leader"]).patch(f"/api/v1/cases/{quote(case.case_no)}/", {"title": "x"})
    assert response.status_code == 403


def test_tokens_are_hashed_shown_once_and_revocable(world):
    client = client_for(world.users["clerk"])
    response = client.post("/api/v1/tokens/", {"name": "BI", "can_write": True}, format="json")
    assert response.status_code == 201
    key = response.json()["key"]
    token = ApiToken.objects.get(pk=response.json()["id"])
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(ApiToken.objects.filter(pk=token.pk).values().first())
    listed = client.get("/api/v1/tokens/").json()["results"]
    assert [t["id"] for t in listed] == [token.pk] and "key" not in listed[0]
    writer = token_client(key)
    case = world.cases["a_other"]
    response = writer.post("/api/v1/events/", {"case": case.case_no, "event": "review_extension", "date": "2025-03-25"})
    assert response.status_code == 201
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert client.delete(f"/api/v1/tokens/{token.pk}/").status_code == 204
    assert writer.get("/api/v1/cases/").status_code == 401


def test_write_tokens_only_for_users_who_may_write(world):
    response = client_for(world.users["leader"]).post("/api/v1/tokens/", {"name": "BI", "can_write": True})
    assert response.status_code == 400 and "can_write" in response.json()
    # A write token whose user loses the case-management role is read-only from then on.
    _token, key = issue_token(world.users["clerk"], "BI", can_write=True)
    world.users["clerk"].staff_roles.all().delete()
    case = world.cases["a_other"]
    response = token_client(key).post(
        "/api/v1/events/", {"case": case.case_no, "event": "review_extension", "date": "2025-03-25"}
    )
    assert response.status_code == 403


def test_tokens_are_private_to_their_user_unless_admin(world):
    own, _key = issue_token(world.users["clerk"], "mine")
    other = client_for(world.users["clerk_b"])
    assert other.get(f"/api/v1/tokens/{own.pk}/").status_code == 404
    assert other.delete(f"/api/v1/tokens/{own.pk}/").status_code == 404
    response = other.post("/api/v1/tokens/", {"name": "x", "user": "clerk"})
    assert response.status_code == 400 and "user" in response.json()
    admin = client_for(world.users["admin"])
    assert admin.get(f"/api/v1/tokens/{own.pk}/").status_code == 200
    assert admin.post("/api/v1/tokens/", {"name": "for clerk", "user": "clerk"}).status_code == 201


def test_bad_or_revoked_token_is_401(world):
    assert token_client("cq_not-a-key").get("/api/v1/cases/").status_code == 401
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token")
    assert client.get("/api/v1/cases/").status_code == 401


def test_tokens_are_throttled(world, settings):
    from django.core.cache import cache

    cache.clear()
    settings.CASEQA_API_TOKEN_RATE = "3/minute"
    _token, key = issue_token(world.users["clerk"], "BI")
    client = token_client(key)
    codes = [client.get("/api/v1/units/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    cache.clear()


def _upload(name: str, text: str, encoding: str = "utf-8"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def test_import_answers_the_row_report_and_writes(world):
    case = world.cases["a_other"]
    csv_text = f"case_no,event,date\n{case.case_no},review_extension,2025/3/25\n"
    client = client_for(world.users["clerk"])
    body = imported(client, {"file": _upload("events.csv", csv_text), "kind": "events"})
    assert body["ok"] is True and body["written"] is True and body["errors"] == []
    assert body["counts"]["events"]["created"] == 1
    case.refresh_from_db()
    assert case.items == 2


def test_import_with_a_bad_row_writes_nothing_and_names_row_and_column(world):
    case = world.cases["a_other"]
    csv_text = f"case_no,event,date\n{case.case_no},review_extension,2025-03-25\n{case.case_no},teleport,2025-03-26\n"
    client = client_for(world.users["clerk"])
    body = imported(client, {"file": _upload("events.csv", csv_text, "gb18030")})
    assert body["ok"] is False and body["written"] is False
    assert [(e["row"], e["column"]) for e in body["errors"]] == [(3, "event")]
    assert case.events.count() == 1


def test_import_dry_run_and_refusals(world):
    case = world.cases["a_other"]
    csv_text = f"case_no,event,date\n{case.case_no},review_extension,2025-03-25\n"
    clerk = client_for(world.users["clerk"])
    body = imported(clerk, {"file": _upload("events.csv", csv_text), "dry_run": "true"})
    assert body["ok"] is True and body["written"] is False
    assert case.events.count() == 1
    response = clerk.post("/api/v1/imports/", {"file": _upload("events.pdf", csv_text)})
    assert response.status_code == 400 and "file" in response.json()
    assert clerk.post("/api/v1/imports/", {"kind": "events"}).status_code == 400
    leader = client_for(world.users["leader"])
    assert leader.post("/api/v1/imports/", {"file": _upload("events.csv", csv_text)}).status_code == 403


def test_import_refuses_rows_outside_the_users_units(world):
    """The importer's own check (tests/test_import_scope.py has the whole class): 400 and the row report."""
    case = world.cases["a_other"]
    clerk_b = client_for(world.users["clerk_b"])
    events = f"case_no,event,date\n{world.cases['b'].case_no},review_extension,2025-03-25\n"
    events += f"{case.case_no},review_extension,2025-03-25\n"
    body = imported(clerk_b, {"file": _upload("events.csv", events), "kind": "events"})
    # Outside the write scope: refused in the same report as every other check, nothing written.
    assert body["ok"] is False and body["written"] is False
    assert [(e["row"], e["column"], e["value"]) for e in body["errors"]] == [(3, "case_no", case.case_no)]
    assert case.events.count() == 1 and world.cases["b"].events.count() == 2
    moved = f"case_no,unit,department,prosecutor\n{case.case_no},B,B-D1,PB-1\n"
    body = imported(clerk_b, {"file": _upload("cases.csv", moved), "kind": "cases"})
    assert body["ok"] is False and "case_no" in {e["column"] for e in body["errors"]}
    case.refresh_from_db()
    assert case.unit_id == world.units["A"].pk
    staff = "staff_code,name,unit,department\nNEW-1,新人,新设检察院,第一检察部\n"
    clerk = client_for(world.users["clerk"])
    body = imported(clerk, {"file": _upload("staff.csv", staff), "kind": "staff"})
    assert body["ok"] is False and body["errors"][0]["column"] == "unit"
    admin = client_for(world.users["admin"])
    assert imported(admin, {"file": _upload("staff.csv", staff), "kind": "staff"})["ok"] is True


def test_api_import_records_the_uploaded_file_name_in_the_history(world):
    """L7: the audit trail names the user's file, not the temporary copy the API reads."""
    case = world.cases["a_other"]
    csv_text = f"case_no,event,date\n{case.case_no},review_extension,2025-03-25\n"
    upload = _upload("十一月环节.csv", csv_text)
    assert imported(client_for(world.users["clerk"]), {"file": upload, "kind": "events"})["ok"] is True
    entry = ProceduralEvent.history.filter(case_id=case.pk).latest("history_date")
    assert entry.history_change_reason == "导入 十一月环节.csv"
    assert entry.history_user == world.users["clerk"]


def test_nul_characters_are_400_never_500(world, client):
    """PostgreSQL text cannot hold NUL: a code carrying one is refused before any look-up (found by schemathesis)."""
    api = client_for(world.users["clerk"])
    response = api.post("/api/v1/events/", {"case": "K\x00-1", "event": "review_extension", "date": "2025-03-25"})
    assert response.status_code == 400 and "case" in response.json(), response.content
    response = api.post("/api/v1/cases/", {**NEW_CASE, "prosecutor": "PA\x00-3"}, format="json")
    assert response.status_code == 400 and "prosecutor" in response.json(), response.content
    for url in ("/api/v1/teams/T%00A/", "/api/v1/cases/?case_no=%00", "/api/v1/stats/ratio/?group_by=team&team=T%00"):
        response = api.get(url)
        assert response.status_code == 400, (url, response.status_code)
        assert next(iter(response.json().values())), response.content
    client.force_login(world.users["leader"])
    for url in ("/teams/T%00A/", "/units/A%00/", "/cases/?q=%00"):
        response = client.get(url)
        assert response.status_code == 400 and "NUL" in response.content.decode(), (url, response.status_code)


@pytest.mark.parametrize("value", ["%C2%B9", "%EF%BC%99", "9" * 25])
def test_odd_digits_in_a_lookup_are_404_never_500(world, value):
    """Superscript and full-width digits pass str.isdigit(); 25 digits overflow a bigint (found by schemathesis)."""
    api = client_for(world.users["admin"])
    for resource in ("event-types", "cases", "teams", "units"):
        response = api.get(f"/api/v1/{resource}/{value}/")
        assert response.status_code == 404, (resource, response.status_code)
