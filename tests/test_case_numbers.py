"""Case numbers (DOMAIN §3): 〔2026〕, [2026] and full-width digits are one number on every input path."""

from __future__ import annotations

import datetime
import importlib
from urllib.parse import quote

import pytest
from django.apps import apps as django_apps
from django.db import connection
from rest_framework.test import APIClient

from cases.case_numbers import normalise_case_no
from cases.importer import run_import
from cases.models import Case, ProceduralEvent
from tests.import_kit import CASE_HEADER, EVENT_HEADER, imported, write_csv

D = datetime.date
STORED = "990100检刑受〔2026〕00521号"
# The same number as offices and other systems write it.
VARIANTS = [
    "990100检刑受[2026]00521号",
    "990100检刑受［2026］00521号",
    "990100检刑受【2026】00521号",
    "990100检刑受﹝2026﹞00521号",
    "990100检刑受〔２０２６〕００５２１号",
    "９９０１００检刑受[２０２６]００５２１号",
    "990100检刑受（2026）00521号",
    "990100检刑受(2026)00521号",
    " 990100检刑受 〔2026〕00521号\u3000",
]


@pytest.mark.parametrize("written", [STORED, *VARIANTS])
def test_every_accepted_form_normalises_to_the_real_form(written):
    assert normalise_case_no(written) == STORED
    assert normalise_case_no(normalise_case_no(written)) == STORED


def test_round_brackets_change_only_around_a_year():
    # Round brackets elsewhere may belong to the number: left as written, not guessed at.
    assert normalise_case_no("检刑受〔2026〕12号(补)") == "检刑受〔2026〕12号(补)"
    assert normalise_case_no("检刑受(26)12号") == "检刑受(26)12号"


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def raw_store(case: Case, number: str) -> None:
    """Put a number into the table as an older version wrote it (the field would normalise it)."""
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {Case._meta.db_table} SET case_no = %s WHERE id = %s", [number, case.pk])


@pytest.mark.django_db
def test_stored_and_looked_up_in_the_real_form(world):
    case = world.cases["a_other"]
    assert case.case_no == "检刑受〔2025〕000003号"  # the factory wrote [2025]
    for written in ("检刑受[2025]000003号", "检刑受【２０２５】000003号", "检刑受〔2025〕000003号"):
        assert Case.objects.get(case_no=written) == case
        assert list(Case.objects.filter(case_no__in=[written])) == [case]
        events = ProceduralEvent.objects.filter(case__case_no=written)
        assert set(events.values_list("case_id", flat=True)) == {case.pk}


