"""Issue 10 M1 and M2: assessment and team results list only what the viewer may open.

M1: a team lead asking for a member's assessment got every case of that member (with grades and the
错案 case), most of which they may not open; former members stayed visible after they left.
M2: a plain member asking for the team's results got every peer's figures, while `stats/ratio`
limits the same user to their own cases. Real HTTP through the test client.
"""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from cases.models import Case
from teams.models import Membership, StaffRole
from tests.factories import MembershipFactory
from tests.reviews_kit import D, closed_case, final_review, make_review_office

YEAR = "&year=2025"


@pytest.fixture
def ro(db):
    """P-001 leads T-HQ, P-003 is a member; P-002 was a member from 2023-01 to 2024-06.

    P-003: P3-T (team case) and P3-X (no team, 错案), both final in 2025. P-001: P1-T (team case).
    P-002: P2-OLD (team case, final 2024) and P2-NOW (no team, final 2025).
    """
    ro = make_review_office()
    p1, p2, p3 = ro.prosecutors
    team = ro.office.team
    MembershipFactory(
        team=team, prosecutor=p2, role=Membership.Role.MEMBER, date_from=D(2023, 1, 1), date_to=D(2024, 6, 30)
    )
    final_review(closed_case(p3, D(2025, 4, 1), team=team, case_no="P3-T"), ro.reviewer, on=D(2025, 5, 1))
    wrongful = closed_case(p3, D(2025, 4, 2), case_no="P3-X")
    final_review(wrongful, ro.reviewer, [("LA-E01", 1, "")], wrongful=True, on=D(2025, 5, 2))
    final_review(closed_case(p1, D(2025, 4, 3), team=team, case_no="P1-T"), ro.reviewer, on=D(2025, 5, 3))
    final_review(closed_case(p2, D(2024, 3, 1), team=team, case_no="P2-OLD"), ro.reviewer, on=D(2024, 4, 1))
    final_review(closed_case(p2, D(2025, 3, 1), case_no="P2-NOW"), ro.reviewer, on=D(2025, 4, 1))
    ro.leader = get_user_model().objects.create_user(username="leader")
    StaffRole.objects.create(user=ro.leader, unit=ro.office.unit, kind=StaffRole.Kind.LEADERSHIP)
    return ro


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def listed_cases(body) -> set[str]:
    return {no for line in body["lines"] for no in line["cases"]}


def assert_openable(client, case_nos) -> None:
    """Every case an answer names opens for the same user (the class of M1, not one case)."""
    for pk in Case.objects.filter(case_no__in=case_nos).values_list("pk", flat=True):
        assert client.get(f"/api/v1/cases/{pk}/").status_code == 200, case_nos


def test_a_team_lead_sees_a_members_assessment_on_the_teams_cases_only(ro):
    lead = client_for(ro.prosecutors[0].user)
    body = lead.get("/api/v1/assessment/?prosecutor=P-003" + YEAR).json()
    assert listed_cases(body) == {"P3-T"}
    assert "wrongful_veto" not in {line["code"] for line in body["lines"]}
    assert_openable(lead, listed_cases(body))


@pytest.mark.parametrize("who", ["self", "leader"])
def test_the_person_and_the_units_leadership_see_the_whole_assessment(ro, who):
    client = client_for(ro.prosecutors[2].user if who == "self" else ro.leader)
    body = client.get("/api/v1/assessment/?prosecutor=P-003" + YEAR).json()
    assert listed_cases(body) == {"P3-T", "P3-X"}
    assert "wrongful_veto" in {line["code"] for line in body["lines"]}
    assert_openable(client, listed_cases(body))


def test_a_former_member_is_visible_to_the_lead_for_the_years_of_the_membership_only(ro):
    lead = client_for(ro.prosecutors[0].user)
    then = lead.get("/api/v1/assessment/?prosecutor=P-002&year=2024")
    assert then.status_code == 200 and listed_cases(then.json()) == {"P2-OLD"}
    assert lead.get("/api/v1/assessment/?prosecutor=P-002&year=2025").status_code == 404
    assert lead.get("/prosecutors/P-002/").status_code == 404  # today they are not a member
    roster_2024 = lead.get("/api/v1/team-results/?team=T-HQ&year=2024").json()["members"]
    assert "P-002" in {m["staff_code"] for m in roster_2024}


def test_a_plain_member_sees_only_their_own_figures_in_the_team_results(ro):
    member = client_for(ro.prosecutors[2].user)
    team = member.get("/api/v1/team-results/?team=T-HQ" + YEAR).json()
    assert [m["staff_code"] for m in team["members"]] == ["P-003"]
    # The same rule as stats/ratio: the same user, team and year give the same totals.
    ratio = member.get("/api/v1/stats/ratio/?team=T-HQ&date_from=2025-01-01&date_to=2025-12-31").json()
    assert (team["cases"], team["items"]) == (ratio["total"]["cases"], ratio["total"]["items"]) == (1, 1)
    assert team["reviews"] == 1 and sum(m["cases"] for m in team["months"]) == 1


@pytest.mark.parametrize("who", ["lead", "leader"])
def test_the_lead_and_leadership_see_every_member(ro, who):
    client = client_for(ro.prosecutors[0].user if who == "lead" else ro.leader)
    team = client.get("/api/v1/team-results/?team=T-HQ" + YEAR).json()
    assert {m["staff_code"] for m in team["members"]} == {"P-001", "P-003"}
    assert (team["cases"], team["reviews"]) == (2, 2)  # P3-T and P1-T: the team's cases
