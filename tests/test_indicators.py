"""DOMAIN.md §9: indicators beside the ratio, on a small hand-checked office.

The five cases (2025 unless noted; T = team 合规护企):

- A (P-001, T, 2 persons, closed 03-25, 认罪认罚, 量刑建议 adopted, 服判 yes): 审查起诉 01-10,
  自行补充侦查 01-15, 退补 01-20, 重新移送 02-10, 退补 02-20, 重新移送 03-05, 延长 03-10,
  起诉 03-20 (2 persons), 一审判决 05-10 (2 persons).
- B (P-002, no team, 3 persons, closed 02-20, no 认罪认罚): 审查逮捕 01-05, 不批准逮捕 01-09
  (3 persons), 审查起诉 02-01, 不起诉 02-20 (3 persons).
- C (P-001, T, 1 person, closed 03-05, 认罪认罚, 量刑建议 proposed, 服判 no): 审查逮捕 01-03,
  批准逮捕 01-08, 审查起诉 02-05, 延长 02-25, 起诉 03-05, 一审判决 04-01.
- D (P-003, T, 1 person, closed 02-15, 认罪认罚 unknown, 量刑建议 proposed, 服判 unknown):
  审查起诉 2024-12-20, 退补 01-05, 重新移送 01-30, 起诉 02-15, 一审判决 03-01.
- E (P-002, no team, open): 审查起诉 03-01, 自行补充侦查 03-10.
"""

import datetime

import pytest
from django.db import transaction

from cases import services
from cases.indicators import BETTER, COUNTERWEIGHTS, INDICATOR_NAMES, INDICATORS, indicators_for, rate
from cases.models import Case
from cases.ratio import RatioFilters, RatioQueryError, Scope
from tests.factories import make_case, make_office

D = datetime.date
YEAR = {"date_from": D(2025, 1, 1), "date_to": D(2025, 12, 31)}


def build(prosecutor, events, **fields):
    """A case whose events may carry persons and an outcome: (code, date[, persons[, outcome]])."""
    case = make_case(prosecutor, [], **fields)
    for code, day, *rest in events:
        persons = rest[0] if rest else 1
        outcome = rest[1] if len(rest) > 1 else None
        services.log_event(case, code, day, persons=persons, outcomes=outcome)
    return case


@pytest.fixture(scope="module")
def office_data(django_db_setup, django_db_blocker):
    """The office and its five cases, built once for the module and rolled back after it.

    Logging ~30 events through the service layer costs seconds; the tests only read them, and each
    test's own transaction is a savepoint inside this one.
    """
    with django_db_blocker.unblock(), pytest.MonkeyPatch.context() as patch:
        patch.setattr("cases.services.today", lambda: D(2025, 12, 31))
        with transaction.atomic():
            org = make_office()
            _build_cases(org)
            yield org
            transaction.set_rollback(True)


@pytest.fixture
def office(office_data, db, monkeypatch):
    monkeypatch.setattr("cases.services.today", lambda: D(2025, 12, 31))
    return office_data


def _build_cases(org):
    p1, p2, p3 = org.prosecutors
    build(
        p1,
        [
            ("prosecution_review", D(2025, 1, 10)),
            ("self_supplementary_investigation", D(2025, 1, 15)),
            ("supplementary_investigation", D(2025, 1, 20)),
            ("resubmission", D(2025, 2, 10)),
            ("supplementary_investigation", D(2025, 2, 20)),
            ("resubmission", D(2025, 3, 5)),
            ("review_extension", D(2025, 3, 10)),
            ("indictment", D(2025, 3, 20), 2),
            ("judgment", D(2025, 5, 10), 2),
        ],
        team=org.team,
        persons=2,
        closed_on=D(2025, 3, 25),
        plea_leniency=True,
        sentencing_recommendation=Case.Sentencing.ADOPTED,
        judgment_accepted=Case.Acceptance.YES,
    )
    build(
        p2,
        [
            ("arrest_review", D(2025, 1, 5), 3),
            ("arrest_decision", D(2025, 1, 9), 3, "不批准逮捕"),
            ("prosecution_review", D(2025, 2, 1), 3),
            ("non_prosecution", D(2025, 2, 20), 3),
        ],
        persons=3,
        closed_on=D(2025, 2, 20),
        plea_leniency=False,
    )
    build(
        p1,
        [
            ("arrest_review", D(2025, 1, 3)),
            ("arrest_decision", D(2025, 1, 8), 1, "批准逮捕"),
            ("prosecution_review", D(2025, 2, 5)),
            ("review_extension", D(2025, 2, 25)),
            ("indictment", D(2025, 3, 5)),
            ("judgment", D(2025, 4, 1)),
        ],
        team=org.team,
        closed_on=D(2025, 3, 5),
        plea_leniency=True,
        sentencing_recommendation=Case.Sentencing.PROPOSED,
        judgment_accepted=Case.Acceptance.NO,
    )
    build(
        p3,
        [
            ("prosecution_review", D(2024, 12, 20)),
            ("supplementary_investigation", D(2025, 1, 5)),
            ("resubmission", D(2025, 1, 30)),
            ("indictment", D(2025, 2, 15)),
            ("judgment", D(2025, 3, 1)),
        ],
        team=org.team,
        closed_on=D(2025, 2, 15),
        sentencing_recommendation=Case.Sentencing.PROPOSED,
    )
    build(
        p2,
        [("prosecution_review", D(2025, 3, 1)), ("self_supplementary_investigation", D(2025, 3, 10))],
    )


