"""DOMAIN.md §5 rules 7–9 through every write path (services, API, case page, admin, importer).

Rule 7: one intake per base type. Rule 8: trial-stage steps need an indictment on or before them.
Rule 9: the criminal catalogue (and its deadlines) applies to criminal cases only. Each refusal names
the rule and saves nothing; each has a positive control beside it.
"""

import datetime
from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from rest_framework.test import APIClient

from cases import deadlines, rollup, services
from cases.importer import run_import
from cases.models import Case, ProceduralEvent
from cases.sequence_rules import EventRecord, check_sequence
from teams.models import StaffRole
from tests.factories import CaseFactory, make_case
from tests.import_kit import CASE_HEADER, EVENT_HEADER, table_counts, write_csv, write_xlsx

D = datetime.date
TODAY = D(2025, 6, 30)
TRIAL_STEPS = ["second_instance", "retrial", "trial_supplementary_investigation", "judgment"]
OTHER_LINES = [line for line in Case.Line.values if line != Case.Line.CRIMINAL]


@pytest.fixture(autouse=True)
def _today(today_fixed):
    today_fixed(TODAY)


def refused(case, code, day, rule):
    count, snapshot = ProceduralEvent.objects.filter(case=case).count(), rollup.snapshot()
    received = Case.objects.get(pk=case.pk).received_on
    with pytest.raises(services.SequenceRuleError) as error:
        services.log_event(case, code, day)
    assert rule in [v.rule for v in error.value.violations]
    assert str(error.value.violations[0]).startswith("规则")
    assert ProceduralEvent.objects.filter(case=case).count() == count
    assert rollup.snapshot() == snapshot
    assert Case.objects.get(pk=case.pk).received_on == received  # a refused intake never moves it
    return next(v for v in error.value.violations if v.rule == rule)


# --- Rule 7 -------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["arrest_review", "prosecution_review"])
@pytest.mark.parametrize("offset", [-20, 1, 20])  # earlier or later than the stored intake
def test_rule7_a_second_intake_of_a_base_type_is_refused(org, code, offset):
    case = make_case(org.prosecutors[0], [(code, D(2025, 3, 1))])
    day = D(2025, 3, 1) + datetime.timedelta(days=offset)
    violation = refused(case, code, day, "one_intake")
    assert violation.rule_title.startswith("规则7")
    assert violation.blamed.incoming  # reported against the incoming step, even when it is the earlier one


def test_rule7_positive_controls_one_of_each_and_resubmission_and_transfer(org):
    case = make_case(org.prosecutors[0], [("arrest_review", D(2025, 1, 1))])
    services.log_event(case, "prosecution_review", D(2025, 2, 1))  # the other base type: accepted
    services.log_event(case, "supplementary_investigation", D(2025, 2, 10))
    services.log_event(case, "resubmission", D(2025, 3, 10))  # the case coming back: its own rule (2)
    services.log_event(case, "jurisdiction_transfer", D(2025, 4, 1))
    case.refresh_from_db()
    assert case.received_on == D(2025, 1, 1) and case.items == 2


def test_rule7_moving_a_step_onto_a_second_intake_is_refused(org):
    case = make_case(org.prosecutors[0], [("arrest_review", D(2025, 1, 1)), ("prosecution_review", D(2025, 2, 1))])
    event = case.events.get(event_type__code="arrest_review")
    with pytest.raises(services.SequenceRuleError) as error:
        services.update_event(event, code="prosecution_review")
    assert [v.rule for v in error.value.violations] == ["one_intake"]
    event.refresh_from_db()
    assert event.event_type.code == "arrest_review"


