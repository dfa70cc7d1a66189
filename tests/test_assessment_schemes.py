"""Assessment schemes by effective date (issue 13, DOMAIN.md §8): a year cut into the periods of the schemes
in force, each review counted on its final date and each case on its closing date under the scheme in
force that day, the year's total the sum of its periods, item by item. Numbers are worked out by hand.

The office: the seeded scheme (from 2020-01-01: base 40, 优质 +3, 瑕疵 −3, step 0.1 × 1 point, ±5),
a quarter's scheme from 2026-04-01 and one from an arbitrary day, 2026-08-15.
"""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import reverse

from cases.assessment import AssessmentError, assess_prosecutor, scheme_for
from cases.models import AssessmentScheme
from tests.factories import make_case
from tests.reviews_kit import D, closed_case, final_review, make_review_office

Q2_RULES = {
    "quality": {"base": 10, "grade_points": {"excellent": 5, "flawed": -1, "unqualified": -4}, "wrongful_veto": True},
    "efficiency": {"step": 0.5, "points_per_step": 2, "max_bonus": 10, "max_penalty": 10},
}
AUG_RULES = {
    "quality": {"base": 20, "grade_points": {"excellent": 7, "flawed": -2}},
    "efficiency": {"step": 0.1, "points_per_step": 1, "max_bonus": 5, "max_penalty": 5},
}
FLAW = [("DO-F01", 1, "")]


@pytest.fixture
def ro(db):
    """p1: A closed 02-10 (优质, final 03-31), B closed 03-20 (优质, final 04-01: the new scheme's first day),
    C closed 05-05 (瑕疵, final 08-14), D closed 08-15 (优质, final 08-15), E closed 09-01 (瑕疵, final 10-01);
    all 1-item cases. p2: one 3-item case closed 06-01, no review. p3: nothing."""
    ro = make_review_office()
    ro.q2 = AssessmentScheme.objects.create(effective_from=D(2026, 4, 1), name="二季度办法", rules=Q2_RULES)
    ro.aug = AssessmentScheme.objects.create(effective_from=D(2026, 8, 15), name="八月办法", rules=AUG_RULES)
    p1, p2, _p3 = ro.prosecutors
    for no, closed, final, findings, merit in [
        ("A", D(2026, 2, 10), D(2026, 3, 31), [], True),
        ("B", D(2026, 3, 20), D(2026, 4, 1), [], True),
        ("C", D(2026, 5, 5), D(2026, 8, 14), FLAW, False),
        ("D", D(2026, 8, 15), D(2026, 8, 15), [], True),
        ("E", D(2026, 9, 1), D(2026, 10, 1), FLAW, False),
    ]:
        final_review(closed_case(p1, closed, case_no=no), ro.reviewer, findings, merit=merit, on=final)
    rounds = [
        ("prosecution_review", D(2026, 3, 1)),
        ("supplementary_investigation", D(2026, 3, 10)),
        ("resubmission", D(2026, 4, 1)),
        ("supplementary_investigation", D(2026, 4, 10)),
        ("resubmission", D(2026, 4, 20)),
    ]
    make_case(p2, rounds, closed_on=D(2026, 6, 1), case_no="P2-X")
    return ro


def by_code(period):
    return {line.code: line for line in period.lines}


def test_the_scheme_in_force_on_a_day_is_the_latest_started_on_or_before_it(ro):
    assert scheme_for(D(2026, 3, 31)).effective_from == D(2020, 1, 1)
    assert scheme_for(D(2026, 4, 1)) == ro.q2 == AssessmentScheme.objects.in_force_on(D(2026, 8, 14))
    assert scheme_for(D(2026, 8, 15)) == ro.aug == AssessmentScheme.objects.in_force_on(D(2030, 1, 1))
    assert AssessmentScheme.objects.in_force_on(D(2019, 12, 31)) is None
    with pytest.raises(AssessmentError, match="2019-12-31"):
        scheme_for(D(2019, 12, 31))


def test_the_year_is_cut_into_the_periods_of_the_schemes(ro):
    result = assess_prosecutor(ro.prosecutors[0], 2026)
    got = [(p.date_from, p.date_to, p.scheme.name) for p in result.periods]
    assert got == [
        (D(2026, 1, 1), D(2026, 3, 31), "案件质量与效率考核办法（示范）"),
        (D(2026, 4, 1), D(2026, 8, 14), "二季度办法"),
        (D(2026, 8, 15), D(2026, 12, 31), "八月办法"),
    ]
    assert result.scheme == ro.aug  # the one in force at the end of the year


