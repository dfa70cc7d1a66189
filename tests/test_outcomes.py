"""Outcomes as data (DOMAIN §3, issue 16): each event type's choices, and every write path that records them."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from cases import services
from cases.importer import run_import
from cases.models import EventType, OutcomeChoice, ProceduralEvent
from tests.factories import make_case
from tests.import_kit import table_counts, write_csv, write_xlsx

D = datetime.date
HEADER = ["case_no", "event", "date", "persons", "prosecutor", "note", "outcome"]

SEEDED = {
    "arrest_decision": ["批准逮捕", "不批准逮捕"],
    "judgment": ["有罪", "无罪", "部分无罪", "免予刑事处罚"],
    "second_instance": ["维持", "改判", "发回重审"],
    "retrial": ["维持", "改判", "发回重审"],
}


@pytest.fixture
def today(today_fixed):
    return today_fixed(D(2025, 12, 31))


def choices_of(code: str) -> list[str]:
    return list(
        OutcomeChoice.objects.filter(event_type__code=code, event_type__rule_set__code="criminal-2020")
        .order_by("position")
        .values_list("label_zh", flat=True)
    )


@pytest.mark.django_db
def test_each_event_type_declares_its_outcome_choices():
    for code, labels in SEEDED.items():
        assert choices_of(code) == labels
    others = EventType.objects.exclude(code__in=SEEDED).filter(outcome_choices__isnull=False)
    assert not others.exists()


def arrested_case(org, persons=3):
    return make_case(org.prosecutors[0], [("arrest_review", D(2025, 3, 1))], persons=persons)


def test_one_outcome_covers_all_persons_and_a_split_names_each(org, today):
    case = arrested_case(org)
    event = services.log_event(case, "arrest_decision", D(2025, 3, 5), persons=3, outcomes="批准逮捕")
    assert event.outcomes == {"approved": 3}
    event = services.log_event(
        case, "arrest_decision", D(2025, 3, 6), persons=None, outcomes="批准逮捕:2；不批准逮捕：1"
    )
    assert (event.outcomes, event.persons) == ({"approved": 2, "not_approved": 1}, 3)
    event = services.log_event(case, "arrest_decision", D(2025, 3, 7), persons=2, outcomes={"not_approved": 2})
    assert event.outcomes == {"not_approved": 2}


@pytest.mark.parametrize(
    "code, outcome, persons, message",
    [
        ("arrest_decision", "无罪", 1, "不是该环节的选项"),
        ("arrest_decision", "批准逮捕:2;不批准逮捕:2", 3, "各结果人数之和（4）应等于涉及人数（3）"),
        ("arrest_decision", "批准逮捕;不批准逮捕", 2, "每个结果须写明人数"),
        ("arrest_decision", "批准逮捕:0;不批准逮捕:1", 1, "人数应为正整数"),
        ("arrest_decision", "批准逮捕:1;approved:1", 2, "重复"),
        ("arrest_review", "批准逮捕", 1, "没有结果选项"),
    ],
)
def test_an_outcome_outside_the_rules_is_refused_naming_the_field(org, today, code, outcome, persons, message):
    case = arrested_case(org)
    before = ProceduralEvent.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.log_event(case, code, D(2025, 3, 5), persons=persons, outcomes=outcome)
    assert message in caught.value.message_dict["outcome"][0]
    assert ProceduralEvent.objects.count() == before


def test_a_correction_keeps_outcomes_and_persons_consistent(org, today):
    case = arrested_case(org)
    event = services.log_event(case, "arrest_decision", D(2025, 3, 5), persons=3, outcomes="approved")
    with pytest.raises(ValidationError):
        services.update_event(event, persons=2)  # {"approved": 3} no longer adds up
    event = services.update_event(event, outcomes="批准逮捕:1;不批准逮捕:2")
    assert (event.outcomes, event.persons) == ({"approved": 1, "not_approved": 2}, 3)
    assert ProceduralEvent.history.filter(id=event.pk).count() == 2  # the correction has its audit trail


def import_events(tmp_path, rows, header=HEADER):
    path = write_csv(tmp_path / "events.csv", header, [[*r, *[""] * (len(header) - len(r))] for r in rows])
    return run_import(path, "events")


def test_import_takes_outcomes_as_chinese_labels_codes_or_split(org, tmp_path, today):
    cases = [arrested_case(org) for _ in range(3)]
    judged = make_case(
        org.prosecutors[0], [("prosecution_review", D(2025, 2, 1)), ("indictment", D(2025, 3, 1))], persons=2
    )
    report = import_events(
        tmp_path,
        [
            [cases[0].case_no, "arrest_decision", "2025-03-05", "3", "", "", "不批准逮捕"],
            [cases[1].case_no, "arrest_decision", "2025-03-05", "", "", "", "批准逮捕:2;不批准逮捕:1"],
            [cases[2].case_no, "批准/不批准逮捕决定", "2025-03-05", "3", "", "", "APPROVED"],
            [judged.case_no, "judgment", "2025-05-05", "2", "", "", "无罪:1，有罪:1"],
            [judged.case_no, "second_instance", "2025-06-05", "2", "", "", "amended"],
        ],
    )
    assert not report.errors, report.errors
    stored = {
        (e.case.case_no, e.event_type.code): (e.outcomes, e.persons)
        for e in ProceduralEvent.objects.filter(outcomes__isnull=False).select_related("case", "event_type")
    }
    assert stored == {
        (cases[0].case_no, "arrest_decision"): ({"not_approved": 3}, 3),
        (cases[1].case_no, "arrest_decision"): ({"approved": 2, "not_approved": 1}, 3),
        (cases[2].case_no, "arrest_decision"): ({"approved": 3}, 3),
        (judged.case_no, "judgment"): ({"acquitted": 1, "guilty": 1}, 2),
        (judged.case_no, "second_instance"): ({"amended": 2}, 2),
    }


def test_import_refuses_bad_outcomes_naming_row_and_column_and_writes_nothing(org, tmp_path, today):
    case = arrested_case(org)
    before = table_counts()
    report = import_events(
        tmp_path,
        [
            [case.case_no, "arrest_decision", "2025-03-05", "3", "", "", "有罪"],
            [case.case_no, "arrest_decision", "2025-03-06", "2", "", "", "批准逮捕:2;不批准逮捕:1"],
            [case.case_no, "arrest_review", "2025-03-01", "", "", "", "批准逮捕"],
            [case.case_no, "arrest_decision", "2025-03-08", "3", "", "", "批准逮捕"],
        ],
    )
    assert [(e.row, e.column) for e in report.errors] == [(2, "outcome"), (3, "outcome"), (4, "outcome")]
    assert "不是该环节的选项" in report.errors[0].reason
    assert "应等于涉及人数（2）" in report.errors[1].reason
    assert table_counts() == before


def test_reimport_sets_and_changes_an_outcome_and_checks_new_persons(org, tmp_path, today):
    case = arrested_case(org)
    services.log_event(case, "arrest_decision", D(2025, 3, 5), persons=3)
    report = import_events(tmp_path, [[case.case_no, "arrest_decision", "2025-03-05", "", "", "", "不批准逮捕"]])
    assert not report.errors, report.errors
    event = ProceduralEvent.objects.get(case=case, event_type__code="arrest_decision")
    assert (event.outcomes, event.persons) == ({"not_approved": 3}, 3)
    report = import_events(tmp_path, [[case.case_no, "arrest_decision", "2025-03-05", "2"]])
    assert [(e.row, e.column) for e in report.errors] == [(2, "persons")]
    event.refresh_from_db()
    assert event.persons == 3


def test_import_of_a_workbook_with_an_outcome_column(org, tmp_path, today):
    case = arrested_case(org, persons=1)
    path = write_xlsx(
        tmp_path / "book.xlsx",
        {"events": (HEADER, [[case.case_no, "arrest_decision", D(2025, 3, 5), 1, None, None, "不批准逮捕"]])},
    )
    report = run_import(path)
    assert not report.errors, report.errors
    assert ProceduralEvent.objects.get(case=case, event_type__code="arrest_decision").outcomes == {"not_approved": 1}


def test_the_api_records_and_shows_outcomes(org, today, django_user_model):
    admin = django_user_model.objects.create_superuser("root", password="x")
    client = APIClient()
    client.force_authenticate(admin)
    case = arrested_case(org)
    body = {
        "case": case.case_no,
        "event": "arrest_decision",
        "date": "2025-03-05",
        "outcome": "批准逮捕:2;不批准逮捕:1",
    }
    response = client.post("/api/v1/events/", body, format="json")
    assert response.status_code == 201, response.content
    assert (response.json()["outcomes"], response.json()["persons"]) == ({"approved": 2, "not_approved": 1}, 3)
    body = {"case": case.case_no, "event": "arrest_decision", "date": "2025-03-06", "outcome": "无罪"}
    response = client.post("/api/v1/events/", body, format="json")
    assert response.status_code == 400
    assert "outcome" in response.json()
    catalogue = client.get("/api/v1/event-types/arrest_decision/").json()
    assert [c["label_zh"] for c in catalogue["outcome_choices"]] == ["批准逮捕", "不批准逮捕"]


def test_the_case_page_form_records_an_outcome_and_shows_it(org, today, client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", password="x")
    client.force_login(admin)
    case = arrested_case(org)
    url = reverse("cases:event_create", args=[case.pk])
    data = {"event": "arrest_decision", "date": "2025-03-05", "persons": "3", "outcome": "批准逮捕:2;不批准逮捕:1"}
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "批准逮捕 2；不批准逮捕 1" in page
    response = client.post(url, {**data, "date": "2025-03-06", "outcome": "改判"})
    assert response.status_code == 400
    assert "不是该环节的选项" in response.content.decode()


# serialized_rollback: the seeded catalogue is back even when an earlier transactional test flushed it.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_data_migration_reads_the_old_note_convention_once():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([("cases", "0008_event_outcomes")])
    apps = executor.loader.project_state([("cases", "0008_event_outcomes")]).apps
    Unit, Department, Prosecutor = (apps.get_model("teams", m) for m in ("Unit", "Department", "Prosecutor"))
    Case, EventType, Event = (apps.get_model("cases", m) for m in ("Case", "EventType", "ProceduralEvent"))
    unit = Unit.objects.create(code="U-M", name="迁移院")
    department = Department.objects.create(code="D-M", name="一部", unit=unit)
    person = Prosecutor.objects.create(staff_code="P-M", name="甲", unit=unit, department=department)
    case = Case.objects.create(case_no="M-1", unit=unit, department=department, prosecutor=person, persons=3)
    decision = EventType.objects.get(rule_set__code="criminal-2020", code="arrest_decision")
    review = EventType.objects.get(rule_set__code="criminal-2020", code="arrest_review")
    notes = ["不批准逮捕（证据不足）", "批准逮捕", "", "Not arrested: bail", "不捕", "经审查不批准逮捕"]
    for day, note in enumerate(notes, start=1):
        Event.objects.create(case=case, event_type=decision, date=D(2025, 1, day), persons=2, note=note)
    Event.objects.create(case=case, event_type=review, date=D(2025, 1, 1), note="不批准逮捕")

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    migrated = dict(
        ProceduralEvent.objects.filter(case__case_no="M-1")
        .order_by("date", "event_type__code")
        .values_list("note", "outcomes")
    )
    assert migrated == {
        "不批准逮捕（证据不足）": {"not_approved": 2},
        "批准逮捕": {"approved": 2},
        "": {"approved": 2},
        "Not arrested: bail": {"not_approved": 2},
        "不捕": {"not_approved": 2},
        "经审查不批准逮捕": {"approved": 2},  # a prefix, not anywhere in the note: the old rule exactly
        "不批准逮捕": None,  # the note of an arrest_review is no arrest decision
    }
