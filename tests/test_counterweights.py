"""Counterweights from recorded outcomes (DOMAIN §9, issue 16; issue 13 D3, D5), counted by hand.

Five cases in 2025 (T = team 合规护企); persons per outcome in braces:

- P (T, 3 persons, closed 03-10): 审查逮捕 01-02, 逮捕决定 01-06 {批准 2, 不批准 1}, 审查起诉 02-01,
  不起诉 03-10 (2 persons).
- Q (T, 2 persons, closed 03-01, 量刑建议 adopted, 服判 no): 审查逮捕 01-03, 逮捕决定 01-07 {批准 2}
  with the old note "不批准逮捕（旧备注）" (never read), 审查起诉 02-05, 起诉 03-01 (2), 一审判决 04-10
  {无罪 1, 有罪 1}, 二审 05-10 {改判 1, 维持 1}.
- R (none, 1 person, closed 03-20): 审查逮捕 02-01, 逮捕决定 02-04 {不批准 1}, 审查起诉 03-01, 不起诉 03-20.
- S (none, 2 persons, closed 04-01): 审查逮捕 01-10, 逮捕决定 01-14 {批准 1, 不批准 1}, 审查起诉 02-20,
  不起诉 04-01 (2 persons: at most the 1 arrested counts as 捕后不诉).
- U (T, 1 person, closed 02-20, 量刑建议 proposed, 服判 yes): 审查起诉 02-01, 起诉 02-20, 一审判决 03-15
  {无罪 1}, 二审 04-20 {发回重审 1}, 发回重审 06-10 {改判 1}.

Hand counts (flow, the year): arrested 2+2+1 = 5, not prosecuted after arrest 2 (P) + 1 (S) = 3;
judged 2 (Q) + 1 (U) = 3, acquitted 1 + 1 = 2; 改判/发回 1 (Q) + 1 + 1 (U) = 3.
"""

import datetime

import pytest
from django.db import transaction

from cases import services
from cases.indicators import COUNTERWEIGHTS, INDICATORS, indicators_for
from cases.models import Case
from tests.factories import make_case, make_office

D = datetime.date
YEAR = {"date_from": D(2025, 1, 1), "date_to": D(2025, 12, 31)}
NAMES = ("post_arrest_non_prosecution_rate", "acquittal_count", "acquittal_rate", "amended_remanded_count")


def build(prosecutor, events, **fields):
    case = make_case(prosecutor, [], **fields)
    for code, day, persons, outcome, *note in events:
        services.log_event(case, code, day, persons=persons, outcomes=outcome, note=note[0] if note else "")
    return case


@pytest.fixture(scope="module")
def office_data(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), pytest.MonkeyPatch.context() as patch:
        patch.setattr("cases.services.today", lambda: D(2025, 12, 31))
        with transaction.atomic():
            org = make_office()
            p1, p2, p3 = org.prosecutors
            build(
                p1,
                [
                    ("arrest_review", D(2025, 1, 2), 3, None),
                    ("arrest_decision", D(2025, 1, 6), 3, "批准逮捕:2;不批准逮捕:1"),
                    ("prosecution_review", D(2025, 2, 1), 3, None),
                    ("non_prosecution", D(2025, 3, 10), 2, None),
                ],
                team=org.team,
                persons=3,
                closed_on=D(2025, 3, 10),
            )
            build(
                p1,
                [
                    ("arrest_review", D(2025, 1, 3), 2, None),
                    ("arrest_decision", D(2025, 1, 7), 2, "批准逮捕", "不批准逮捕（旧备注）"),
                    ("prosecution_review", D(2025, 2, 5), 2, None),
                    ("indictment", D(2025, 3, 1), 2, None),
                    ("judgment", D(2025, 4, 10), 2, "无罪:1;有罪:1"),
                    ("second_instance", D(2025, 5, 10), 2, "改判:1;维持:1"),
                ],
                team=org.team,
                persons=2,
                closed_on=D(2025, 3, 1),
                sentencing_recommendation=Case.Sentencing.ADOPTED,
                judgment_accepted=Case.Acceptance.NO,
            )
            build(
                p2,
                [
                    ("arrest_review", D(2025, 2, 1), 1, None),
                    ("arrest_decision", D(2025, 2, 4), 1, "不批准逮捕"),
                    ("prosecution_review", D(2025, 3, 1), 1, None),
                    ("non_prosecution", D(2025, 3, 20), 1, None),
                ],
                closed_on=D(2025, 3, 20),
            )
            build(
                p2,
                [
                    ("arrest_review", D(2025, 1, 10), 2, None),
                    ("arrest_decision", D(2025, 1, 14), 2, "approved:1;not_approved:1"),
                    ("prosecution_review", D(2025, 2, 20), 2, None),
                    ("non_prosecution", D(2025, 4, 1), 2, None),
                ],
                persons=2,
                closed_on=D(2025, 4, 1),
            )
            build(
                p3,
                [
                    ("prosecution_review", D(2025, 2, 1), 1, None),
                    ("indictment", D(2025, 2, 20), 1, None),
                    ("judgment", D(2025, 3, 15), 1, "无罪"),
                    ("second_instance", D(2025, 4, 20), 1, "发回重审"),
                    ("retrial", D(2025, 6, 10), 1, "改判"),
                ],
                team=org.team,
                closed_on=D(2025, 2, 20),
                sentencing_recommendation=Case.Sentencing.PROPOSED,
                judgment_accepted=Case.Acceptance.YES,
            )
            yield org
            transaction.set_rollback(True)