def test_each_review_and_case_is_scored_under_its_own_scheme(ro):
    first, second, third = assess_prosecutor(ro.prosecutors[0], 2026).periods
    # Jan–Mar, seeded: base 40, A 优质 +3; A and B closed, 1:1.00 like the unit → 0
    q = by_code(first)
    assert (q["base"].points, q["grade_excellent"].points, q["grade_excellent"].case_nos) == (40, 3, ["A"])
    assert (q["ratio"].points, q["ratio"].case_nos) == (0, ["A", "B"])
    assert (first.quality, first.efficiency, first.total) == (43, 0, 43)
    # Apr 1 – Aug 14: base 10; B final on the scheme's first day → +5; C 瑕疵 −1.
    # C closed (1 item) beside p2's 3-item case: unit 4/2 = 2.00, p1 1.00 → 2 steps of 0.5 × 2 = +4
    q = by_code(second)
    assert (q["base"].points, q["grade_excellent"].case_nos, q["grade_excellent"].points) == (10, ["B"], 5)
    assert (q["grade_flawed"].case_nos, q["grade_flawed"].points) == (["C"], -1)
    assert (second.person_ratio, second.unit_ratio, q["ratio"].points, q["ratio"].case_nos) == (
        "1:1.00",
        "1:2.00",
        4,
        ["C"],
    )
    assert (second.quality, second.efficiency, second.total) == (14, 4, 18)
    # Aug 15 – Dec 31: base 20; D (closed and final on the first day) +7; E 瑕疵 −2; unit = p1 → 0
    q = by_code(third)
    assert (q["grade_excellent"].case_nos, q["grade_excellent"].points, q["grade_flawed"].points) == (["D"], 7, -2)
    assert q["ratio"].case_nos == ["D", "E"] and q["ratio"].points == 0
    assert (third.quality, third.efficiency, third.total) == (25, 0, 25)


def test_the_year_total_is_the_sum_of_its_periods(ro):
    p1 = assess_prosecutor(ro.prosecutors[0], 2026)
    # by hand: (40 + 3) + (10 + 5 − 1 + 4) + (20 + 7 − 2)
    assert (p1.quality, p1.efficiency, p1.total) == (Decimal(82), Decimal(4), Decimal(86))
    assert p1.total == sum(p.total for p in p1.periods) == sum(line.points for line in p1.lines)
    # p2 reviewed nothing: each period's base; 3.00 against the unit's 2.00 in Q2 → −2 steps × 2 = −4
    p2 = assess_prosecutor(ro.prosecutors[1], 2026)
    assert [p.total for p in p2.periods] == [40, 6, 20] and p2.total == 66
    assert p2.person_ratio == "1:3.00"


def test_a_wrongful_case_zeroes_the_quality_of_its_own_period_only(ro):
    p3 = ro.prosecutors[2]
    case = closed_case(p3, D(2026, 4, 20), case_no="W")
    final_review(case, ro.reviewer, [("FA-E01", 1, "")], wrongful=True, on=D(2026, 5, 1))
    periods = assess_prosecutor(p3, 2026).periods
    assert [p.quality for p in periods] == [40, 0, 20]
    assert by_code(periods[1])["wrongful_veto"].case_nos == ["W"]


def test_before_the_first_scheme_nothing_is_scored_and_the_page_says_why(ro):
    AssessmentScheme.objects.exclude(pk__in=[ro.q2.pk, ro.aug.pk]).delete()
    result = assess_prosecutor(ro.prosecutors[0], 2026)
    before = result.periods[0]
    assert (before.date_from, before.date_to, before.scheme, before.lines) == (D(2026, 1, 1), D(2026, 3, 31), None, [])
    assert before.unscored == ["A", "B"]  # A final 03-31; A and B closed before April
    assert "2026-04-01" in before.note and before.total == 0
    assert result.total == 18 + 25
    # A year no scheme covers at all: an error with a message, never a 500
    with pytest.raises(AssessmentError, match="2025"):
        assess_prosecutor(ro.prosecutors[0], 2025)
    client = Client()
    client.force_login(ro.prosecutors[0].user)
    body = client.get("/api/v1/assessment/?prosecutor=P-001&year=2026").json()
    assert body["periods"][0]["scheme"] is None and body["periods"][0]["unscored_cases"] == ["A", "B"]
    assert body["total"] == 43.0
    missing = client.get("/api/v1/assessment/?prosecutor=P-001&year=2025")
    assert missing.status_code == 400 and "2025" in missing.json()["year"][0]
    page = client.get(reverse("teams:prosecutor", args=["P-001"]), {"from": "2025-01", "to": "2025-12"})
    assert page.status_code == 200
    assert "2025年没有施行中的考核办法" in page.context["dash"].tables["assessment"].caption