# --- Rule 8 -------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", TRIAL_STEPS)
def test_rule8_trial_steps_need_an_indictment_on_or_before(org, code):
    case = make_case(org.prosecutors[0], [("prosecution_review", D(2025, 1, 1))])
    violation = refused(case, code, D(2025, 3, 1), "needs_indictment")
    assert violation.rule_title.startswith("规则8") and "提起公诉" in str(violation)
    services.log_event(case, "indictment", D(2025, 3, 5))
    refused(case, code, D(2025, 3, 1), "needs_indictment")  # an indictment after it is not enough
    services.log_event(case, code, D(2025, 3, 5))  # the same day: "on or before"
    assert case.events.filter(event_type__code=code).exists()


def test_rule8_an_incoming_step_on_the_indictment_day_entered_before_it(org):
    incoming = [
        EventRecord("prosecution_review", D(2025, 1, 1), "r2", True),
        EventRecord("judgment", D(2025, 3, 1), "r3", True),
        EventRecord("indictment", D(2025, 3, 1), "r4", True),
    ]
    assert check_sequence([], incoming, None, TODAY) == []


def test_rule8_deleting_or_moving_the_indictment_a_judgment_needs_is_refused(org):
    case = make_case(
        org.prosecutors[0],
        [("prosecution_review", D(2025, 1, 1)), ("indictment", D(2025, 2, 1)), ("judgment", D(2025, 4, 1))],
    )
    indictment = case.events.get(event_type__code="indictment")
    with pytest.raises(services.SequenceRuleError) as error:
        services.delete_event(indictment)
    assert error.value.violations[0].rule == "needs_indictment"
    with pytest.raises(services.SequenceRuleError):
        services.update_event(indictment, date=D(2025, 4, 2))
    services.update_event(indictment, date=D(2025, 4, 1))  # still on or before: accepted
    assert case.events.count() == 3


# --- Rule 9 -------------------------------------------------------------------------------------


@pytest.mark.parametrize("line", OTHER_LINES)
@pytest.mark.parametrize("code", ["arrest_review", "prosecution_review", "judicial_supervision"])
def test_rule9_a_case_of_another_line_takes_no_criminal_step(org, line, code):
    case = CaseFactory(prosecutor=org.prosecutors[0], line=line)
    violation = refused(case, code, D(2025, 3, 1), "case_line")
    assert violation.rule_title.startswith("规则9") and str(Case.Line(line).label) in str(violation)
    criminal = CaseFactory(prosecutor=org.prosecutors[0])  # positive control
    services.log_event(criminal, code if code != "judicial_supervision" else "prosecution_review", D(2025, 3, 1))


def test_rule9_changing_the_line_of_a_case_with_criminal_steps_is_refused_on_the_line(org):
    case = make_case(org.prosecutors[0], [("prosecution_review", D(2025, 3, 1))])
    case.line = Case.Line.CIVIL
    with pytest.raises(services.SequenceRuleError) as error:
        services.save_case(case)
    assert error.value.violations[0].rule == "case_line" and error.value.violations[0].blamed is None
    assert Case.objects.get(pk=case.pk).line == Case.Line.CRIMINAL
    empty = CaseFactory(prosecutor=org.prosecutors[0])  # no events yet: the line may change
    empty.line = Case.Line.CIVIL
    services.save_case(empty)
    assert Case.objects.get(pk=empty.pk).line == Case.Line.CIVIL


@pytest.mark.parametrize("line", OTHER_LINES)
def test_rule9_no_criminal_deadline_for_another_line(org, line):
    """Legacy rows written before the rule (the demo had such cases) still get no criminal clock."""
    criminal = make_case(org.prosecutors[0], [("prosecution_review", D(2025, 5, 1))])
    other = make_case(org.prosecutors[0], [("prosecution_review", D(2025, 5, 1))])
    Case.objects.filter(pk=other.pk).update(line=line)  # as stored before rule 9 existed
    other.refresh_from_db()
    assert [d.kind for d in deadlines.current_deadlines(criminal)] == ["prosecution_review"]
    assert deadlines.current_deadlines(other) == []
    found = deadlines.at_risk(Case.objects.all(), within_days=400)
    assert [d.case_id for d in found] == [criminal.pk]


