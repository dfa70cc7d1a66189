"""The OpenAPI schema: valid (spectacular --validate --fail-on-warn), served, and honoured by every operation.

The schemathesis run calls the Django app in-process (WSGI) with a superuser's write token, over every
operation of the schema, and checks that no answer is a 5xx and that every documented answer matches
its schema and content type. `SCHEMATHESIS_MAX_EXAMPLES` (default 15) sets the examples per operation.

A second run (issue 10 L8) sends every generated request with the tokens of two ordinary users, a
clerk's (write) and a team lead's (read-only), and checks in addition that every status code answered
is documented: refusals (401/403/404/429) are part of the schema, not surprises.
`SCHEMATHESIS_ROLE_EXAMPLES` (default 5) sets its examples per operation.
"""

from __future__ import annotations

import json
import os

import pytest
import schemathesis
from django.core import management
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from teams.api.auth import issue_token
from tests.builders import build_world, rolled_back

MAX_EXAMPLES = int(os.getenv("SCHEMATHESIS_MAX_EXAMPLES", "15"))
ROLE_EXAMPLES = int(os.getenv("SCHEMATHESIS_ROLE_EXAMPLES", "5"))
ALL_CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance, status_code_conformance]
CALLS: list[tuple[str, str, int]] = []


def _schema() -> dict:
    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document))


@pytest.mark.django_db
def test_schema_validates_without_warnings(tmp_path):
    management.call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert "/api/v1/stats/ratio/:" in (tmp_path / "schema.yaml").read_text()


@pytest.mark.django_db
def test_a_body_in_a_media_type_not_parsed_is_a_documented_415(django_user_model):
    """Any operation taking a body answers 415 to a media type it does not parse (schemathesis once sent
    a body with no media type to POST /tokens/): the schema says so for each of them."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(django_user_model.objects.create_superuser("root", "root@example.org", None))
    answer = client.generic("POST", "/api/v1/cases/", b"case_no=1", content_type="text/plain")
    assert answer.status_code == 415 and "detail" in answer.json()
    operations = [(path, method, op) for path, ops in _schema()["paths"].items() for method, op in ops.items()]
    with_body = [(path, method) for path, method, op in operations if method in ("post", "put", "patch")]
    assert with_body
    assert [(p, m) for p, m, op in operations if (p, m) in with_body and "415" not in op["responses"]] == []


@pytest.mark.django_db
def test_schema_and_offline_docs_are_served(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("reader"))
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in ("/api/v1/cases/{case_no}/", "/api/v1/stats/indicators/", "/api/v1/cases/at-risk/", "/api/v1/tokens/"):
        assert path in paths
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content and b"//cdn" not in docs.content  # served from the sidecar, offline
    assert b"drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in docs.content
    # No inline script (the Content-Security-Policy forbids it): the start-up script is its own file.
    assert b"<script>" not in docs.content
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and b"SwaggerUIBundle" in script.content


# Examples and fuzzing phases only: the coverage phase's boundary cases alone run to thousands of calls.
CONFIG = SchemathesisConfig.from_dict(
    {
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
        "generation": {"max-examples": MAX_EXAMPLES},
    }
)
API = schemathesis.openapi.from_dict(_schema(), config=CONFIG)
API.app = get_wsgi_application()


@pytest.fixture(scope="module")
def tokens(django_db_setup, django_db_blocker):
    """Tokens over a small world (built once, rolled back at the end): the superuser's and the clerk's
    (write) and the team lead's (read-only: a lead records nothing).

    Django closes the connection at the end of every WSGI request, which would end the test's
    transaction; that handler is paused while the in-process calls run (as Django's test client does).
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        with django_db_blocker.unblock(), rolled_back():
            world = build_world()
            yield {
                "admin": issue_token(world.users["admin"], "schemathesis", can_write=True)[1],
                "clerk": issue_token(world.users["clerk"], "schemathesis", can_write=True)[1],
                "team_lead": issue_token(world.users["lead"], "schemathesis")[1],
            }
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def write_token(tokens):
    return tokens["admin"]


@pytest.fixture(scope="module", autouse=True)
def report_calls():
    """Print how many calls the run made (shown with -s; the number is quoted in docs/api.md)."""
    yield
    if CALLS:
        statuses = sorted({status for _m, _p, status in CALLS})
        print(f"\nschemathesis: {len(CALLS)} calls over {len({(m, p) for m, p, _s in CALLS})} operations, {statuses}")


@pytest.mark.django_db
@API.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_operation_keeps_its_schema_and_never_errors(case, write_token, db):
    response = case.call(headers={"Authorization": f"Token {write_token}"})
    CALLS.append((case.method, case.path, response.status_code))
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance, content_type_conformance])


@pytest.mark.django_db
@API.parametrize()
@settings(
    max_examples=ROLE_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_operation_answers_a_clerk_and_a_team_lead_as_documented(case, tokens, db):
    """Issue 10 L8: ordinary users' answers, refusals included, all match the schema."""
    for role in ("clerk", "team_lead"):
        response = case.call(headers={"Authorization": f"Token {tokens[role]}"})
        CALLS.append((case.method, case.path, response.status_code))
        case.validate_response(response, checks=ALL_CHECKS)