def figures(row):
    """{name: (numerator, denominator, value)} of a row."""
    return {name: (i.numerator, i.denominator, i.value) for name, i in row.values.items()}


FLOW_YEAR = {
    "supplementary_rate": (2, 4, 0.5),  # A (twice, counted once) and D of A, B, C, E received
    "extension_rate": (2, 4, 0.5),
    "non_arrest_rate": (3, 4, 0.75),
    "non_prosecution_rate": (3, 7, 0.4286),
    "plea_leniency_rate": (3, 7, 0.4286),
    # Persons (DOMAIN §9, issue 13 D3): A's 2 adopted of A, C, D's 4 proposed; A's 2 of 4 judged accept.
    "sentencing_adoption_rate": (2, 4, 0.5),
    "judgment_acceptance_rate": (2, 4, 0.5),
    "self_supplementary_count": (2, None, 2),
    # C's 1 arrested person was prosecuted; B's 3 not prosecuted were never arrested. No judgment records
    # an outcome here (see tests/test_counterweights.py), so no acquittal among the 4 persons judged.
    "post_arrest_non_prosecution_rate": (0, 1, 0.0),
    "acquittal_count": (0, None, 0),
    "acquittal_rate": (0, 4, 0.0),
    "amended_remanded_count": (0, None, 0),
}


def test_flow_totals_over_a_year(office):
    report = indicators_for(**YEAR)
    assert figures(report.total) == FLOW_YEAR
    assert [row.keys for row in report.rows] == [{}]
    assert figures(report.rows[0]) == FLOW_YEAR


def test_flow_by_month_counts_each_event_in_its_own_month(office):
    report = indicators_for(group_by="month", **YEAR)
    rows = {row.keys["month"]: figures(row) for row in report.rows}
    assert list(rows) == ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05"]
    january, february, march, april, may = rows.values()
    # 退补 of A and D in January against A alone received then: a flow rate may pass 1.
    assert january["supplementary_rate"] == (2, 1, 2.0)
    assert january["non_arrest_rate"] == (3, 4, 0.75)
    assert january["non_prosecution_rate"] == (0, 0, None)
    assert january["plea_leniency_rate"] == (0, 0, None)
    assert january["self_supplementary_count"] == (1, None, 1)
    assert february["supplementary_rate"] == (1, 2, 0.5)
    assert february["extension_rate"] == (1, 2, 0.5)
    assert february["non_prosecution_rate"] == (3, 4, 0.75)
    assert february["plea_leniency_rate"] == (0, 4, 0.0)  # B (3, no) and D (1, unknown) closed
    assert february["sentencing_adoption_rate"] == (0, 1, 0.0)
    assert march["supplementary_rate"] == (0, 1, 0.0)
    assert march["extension_rate"] == (1, 1, 1.0)
    assert march["non_prosecution_rate"] == (0, 3, 0.0)
    assert march["plea_leniency_rate"] == (3, 3, 1.0)
    assert march["sentencing_adoption_rate"] == (2, 3, 0.6667)
    assert march["judgment_acceptance_rate"] == (0, 1, 0.0)
    assert april["judgment_acceptance_rate"] == (0, 1, 0.0)
    assert april["supplementary_rate"] == (0, 0, None)
    assert may["judgment_acceptance_rate"] == (2, 2, 1.0)
    # The monthly 退补 cases add up to 3, the year's distinct cases to 2: the total is its own count.
    assert sum(r["supplementary_rate"][0] for r in rows.values()) == 3
    assert figures(report.total) == FLOW_YEAR


