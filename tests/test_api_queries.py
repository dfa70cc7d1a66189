"""Pinned query counts: every list and statistics endpoint costs the same few queries however much data.

The count of each request is (what resolving the user's access costs, pinned in `ACCESS_QUERIES`)
plus the endpoint's own queries (pinned in `ENDPOINT_QUERIES`); both are checked before and after
the data grows, so an N+1 shows up as a changed number.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from cases import services
from teams import access
from teams.api.auth import issue_token
from teams.models import Membership
from tests.factories import CaseFactory, MembershipFactory, ProsecutorFactory, TeamFactory

D = datetime.date
YEAR = "date_from=2025-01-01&date_to=2025-12-31"

# endpoint → its own queries for a case-management user (access resolution excluded)
NO_ACCESS_CHECK = {"/api/v1/event-types/", "/api/v1/tokens/"}
ENDPOINT_QUERIES = {
    "/api/v1/units/": 2,  # count + page
    "/api/v1/departments/": 2,
    "/api/v1/prosecutors/": 2,
    "/api/v1/teams/": 3,  # count + page + members
    "/api/v1/cases/": 4,  # count + page + events + other charges
    "/api/v1/events/": 2,
    "/api/v1/event-types/": 4,  # rule set in force + count + page + the outcome choices (one prefetch)
    "/api/v1/tokens/": 2,  # own tokens: no access check either
    "/api/v1/cases/at-risk/": 2,  # clocks of open cases + their case details
    f"/api/v1/stats/ratio/?group_by=month,team&{YEAR}": 2,  # roll-up + team codes
    # + cases and extras of the 2 partial months
    "/api/v1/stats/ratio/?group_by=month,team&date_from=2025-01-15&date_to=2025-11-20": 6,
    f"/api/v1/stats/ratio/?group_by=prosecutor&team=TA&{YEAR}": 4,  # team code check + filter id + roll-up + codes
    f"/api/v1/stats/ratio/?group_by=month,team&{YEAR}&format=csv": 2,
    f"/api/v1/stats/indicators/?group_by=month&{YEAR}": 1,  # the count table: groups and total in one UNION ALL
    f"/api/v1/stats/reviews/?group_by=month&{YEAR}": 1,  # grades, scores and findings in one statement
}


def _fresh(user):
    return get_user_model().objects.get(pk=user.pk)


def _access_queries(user) -> int:
    with CaptureQueriesContext(connection) as queries:
        access.access_for(_fresh(user))
    return len(queries) - 1  # the user fetch itself is not access


def _grow(world) -> None:
    """More prosecutors, team members, cases and events in the user's units (and elsewhere)."""
    unit, dept = world.units["A1"], world.prosecutors["a1"].department
    for n in range(6):
        person = ProsecutorFactory(staff_code=f"GX-{n}", department=dept, unit=unit)
        MembershipFactory(team=world.team, prosecutor=person, role=Membership.Role.MEMBER)
        case = CaseFactory(case_no=f"检刑受[2025]9{n:05d}号", prosecutor=person, team=world.team if n % 2 else None)
        services.log_event(case, "prosecution_review", D(2025, 5, 1 + n))
        services.log_event(case, "supplementary_investigation", D(2025, 6, 1 + n))
        services.log_event(case, "resubmission", D(2025, 7, 1 + n))
    TeamFactory(team_code="TX", unit=unit)
    issue_token(world.users["clerk"], "another")


def _measure(client, user, path) -> int:
    client.force_authenticate(_fresh(user))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, (path, response.content[:300])
    return len(queries)


def test_query_counts_are_pinned_and_independent_of_data(world):
    user = world.users["clerk"]
    issue_token(user, "BI")
    client = APIClient()
    access_cost = _access_queries(user)

    def own_queries() -> dict:
        return {
            path: _measure(client, user, path) - (0 if path in NO_ACCESS_CHECK else access_cost)
            for path in ENDPOINT_QUERIES
        }

    before = own_queries()
    _grow(world)
    after = own_queries()
    assert before == ENDPOINT_QUERIES
    assert after == ENDPOINT_QUERIES


# role → queries to resolve its access (StaffRole, unit subtree walk, Prosecutor, memberships, reviews hook)
def test_access_resolution_is_a_fixed_number_of_queries(world):
    counts = {role: _access_queries(world.users[role]) for role in ("admin", "clerk", "lead", "outsider")}
    hook = 1 if _has_review_hook() else 0
    assert counts == {"admin": 0, "clerk": 4 + hook, "lead": 3 + hook, "outsider": 2 + hook}


def _has_review_hook() -> bool:
    import importlib.util

    return importlib.util.find_spec(access.REVIEW_ACCESS_MODULE) is not None


def test_token_authentication_costs_one_query_and_records_last_use(world):
    token, key = issue_token(world.users["admin"], "BI")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    with CaptureQueriesContext(connection) as first:
        client.get("/api/v1/units/")
    with CaptureQueriesContext(connection) as second:
        client.get("/api/v1/units/")
    # The throttle's count lives in the shared cache (the database cache table here), whose write runs
    # in a savepoint of its own: counted apart.
    table = settings.CACHES["default"].get("LOCATION", "")

    def _mine(sql: str) -> bool:
        return table not in sql and "SAVEPOINT" not in sql.upper()

    own = [[q for q in run.captured_queries if _mine(q["sql"])] for run in (first, second)]
    # token+user in one query, last-used update only on the first use within a minute, count, page
    assert (len(own[0]), len(own[1])) == (4, 3)
    if "DatabaseCache" in settings.CACHES["default"]["BACKEND"]:
        assert all(len(run) > len(mine) for run, mine in zip((first, second), own, strict=True))
    token.refresh_from_db()
    assert token.last_used_at is not None
