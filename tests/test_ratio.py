"""The ratio engine against DOMAIN.md §4 (counting rules, bases, periods, attribution)."""

import datetime

import pytest

from cases import rollup, services
from cases.models import Case
from cases.ratio import RatioFilters, RatioQueryError, Scope, format_ratio, ratio_for, split_range
from tests.factories import CaseFactory, TeamFactory, make_case

D = datetime.date
YEAR_2025 = {"date_from": D(2025, 1, 1), "date_to": D(2025, 12, 31)}


def rows_by(report, key):
    return {row.keys[key]: row for row in report.rows}


# DOMAIN §4 worked example: 不捕复议, 复核, two 退补 and one 延长 → 6 items.
SIX_ITEM_CASE = [
    ("arrest_review", D(2025, 1, 3)),
    ("arrest_reconsideration", D(2025, 1, 8)),
    ("arrest_superior_review", D(2025, 1, 12)),
    ("prosecution_review", D(2025, 2, 1)),
    ("supplementary_investigation", D(2025, 2, 20)),
    ("resubmission", D(2025, 3, 15)),
    ("supplementary_investigation", D(2025, 4, 1)),
    ("resubmission", D(2025, 4, 25)),
    ("review_extension", D(2025, 5, 10)),
]


def test_worked_example_one_case_six_items(org):
    case = make_case(org.prosecutors[0], SIX_ITEM_CASE)
    assert case.items == 6
    report = ratio_for(**YEAR_2025)
    assert (report.total.cases, report.total.items, report.total.ratio_display) == (1, 6, "1:6.00")
    assert report.total.extras == {
        "arrest_reconsideration": 1,
        "arrest_superior_review": 1,
        "supplementary_investigation": 2,
        "review_extension": 1,
    }


def test_worked_example_thousand_cases_gives_131():
    # 1,000 cases: 150 with one 退补, 30 with two, 80 with one 延长, 20 with a 不捕复议.
    items = 1000 + 150 + 60 + 80 + 20
    assert format_ratio(items, 1000) == (1.31, "1:1.31", 131.00)


@pytest.mark.django_db
def test_worked_example_thousand_cases_through_the_engine(org):
    day = D(2025, 3, 3)
    p = org.prosecutors[0]
    for n in range(1000):
        events = [("prosecution_review", day)]
        if n < 150:
            events.append(("supplementary_investigation", D(2025, 3, 10)))
        elif n < 180:
            events += [
                ("supplementary_investigation", D(2025, 3, 10)),
                ("resubmission", D(2025, 3, 20)),
                ("supplementary_investigation", D(2025, 3, 25)),
            ]
        elif n < 260:
            events.append(("review_extension", D(2025, 3, 28)))
        elif n < 280:
            events = [("arrest_review", day), ("arrest_reconsideration", D(2025, 3, 5)), *events]
        _bulk_case(p, n, events)
    services.derive_case_fields([c.pk for c in p.cases.all()])
    from cases import rollup

    rollup.rebuild()
    report = ratio_for(**YEAR_2025)
    assert (report.total.cases, report.total.items) == (1000, 1310)
    assert (report.total.ratio, report.total.ratio_display, report.total.index) == (1.31, "1:1.31", 131.0)


def _bulk_case(prosecutor, n, events):
    from cases.models import ProceduralEvent

    case = CaseFactory(prosecutor=prosecutor, case_no=f"K{n:05d}")
    ProceduralEvent.objects.bulk_create(
        ProceduralEvent(case=case, event_type=services.event_type_for(code, day), date=day) for code, day in events
    )


def test_case_without_base_event_counts_nothing(org):
    case = CaseFactory(prosecutor=org.prosecutors[0])
    services.log_event(case, "arrest_complaint", D(2025, 2, 1))
    services.log_event(case, "detention_extension", D(2025, 2, 3))
    case.refresh_from_db()
    assert (case.items, case.received_on) == (0, None)
    report = ratio_for(**YEAR_2025)
    assert (report.total.cases, report.total.items, report.total.ratio) == (0, 0, None)
    assert report.rows == []
    # The base step arrives later: the case now counts, with the earlier extras.
    services.log_event(case, "arrest_review", D(2025, 2, 10))
    assert ratio_for(**YEAR_2025).total.items == 3


def test_persons_never_change_items(org):
    case = make_case(org.prosecutors[0], [], persons=7)
    services.log_event(case, "prosecution_review", D(2025, 1, 5), persons=7)
    services.log_event(case, "supplementary_investigation", D(2025, 1, 15), persons=3)
    case.refresh_from_db()
    assert case.items == 2