@pytest.fixture
def office(office_data, db, monkeypatch):
    monkeypatch.setattr("cases.services.today", lambda: D(2025, 12, 31))
    return office_data


def figures(row, names=NAMES):
    return {name: (row.values[name].numerator, row.values[name].denominator, row.values[name].value) for name in names}


FLOW_YEAR = {
    "post_arrest_non_prosecution_rate": (3, 5, 0.6),
    "acquittal_count": (2, None, 2),
    "acquittal_rate": (2, 3, 0.6667),
    "amended_remanded_count": (3, None, 3),
}


def test_flow_year(office):
    assert figures(indicators_for(**YEAR).total) == FLOW_YEAR


def test_flow_by_month_counts_each_outcome_in_the_month_of_its_event(office):
    rows = {r.keys["month"]: figures(r) for r in indicators_for(group_by="month", **YEAR).rows}
    assert rows["2025-01"]["post_arrest_non_prosecution_rate"] == (0, 5, 0.0)
    assert rows["2025-03"]["post_arrest_non_prosecution_rate"] == (2, 0, None)  # P's 2; R was not arrested
    assert rows["2025-04"]["post_arrest_non_prosecution_rate"] == (1, 0, None)  # S: 2 not prosecuted, 1 arrested
    assert rows["2025-03"]["acquittal_rate"] == (1, 1, 1.0)
    assert rows["2025-04"]["acquittal_rate"] == (1, 2, 0.5)
    assert [rows[m]["amended_remanded_count"][0] for m in ("2025-04", "2025-05", "2025-06")] == [1, 1, 1]
    assert sum(r["acquittal_count"][0] for r in rows.values()) == 2


def test_flow_by_team(office):
    rows = {r.keys["team"]: figures(r) for r in indicators_for(group_by="team", **YEAR).rows}
    assert rows["T-HQ"] == {
        "post_arrest_non_prosecution_rate": (2, 4, 0.5),
        "acquittal_count": (2, None, 2),
        "acquittal_rate": (2, 3, 0.6667),
        "amended_remanded_count": (3, None, 3),
    }
    assert rows[None] == {
        "post_arrest_non_prosecution_rate": (1, 1, 1.0),
        "acquittal_count": (0, None, 0),
        "acquittal_rate": (0, 0, None),
        "amended_remanded_count": (0, None, 0),
    }


def test_cohort_by_month_counts_everything_of_the_cases_closed_then(office):
    rows = {r.keys["month"]: figures(r) for r in indicators_for(basis="cohort", group_by="month", **YEAR).rows}
    assert list(rows) == ["2025-02", "2025-03", "2025-04"]
    assert rows["2025-02"] == {  # U: its later judgment, 二审 and 发回重审 count in its closing month
        "post_arrest_non_prosecution_rate": (0, 0, None),
        "acquittal_count": (1, None, 1),
        "acquittal_rate": (1, 1, 1.0),
        "amended_remanded_count": (2, None, 2),
    }
    assert rows["2025-03"] == {  # P, Q, R
        "post_arrest_non_prosecution_rate": (2, 4, 0.5),
        "acquittal_count": (1, None, 1),
        "acquittal_rate": (1, 2, 0.5),
        "amended_remanded_count": (1, None, 1),
    }
    assert rows["2025-04"]["post_arrest_non_prosecution_rate"] == (1, 1, 1.0)  # S


