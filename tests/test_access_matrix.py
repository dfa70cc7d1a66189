"""The access matrix (issue 10): every route of the site and the API × every role, from one table.

The routes are read from the URL resolver, so a new route cannot be forgotten: `test_every_route_is_in_the_table`
fails until it has a row in `ROUTES` (the allowed roles; docs/access.md is the same table in prose).
Each row names the method, the object the URL points at (an object of unit A, so the answer depends on
the role) and the roles that get through. "Refused" is a 403, a 404, a redirect to a login page, or a
page that answers with an error message instead of doing the step; anything else (200, 201, 302, or a
400 about the body once access is granted) is "allowed". No answer may be a 5xx.

Roles: the demo's clerk (案管), leader (院领导), team_lead (带头人 of team TA), prosecutor (a member of TA,
who handles the reviewed case), reviewer and review_lead (posted on unit A), an outsider with no staff
record and sibling, a clerk of the unrelated unit B. The world is built once per module (rolled back);
every request runs in a savepoint that is rolled back, so a step one role takes never changes the next.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import ERROR
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from cases import review_workflow as wf
from cases.models import Charge, ReviewSample
from importjobs.models import ImportJob, WorkerHeartbeat
from teams.api.auth import issue_token
from teams.models import Achievement, AnnualPlan, OverallTask, StaffRole
from tests.builders import D, build_world, rolled_back
from tests.factories import make_case

ROLES = ("clerk", "leader", "team_lead", "prosecutor", "reviewer", "review_lead", "outsider", "sibling")
ALL = frozenset(ROLES)
UNIT_READERS = frozenset({"clerk", "leader", "review_lead"})  # read unit A and every unit below it
CASE_READERS = UNIT_READERS | {"team_lead", "prosecutor", "reviewer"}  # the reviewed case of team TA
WRITERS = frozenset({"clerk", "sibling"})  # case management: of A, resp. of B (a route not tied to A)


@dataclass(frozen=True)
class Row:
    """One route: how to call it, on which object of unit A, and the roles that get through."""

    allowed: frozenset
    method: str = "GET"
    kwargs: Callable[[dict], dict] = lambda w: {}
    query: str = ""
    body: dict = field(default_factory=dict)
    api: bool = False  # a JSON body


def _closed(w):
    return {"pk": w["closed"].pk}


def _event(w):
    return {"pk": w["closed"].pk, "event_pk": w["event"].pk}


ROUTES: dict[str, Row] = {
    # -- pages --------------------------------------------------------------------------------------
    "home": Row(ALL),
    "login": Row(ALL),  # signed in: sent on to the home page
    "logout": Row(ALL, "POST"),
    "set_language": Row(ALL, "POST", body={"language": "en", "next": "/"}),
    "teams:work": Row(ALL),  # each sees the deadlines of the cases they may open
    "teams:glossary": Row(ALL),  # the indicators' definitions, no data
    "teams:team": Row(UNIT_READERS | {"team_lead"}, kwargs=lambda w: {"team_code": "TA"}),
    # The monthly report has the dashboard's readers (the same subject lookup).
    "teams:team_report": Row(UNIT_READERS | {"team_lead"}, kwargs=lambda w: {"team_code": "TA", "month": "2025-05"}),
    # The team's year (docs/teams.md): the plan and the 述职 have the dashboard's readers; the plan is
    # edited by the team's lead and the unit's leadership; only the unit's leadership rates (评议) a team
    # and reads the unit's results. The world has no 述职 yet, so the rating page shows the note.
    "teams:team_plan": Row(UNIT_READERS | {"team_lead"}, kwargs=lambda w: {"team_code": "TA", "year": 2025}),
    "teams:plan_achievement": Row(
        frozenset({"leader", "team_lead"}), kwargs=lambda w: {"team_code": "TA", "year": 2025}
    ),
    "teams:achievement_delete": Row(
        frozenset({"leader", "team_lead"}),
        "POST",
        kwargs=lambda w: {"team_code": "TA", "year": 2025, "pk": w["achievement"].pk},
    ),
    "teams:achievement_file": Row(
        UNIT_READERS | {"team_lead"}, kwargs=lambda w: {"team_code": "TA", "year": 2025, "pk": w["achievement"].pk}
    ),
    "teams:team_yearend": Row(UNIT_READERS | {"team_lead"}, kwargs=lambda w: {"team_code": "TA", "year": 2025}),
    "teams:team_rating": Row(frozenset({"leader"}), kwargs=lambda w: {"team_code": "TA", "year": 2025}),
    "teams:unit_yearend": Row(frozenset({"leader"}), kwargs=lambda w: {"code": "A", "year": 2025}),
    "teams:team_half_report": Row(
        UNIT_READERS | {"team_lead"}, kwargs=lambda w: {"team_code": "TA", "year": 2025, "half": 1}
    ),
    "teams:prosecutor": Row(UNIT_READERS | {"team_lead", "prosecutor"}, kwargs=lambda w: {"staff_code": "PA-1"}),
    "teams:unit_report": Row(UNIT_READERS, kwargs=lambda w: {"code": "A", "month": "2025-05"}),
    "teams:department": Row(UNIT_READERS, kwargs=lambda w: {"code": "A-D1"}),
    "teams:unit": Row(UNIT_READERS, kwargs=lambda w: {"code": "A"}),
    "cases:list": Row(ALL),  # scoped: an outsider's list is empty
    "cases:create": Row(WRITERS),
    "cases:detail": Row(CASE_READERS, kwargs=_closed),
    "cases:event_create": Row(frozenset({"clerk"}), "POST", kwargs=_closed),
    # Corrections (issue 12): case management of the case's unit; anyone else 404, like an unknown case.
    "cases:case_edit": Row(frozenset({"clerk"}), kwargs=_closed),
    "cases:case_close": Row(frozenset({"clerk"}), kwargs=_closed),
    "cases:case_reopen": Row(frozenset({"clerk"}), kwargs=_closed),
    "cases:event_edit": Row(frozenset({"clerk"}), kwargs=_event),
    "cases:event_delete": Row(frozenset({"clerk"}), "POST", kwargs=_event),  # allowed: a 400 naming the reason
    "cases:import": Row(WRITERS),
    "cases:import_template": Row(WRITERS),
    "cases:import_job": Row(frozenset({"clerk"}), kwargs=lambda w: {"pk": w["job"].pk}),  # the uploader's only
    "cases:reviews": Row(ALL),
    "cases:notices": Row(ALL),  # each their own digest of the cases they may open
    "cases:notice_count": Row(ALL),
    "cases:review_create": Row(frozenset({"reviewer", "review_lead"})),
    "cases:review_detail": Row(CASE_READERS, kwargs=lambda w: {"pk": w["submitted"].pk}),
    "cases:review_edit": Row(frozenset({"reviewer"}), kwargs=lambda w: {"pk": w["draft"].pk}),
    "cases:review_report": Row(CASE_READERS, kwargs=lambda w: {"pk": w["submitted"].pk}),
    "cases:review_report_docx": Row(CASE_READERS, kwargs=lambda w: {"pk": w["submitted"].pk}),
    # The sampling page: review leads of the unit only (a draw of unit A; an empty assignment is allowed).
    "cases:review_sampling": Row(frozenset({"review_lead"}), query="?month=2025-05&unit=A"),
    "cases:review_sampling_assign": Row(frozenset({"review_lead"}), "POST", kwargs=lambda w: {"pk": w["sample"].pk}),
    "cases:my_reviews": Row(ALL),  # each their own review tasks (empty for most)
    "cases:review_action": Row(
        frozenset({"reviewer", "review_lead"}), "POST", kwargs=lambda w: {"pk": w["draft"].pk, "step": "withdraw"}
    ),
    # -- monitoring (docs/deploy.md): no data of any case; /metrics is bounded by address or token, not by
    # user (the test client's 127.0.0.1 is an allowed address); /readyz sees the world's worker heartbeat.
    "healthz": Row(ALL),
    "readyz": Row(ALL),
    "metrics": Row(ALL),
    # -- API ------------------------------------------------------------------------------------------
    "api-root": Row(ALL),
    "schema": Row(ALL),
    "swagger-ui": Row(ALL),
    "stats-ratio": Row(ALL),  # figures within the caller's scope (empty for an outsider)
    "stats-indicators": Row(ALL),
    "stats-reviews": Row(ALL),
    "imports": Row(WRITERS, "POST", api=True),  # allowed: a 400 naming the missing file
    "import-status": Row(frozenset({"clerk"}), kwargs=lambda w: {"job_id": w["job"].pk}),  # the uploader's only
    "assessment": Row(UNIT_READERS | {"team_lead", "prosecutor"}, query="?prosecutor=PA-1&year=2025"),
    "team-results": Row(UNIT_READERS | {"team_lead", "prosecutor"}, query="?team=TA&year=2025"),
    "unit-list": Row(ALL),
    "unit-detail": Row(UNIT_READERS | {"team_lead", "prosecutor"}, kwargs=lambda w: {"code": "A"}),
    "department-list": Row(ALL),
    "department-detail": Row(UNIT_READERS | {"team_lead", "prosecutor"}, kwargs=lambda w: {"code": "A-D1"}),
    "prosecutor-list": Row(ALL),
    "prosecutor-detail": Row(UNIT_READERS | {"team_lead", "prosecutor"}, kwargs=lambda w: {"staff_code": "PA-1"}),
    "team-list": Row(ALL),
    "team-detail": Row(UNIT_READERS | {"team_lead", "prosecutor"}, kwargs=lambda w: {"team_code": "TA"}),
    "apitoken-list": Row(ALL),  # each lists their own tokens
    "apitoken-detail": Row(frozenset({"clerk"}), kwargs=lambda w: {"pk": w["token"].pk}),
    "case-list": Row(ALL),
    "case-at-risk": Row(ALL),
    "case-detail": Row(CASE_READERS, kwargs=lambda w: {"case_no": w["closed"].case_no}),
    "event-list": Row(ALL),
    "event-detail": Row(CASE_READERS, kwargs=lambda w: {"pk": w["event"].pk}),
    "charge-list": Row(ALL),  # the catalogue of charges, public like the event catalogue
    "charge-detail": Row(ALL, kwargs=lambda w: {"code": w["charge"].code}),
    "eventtype-list": Row(ALL),
    "eventtype-detail": Row(ALL, kwargs=lambda w: {"code": "prosecution_review"}),
    "reviewitem-list": Row(ALL),
    "reviewitem-detail": Row(ALL, kwargs=lambda w: {"code": "EV-E01"}),
    "review-list": Row(ALL),
    "review-detail": Row(CASE_READERS, kwargs=lambda w: {"id": w["submitted"].pk}),
    "review-submit": Row(frozenset({"reviewer"}), "POST", api=True, kwargs=lambda w: {"id": w["draft"].pk}),
    "review-withdraw": Row(
        frozenset({"reviewer", "review_lead"}), "POST", api=True, kwargs=lambda w: {"id": w["draft"].pk}
    ),
    "review-accept": Row(frozenset({"prosecutor"}), "POST", api=True, kwargs=lambda w: {"id": w["submitted"].pk}),
    "review-object": Row(
        frozenset({"prosecutor"}), "POST", api=True, kwargs=lambda w: {"id": w["submitted"].pk}, body={"reason": "异议"}
    ),
    "review-override": Row(
        frozenset({"review_lead"}),
        "POST",
        api=True,
        kwargs=lambda w: {"id": w["submitted"].pk},
        body={"grade": "flawed", "reason": "复核"},
    ),
    "review-resolve": Row(
        frozenset({"review_lead"}),
        "POST",
        api=True,
        kwargs=lambda w: {"id": w["objected"].pk},
        body={"resolution": "upheld", "reason": "维持"},
    ),
}
# The admin site: every one of its routes is behind `admin_site.admin_view` (staff only); none of the
# roles is staff. Its index and one change list stand for the ~170 generated routes.
ADMIN_NAMESPACE = "admin:"
ADMIN_SAMPLES = ("admin:index", "admin:cases_case_changelist")


def all_route_names() -> list[str]:
    """Every named route of the site and the API, read from the resolver."""

    def walk(patterns, namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
                yield from walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern):
                yield namespace + (pattern.name or f"<unnamed {pattern.pattern}>")

    return list(walk(get_resolver().url_patterns))


def test_every_route_is_in_the_table():
    names = all_route_names()
    missing = sorted(n for n in names if n not in ROUTES and not n.startswith(ADMIN_NAMESPACE))
    assert not missing, f"routes without a row in the access matrix (add them to ROUTES and docs/access.md): {missing}"
    stale = sorted(set(ROUTES) - set(names))
    assert not stale, f"rows for routes that no longer exist: {stale}"
    assert set(ADMIN_SAMPLES) <= set(names)


@pytest.fixture(scope="module")
def matrix_world(django_db_setup, django_db_blocker, tmp_path_factory):
    """build_world (units A ⊃ A1, and B; team TA) plus the review posts, a closed case of TA handled by
    the member PA-1 and three reviews of it: a draft, a submitted one and an objected one."""
    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media"))
    with django_db_blocker.unblock(), rolled_back(), media:
        world = build_world()
        users = {
            "clerk": world.users["clerk"],
            "leader": world.users["leader"],
            "team_lead": world.users["lead"],
            "prosecutor": world.users["prosecutor"],
            "outsider": world.users["outsider"],
            "sibling": world.users["clerk_b"],
        }
        User = get_user_model()
        for role, kind in (("reviewer", StaffRole.Kind.REVIEWER), ("review_lead", StaffRole.Kind.REVIEW_LEAD)):
            users[role] = User.objects.create_user(role)
            StaffRole.objects.create(user=users[role], unit=world.units["A"], kind=kind)
        closed = make_case(
            world.prosecutors["own"],
            [("prosecution_review", D(2025, 3, 3))],
            team=world.team,
            closed_on=D(2025, 5, 20),
            case_no="检刑受[2025]000099号",
        )
        now = timezone.now()
        reviews = {name: wf.create_review(closed, users["reviewer"], now=now) for name in ("draft", "sub", "obj")}
        wf.submit(reviews["sub"], users["reviewer"], now=now)
        wf.submit(reviews["obj"], users["reviewer"], now=now)
        wf.object_to(reviews["obj"], users["prosecutor"], "不同意", now=now)
        plan = AnnualPlan.objects.create(team=world.team, year=2025)
        achievement = Achievement(plan=plan, task=OverallTask.objects.first(), title="典型案例", date=D(2025, 4, 1))
        achievement.attachment.save("case.pdf", ContentFile(b"%PDF"), save=True)
        objects = {
            "achievement": achievement,
            "closed": closed,
            "event": closed.events.first(),
            "draft": reviews["draft"],
            "submitted": reviews["sub"],
            "objected": reviews["obj"],
            "token": issue_token(users["clerk"], "matrix")[0],
            "sample": ReviewSample.objects.create(
                month=D(2025, 5, 1), unit=world.units["A"], percentage=5, seed="matrix", drawn_by=users["review_lead"]
            ),
            "charge": Charge.objects.order_by("code").first(),
            "heartbeat": WorkerHeartbeat.objects.create(
                worker_id="matrix", beat_at=timezone.now(), started_at=timezone.now(), pid=1
            ),
            # A finished import of the clerk's (its file is gone: the page and the API show the stored report).
            "job": ImportJob.objects.create(
                user=users["clerk"], file_name="cases.csv", path="/nonexistent", status=ImportJob.Status.DONE
            ),
        }
        clients = {}
        for role, user in users.items():
            clients[role] = Client()
            clients[role].force_login(user)
        yield {"objects": objects, "clients": clients, "users": users}


def _refused(response) -> bool:
    if response.status_code in (401, 403, 404):
        return True
    location = response.headers.get("Location", "")
    # Sent to sign in before going on (`?next=`); logging out lands on the login page without it.
    if response.status_code == 302 and "/login/" in location and "next=" in location:
        return True
    stored = getattr(response.wsgi_request, "_messages", None)
    return stored is not None and any(m.level == ERROR for m in stored._queued_messages)


def _call(client: Client, row: Row, url: str):
    """One request in a savepoint that is rolled back (a step taken never changes the next request)."""
    with transaction.atomic():
        if row.method == "GET":
            response = client.get(url)
        elif row.api:
            response = client.post(url, row.body, content_type="application/json")
        else:
            response = client.post(url, row.body)
        transaction.set_rollback(True)
    return response


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_route_answers_each_role_as_the_table_says(name, matrix_world, db):
    row = ROUTES[name]
    url = reverse(name, kwargs=row.kwargs(matrix_world["objects"])) + row.query
    outcome = {}
    for role in ROLES:
        client = matrix_world["clients"][role]
        if name == "logout":  # a fresh session, so the shared client stays signed in
            client = Client()
            client.force_login(matrix_world["users"][role])
        response = _call(client, row, url)
        assert response.status_code < 500, (name, role, response.status_code)
        outcome[role] = not _refused(response)
    allowed = {role for role, ok in outcome.items() if ok}
    assert allowed == set(row.allowed), f"{row.method} {url}: allowed {sorted(allowed)}, table {sorted(row.allowed)}"


@pytest.mark.parametrize("name", ADMIN_SAMPLES)
def test_the_admin_site_refuses_every_role(name, matrix_world, db):
    url = reverse(name)
    for role in ROLES:
        assert _refused(matrix_world["clients"][role].get(url)), (name, role)


# The one module (and the managers delegating to it) may name the rules; nothing else may.
RULE_MODULES = {"teams/access.py", "cases/review_access.py", "teams/models.py", "cases/models/case.py"}
RULE_MODULES |= {"cases/models/review.py"}
# The importer checks file rows (not yet objects, so no manager applies) against the user's writable units.
KNOWN_EXCEPTIONS = {("cases/importer/runner.py", "writable_unit_ids(")}
HAND_MADE_SCOPE = re.compile(
    r"\b(visible_(cases|events|units|departments|teams|prosecutors|reviews)\(|"
    r"writable_(cases|unit_ids|units|departments|teams|prosecutors)\(|read_unit_ids|write_unit_ids|review_unit_ids)"
)


def test_views_start_from_the_managers_not_from_hand_made_scopes():
    root = Path(__file__).resolve().parent.parent
    found = []
    for path in sorted(
        [
            *root.glob("cases/**/*.py"),
            *root.glob("teams/**/*.py"),
            *root.glob("importjobs/**/*.py"),
            *root.glob("caseqa/*.py"),
        ]
    ):
        name = path.relative_to(root).as_posix()
        if name in RULE_MODULES or "/migrations/" in name:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = HAND_MADE_SCOPE.search(line)
            if match and (name, match.group(0)) not in KNOWN_EXCEPTIONS:
                found.append(f"{name}:{number}: {line.strip()}")
    hint = "scope derived outside the access layer (start from Model.objects.visible_to / readable_by):"
    assert not found, "\n".join([hint, *found])
