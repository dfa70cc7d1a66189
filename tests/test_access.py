"""Access scoping (teams.access): who sees which cases, organisation records and statistics.

The `world` fixture is shared with the API tests: two unrelated units (A with a child unit, and B),
a team in A, and one login per role.
"""

from __future__ import annotations

import contextlib
import datetime
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from cases.ratio import ratio_for
from teams import access
from teams.models import Membership, Prosecutor, StaffRole
from tests.factories import (
    DepartmentFactory,
    MembershipFactory,
    ProsecutorFactory,
    TeamFactory,
    UnitFactory,
    make_case,
)

D = datetime.date
User = get_user_model()


@dataclass
class World:
    """Units A (with child A1) and B, a team in A, cases everywhere and one login per role."""

    units: dict
    prosecutors: dict
    team: object
    cases: dict
    users: dict


def build_world() -> World:
    unit_a = UnitFactory(code="A", name="甲市人民检察院")
    unit_a1 = UnitFactory(code="A1", name="甲市乙区人民检察院", parent=unit_a)
    unit_b = UnitFactory(code="B", name="丙市人民检察院")
    dept_a = DepartmentFactory(unit=unit_a, code="A-D1", name="第一检察部")
    dept_a1 = DepartmentFactory(unit=unit_a1, code="A1-D1", name="第一检察部")
    dept_b = DepartmentFactory(unit=unit_b, code="B-D1", name="第一检察部")
    users = {name: User.objects.create_user(name) for name in _ROLE_NAMES}
    users["admin"].is_superuser = users["admin"].is_staff = True
    users["admin"].save()
    p_own = ProsecutorFactory(staff_code="PA-1", name="甲一", department=dept_a, unit=unit_a, user=users["prosecutor"])
    p_lead = ProsecutorFactory(staff_code="PA-2", name="甲二", department=dept_a, unit=unit_a, user=users["lead"])
    p_other = ProsecutorFactory(staff_code="PA-3", name="甲三", department=dept_a, unit=unit_a)
    p_a1 = ProsecutorFactory(staff_code="PA1-1", name="乙一", department=dept_a1, unit=unit_a1)
    p_b = ProsecutorFactory(staff_code="PB-1", name="丙一", department=dept_b, unit=unit_b)
    p_former = ProsecutorFactory(staff_code="PA-4", name="甲四", department=dept_a, unit=unit_a, user=users["former"])
    team = TeamFactory(team_code="TA", name="合规护企", unit=unit_a)
    MembershipFactory(team=team, prosecutor=p_lead, role=Membership.Role.LEADER, date_from=D(2024, 1, 1))
    MembershipFactory(team=team, prosecutor=p_own, role=Membership.Role.MEMBER)
    MembershipFactory(
        team=team, prosecutor=p_former, role=Membership.Role.LEADER, date_from=D(2020, 1, 1), date_to=D(2023, 12, 31)
    )
    StaffRole.objects.create(user=users["leader"], unit=unit_a, kind=StaffRole.Kind.LEADERSHIP)
    StaffRole.objects.create(user=users["clerk"], unit=unit_a, kind=StaffRole.Kind.CASE_MANAGEMENT)
    StaffRole.objects.create(user=users["clerk_b"], unit=unit_b, kind=StaffRole.Kind.CASE_MANAGEMENT)
    steps = [("prosecution_review", D(2025, 3, 3)), ("supplementary_investigation", D(2025, 3, 20))]
    cases = {
        "own_team": make_case(p_own, steps, team=team, case_no="检刑受[2025]000001号"),
        "lead_own": make_case(p_lead, steps[:1], case_no="检刑受[2025]000002号"),
        "a_other": make_case(p_other, steps[:1], case_no="检刑受[2025]000003号"),
        "a1": make_case(p_a1, steps, case_no="检刑受[2025]000004号"),
        "b": make_case(p_b, steps, case_no="检刑受[2025]000005号"),
    }
    prosecutors = {"own": p_own, "lead": p_lead, "other": p_other, "a1": p_a1, "b": p_b, "former": p_former}
    return World({"A": unit_a, "A1": unit_a1, "B": unit_b}, prosecutors, team, cases, users)


_ROLE_NAMES = ("admin", "outsider", "prosecutor", "lead", "former", "leader", "clerk", "clerk_b")

# role → cases it may read (keys of World.cases)
VISIBLE_CASES = {
    "admin": {"own_team", "lead_own", "a_other", "a1", "b"},
    "outsider": set(),
    "prosecutor": {"own_team"},
    "lead": {"own_team", "lead_own"},
    "former": set(),
    "leader": {"own_team", "lead_own", "a_other", "a1"},
    "clerk": {"own_team", "lead_own", "a_other", "a1"},
    "clerk_b": {"b"},
}
WRITERS = {"admin", "clerk", "clerk_b"}


@contextlib.contextmanager
def rolled_back():
    """A transaction that is always rolled back: module-scoped data for read-mostly test modules.

    Each test still runs in its own savepoint (pytest-django), so writes in a test vanish after it.
    """
    atomic = transaction.atomic()
    atomic.__enter__()
    try:
        yield
    finally:
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


@pytest.fixture
def world(db) -> World:
    return build_world()


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
