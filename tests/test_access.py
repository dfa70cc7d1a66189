"""Access scoping (teams.access): who sees which cases, organisation records and statistics, in the
shared world of tests/builders.py (the `world` fixture)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from cases.ratio import ratio_for
from teams import access
from teams.models import Prosecutor, StaffRole
from tests.builders import VISIBLE_CASES, WRITERS, D

User = get_user_model()


def _fresh(user):
    # A new object per check, as in a request: the access cache lives on the user object.
    return User.objects.get(pk=user.pk)


@pytest.mark.parametrize("role", sorted(VISIBLE_CASES))
def test_visible_cases_per_role(world, role):
    user = _fresh(world.users[role])
    seen = set(access.visible_cases(user).values_list("case_no", flat=True))
    assert seen == {world.cases[k].case_no for k in VISIBLE_CASES[role]}


@pytest.mark.parametrize("role", sorted(VISIBLE_CASES))
def test_statistics_scope_counts_only_visible_cases(world, role):
    """The ratio under a user's scope counts exactly the cases they may read (union of roles)."""
    user = _fresh(world.users[role])
    report = ratio_for(date_from=D(2025, 1, 1), date_to=D(2025, 12, 31), scope=access.scope_for(user))
    expected = [world.cases[k] for k in VISIBLE_CASES[role]]
    assert report.total.cases == len(expected)
    assert report.total.items == sum(c.items for c in expected)


@pytest.mark.parametrize("role", sorted(VISIBLE_CASES))
def test_events_follow_their_cases(world, role):
    user = _fresh(world.users[role])
    case_nos = set(access.visible_events(user).values_list("case__case_no", flat=True))
    assert case_nos == {world.cases[k].case_no for k in VISIBLE_CASES[role]}


@pytest.mark.parametrize("role", sorted(VISIBLE_CASES))
def test_write_permission(world, role):
    user = _fresh(world.users[role])
    assert access.can_write(user) is (role in WRITERS)
    writable = set(access.writable_cases(user).values_list("case_no", flat=True))
    expected = VISIBLE_CASES[role] if role in WRITERS else set()
    assert writable == {world.cases[k].case_no for k in expected}


def test_outsider_sees_no_organisation(world):
    user = _fresh(world.users["outsider"])
    assert not access.visible_units(user).exists()
    assert not access.visible_departments(user).exists()
    assert not access.visible_teams(user).exists()
    assert not access.visible_prosecutors(user).exists()


def test_prosecutor_sees_self_own_unit_and_team_but_not_colleagues(world):
    user = _fresh(world.users["prosecutor"])
    assert set(access.visible_prosecutors(user).values_list("staff_code", flat=True)) == {"PA-1"}
    assert set(access.visible_units(user).values_list("code", flat=True)) == {"A"}
    assert set(access.visible_teams(user).values_list("team_code", flat=True)) == {"TA"}
    assert set(access.visible_departments(user).values_list("code", flat=True)) == {"A-D1"}


def test_team_lead_sees_current_members_only_through_current_leadership(world):
    lead = _fresh(world.users["lead"])
    # Issue 10 M1: a former member (PA-4, in the team 2020–2023) is visible only for those years.
    assert set(Prosecutor.objects.readable_by(lead).values_list("staff_code", flat=True)) == {"PA-1", "PA-2"}
    in_2022 = Prosecutor.objects.readable_by(lead, (D(2022, 1, 1), D(2022, 12, 31)))
    assert set(in_2022.values_list("staff_code", flat=True)) == {"PA-1", "PA-2", "PA-4"}
    in_2024 = Prosecutor.objects.readable_by(lead, (D(2024, 1, 1), D(2024, 12, 31)))
    assert "PA-4" not in set(in_2024.values_list("staff_code", flat=True))
    former = _fresh(world.users["former"])
    # A leadership that ended is no longer a role: the former lead sees only themself.
    assert set(access.visible_prosecutors(former).values_list("staff_code", flat=True)) == {"PA-4"}
    assert not access.visible_teams(former).exists()


def test_unit_leadership_covers_the_subtree_and_not_other_units(world):
    user = _fresh(world.users["leader"])
    assert set(access.visible_units(user).values_list("code", flat=True)) == {"A", "A1"}
    assert "PB-1" not in set(access.visible_prosecutors(user).values_list("staff_code", flat=True))


def test_roles_are_a_union(world):
    """A prosecutor who is also case-management staff of another unit sees both."""
    user = world.users["prosecutor"]
    StaffRole.objects.create(user=user, unit=world.units["B"], kind=StaffRole.Kind.CASE_MANAGEMENT)
    user = _fresh(user)
    seen = set(access.visible_cases(user).values_list("case_no", flat=True))
    assert seen == {world.cases["own_team"].case_no, world.cases["b"].case_no}
    assert access.can_write_case(user, world.cases["b"])
    assert not access.can_write_case(user, world.cases["own_team"])


def test_scope_is_computed_once_per_user_object(world, django_assert_num_queries):
    user = _fresh(world.users["clerk"])
    access.scope_for(user)
    with django_assert_num_queries(0):
        access.scope_for(user)
        access.can_write(user)


def test_reviewer_hook_adds_reviewed_cases(world, monkeypatch):
    """The reviews app supplies reviewed case ids through `cases.review_access.reviewed_case_ids`."""
    import sys
    import types

    target = world.cases["b"]
    module = types.ModuleType(access.REVIEW_ACCESS_MODULE)
    module.reviewed_case_ids = lambda user: [target.pk] if user.username == "outsider" else []
    monkeypatch.setitem(sys.modules, access.REVIEW_ACCESS_MODULE, module)
    user = _fresh(world.users["outsider"])
    assert list(access.visible_cases(user).values_list("case_no", flat=True)) == [target.case_no]
    assert not access.can_write(user)
