"""The demo office's organisation: a unit tree, departments, prosecutors, teams and dated memberships."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field

from cases.demo import names
from teams.models import Department, Membership, Prosecutor, Team, Unit

# Handling weight of a prosecutor by department: the criminal departments carry most cases.
CRIMINAL_DEPARTMENTS = 3
NON_CRIMINAL_LOAD = 0.3


@dataclass
class PersonInfo:
    """What the case generator needs to know of one prosecutor (ids only, no model instance)."""

    id: int
    unit_index: int
    department_id: int
    department_index: int
    role: str
    load: float
    # (team index, date_from, date_to) of every membership
    teams: list[tuple[int, datetime.date | None, datetime.date | None]] = field(default_factory=list)


@dataclass
class TeamInfo:
    """One generated team: its id, topic (index into names.TEAM_TOPICS) and unit."""

    id: int
    topic: int
    unit_index: int
    code: str
    name: str


@dataclass
class OfficeLayout:
    """The generated organisation, as ids the case generator draws from."""

    unit_ids: list[int]
    unit_codes: list[str]
    people: list[PersonInfo]
    teams: list[TeamInfo]
    memberships: int = 0
    departments: int = 0

    @property
    def handlers(self) -> list[PersonInfo]:
        """The people who handle cases (role 检察官)."""
        return [p for p in self.people if p.load > 0]


def _allocate(total: int, weights: list[float]) -> list[int]:
    """Split `total` in proportion to `weights` exactly (largest remainder), deterministically."""
    whole = sum(weights)
    shares = [total * w / whole for w in weights]
    counts = [int(s) for s in shares]
    order = sorted(range(len(weights)), key=lambda i: (-(shares[i] - counts[i]), i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _unit_tree(n_units: int) -> list[tuple[str, str, int | None]]:
    """(code, name, parent index) for `n_units` units: a city with districts, or a province above cities."""
    if n_units <= 8:
        city = names.CITIES[0]
        units = [("990100", f"{city}人民检察院", None)]
        for i in range(n_units - 1):
            units.append((f"9901{i + 2:02d}", f"{city}{names.DISTRICTS[i]}人民检察院", 0))
        return units
    province, province_code = names.PROVINCE
    n_cities = min(len(names.CITIES), max(2, round((n_units - 1) / 11)))
    units = [(province_code, f"{province}人民检察院", None)]
    for c in range(n_cities):
        units.append((f"99{c + 1:02d}00", f"{names.CITIES[c]}人民检察院", 0))
    for d in range(n_units - 1 - n_cities):
        city, slot = d % n_cities, d // n_cities
        district = names.DISTRICTS[slot % len(names.DISTRICTS)]
        suffix = "" if slot < len(names.DISTRICTS) else f"{slot // len(names.DISTRICTS) + 1}"
        code = f"99{city + 1:02d}{slot + 2:02d}" if slot < 98 else f"99{city + 1:02d}{slot + 2:03d}"
        units.append((code, f"{names.CITIES[city]}{district}{suffix}人民检察院", city + 1))
    return units


def person_name(rng: random.Random) -> str:
    """A plausible Chinese name: a common surname and one or two given characters."""
    given = "".join(rng.choice(names.GIVEN) for _ in range(rng.choice((1, 2, 2, 2))))
    return rng.choice(names.SURNAMES) + given


def build_office(
    rng: random.Random, n_units: int, n_prosecutors: int, n_teams: int, today: datetime.date
) -> OfficeLayout:
    """Create the units, departments, prosecutors, teams and memberships in bulk; return their ids."""
    tree = _unit_tree(n_units)
    units: list[Unit] = []
    for code, name, parent in tree:
        unit = Unit(code=code, name=name, parent=units[parent] if parent is not None else None)
        unit.save()  # the tree is small and each row needs its parent's id
        units.append(unit)
    departments = Department.objects.bulk_create(
        Department(unit=unit, code=f"{unit.code}-{d + 1:02d}", name=dept)
        for unit in units
        for d, dept in enumerate(names.DEPARTMENTS)
    )
    dept_grid = [departments[u * len(names.DEPARTMENTS) : (u + 1) * len(names.DEPARTMENTS)] for u in range(len(units))]

    # Upper units are larger offices; within a unit the criminal departments are the largest.
    unit_weights = [2.0 if parent is None else (1.5 if n_units > 8 and parent == 0 else 1.0) for *_, parent in tree]
    per_unit = _allocate(n_prosecutors, unit_weights)
    rows: list[Prosecutor] = []
    people: list[PersonInfo] = []
    for u, count in enumerate(per_unit):
        per_dept = _allocate(count, [0.3, 0.25, 0.2, 0.12, 0.13])
        for d, dept_count in enumerate(per_dept):
            for k in range(dept_count):
                # The first of each department is a prosecutor, so every department can handle cases.
                role = "prosecutor" if k == 0 else rng.choices(("prosecutor", "assistant", "other"), (6, 3, 1))[0]
                load = rng.uniform(0.6, 1.4) if role == "prosecutor" else 0.0
                if d >= CRIMINAL_DEPARTMENTS:
                    load *= NON_CRIMINAL_LOAD
                rows.append(
                    Prosecutor(
                        staff_code=f"J{len(rows) + 1:05d}",
                        name=person_name(rng),
                        unit=units[u],
                        department=dept_grid[u][d],
                        role=role,
                    )
                )
                people.append(PersonInfo(0, u, dept_grid[u][d].pk, d, role, load))
    for person, row in zip(people, Prosecutor.objects.bulk_create(rows, batch_size=2000), strict=True):
        person.id = row.pk

    layout = OfficeLayout([u.pk for u in units], [u.code for u in units], people, [], departments=len(departments))
    _build_teams(rng, layout, units, per_unit, unit_weights, n_teams, today)
    return layout


def _build_teams(rng, layout: OfficeLayout, units, per_unit, unit_weights, n_teams: int, today) -> None:
    by_unit: list[list[PersonInfo]] = [[] for _ in units]
    for person in layout.people:
        by_unit[person.unit_index].append(person)
    teams_per_unit = _allocate(n_teams, [w * max(n, 1) for w, n in zip(unit_weights, per_unit, strict=True)])
    team_rows, infos = [], []
    for u, count in enumerate(teams_per_unit):
        for k in range(count):
            # The root unit starts with 合规护企 (the demo's story team); other units rotate the topics.
            topic = (u * 3 + k) % len(names.TEAM_TOPICS)
            label, stem, _crimes, _line = names.TEAM_TOPICS[topic]
            repeat = (u * 3 + k) // len(names.TEAM_TOPICS) if u == 0 else k // len(names.TEAM_TOPICS)
            code = f"{stem}-{units[u].code}" + (f"-{repeat + 1}" if repeat else "")
            short = units[u].name.removesuffix("人民检察院")
            if len(units) <= 8:
                short = short.removeprefix(names.CITIES[0])  # one city: its districts need no city name
            name = label if u == 0 and not repeat else f"{short}{label}"
            name += f"{repeat + 1}组" if repeat else ""
            team_rows.append(Team(team_code=code, name=name, unit=units[u]))
            infos.append(TeamInfo(0, topic, u, code, name))
    for info, row in zip(infos, Team.objects.bulk_create(team_rows), strict=True):
        info.id = row.pk
    layout.teams = infos

    memberships: list[Membership] = []
    for t, info in enumerate(infos):
        staff = by_unit[info.unit_index]
        founded = today - datetime.timedelta(days=rng.randint(500, 1400))
        leaders = [p for p in staff if p.role == "prosecutor"] or staff
        # Prefer people in fewer teams, so that a few (not all) end up in two (专人不专职).
        leader = min(leaders, key=lambda p: (len(p.teams), rng.random()))
        # The story team (the first) takes case handlers first and they are busy: its trend needs cases.
        others = sorted(
            (p for p in staff if p is not leader),
            key=lambda p: (t == 0 and p.load == 0, len(p.teams) > 0, rng.random()),
        )
        # The story team (the first) is the largest, so its monthly trend has enough cases to read.
        size = min(len(others), 2 + (rng.randint(5, 7) if t == 0 else rng.randint(2, 5)))
        chosen = [(leader, Membership.Role.LEADER)] + [
            (p, Membership.Role.CORE if i < 2 else Membership.Role.MEMBER) for i, p in enumerate(others[:size])
        ]
        for person, role in chosen:
            date_from, date_to = founded, None
            if role == Membership.Role.MEMBER and rng.random() < 0.3:
                date_from = today - datetime.timedelta(days=rng.randint(30, 500))
            if role != Membership.Role.LEADER and rng.random() < 0.12:
                left = today - datetime.timedelta(days=rng.randint(10, 400))
                date_to = left if left > date_from else None
            person.teams.append((t, date_from, date_to))
            if t == 0:
                person.load *= 1.6
            memberships.append(
                Membership(team_id=info.id, prosecutor_id=person.id, role=role, date_from=date_from, date_to=date_to)
            )
    Membership.objects.bulk_create(memberships, batch_size=2000)
    layout.memberships = len(memberships)
