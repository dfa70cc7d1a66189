"""factory_boy factories and small builders for tests; events go through `cases.services`."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import factory

from cases import services
from cases.models import Case
from teams.models import Department, Membership, Prosecutor, Team, Unit


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    code = factory.Sequence(lambda n: f"U{n:03d}")
    name = factory.Sequence(lambda n: f"第{n}区人民检察院")


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    unit = factory.SubFactory(UnitFactory)
    code = factory.Sequence(lambda n: f"D{n:03d}")
    name = factory.Sequence(lambda n: f"第{n}检察部")


class ProsecutorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Prosecutor

    staff_code = factory.Sequence(lambda n: f"P{n:04d}")
    name = factory.Sequence(lambda n: f"检察官{n}")
    department = factory.SubFactory(DepartmentFactory)
    unit = factory.SelfAttribute("department.unit")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    team_code = factory.Sequence(lambda n: f"T{n:03d}")
    name = factory.Sequence(lambda n: f"团队{n}")
    unit = factory.SubFactory(UnitFactory)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    team = factory.SubFactory(TeamFactory)
    prosecutor = factory.SubFactory(ProsecutorFactory)
    role = Membership.Role.MEMBER


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    case_no = factory.Sequence(lambda n: f"检刑受[2025]{n:06d}号")
    title = factory.Sequence(lambda n: f"某某涉嫌盗窃案{n}")
    prosecutor = factory.SubFactory(ProsecutorFactory)
    unit = factory.SelfAttribute("prosecutor.unit")
    department = factory.SelfAttribute("prosecutor.department")


@dataclass
class Office:
    """A unit, two departments, three prosecutors and one team, for tests."""

    unit: Unit
    departments: list[Department]
    prosecutors: list[Prosecutor]
    team: Team


def make_office() -> Office:
    unit = UnitFactory(code="U-MAIN", name="示范区人民检察院")
    d1 = DepartmentFactory(unit=unit, code="D-1", name="第一检察部")
    d2 = DepartmentFactory(unit=unit, code="D-2", name="第二检察部")
    p1 = ProsecutorFactory(staff_code="P-001", name="张检察官", department=d1, unit=unit)
    p2 = ProsecutorFactory(staff_code="P-002", name="李检察官", department=d1, unit=unit)
    p3 = ProsecutorFactory(staff_code="P-003", name="王检察官", department=d2, unit=unit)
    team = TeamFactory(team_code="T-HQ", name="合规护企", unit=unit)
    MembershipFactory(team=team, prosecutor=p1, role=Membership.Role.LEADER)
    MembershipFactory(team=team, prosecutor=p3, role=Membership.Role.CORE)
    return Office(unit, [d1, d2], [p1, p2, p3], team)


def make_case(prosecutor: Prosecutor, events: list[tuple[str, datetime.date]] = (), **fields) -> Case:
    """A case with events logged through the service layer (so every rule and the roll-up apply)."""
    case = CaseFactory(prosecutor=prosecutor, **fields)
    for code, day in events:
        services.log_event(case, code, day)
    case.refresh_from_db()
    return case
