"""The roll-up kept by bulk writes: imports of new and stored cases, and `rollup.maintained` itself.

Every test ends on the same check as the property test of single writes: the maintained roll-up
equals `rollup.rebuild()` from the raw rows. Runs on SQLite and PostgreSQL (DATABASE_URL).
"""

import datetime

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases import indicator_facts, rollup, services
from cases.importer import run_import
from cases.indicators import indicators_for
from cases.models import Case, ProceduralEvent, RatioFact
from tests.factories import make_case
from tests.import_kit import EVENT_HEADER, write_xlsx

D = datetime.date
TODAY = D(2025, 12, 31)
CASES = ["case_no", "title", "unit", "department", "prosecutor", "team", "closed_on"]


@pytest.fixture
def today(today_fixed):
    return today_fixed(TODAY)


@pytest.fixture(autouse=True, params=["listed", "id table"])
def id_path(request, monkeypatch):
    """Every test twice: touched ids listed in the statements (few) and through the id table (many)."""
    if request.param == "id table":
        monkeypatch.setattr(rollup, "_LISTED_IDS", 0)
    return request.param


def assert_rollup_equals_rebuild() -> dict:
    """The ratio's roll-up and the indicators' count table (rebuilt with it) both equal a rebuild."""
    maintained, indicators = rollup.snapshot(), indicator_facts.snapshot()
    rollup.rebuild()
    rebuilt = rollup.snapshot()
    assert maintained == rebuilt
    assert indicators == indicator_facts.snapshot()
    # And the indicators read from it equal the raw count (whole months and partial ones).
    for basis in ("flow", "cohort"):
        for date_from, date_to in ((D(2024, 1, 1), D(2026, 12, 31)), (D(2025, 2, 10), D(2025, 11, 20))):
            kwargs = {"group_by": "quarter,unit", "basis": basis, "date_from": date_from, "date_to": date_to}
            got, expected = indicators_for(**kwargs), indicators_for(**kwargs, raw=True)
            assert [r.as_dict() for r in got.rows] == [r.as_dict() for r in expected.rows]
            assert got.total.as_dict() == expected.total.as_dict()
    return maintained


def totals(facts: dict) -> dict:
    """(cases, items) per basis over the `full` level of a snapshot."""
    out = {}
    for key, (cases, items) in facts.items():
        if key[0] == "full":
            c, i = out.get(key[1], (0, 0))
            out[key[1]] = (c + cases, i + items)
    return out


def stored_cases(org):
    """Three stored cases with events, written through the service layer (roll-up kept per write)."""
    p1, _p2, p3 = org.prosecutors
    k1 = make_case(
        p1,
        [("prosecution_review", D(2025, 3, 10)), ("supplementary_investigation", D(2025, 4, 2))],
        case_no="S-1",
        team=org.team,
    )
    k2 = make_case(
        p3,
        [
            ("arrest_review", D(2025, 2, 1)),
            ("prosecution_review", D(2025, 2, 15)),
            ("review_extension", D(2025, 2, 20)),
        ],
        case_no="S-2",
    )
    k3 = make_case(p1, [("prosecution_review", D(2025, 5, 5))], case_no="S-3", closed_on=None)
    return k1, k2, k3


def test_import_of_new_cases_and_their_events(org, today, tmp_path):
    path = write_xlsx(
        tmp_path / "new.xlsx",
        {
            "cases": (
                CASES,
                [
                    ["N-1", "甲", "U-MAIN", "D-1", "P-001", "T-HQ", None],
                    ["N-2", "乙", "U-MAIN", "D-2", "P-003", None, "2025-09-30"],
                    ["N-3", "丙", "U-MAIN", "D-1", "P-002", None, None],  # no events: counts nothing
                ],
            ),
            "events": (
                EVENT_HEADER,
                [
                    ["N-1", "arrest_review", "2025-01-03", 1, "", ""],
                    ["N-1", "prosecution_review", "2025-02-01", 1, "", ""],
                    ["N-1", "supplementary_investigation", "2025-02-20", 1, "", ""],
                    ["N-2", "prosecution_review", "2025-03-01", 1, "", ""],
                    ["N-2", "review_extension", "2025-03-25", 1, "", ""],
                    ["N-2", "state_compensation", "2025-10-08", 1, "", ""],
                ],
            ),
        },
    )
    report = run_import(path)
    assert report.ok, report.errors
    facts = assert_rollup_equals_rebuild()
    # flow: 2 cases, items 2 + 3 extras; cohort: N-2 closed, 1 + 2 extras.
    assert totals(facts) == {"flow": (2, 5), "cohort": (1, 3)}
    assert (RatioFact.objects.filter(level="unit", basis="flow", event_code="").count()) == 2  # Jan and Mar