def test_person_counted_sentencing_and_acceptance(office):
    """D3: by persons — Q's 2 adopted of Q's 2 + U's 1 proposed; U's 1 of Q's 2 + U's 1 judged accept."""
    names = ("sentencing_adoption_rate", "judgment_acceptance_rate")
    assert figures(indicators_for(**YEAR).total, names) == {
        "sentencing_adoption_rate": (2, 3, 0.6667),
        "judgment_acceptance_rate": (1, 3, 0.3333),
    }
    assert INDICATORS["sentencing_adoption_rate"].counts == "persons"
    assert INDICATORS["judgment_acceptance_rate"].counts == "persons"


def test_not_arrested_reads_outcomes_not_notes(office):
    # Q carries the old note 不批准逮捕 but records 批准逮捕: of 8 decided (P 3, Q 2, R 1, S 2), P, R, S refused 1 each.
    total = indicators_for(**YEAR).total.values["non_arrest_rate"]
    assert (total.numerator, total.denominator) == (3, 8)


def test_every_counterweight_is_a_figure_of_the_row():
    for name in NAMES:
        assert name in COUNTERWEIGHTS
    for weight in COUNTERWEIGHTS.values():
        assert set(weight.against) <= set(INDICATORS)
    for figure in ("post_arrest_non_prosecution_rate", "acquittal_count", "amended_remanded_count"):
        assert figure in COUNTERWEIGHTS["ratio"].against


def test_the_api_names_each_indicators_unit_and_carries_its_counterweights(office, admin_client):
    query = "group_by=team&date_from=2025-01-01&date_to=2025-12-31"
    body = admin_client.get(f"/api/v1/stats/indicators/?{query}").json()
    team = next(r for r in body["results"] if r["team"] == "T-HQ")
    assert team["post_arrest_non_prosecution_rate"]["numerator"] == 2
    assert team["post_arrest_non_prosecution_rate"]["unit"] == "persons"
    assert team["post_arrest_non_prosecution_rate"]["counterweights"] == {"non_arrest_rate": 0.2}  # P: 1 of 5
    for name, figure in body["total"].items():
        assert figure["unit"] == INDICATORS[name].counts
        assert set(figure["counterweights"]) == set(COUNTERWEIGHTS[name].against)
        for other, value in figure["counterweights"].items():
            assert value == body["total"][other]["value"]
    assert body["total"]["sentencing_adoption_rate"]["unit"] == "persons"
    assert body["total"]["judgment_acceptance_rate"]["unit"] == "persons"
    assert body["total"]["supplementary_rate"]["unit"] == "cases"
    ratio = body["indicators"]["ratio"]
    assert {"post_arrest_non_prosecution_rate", "acquittal_count", "amended_remanded_count"} <= set(
        ratio["counterweights"]
    )
    assert body["indicators"]["acquittal_rate"]["label"] == "无罪判决率"
    csv = admin_client.get(f"/api/v1/stats/indicators/?{query}&format=csv")
    assert csv.status_code == 200
    assert "acquittal_count.numerator" in csv.content.decode("utf-8-sig").splitlines()[0]


def test_team_and_unit_dashboards_chart_the_ratio_beside_its_counterweights_by_month(office, admin_client):
    from django.urls import reverse

    for name, code in (("teams:team", "T-HQ"), ("teams:unit", "U-MAIN")):
        response = admin_client.get(reverse(name, args=[code]), {"from": "2025-01", "to": "2025-06"})
        assert response.status_code == 200
        chart = response.context["dash"].sections["counterweight_chart"]
        series = {s["key"]: s["data"] for s in chart["series"]}
        assert chart["months"] == ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06"]
        assert "flow" in series  # the ratio itself, on its own axis
        if code == "T-HQ":  # P, Q, U: 无罪 Q 1 in April, U 1 in March; 改判/发回 U April, Q May, U June
            assert series["acquittal_count"] == [0, 0, 1, 1, 0, 0]
            assert series["amended_remanded_count"] == [0, 0, 0, 1, 1, 1]
            assert series["post_arrest_non_prosecution_rate"][0] == 0.0  # January: 4 arrested, none yet
        else:
            assert series["acquittal_rate"][2:4] == [100.0, 50.0]
        assert 'id="chart-counterweights"' in response.content.decode()
