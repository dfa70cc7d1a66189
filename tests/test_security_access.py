"""Access matrix over every page for every role (outsider and anonymous included), with leak checks.

The API's own matrix lives in tests/test_api_resources.py and tests/test_access.py (same `world`);
this file covers the server-rendered pages, the admin, the API docs, what a read-only token may do on
every endpoint, the audit history shown to unit leadership, and formula-safe page exports.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from cases.models import ProceduralEvent
from teams.api.auth import issue_token
from teams.models import Prosecutor, StaffRole
from tests.builders import VISIBLE_CASES, build_world, rolled_back
from tests.test_security import _concrete, _patterns

pytestmark = pytest.mark.django_db
ROLES = sorted(VISIBLE_CASES)
WRITERS = {"admin", "clerk", "clerk_b"}
ALLOW = "allow"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), rolled_back():
        yield build_world()


def _pages(world) -> dict[str, tuple[str, set[str] | None]]:
    """url → (label, roles that may open it; None: every logged-in role, with scoped content)."""
    c = world.cases
    unit_a = {"admin", "leader", "clerk"}
    pages = {
        reverse("home"): ("home", None),
        reverse("cases:list"): ("case list", None),
        reverse("teams:work"): ("work queue", None),
        reverse("cases:reviews"): ("review list", None),
        "/api/docs/": ("API docs", None),
        "/api/schema/": ("API schema", None),
        reverse("cases:create"): ("register a case", WRITERS),
        reverse("cases:import"): ("import upload", WRITERS),
        reverse("teams:team", args=["TA"]): ("team dashboard", unit_a | {"lead"}),
        reverse("teams:unit", args=["A"]): ("unit A dashboard", unit_a),
        reverse("teams:unit", args=["A1"]): ("unit A1 dashboard", unit_a),
        reverse("teams:unit", args=["B"]): ("unit B dashboard", {"admin", "clerk_b"}),
        reverse("teams:department", args=["A-D1"]): ("department dashboard", unit_a),
        reverse("teams:department", args=["B-D1"]): ("department B dashboard", {"admin", "clerk_b"}),
        reverse("teams:prosecutor", args=["PA-1"]): ("own dashboard", unit_a | {"prosecutor", "lead"}),
        reverse("teams:prosecutor", args=["PB-1"]): ("unit B prosecutor", {"admin", "clerk_b"}),
        "/admin/": ("admin", {"admin"}),
    }
    for key, case in c.items():
        pages[reverse("cases:detail", args=[case.pk])] = (f"case {key}", {r for r in ROLES if key in VISIBLE_CASES[r]})
    return pages


def _leaks(role: str, world) -> list[str]:
    """Text that must not appear on any page this role opens: case numbers and people it may not see."""
    hidden = [case.case_no for key, case in world.cases.items() if key not in VISIBLE_CASES[role]]
    if role not in ("admin", "clerk_b"):
        hidden += ["丙一", "丙市人民检察院"]
    if role in ("outsider", "former", "clerk_b"):
        hidden += ["乙一", "甲三"]
    return hidden


@pytest.mark.parametrize("role", ROLES)
def test_every_page_for_every_role(world, role):
    client = Client()
    client.force_login(world.users[role])
    hidden = _leaks(role, world)
    for url, (label, allowed) in _pages(world).items():
        response = client.get(url)
        code = response.status_code
        assert code < 500, (role, label, code)
        if url == "/admin/":
            assert (code == 200) == (role in allowed), (role, label, code)
            continue
        if allowed is None or role in allowed:
            assert code in (200, 302), (role, label, code)
        else:
            assert code in (403, 404), f"{role} opened {label}: {code}"
        if code == 200 and response["Content-Type"].startswith("text/html"):
            body = response.content.decode()
            for text in hidden:
                assert text not in body, f"{role} sees {text!r} on {label}"


def test_anonymous_visitors_reach_only_the_login_page(world):
    client = Client()
    for url, (label, _) in _pages(world).items():
        response = client.get(url)
        if url in ("/api/docs/", "/api/schema/"):
            # The API's description is public (it holds no data); every call it documents is not.
            body = response.content.decode()
            assert response.status_code == 200 and not [t for t in _leaks("outsider", world) if t in body]
            continue
        if url.startswith("/api/"):
            assert response.status_code in (401, 403), (label, response.status_code)
        else:
            assert response.status_code == 302 and "login" in response["Location"], (label, response.status_code)
    assert client.get(reverse("login")).status_code == 200


def test_a_read_only_token_writes_nowhere(world):
    """Every API route refuses POST/PUT/PATCH/DELETE with a read-only token, even a superuser's."""
    _, key = issue_token(world.users["admin"], "BI", can_write=False)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    refused = set()
    for route, _ in _patterns(__import__("django.urls", fromlist=["get_resolver"]).get_resolver()):
        url = _concrete(route)
        if url is None or not url.startswith("/api/v1/"):
            continue
        for method in ("post", "put", "patch", "delete"):
            response = getattr(client, method)(url, {}, format="json")
            assert response.status_code in (403, 405), (method, url, response.status_code)
            refused.add(url)
        assert client.get(url).status_code < 500
    assert len(refused) >= 20
    events = ProceduralEvent.objects.count()
    response = client.post("/api/v1/events/", {"case": world.cases["b"].case_no, "event": "review_extension"})
    assert response.status_code == 403 and ProceduralEvent.objects.count() == events