def test_import_changing_stored_cases_moves_their_facts(org, today, tmp_path):
    stored_cases(org)
    before = assert_rollup_equals_rebuild()
    assert totals(before) == {"flow": (3, 5)}
    path = write_xlsx(
        tmp_path / "changes.xlsx",
        {
            "cases": (
                CASES,
                [
                    # reassigned to another prosecutor and department, out of the team, closed
                    ["S-1", "甲", "U-MAIN", "D-2", "P-003", None, "2025-06-30"],
                    ["S-2", "乙", "U-MAIN", "D-2", "P-003", "T-HQ", None],  # joins the team
                ],
            ),
            "events": (
                EVENT_HEADER,
                [
                    # an earlier base event moves S-3's received month from May to January
                    ["S-3", "arrest_review", "2025-01-20", 1, "", ""],
                    ["S-3", "prosecution_review", "2025-05-05", 2, "P-002", "人数更正"],  # edited: no fact moves
                    ["S-3", "state_compensation", "2025-11-02", 1, "", ""],
                    ["S-1", "review_extension", "2025-04-20", 1, "", ""],
                ],
            ),
        },
    )
    report = run_import(path)
    assert report.ok, report.errors
    assert report.counts["events"] == {"created": 3, "updated": 1, "unchanged": 0}
    after = assert_rollup_equals_rebuild()
    assert totals(after) == {"flow": (3, 7), "cohort": (1, 3)}
    s3 = Case.objects.get(case_no="S-3")
    assert (s3.received_on, s3.items) == (D(2025, 1, 20), 2)
    received = {str(k[2])[:7]: v[0] for k, v in after.items() if k[:2] == ("full", "flow") and k[-1] == "" and v[0]}
    assert received == {"2025-01": 1, "2025-02": 1, "2025-03": 1}


def test_import_of_new_and_stored_cases_together(org, today, tmp_path):
    stored_cases(org)
    path = write_xlsx(
        tmp_path / "mixed.xlsx",
        {
            "cases": (
                CASES,
                [
                    ["S-3", "丙", "U-MAIN", "D-1", "P-002", "T-HQ", "2025-08-31"],
                    ["N-9", "新", "U-MAIN", "D-1", "P-001", "T-HQ", None],
                ],
            ),
            "events": (
                EVENT_HEADER,
                [
                    ["N-9", "prosecution_review", "2025-06-01", 1, "", ""],
                    ["N-9", "review_extension", "2025-06-25", 1, "", ""],
                    ["S-2", "state_compensation", "2025-09-09", 1, "", ""],
                    ["S-2", "review_extension", "2025-02-20", 3, "", "只改人数"],
                ],
            ),
        },
    )
    report = run_import(path)
    assert report.ok, report.errors
    assert report.counts["cases"] == {"created": 1, "updated": 1, "unchanged": 0}
    facts = assert_rollup_equals_rebuild()
    assert totals(facts) == {"flow": (4, 8), "cohort": (1, 1)}


def test_refused_import_leaves_the_rollup_as_it_was(org, today, tmp_path):
    stored_cases(org)
    before = assert_rollup_equals_rebuild()
    path = write_xlsx(
        tmp_path / "bad.xlsx",
        {
            "cases": (CASES, [["N-1", "甲", "U-MAIN", "D-1", "P-001", None, None]]),
            "events": (
                EVENT_HEADER,
                [
                    ["N-1", "prosecution_review", "2025-02-01", 1, "", ""],
                    ["S-1", "supplementary_investigation", "2025-06-01", 1, "", ""],
                    ["S-1", "supplementary_investigation", "2025-07-01", 1, "", ""],  # a third round: rule 4
                ],
            ),
        },
    )
    assert not run_import(path).ok
    assert assert_rollup_equals_rebuild() == before