def test_api_create_update_and_look_up_by_either_form(world):
    clerk = api(world.users["clerk"])
    body = {"case_no": VARIANTS[5], "title": "某某盗窃案", "prosecutor": "PA-3"}
    response = clerk.post("/api/v1/cases/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["case_no"] == STORED
    assert Case.objects.filter(case_no__regex=r"〔2026〕00521号$").count() == 1
    # The same number in another form is the same case: refused as a duplicate, not stored twice.
    response = clerk.post("/api/v1/cases/", {**body, "case_no": VARIANTS[0]}, format="json")
    assert response.status_code == 400 and "case_no" in response.json(), response.content
    for written in (STORED, VARIANTS[0], VARIANTS[4]):
        response = clerk.get(f"/api/v1/cases/{quote(written)}/")
        assert response.status_code == 200, (written, response.content)
        assert response.json()["case_no"] == STORED
    response = clerk.patch(f"/api/v1/cases/{quote(VARIANTS[1])}/", {"title": "某某诈骗案"}, format="json")
    assert response.status_code == 200, response.content
    assert Case.objects.get(case_no=STORED).title == "某某诈骗案"
    # An update that writes the number in another form keeps the one stored form.
    response = clerk.patch(f"/api/v1/cases/{quote(STORED)}/", {"case_no": VARIANTS[2]}, format="json")
    assert response.status_code == 200 and response.json()["case_no"] == STORED, response.content
    # Events name their case in any form too.
    response = clerk.post(
        "/api/v1/events/", {"case": VARIANTS[3], "event": "prosecution_review", "date": "2026-03-02"}, format="json"
    )
    assert response.status_code == 201, response.content
    response = clerk.get("/api/v1/events/", {"case": VARIANTS[0]})
    assert [e["case"] for e in response.json()["results"]] == [STORED]


def test_api_search_finds_the_case_by_either_form(world):
    clerk = api(world.users["clerk"])
    for q in ("[2025]000003", "〔2025〕000003", "［２０２５］000003"):
        response = clerk.get("/api/v1/cases/", {"q": q})
        assert [c["case_no"] for c in response.json()["results"]] == ["检刑受〔2025〕000003号"], q


def test_page_search_and_drill_down_find_the_case_by_either_form(world, client):
    client.force_login(world.users["leader"])
    for q in ("[2025]000004", "〔2025〕000004", "【２０２５】000004"):
        response = client.get("/cases/", {"q": q, "basis": "flow", "date_from": "2025-01-01", "date_to": "2025-12-31"})
        assert response.status_code == 200
        page = response.content.decode()
        assert "检刑受〔2025〕000004号" in page and "检刑受〔2025〕000003号" not in page, q


def test_form_registers_the_real_form(world, client):
    client.force_login(world.users["clerk"])
    prosecutor = world.prosecutors["other"]
    data = {
        "case_no": VARIANTS[0],
        "title": "某某盗窃案",
        "intake": "prosecution_review",
        "received_on": "2025-03-03",
        "line": "criminal",
        "department": prosecutor.department_id,
        "prosecutor": prosecutor.pk,
        "persons": 1,
        "sentencing_recommendation": "none",
        "judgment_accepted": "unknown",
    }
    response = client.post("/cases/new/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Case.objects.get(case_no=STORED).case_no == STORED
    response = client.post("/cases/new/", {**data, "case_no": VARIANTS[4]})
    assert response.status_code == 400  # the same number: the form says so
    assert Case.objects.filter(title="某某盗窃案").count() == 1


def test_admin_search_finds_the_case_by_either_form(world, client):
    client.force_login(world.users["admin"])
    response = client.get("/admin/cases/case/", {"q": "[2025]000005"})
    assert response.status_code == 200 and "检刑受〔2025〕000005号" in response.content.decode()


def test_import_writes_the_real_form_and_events_find_it_in_any_form(world, tmp_path, today_fixed):
    today_fixed(D(2026, 6, 30))
    path = write_csv(
        tmp_path / "cases.csv", CASE_HEADER, [[VARIANTS[0], "某某盗窃案", "刑事", "", "A", "A-D1", "PA-3", "", ""]]
    )
    report = run_import(path, "cases")
    assert report.ok, report.errors
    assert Case.objects.get(case_no=STORED).case_no == STORED
    rows = [[VARIANTS[4], "prosecution_review", "2026-03-02", "", "", ""]]
    rows.append([VARIANTS[6], "supplementary_investigation", "2026-03-20", "", "", ""])
    report = run_import(write_csv(tmp_path / "events.csv", EVENT_HEADER, rows), "events")
    assert report.ok, report.errors
    case = Case.objects.get(case_no=STORED)
    assert (case.events.count(), case.items) == (2, 2)
    # Re-importing the case in the real form updates it: one case, not two.
    row = [STORED, "某某诈骗案", "刑事", "", "A", "A-D1", "PA-3", "", ""]
    path = write_csv(tmp_path / "again.csv", CASE_HEADER, [row])
    report = run_import(path, "cases")
    assert report.ok, report.errors
    assert report.counts["cases"]["created"] == 0
    assert Case.objects.filter(case_no__endswith="00521号").count() == 1
    assert Case.objects.get(case_no=VARIANTS[0]).title == "某某诈骗案"


def test_import_rows_naming_one_case_in_two_forms_are_one_case(world, tmp_path, today_fixed):
    today_fixed(D(2026, 6, 30))
    rows = [[n, "某某盗窃案", "刑事", "", "A", "A-D1", "PA-3", "", ""] for n in (VARIANTS[0], VARIANTS[5])]
    report = run_import(write_csv(tmp_path / "cases.csv", CASE_HEADER, rows), "cases")
    assert report.ok, report.errors
    assert report.counts["cases"]["created"] == 1


def test_api_import_scope_check_sees_through_the_form(world):
    """A unit-B clerk naming a unit-A case as [2025] is refused like one naming it as 〔2025〕."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    case = world.cases["a_other"]
    written = case.case_no.replace("〔", "[").replace("〕", "]")
    events = f"case_no,event,date\n{written},review_extension,2025-03-25\n"
    upload = SimpleUploadedFile("events.csv", events.encode(), content_type="text/csv")
    body = imported(api(world.users["clerk_b"]), {"file": upload, "kind": "events"})
    # The importer's own scope check (tests/test_import_scope.py): a bad row, like an unknown case.
    assert body["ok"] is False and body["written"] is False
    assert [(e["row"], e["column"]) for e in body["errors"]] == [(2, "case_no")]
    assert case.events.count() == 1
    moved = f"case_no,unit,department,prosecutor\n{written},B,B-D1,PB-1\n"
    upload = SimpleUploadedFile("cases.csv", moved.encode(), content_type="text/csv")
    body = imported(api(world.users["clerk_b"]), {"file": upload, "kind": "cases"})
    assert body["ok"] is False and ("case_no", 2) in {(e["column"], e["row"]) for e in body["errors"]}
    case.refresh_from_db()
    assert case.unit_id == world.units["A"].pk


MIGRATION = importlib.import_module("cases.migrations.0007_case_no_stored_form")


def test_data_migration_normalises_stored_numbers(world):
    raw_store(world.cases["a_other"], "检刑受[2025]000003号")
    raw_store(world.cases["b"], "检刑受［２０２５］000005号")
    MIGRATION.normalise_stored(django_apps, None)
    stored = set(Case.objects.values_list("case_no", flat=True))
    assert {"检刑受〔2025〕000003号", "检刑受〔2025〕000005号"} <= stored
    assert not any("[" in n or "２" in n for n in stored)


def test_data_migration_refuses_numbers_that_collide(world):
    raw_store(world.cases["a_other"], "检刑受[2025]000004号")  # the same number as case a1's
    with pytest.raises(MIGRATION.CollidingCaseNumbers, match=r"检刑受〔2025〕000004号"):
        MIGRATION.normalise_stored(django_apps, None)
    # Nothing changed: the operator merges or renumbers first.
    assert Case.objects.filter(case_no__regex=r"\[2025\]000004").count() == 1