# --- through the API, the case page and the admin ---------------------------------------------


@pytest.fixture
def clerk(org):
    user = get_user_model().objects.create(username="clerk")
    StaffRole.objects.create(user=user, unit=org.unit, kind=StaffRole.Kind.CASE_MANAGEMENT)
    return user


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize(
    ("events", "code", "rule"),
    [
        ([("prosecution_review", D(2025, 3, 1))], "prosecution_review", "one_intake"),
        ([("prosecution_review", D(2025, 3, 1))], "judgment", "needs_indictment"),
    ],
)
def test_api_refuses_rules_7_and_8_naming_the_rule(org, clerk, events, code, rule):
    case = make_case(org.prosecutors[0], events)
    response = api(clerk).post("/api/v1/events/", {"case": case.case_no, "event": code, "date": "2025-04-01"})
    assert response.status_code == 400, response.content
    assert response.json()["violations"][0]["rule"] == rule and "event" in response.json()
    assert case.events.count() == len(events)
    response = api(clerk).post("/api/v1/events/", {"case": case.case_no, "event": "indictment", "date": "2025-04-01"})
    assert response.status_code == 201  # positive control


def test_api_line_is_a_field_and_rule9_is_reported_against_it(org, clerk):
    client = api(clerk)
    body = {"case_no": "检民受[2025]000001号", "prosecutor": org.prosecutors[0].staff_code, "line": "civil"}
    assert client.post("/api/v1/cases/", body, format="json").status_code == 201
    response = client.post(
        "/api/v1/events/", {"case": body["case_no"], "event": "prosecution_review", "date": "2025-04-01"}
    )
    assert response.status_code == 400 and response.json()["violations"][0]["rule"] == "case_line"
    criminal = make_case(org.prosecutors[0], [("prosecution_review", D(2025, 3, 1))])
    url = f"/api/v1/cases/{quote(criminal.case_no)}/"
    response = client.patch(url, {"line": "administrative"}, format="json")
    assert response.status_code == 400 and "line" in response.json()
    assert response.json()["violations"][0]["rule_title"].startswith("规则9")
    assert Case.objects.get(pk=criminal.pk).line == "criminal"
    assert client.patch(url, {"line": "criminal", "title": "改名"}, format="json").status_code == 200


def test_case_page_event_form_names_rules_7_to_9(client, org, clerk):
    client.force_login(clerk)
    case = make_case(org.prosecutors[0], [("prosecution_review", D(2025, 3, 1))])
    other = CaseFactory(prosecutor=org.prosecutors[0], line=Case.Line.PUBLIC_INTEREST)
    for target, code, rule in [
        (case, "prosecution_review", "规则7"),
        (case, "retrial", "规则8"),
        (other, "prosecution_review", "规则9"),
    ]:
        url = reverse("cases:event_create", args=[target.pk])
        response = client.post(url, {"event": code, "date": "2025-04-01", "persons": 1})
        assert response.status_code == 400 and rule in response.content.decode()
    assert case.events.count() == 1 and other.events.count() == 0
    url = reverse("cases:event_create", args=[case.pk])
    assert client.post(url, {"event": "indictment", "date": "2025-04-01", "persons": 1}).status_code == 302


def test_admin_refuses_rules_7_to_9(admin_client, org):
    case = make_case(org.prosecutors[0], [("prosecution_review", D(2025, 3, 1))])
    url = reverse("admin:cases_proceduralevent_add")
    data = {"case": case.pk, "date": "2025-04-01", "persons": 1, "prosecutor": "", "note": ""}
    for code, rule in [("prosecution_review", "规则7"), ("second_instance", "规则8")]:
        response = admin_client.post(url, {**data, "code": code})
        assert response.status_code == 200 and rule in response.content.decode()
    assert case.events.count() == 1
    assert admin_client.post(url, {**data, "code": "indictment"}).status_code == 302


