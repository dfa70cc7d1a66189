"""The shared test world: two unrelated units (A with a child unit A1, and B), a team in A, cases in
each and one login per role; and `rolled_back()` for module-scoped data. The `world` fixture
(tests/conftest.py) builds it per test; module fixtures call `build_world()` inside `rolled_back()`."""

from __future__ import annotations

import contextlib
import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from teams.models import Membership, StaffRole
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