# --- maintained() itself ----------------------------------------------------------------------


def test_nested_blocks_keep_their_own_cases(org, today):
    k1, k2, k3 = stored_cases(org)
    with rollup.maintained([k1.pk, k2.pk]):
        ProceduralEvent.objects.filter(case=k1, event_type__code="supplementary_investigation").delete()
        with rollup.maintained([k3.pk]):
            services.log_event(k3, "review_extension", D(2025, 5, 20))  # its own block: left to this one
            Case.objects.filter(pk=k3.pk).update(closed_on=D(2025, 7, 1))
        services.derive_case_fields([k1.pk])
        Case.objects.filter(pk=k2.pk).update(team=org.team)
    facts = assert_rollup_equals_rebuild()
    assert totals(facts) == {"flow": (3, 5), "cohort": (1, 2)}


def test_a_failed_block_inside_a_transaction_leaves_nothing_behind(org, today):
    k1, k2, _k3 = stored_cases(org)
    before = rollup.snapshot()
    with transaction.atomic():
        with pytest.raises(RuntimeError), rollup.maintained([k1.pk]):
            ProceduralEvent.objects.filter(case=k1).delete()
            raise RuntimeError("the write failed")
        assert rollup.snapshot() == before
        with rollup.maintained([k2.pk]):
            Case.objects.filter(pk=k2.pk).update(closed_on=D(2025, 3, 31))
    facts = assert_rollup_equals_rebuild()
    assert totals(facts) == {"flow": (3, 5), "cohort": (1, 2)}


def test_deleting_cases_takes_their_facts_out(org, today):
    k1, k2, k3 = stored_cases(org)
    with rollup.maintained([k1.pk, k2.pk, k3.pk]):
        Case.objects.filter(pk__in=[k1.pk, k3.pk]).delete()
    facts = assert_rollup_equals_rebuild()
    assert totals(facts) == {"flow": (1, 2)}


def test_new_cases_are_left_out_of_the_before_half(org, today):
    k1, _k2, _k3 = stored_cases(org)
    # Created outside any block, as the importer creates its new cases: the roll-up has not seen them.
    fresh = make_case(org.prosecutors[1], case_no="F-1")
    Case.objects.filter(pk=fresh.pk).update(received_on=D(2025, 1, 1), items=1)  # facts the roll-up lacks
    with rollup.maintained([k1.pk, fresh.pk], new_case_ids=[fresh.pk]):
        services.derive_case_fields([fresh.pk])  # back to no base event: no facts
        Case.objects.filter(pk=k1.pk).update(closed_on=D(2025, 6, 1))
    facts = assert_rollup_equals_rebuild()
    assert totals(facts) == {"flow": (3, 5), "cohort": (1, 2)}


def test_a_write_that_changes_no_fact_writes_no_rollup_row(org, today):
    k1, _k2, _k3 = stored_cases(org)
    before = {row["id"]: row for row in RatioFact.objects.values()}
    with rollup.maintained([k1.pk]):
        ProceduralEvent.objects.filter(case=k1).update(note="只改备注", persons=4)
    assert {row["id"]: row for row in RatioFact.objects.values()} == before


def test_touched_ids_in_the_tens_of_thousands(org, today):
    """More ids than one batch of the id table, most of them no case at all."""
    k1, k2, k3 = stored_cases(org)
    ids = [k1.pk, k2.pk, k3.pk, *range(10_000_000, 10_060_000)]
    with rollup.maintained(ids):
        Case.objects.filter(pk=k3.pk).update(prosecutor=org.prosecutors[2], department=org.departments[1])
    facts = assert_rollup_equals_rebuild()
    assert totals(facts) == {"flow": (3, 5)}


# --- derive_case_fields ------------------------------------------------------------------------