def test_received_date_is_derived_from_earliest_base_event(org):
    case = make_case(org.prosecutors[0], [("prosecution_review", D(2025, 3, 1))])
    services.log_event(case, "arrest_review", D(2025, 2, 20))
    case.refresh_from_db()
    assert case.received_on == D(2025, 2, 20)


def test_flow_counts_extras_in_their_own_month_and_year(org):
    make_case(
        org.prosecutors[0],
        [
            ("prosecution_review", D(2024, 12, 20)),
            ("supplementary_investigation", D(2025, 1, 10)),
            ("resubmission", D(2025, 2, 9)),
            ("review_extension", D(2025, 2, 20)),
        ],
    )
    months = rows_by(ratio_for(group_by="month", date_from=D(2024, 12, 1), date_to=D(2025, 2, 28)), "month")
    assert (months["2024-12"].cases, months["2024-12"].items) == (1, 1)
    assert (months["2025-01"].cases, months["2025-01"].items, months["2025-01"].ratio) == (0, 1, None)
    assert months["2025-02"].items == 1 and months["2025-02"].ratio_display is None
    only_2025 = ratio_for(**YEAR_2025)
    assert (only_2025.total.cases, only_2025.total.items, only_2025.total.ratio) == (0, 2, None)
    years = rows_by(ratio_for(group_by="year", date_from=D(2024, 1, 1), date_to=D(2025, 12, 31)), "year")
    assert (years["2024"].items, years["2025"].items) == (1, 2)


def test_cohort_counts_everything_in_the_closing_month_including_post_closure_steps(org):
    case = make_case(
        org.prosecutors[0],
        [
            ("prosecution_review", D(2025, 1, 5)),
            ("supplementary_investigation", D(2025, 1, 20)),
            ("resubmission", D(2025, 2, 18)),
            ("indictment", D(2025, 3, 1)),
        ],
        closed_on=D(2025, 3, 1),
    )
    before = rows_by(ratio_for(group_by="month", basis="cohort", **YEAR_2025), "month")
    assert list(before) == ["2025-03"] and (before["2025-03"].cases, before["2025-03"].items) == (1, 2)
    # A second instance in June changes March under cohort, June under flow.
    services.log_event(case, "second_instance", D(2025, 6, 10))
    after = rows_by(ratio_for(group_by="month", basis="cohort", **YEAR_2025), "month")
    assert (after["2025-03"].cases, after["2025-03"].items) == (1, 3)
    flow = rows_by(ratio_for(group_by="month", **YEAR_2025), "month")
    assert flow["2025-06"].items == 1 and flow["2025-06"].cases == 0
    assert flow["2025-01"].items == 2


def test_cohort_ignores_open_cases_flow_counts_them(org):
    make_case(org.prosecutors[0], [("prosecution_review", D(2025, 4, 1))])
    assert ratio_for(basis="cohort", **YEAR_2025).total.cases == 0
    assert ratio_for(basis="flow", **YEAR_2025).total.cases == 1


@pytest.mark.parametrize(
    ("day", "month", "quarter", "year"),
    [
        (D(2025, 1, 1), "2025-01", "2025-Q1", "2025"),
        (D(2025, 3, 31), "2025-03", "2025-Q1", "2025"),
        (D(2025, 4, 1), "2025-04", "2025-Q2", "2025"),
        (D(2024, 12, 31), "2024-12", "2024-Q4", "2024"),
        (D(2024, 2, 29), "2024-02", "2024-Q1", "2024"),
    ],
)
def test_period_edges(org, day, month, quarter, year):
    make_case(org.prosecutors[0], [("prosecution_review", day)])
    report = ratio_for(group_by="month,quarter,year", date_from=D(2024, 1, 1), date_to=D(2025, 12, 31))
    assert [r.keys for r in report.rows] == [{"month": month, "quarter": quarter, "year": year}]


@pytest.mark.parametrize(
    ("date_from", "date_to", "expected"),
    [
        (D(2025, 1, 31), D(2025, 1, 31), 1),  # a single day at a month end
        (D(2025, 2, 1), D(2025, 2, 28), 2),  # a whole month from the roll-up
        (D(2025, 1, 31), D(2025, 2, 1), 2),  # two partial months
        (D(2025, 2, 2), D(2025, 2, 27), 0),  # inside a month, excluding both ends
        (D(2025, 1, 15), D(2025, 3, 1), 4),  # partial + whole + partial
    ],
)
def test_inclusive_date_ranges_on_both_sides(org, date_from, date_to, expected):
    for day in (D(2025, 1, 31), D(2025, 2, 1), D(2025, 2, 28), D(2025, 3, 1)):
        make_case(org.prosecutors[0], [("prosecution_review", day)])
    assert ratio_for(date_from=date_from, date_to=date_to).total.cases == expected