def test_unit_leadership_reads_the_audit_history(world):
    """A correction made by a clerk shows on the case page of unit leadership: who, when, why."""
    case = world.cases["a1"]
    event = case.events.get(event_type__code="supplementary_investigation")
    clerk = world.users["clerk"]
    api = APIClient()
    api.force_login(clerk)  # through a request, as in use: the history records who made it
    response = api.patch(f"/api/v1/events/{event.pk}/", {"note": "更正退补日期说明"}, format="json")
    assert response.status_code == 200, response.content
    client = Client()
    client.force_login(world.users["leader"])
    page = client.get(reverse("cases:detail", args=[case.pk]))
    assert page.status_code == 200
    history = page.content.decode().split('id="h-history"')[1]
    assert clerk.username in history
    assert ProceduralEvent.history.filter(id=event.pk).count() >= 2
    outsider = Client()
    outsider.force_login(world.users["outsider"])
    assert outsider.get(reverse("cases:detail", args=[case.pk])).status_code == 404


def test_page_exports_neutralise_formula_cells(world):
    person = Prosecutor.objects.get(staff_code="PA-1")
    person.name = '=HYPERLINK("http://evil.example","点我")'
    person.save()
    StaffRole.objects.get_or_create(user=world.users["leader"], unit=world.units["A"], kind=StaffRole.Kind.LEADERSHIP)
    client = Client()
    client.force_login(world.users["admin"])
    response = client.get(reverse("teams:team", args=["TA"]), {"export": "members", "format": "csv"})
    assert response.status_code == 200
    cells = [c for row in csv.reader(io.StringIO(response.content.decode("utf-8-sig"))) for c in row]
    assert any("HYPERLINK" in c for c in cells)
    for c in cells:
        assert not re.match(r"^[=+\-@\t\r]", c) or re.match(r"^-?\d", c), c


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_api_exports_neutralise_formula_cells(world, fmt):
    """The statistics exports of the API: a team named like a formula comes out as plain text."""
    team = world.team
    team.name = "=1+2"
    team.save()
    client = APIClient()
    client.force_login(world.users["admin"])
    response = client.get(
        "/api/v1/stats/ratio/",
        {"group_by": "team", "date_from": "2025-01-01", "date_to": "2025-12-31", "format": fmt},
    )
    assert response.status_code == 200
    if fmt == "csv":
        cells = [c for row in csv.reader(io.StringIO(response.content.decode("utf-8-sig"))) for c in row]
    else:
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(response.content)).active
        cells = [str(v) for row in sheet.iter_rows(values_only=True) for v in row if isinstance(v, str)]
    assert cells, "empty export"
    assert not [c for c in cells if re.match(r"^[=+@\t\r]", c) or re.match(r"^-(?!\d)", c)], cells