def test_derive_case_fields_sets_received_date_and_items(org, today):
    k1, k2, k3 = stored_cases(org)
    empty = make_case(org.prosecutors[0], case_no="E-1")
    Case.objects.update(received_on=D(2001, 1, 1), items=99)  # stale values everywhere
    services.derive_case_fields([k1.pk, k2.pk, k3.pk, empty.pk, k1.pk])
    got = dict(Case.objects.values_list("case_no", "received_on"))
    items = dict(Case.objects.values_list("case_no", "items"))
    assert got == {"S-1": D(2025, 3, 10), "S-2": D(2025, 2, 1), "S-3": D(2025, 5, 5), "E-1": None}
    assert items == {"S-1": 2, "S-2": 2, "S-3": 1, "E-1": 0}
    # the portable path over every case agrees
    Case.objects.update(received_on=None, items=0)
    services.derive_case_fields()
    assert dict(Case.objects.values_list("case_no", "received_on")) == got
    assert dict(Case.objects.values_list("case_no", "items")) == items


def test_derive_case_fields_touches_only_the_cases_given(org, today):
    k1, k2, _k3 = stored_cases(org)
    Case.objects.filter(pk=k2.pk).update(items=42)
    services.derive_case_fields([k1.pk])
    assert Case.objects.get(pk=k2.pk).items == 42


# --- a property over random imports -------------------------------------------------------------

CODES = [
    "arrest_review",
    "prosecution_review",
    "supplementary_investigation",
    "review_extension",
    "second_instance",
    "resubmission",
    "arrest_reconsideration",
]
days = st.dates(min_value=D(2024, 11, 1), max_value=D(2025, 4, 30))
import_cases = st.lists(
    st.tuples(
        st.integers(0, 5),  # which case: 0-2 stored, 3-5 new
        st.integers(0, 2),  # prosecutor
        st.booleans(),  # in the team
        st.one_of(st.none(), days),  # closed on
    ),
    max_size=5,
)
import_events = st.lists(st.tuples(st.integers(0, 5), st.sampled_from(CODES), days, st.integers(1, 3)), max_size=10)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cases=import_cases, events=import_events)
def test_any_import_keeps_the_rollup_equal_to_a_rebuild(org, today, tmp_path_factory, cases, events):
    staff = ["P-001", "P-002", "P-003"]
    departments = {"P-001": "D-1", "P-002": "D-1", "P-003": "D-2"}
    with transaction.atomic():
        stored_cases(org)
        numbers = ["S-1", "S-2", "S-3", "N-1", "N-2", "N-3"]
        case_rows, seen = [], set()
        for which, prosecutor, in_team, closed_on in cases:
            if which in seen:
                continue
            seen.add(which)
            code = staff[prosecutor]
            team = "T-HQ" if in_team else None
            case_rows.append([numbers[which], "案", "U-MAIN", departments[code], code, team, closed_on])
        known = {"S-1", "S-2", "S-3"} | {row[0] for row in case_rows}
        event_rows, keys = [], set()
        for which, code, day, persons in events:
            if numbers[which] in known and (numbers[which], code, day) not in keys:
                keys.add((numbers[which], code, day))
                event_rows.append([numbers[which], code, day, persons, "", ""])
        path = write_xlsx(
            tmp_path_factory.mktemp("import") / "random.xlsx",
            {"cases": (CASES, case_rows), "events": (EVENT_HEADER, event_rows)},
        )
        run_import(path)  # refused or not, the roll-up must equal a rebuild
        assert_rollup_equals_rebuild()
        transaction.set_rollback(True)


def test_scratch_tables_are_empty_after_a_block(org, today, id_path):
    k1, _k2, _k3 = stored_cases(org)
    with rollup.maintained([k1.pk]):
        Case.objects.filter(pk=k1.pk).update(closed_on=D(2025, 6, 1))
    tables = ["caseqa_rollup_delta_0"] + (["caseqa_rollup_touched_0"] if id_path == "id table" else [])
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM {table}")
            assert cursor.fetchone()[0] == 0