def test_split_range_covers_every_day_once():
    whole, partial = split_range(D(2025, 1, 15), D(2025, 4, 10))
    assert whole == (D(2025, 2, 1), D(2025, 3, 31))
    assert partial == [(D(2025, 1, 15), D(2025, 1, 31)), (D(2025, 4, 1), D(2025, 4, 10))]
    assert split_range(D(2025, 1, 1), D(2025, 12, 31)) == ((D(2025, 1, 1), D(2025, 12, 31)), [])
    assert split_range(D(2025, 1, 2), D(2025, 1, 30)) == (None, [(D(2025, 1, 2), D(2025, 1, 30))])


def test_grouping_by_team_keeps_a_null_team_row_and_attributes_through_the_case(org):
    other = TeamFactory(unit=org.unit, team_code="T-CJ", name="长江保护")
    p1, p2, p3 = org.prosecutors
    make_case(p1, [("prosecution_review", D(2025, 1, 5)), ("review_extension", D(2025, 1, 9))], team=org.team)
    make_case(p2, [("prosecution_review", D(2025, 1, 6))], team=other)
    make_case(p3, [("prosecution_review", D(2025, 1, 7))])
    teams = rows_by(ratio_for(group_by="team", **YEAR_2025), "team")
    assert set(teams) == {"T-HQ", "T-CJ", None}
    assert (teams["T-HQ"].items, teams["T-HQ"].ratio_display) == (2, "1:2.00")
    assert teams[None].cases == 1 and teams[None].labels["team"] is None
    # Attribution follows the case as it is now: moving it moves its items.
    case = p1.cases.get()
    case.team = other
    services.save_case(case)
    teams = rows_by(ratio_for(group_by="team", **YEAR_2025), "team")
    assert (teams["T-CJ"].cases, teams["T-CJ"].items) == (2, 3)
    assert "T-HQ" not in teams


def test_several_groupings_and_filters(org):
    p1, _p2, p3 = org.prosecutors
    make_case(p1, [("prosecution_review", D(2025, 1, 5))], category="major")
    make_case(p1, [("prosecution_review", D(2025, 2, 5)), ("review_extension", D(2025, 2, 6))])
    civil = make_case(p3, [("prosecution_review", D(2025, 2, 7))])
    Case.objects.filter(pk=civil.pk).update(line="civil")  # as stored before rule 9: statistics still group it
    rollup.rebuild()
    report = ratio_for(group_by="month,prosecutor,department", **YEAR_2025)
    keys = {(r.keys["month"], r.keys["prosecutor"], r.keys["department"]): (r.cases, r.items) for r in report.rows}
    assert keys == {
        ("2025-01", "P-001", "D-1"): (1, 1),
        ("2025-02", "P-001", "D-1"): (1, 2),
        ("2025-02", "P-003", "D-2"): (1, 1),
    }
    assert ratio_for(filters=RatioFilters(department="D-2"), **YEAR_2025).total.cases == 1
    assert ratio_for(filters=RatioFilters(department="第一检察部"), **YEAR_2025).total.items == 3
    assert ratio_for(filters=RatioFilters(line="civil"), **YEAR_2025).total.cases == 1
    assert ratio_for(filters=RatioFilters(category="major"), **YEAR_2025).total.cases == 1
    categories = rows_by(ratio_for(group_by="category", **YEAR_2025), "category")
    assert categories[None].cases == 2 and categories["major"].labels["category"] == "重大"
    assert ratio_for(filters=RatioFilters(prosecutor="P-002"), **YEAR_2025).total.ratio is None


def test_scope_restricts_what_is_counted(org):
    p1, p2, _ = org.prosecutors
    make_case(p1, [("prosecution_review", D(2025, 1, 5))])
    make_case(p2, [("prosecution_review", D(2025, 1, 5))])
    mine = Scope(prosecutor_ids=frozenset({p1.pk}))
    assert ratio_for(scope=mine, **YEAR_2025).total.cases == 1
    assert ratio_for(scope=Scope(), **YEAR_2025).total.cases == 0
    partial = ratio_for(scope=mine, date_from=D(2025, 1, 2), date_to=D(2025, 1, 30))
    assert partial.total.cases == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"group_by": "month,weekday"}, "group_by"),
        ({"basis": "calendar"}, "basis"),
        ({"date_from": D(2025, 2, 1), "date_to": D(2025, 1, 1)}, "date_from"),
        ({"filters": RatioFilters(team="NOPE")}, "team"),
        ({"filters": RatioFilters(line="maritime")}, "line"),
    ],
)
def test_bad_parameters_name_the_field(org, kwargs, field):
    with pytest.raises(RatioQueryError) as error:
        ratio_for(**kwargs)
    assert error.value.field == field