# --- through the importer ----------------------------------------------------------------------


def import_events(tmp_path, rows):
    return run_import(write_csv(tmp_path / "events.csv", EVENT_HEADER, [[*r, "", "", ""] for r in rows]), "events")


def errors(report):
    return [(e.kind, e.row, e.column, e.reason.split("：")[0]) for e in report.errors]


@pytest.mark.parametrize(
    ("stored", "rows", "expected"),
    [
        ([("arrest_review", D(2025, 1, 1))], [("arrest_review", "2025-02-01")], (2, "规则7")),
        ([], [("prosecution_review", "2025-01-01"), ("prosecution_review", "2025-02-01")], (3, "规则7")),
        ([("prosecution_review", D(2025, 2, 1))], [("prosecution_review", "2025-01-01")], (2, "规则7")),
        ([("prosecution_review", D(2025, 1, 1))], [("judgment", "2025-03-01")], (2, "规则8")),
        (
            [("prosecution_review", D(2025, 1, 1))],
            [("second_instance", "2025-03-01"), ("indictment", "2025-03-02")],
            (2, "规则8"),
        ),
    ],
)
def test_importer_refuses_rules_7_and_8_on_the_row(org, tmp_path, stored, rows, expected):
    case = make_case(org.prosecutors[0], stored)
    before = table_counts()
    report = import_events(tmp_path, [(case.case_no, code, day) for code, day in rows])
    assert ("events", *expected[:1], "event", expected[1]) in errors(report)
    assert table_counts() == before


def test_importer_positive_controls_for_rules_7_and_8(org, tmp_path):
    case = make_case(org.prosecutors[0], [("arrest_review", D(2025, 1, 1))])
    rows = [
        ("prosecution_review", "2025-01-20"),
        ("indictment", "2025-03-01"),
        ("trial_supplementary_investigation", "2025-03-01"),
        ("judgment", "2025-05-01"),
        ("second_instance", "2025-06-01"),
        ("retrial", "2025-06-20"),
    ]
    report = import_events(tmp_path, [(case.case_no, code, day) for code, day in rows])
    assert report.ok, report.errors
    assert case.events.count() == 7


def test_importer_rule9_new_case_of_another_line_and_a_line_change(org, tmp_path):
    stored = make_case(org.prosecutors[0], [("prosecution_review", D(2025, 1, 1))])
    cases = [
        ["检民受[2025]000007号", "某合同纠纷监督案", "民事", "", "U-MAIN", "D-1", "P-001", "", ""],
        ["检刑受[2025]000008号", "某盗窃案", "刑事", "", "U-MAIN", "D-1", "P-001", "", ""],
        [stored.case_no, "", "行政", "", "U-MAIN", "D-1", "P-001", "", ""],
    ]
    events = [
        ["检民受[2025]000007号", "prosecution_review", "2025-02-01", "", "", ""],
        ["检刑受[2025]000008号", "prosecution_review", "2025-02-01", "", "", ""],
    ]
    before = table_counts()
    path = write_xlsx(tmp_path / "book.xlsx", {"cases": (CASE_HEADER, cases), "events": (EVENT_HEADER, events)})
    report = run_import(path)
    found = errors(report)
    assert ("events", 2, "event", "规则9") in found
    assert ("cases", 4, "line", "规则9") in found
    assert not [e for e in found if e[1] == 3 and e[0] == "events"]  # the criminal case's row is fine
    assert table_counts() == before
    # Positive control: without the line change and the civil case's criminal step, all is written.
    report = run_import(
        write_xlsx(tmp_path / "ok.xlsx", {"cases": (CASE_HEADER, cases[:2]), "events": (EVENT_HEADER, events[1:])})
    )
    assert report.ok, report.errors
    assert Case.objects.get(case_no="检民受[2025]000007号").line == Case.Line.CIVIL