def test_cohort_counts_everything_of_cases_closed_in_the_period(office):
    report = indicators_for(basis="cohort", group_by="month", **YEAR)
    rows = {row.keys["month"]: figures(row) for row in report.rows}
    assert list(rows) == ["2025-02", "2025-03"]
    assert rows["2025-02"]["supplementary_rate"] == (1, 2, 0.5)  # D's 2024 审查起诉 counts with it
    assert rows["2025-02"]["non_arrest_rate"] == (3, 3, 1.0)
    assert rows["2025-02"]["non_prosecution_rate"] == (3, 4, 0.75)
    assert rows["2025-02"]["judgment_acceptance_rate"] == (0, 1, 0.0)
    assert rows["2025-03"]["extension_rate"] == (2, 2, 1.0)
    assert rows["2025-03"]["non_arrest_rate"] == (0, 1, 0.0)
    assert rows["2025-03"]["judgment_acceptance_rate"] == (2, 3, 0.6667)  # A's May judgment counts in March
    assert rows["2025-03"]["self_supplementary_count"] == (1, None, 1)
    total = figures(report.total)
    assert total["supplementary_rate"] == (2, 4, 0.5)
    assert total["self_supplementary_count"] == (1, None, 1)  # E is open
    assert total["judgment_acceptance_rate"] == FLOW_YEAR["judgment_acceptance_rate"]

    march_on = indicators_for(basis="cohort", date_from=D(2025, 3, 1), date_to=D(2025, 12, 31))
    assert figures(march_on.total) == rows["2025-03"]


def test_grouped_by_team_with_a_row_for_cases_without_one(office):
    report = indicators_for(group_by="team", **YEAR)
    rows = {row.keys["team"]: row for row in report.rows}
    assert list(rows) == ["T-HQ", None]
    assert rows["T-HQ"].labels["team"] == "合规护企" and rows[None].labels["team"] is None
    team, no_team = figures(rows["T-HQ"]), figures(rows[None])
    assert team["supplementary_rate"] == (2, 2, 1.0)  # D received in 2024, its 退补 in 2025
    assert team["non_arrest_rate"] == (0, 1, 0.0)
    assert team["plea_leniency_rate"] == (3, 4, 0.75)
    assert team["sentencing_adoption_rate"] == (2, 4, 0.5)
    assert no_team["supplementary_rate"] == (0, 2, 0.0)
    assert no_team["non_prosecution_rate"] == (3, 3, 1.0)
    assert no_team["sentencing_adoption_rate"] == (0, 0, None)
    assert no_team["self_supplementary_count"] == (1, None, 1)
    assert figures(report.total) == FLOW_YEAR  # without a period the rows add up to the total


def test_grouped_by_quarter_counts_a_case_once_per_quarter(office):
    report = indicators_for(group_by="quarter", **YEAR)
    rows = {row.keys["quarter"]: figures(row) for row in report.rows}
    assert list(rows) == ["2025-Q1", "2025-Q2"]
    assert rows["2025-Q1"]["supplementary_rate"] == (2, 4, 0.5)  # A's January and February 退补: one case
    assert rows["2025-Q2"]["judgment_acceptance_rate"] == (2, 3, 0.6667)
    assert figures(report.total) == FLOW_YEAR


def test_grouped_by_month_and_team(office):
    report = indicators_for(group_by="team,month", **YEAR)
    keys = [(row.keys["month"], row.keys["team"]) for row in report.rows]
    assert ("2025-01", "T-HQ") in keys and ("2025-01", None) in keys and ("2025-05", "T-HQ") in keys
    assert ("2025-05", None) not in keys  # nothing happened there
    jan_team = next(r for r in report.rows if r.keys == {"month": "2025-01", "team": "T-HQ"})
    assert figures(jan_team)["supplementary_rate"] == (2, 1, 2.0)


def test_scope_and_filters_restrict_to_what_may_be_seen(office):
    team_row = figures(next(r for r in indicators_for(group_by="team", **YEAR).rows if r.keys["team"] == "T-HQ"))
    by_scope = indicators_for(scope=Scope(team_ids=frozenset({office.team.pk})), **YEAR)
    assert figures(by_scope.total) == team_row
    assert figures(indicators_for(filters=RatioFilters(team="T-HQ"), **YEAR).total) == team_row

    p2 = office.prosecutors[1]
    own = figures(indicators_for(scope=Scope(prosecutor_ids=frozenset({p2.pk})), **YEAR).total)
    assert own["non_prosecution_rate"] == (3, 3, 1.0) and own["self_supplementary_count"] == (1, None, 1)
    assert figures(indicators_for(filters=RatioFilters(prosecutor="P-002"), **YEAR).total) == own

    nothing = indicators_for(scope=Scope(), **YEAR)
    assert nothing.rows == []
    assert all(value is None or value == 0 for _n, _d, value in figures(nothing.total).values())


