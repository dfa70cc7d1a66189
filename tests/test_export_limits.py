"""Exports never cut or widen silently (issue 10 L7).

A page export above its row limit says in the file how many rows were left out and where the whole
set is (the API); an invalid filter on an export is a form error on the page (400, no file) or a 400
from the API, never an export of everything the user may see.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from rest_framework.test import APIClient

from cases.views import pages


def page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_a_page_export_above_the_limit_says_how_many_rows_were_left_out(world, monkeypatch):
    monkeypatch.setattr(pages, "EXPORT_LIMIT", 3)
    response = page_client(world.users["clerk"]).get("/cases/?export=cases&format=csv")  # 4 visible cases
    assert response.status_code == 200
    rows = csv_rows(response)
    assert len(rows) == 1 + 3 + 1  # header, three cases, the note
    note = rows[-1][0]
    assert "1" in note and "/api/v1/cases/" in note
    assert response["X-Export-Rows-Omitted"] == "1"


def test_a_page_export_within_the_limit_has_no_note(world):
    response = page_client(world.users["clerk"]).get("/cases/?export=cases&format=csv")
    assert len(csv_rows(response)) == 1 + 4
    assert "X-Export-Rows-Omitted" not in response


@pytest.mark.parametrize("query", ["line=bogus", "within=NO-SUCH-UNIT", "prosecutor=NOPE", "received_from=yesterday"])
def test_an_invalid_filter_on_a_page_export_is_a_form_error_not_everything(world, query):
    response = page_client(world.users["clerk"]).get(f"/cases/?export=cases&format=csv&{query}")
    assert response.status_code == 400
    assert "Content-Disposition" not in response
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/cases/at-risk/?format=csv&line=bogus",
        "/api/v1/cases/at-risk/?format=csv&prosecutor=NOPE",
        "/api/v1/stats/ratio/?format=csv&unit=NOPE",
        "/api/v1/stats/ratio/?format=csv&line=bogus",
    ],
)
def test_an_invalid_filter_on_an_api_export_is_400(world, url):
    client = APIClient()
    client.force_authenticate(world.users["clerk"])
    response = client.get(url)
    assert response.status_code == 400, (url, response.status_code)
    assert "Content-Disposition" not in response


def test_an_invalid_period_on_a_dashboard_export_is_a_form_error(world):
    client = page_client(world.users["leader"])
    response = client.get("/teams/TA/?export=members&format=csv&from=2025-13")
    assert response.status_code == 400
    assert "Content-Disposition" not in response