def test_the_api_gives_the_periods_item_by_item(ro):
    client = Client()
    client.force_login(ro.prosecutors[0].user)
    body = client.get("/api/v1/assessment/?prosecutor=P-001&year=2026").json()
    assert body["scheme"] == {"effective_from": "2026-08-15", "name": "八月办法"}
    periods = body["periods"]
    assert [(p["date_from"], p["date_to"], p["scheme"]["name"]) for p in periods] == [
        ("2026-01-01", "2026-03-31", "案件质量与效率考核办法（示范）"),
        ("2026-04-01", "2026-08-14", "二季度办法"),
        ("2026-08-15", "2026-12-31", "八月办法"),
    ]
    assert [(p["quality"], p["efficiency"], p["total"]) for p in periods] == [(43, 0, 43), (14, 4, 18), (25, 0, 25)]
    second = {line["code"]: line for line in periods[1]["lines"]}
    assert (second["grade_excellent"]["cases"], second["grade_excellent"]["points"]) == (["B"], 5.0)
    assert second["ratio"]["points"] == 4.0 and periods[1]["unit_ratio"] == "1:2.00"
    assert (body["quality"], body["efficiency"], body["total"]) == (82.0, 4.0, 86.0)
    assert body["total"] == sum(p["total"] for p in periods)
    assert len(body["lines"]) == sum(len(p["lines"]) for p in periods)


def test_the_page_lists_each_period_item_by_item(ro):
    from teams.assessment_section import add_assessment

    dash = SimpleNamespace(tables={})
    add_assessment(dash, ro.prosecutors[0], 2026, None)
    table = dash.tables["assessment"]
    assert table.footer[-1].value == 86 == sum(row[-1].value for row in table.rows)
    rows = [(row[0].value, row[1].value, row[-1].value) for row in table.rows]
    assert ("2026-04-01 至 2026-08-14 · 二季度办法", "质量 · 评查等级：优质", 5.0) in rows
    assert ("2026-08-15 至 2026-12-31 · 八月办法", "质量 · 质量基础分", 20.0) in rows
    assert "43" in table.caption and "18" in table.caption and "25" in table.caption
    client = Client()
    client.force_login(ro.prosecutors[0].user)
    page = client.get(reverse("teams:prosecutor", args=["P-001"]), {"from": "2026-01", "to": "2026-12"})
    assert page.status_code == 200 and "二季度办法" in page.content.decode()


def test_the_admin_edits_a_scheme_by_its_effective_date(ro, admin_client):
    url = reverse("admin:cases_assessmentscheme_add")
    data = {"effective_from": "2026-08-15", "name": "重复", "rules": '{"quality": {"base": 30}}'}
    response = admin_client.post(url, data)
    assert response.status_code == 200 and "该日已有生效的考核办法" in response.content.decode()
    response = admin_client.post(url, {**data, "rules": '{"quality": {"base": "x"}}', "effective_from": "2026-10-01"})
    assert "quality.base" in response.content.decode()
    response = admin_client.post(url, {**data, "effective_from": "2026-10-01"})
    assert response.status_code == 302 and AssessmentScheme.objects.in_force_on(D(2026, 10, 1)).name == "重复"
    listing = admin_client.get(reverse("admin:cases_assessmentscheme_changelist")).content.decode()
    assert "2026-09-30" in listing or "2026年9月30日" in listing  # the Aug scheme's last day


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_data_migration_maps_each_year_to_jan_first_and_back():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before, after = [("cases", "0013_review_samples")], [("cases", "0014_scheme_effective_from")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("cases", "AssessmentScheme")
    old.objects.all().delete()
    old.objects.create(year=2024, name="2024", rules={})
    old.objects.create(year=2026, name="2026", rules={})
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    new = executor.loader.project_state(after).apps.get_model("cases", "AssessmentScheme")
    got = sorted(new.objects.values_list("name", "effective_from"))
    assert got == [("2024", D(2024, 1, 1)), ("2026", D(2026, 1, 1))]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("cases", "AssessmentScheme")
    assert sorted(old.objects.values_list("name", "year")) == [("2024", 2024), ("2026", 2026)]
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_periods_start_on_the_first_day_and_ignore_later_schemes(ro):
    AssessmentScheme.objects.create(effective_from=D(2027, 1, 1), name="2027", rules={})
    periods = AssessmentScheme.objects.periods(D(2027, 1, 1), D(2027, 12, 31))
    assert [(f, t, s.name) for f, t, s in periods] == [(D(2027, 1, 1), D(2027, 12, 31), "2027")]
    periods = AssessmentScheme.objects.periods(D(2026, 9, 1), D(2026, 12, 31))
    assert [(f, t, s) for f, t, s in periods] == [(D(2026, 9, 1), D(2026, 12, 31), ro.aug)]


def test_the_period_breakdown_reads_in_english(ro):
    from django.utils import translation

    from teams.assessment_section import add_assessment

    dash = SimpleNamespace(tables={})
    with translation.override("en"):
        add_assessment(dash, ro.prosecutors[0], 2026, None)
    table = dash.tables["assessment"]
    assert table.title == "Assessment 2026 (scored by period, 3 periods)"
    assert table.caption.startswith("The year's score is the sum of its periods': 2026-01-01 to 2026-03-31 · ")
    assert table.caption.endswith("; total 86 points")