def test_every_rate_is_null_without_a_denominator(office):
    report = indicators_for(date_from=D(2025, 7, 1), date_to=D(2025, 12, 31))
    assert report.rows == []
    values = figures(report.total)
    for count in ("self_supplementary_count", "acquittal_count", "amended_remanded_count"):
        assert values.pop(count) == (0, None, 0)
    assert set(values.values()) == {(0, 0, None)}


def test_non_arrest_counts_recorded_outcomes_never_notes(office):
    decisions = [
        (2, "不批准逮捕", ""),
        (3, "批准逮捕:2;不批准逮捕:1", ""),
        (4, "approved", "不批准逮捕（旧写法，不再读取）"),
        (1, None, "不批准逮捕"),  # no outcome recorded: counted on neither side
    ]
    for n, (persons, outcome, note) in enumerate(decisions):
        case = build(office.prosecutors[0], [("arrest_review", D(2025, 8, 1 + n), persons)])
        services.log_event(case, "arrest_decision", D(2025, 8, 5 + n), persons=persons, outcomes=outcome, note=note)
    total = figures(indicators_for(date_from=D(2025, 8, 1), date_to=D(2025, 8, 31)).total)
    assert total["non_arrest_rate"] == (3, 9, 0.3333)


def test_aggregate_queries_do_not_grow_with_the_data(office, django_assert_num_queries):
    # Whole months from the count table: month+team is one read (groups and total, which is read
    # apart because distinct cases do not add up over months, in one UNION ALL), one to name the teams.
    with django_assert_num_queries(2):
        indicators_for(group_by="month,team", **YEAR)
    with django_assert_num_queries(2):  # no period, so no total query; one to name the departments
        indicators_for(group_by="department", filters=RatioFilters(line="criminal"), **YEAR)
    build(office.prosecutors[0], [("prosecution_review", D(2025, 6, 1))], team=office.team)
    with django_assert_num_queries(2):
        report = indicators_for(group_by="month,team", **YEAR)
    assert figures(report.total)["supplementary_rate"] == (2, 5, 0.4)


def test_bad_parameters_name_the_field(office):
    for kwargs, field in [
        ({"basis": "stock"}, "basis"),
        ({"group_by": "month,weather"}, "group_by"),
        ({"filters": RatioFilters(team="NOPE")}, "team"),
        ({"date_from": D(2025, 2, 1), "date_to": D(2025, 1, 1)}, "date_from"),
    ]:
        with pytest.raises(RatioQueryError) as raised:
            indicators_for(**kwargs)
        assert raised.value.field == field


def test_catalogue_of_indicators_directions_and_counterweights():
    assert INDICATOR_NAMES == (
        "supplementary_rate",
        "extension_rate",
        "non_arrest_rate",
        "non_prosecution_rate",
        "plea_leniency_rate",
        "sentencing_adoption_rate",
        "judgment_acceptance_rate",
        "self_supplementary_count",
        "post_arrest_non_prosecution_rate",
        "acquittal_count",
        "acquittal_rate",
        "amended_remanded_count",
    )
    assert BETTER["supplementary_rate"] == "lower" and BETTER["plea_leniency_rate"] == "higher"
    assert BETTER["non_arrest_rate"] is None and BETTER["self_supplementary_count"] == "higher"
    assert str(INDICATORS["supplementary_rate"].label) == "退查率"
    # DOMAIN §9: 退查率 is read against 捕后不诉率; every counterweight names a known figure.
    assert "post_arrest_non_prosecution_rate" in COUNTERWEIGHTS["supplementary_rate"].against
    assert set(COUNTERWEIGHTS) == {"ratio", *INDICATOR_NAMES}
    for weight in COUNTERWEIGHTS.values():
        assert set(weight.against) <= set(INDICATOR_NAMES) and str(weight.reason)


def test_rate_rounds_half_up_to_four_decimals():
    assert rate(1, 3) == 0.3333 and rate(2, 3) == 0.6667 and rate(1, 8) == 0.125
    assert rate(5, 0) is None and rate(0, 0) is None


def test_counts_are_integers_whatever_the_database(office):
    # PostgreSQL sums bigints as numeric; a Decimal would reach the API as a string.
    report = indicators_for(group_by="month,prosecutor", **YEAR)
    for row in [*report.rows, report.total]:
        for indicator in row.values.values():
            assert type(indicator.numerator) is int
            assert indicator.denominator is None or type(indicator.denominator) is int
    assert report.total.values["non_prosecution_rate"].numerator > 0