@pytest.mark.parametrize("with_events_sheet", [True, False])
def test_closing_stored_cases_without_events_rows(org, today, tmp_path, with_events_sheet):
    """A changed closed date is checked against the stored events; no incoming event is touched."""
    stored_cases(org)
    sheets = {"cases": (CASES, [["S-1", "甲", "U-MAIN", "D-1", "P-001", "T-HQ", D(2025, 4, 2)]])}
    if with_events_sheet:
        sheets["events"] = (EVENT_HEADER, [])
    report = run_import(write_xlsx(tmp_path / "close.xlsx", sheets))
    assert report.ok, report.errors
    assert Case.objects.get(case_no="S-1").closed_on == D(2025, 4, 2)
    facts = assert_rollup_equals_rebuild()
    assert totals(facts) == {"flow": (3, 5), "cohort": (1, 2)}


def test_a_value_too_long_for_its_column_is_refused_by_validation(org, today, tmp_path):
    """Refused before the write on both databases, naming row and column; nothing stored, roll-up unchanged."""
    stored_cases(org)
    before = assert_rollup_equals_rebuild()
    case_no = "L-" + "9" * 99  # 101 characters; case_no holds 100
    path = write_xlsx(
        tmp_path / "long.xlsx",
        {
            "cases": (CASES, [[case_no, "长", "U-MAIN", "D-1", "P-001", None, None]]),
            "events": (EVENT_HEADER, [[case_no, "prosecution_review", D(2025, 2, 1), 1, "", ""]]),
        },
    )
    report = run_import(path)
    assert not report.written
    assert ("cases", 2, "case_no") in [(e.kind, e.row, e.column) for e in report.errors]
    assert not Case.objects.filter(case_no=case_no).exists()
    assert assert_rollup_equals_rebuild() == before


def test_new_cases_without_events_leave_the_rollup_alone(org, today, tmp_path):
    """They count nothing until a base event arrives, so the import does no roll-up or derive work for them."""
    from django.test.utils import CaptureQueriesContext

    stored_cases(org)
    before = rollup.snapshot()
    rows = [[f"N-{i}", "新", "U-MAIN", "D-1", "P-001", "T-HQ", None] for i in range(30)]
    with CaptureQueriesContext(connection) as queries:
        report = run_import(write_xlsx(tmp_path / "cases.xlsx", {"cases": (CASES, rows)}))
    assert report.ok and report.counts["cases"]["created"] == 30, report.errors
    assert not [q["sql"] for q in queries.captured_queries if "ratiofact" in q["sql"] or "rollup" in q["sql"]]
    assert Case.objects.filter(case_no__startswith="N-", received_on__isnull=True, items=0).count() == 30
    assert assert_rollup_equals_rebuild() == before


def test_events_imported_onto_cases_imported_without_events(org, today, tmp_path):
    """The benchmark's shape: a cases file, then an events file for those cases (and one stored case)."""
    stored_cases(org)
    cases = write_xlsx(
        tmp_path / "cases.xlsx",
        {
            "cases": (
                CASES,
                [
                    ["N-1", "甲", "U-MAIN", "D-1", "P-001", "T-HQ", None],
                    ["N-2", "乙", "U-MAIN", "D-2", "P-003", None, None],
                ],
            )
        },
    )
    assert run_import(cases).ok
    only_new = [
        ["N-1", "prosecution_review", D(2025, 2, 1), 1, "", ""],
        ["N-1", "supplementary_investigation", D(2025, 3, 1), 1, "", ""],
        ["N-2", "arrest_review", D(2025, 1, 9), 1, "", ""],
    ]
    assert run_import(write_xlsx(tmp_path / "e1.xlsx", {"events": (EVENT_HEADER, only_new)})).ok
    assert totals(assert_rollup_equals_rebuild()) == {"flow": (5, 8)}
    with_stored = [
        ["N-2", "arrest_reconsideration", D(2025, 2, 9), 1, "", ""],
        ["S-3", "state_compensation", D(2025, 9, 1), 1, "", ""],
    ]
    assert run_import(write_xlsx(tmp_path / "e2.xlsx", {"events": (EVENT_HEADER, with_stored)})).ok
    assert totals(assert_rollup_equals_rebuild()) == {"flow": (5, 10)}
