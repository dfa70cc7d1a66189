"""The deterministic demo / benchmark data generator: an office and its cases over the last 24 months.

Same parameters, seed and `today` → the same rows. Cases are generated day by day in received-date
order and written in chunks, so memory stays bounded at any scale; each case's derived fields
(received date, items; DOMAIN.md §4) are computed here from the events it is given, and the roll-up is
rebuilt once at the end.
"""

from __future__ import annotations

import bisect
import datetime
import json
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace

from django.db import transaction
from django.utils import timezone

from cases import rollup, services
from cases.demo import names, writer
from cases.demo.org import OfficeLayout, PersonInfo, _allocate, build_office, person_name
from cases.demo.timeline import Rates, Timeline, criminal_timeline, other_line_timeline
from cases.models import Case, Charge, EventType, ProceduralEvent, RuleSet
from teams.models import Unit

DAY = datetime.timedelta(days=1)
CASE_FIELDS = (
    "id",
    "case_no",
    "title",
    "line",
    "category",
    "main_charge",
    "unit",
    "department",
    "prosecutor",
    "team",
    "persons",
    "received_on",
    "closed_on",
    "plea_leniency",
    "sentencing_recommendation",
    "judgment_accepted",
    "items",
    "created_at",
    "updated_at",
)
ITEMS = CASE_FIELDS.index("items")
EVENT_FIELDS = ("id", "case", "event_type", "date", "persons", "prosecutor", "note", "outcomes", "created_at")
# Share of a prosecutor's cases that go to one of the teams they belong to on the received date.
TEAM_SHARE = 0.8
# The story for a team lead: extra 退补 in the story team's reviews that end last month.
STORY_RETURN_BOOST = 0.55


ORG_COUNTS = ("units", "departments", "prosecutors", "teams", "memberships")


class DemoDataError(Exception):
    """The generator cannot run (unknown preset, bad parameter, or the office already exists)."""


@dataclass(frozen=True)
class DemoParams:
    """The size of a generated office; `neutral_rate` thins neutral steps to reach ~2.5 events a case."""

    units: int
    prosecutors: int
    teams: int
    cases: int
    months: int = 24
    neutral_rate: float = 1.0

    def validate(self) -> None:
        if self.units < 2 or self.units > 1000:
            raise DemoDataError("units 须在 2 至 1000 之间")
        if self.prosecutors < 5 * self.units:
            raise DemoDataError("prosecutors 须至少为 units 的 5 倍（每个部门至少一名检察官）")
        if self.teams < 1 or self.cases < 0 or not 1 <= self.months <= 120:
            raise DemoDataError("teams ≥ 1，cases ≥ 0，months 须在 1 至 120 之间")
        if not 0 <= self.neutral_rate <= 1:
            raise DemoDataError("neutral_rate 须在 0 至 1 之间")


PRESETS: dict[str, DemoParams] = {
    "tiny": DemoParams(units=3, prosecutors=18, teams=3, cases=250),
    "small": DemoParams(units=5, prosecutors=60, teams=10, cases=3_000),
    "medium": DemoParams(units=30, prosecutors=600, teams=60, cases=100_000, neutral_rate=0.35),
    "full": DemoParams(units=100, prosecutors=5_000, teams=500, cases=1_000_000, neutral_rate=0.35),
}


def resolve(scale: str | int | DemoParams | dict) -> DemoParams:
    """A preset name, a case count (office sized to it), a dict of fields, or params as they are."""
    if isinstance(scale, DemoParams):
        params = scale
    elif isinstance(scale, str):
        if scale not in PRESETS:
            raise DemoDataError(f"未知的规模 {scale!r}，可选：{', '.join(PRESETS)}")
        params = PRESETS[scale]
    elif isinstance(scale, int):
        prosecutors = max(18, scale // 200)
        params = DemoParams(
            units=max(3, min(100, prosecutors // 50)),
            prosecutors=prosecutors,
            teams=max(3, prosecutors // 10),
            cases=scale,
            neutral_rate=1.0 if scale <= 20_000 else 0.35,
        )
    elif isinstance(scale, dict):
        params = replace(PRESETS[scale.get("preset", "small")], **{k: v for k, v in scale.items() if k != "preset"})
    else:
        raise DemoDataError(f"无法识别的规模参数 {scale!r}")
    params.validate()
    return params


@dataclass
class DemoSummary:
    """What a generation run wrote and how long it took."""

    params: DemoParams
    seed: int
    today: datetime.date
    units: int = 0
    departments: int = 0
    prosecutors: int = 0
    teams: int = 0
    memberships: int = 0
    cases: int = 0
    open_cases: int = 0
    events: int = 0
    items: int = 0
    events_by_code: Counter = field(default_factory=Counter)
    story_team: str = ""
    seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        """Plain values (for the benchmark's JSON report)."""
        return {
            "params": asdict(self.params),
            "seed": self.seed,
            "today": self.today.isoformat(),
            **{
                name: getattr(self, name)
                for name in (*ORG_COUNTS, "cases", "open_cases", "events", "items", "story_team")
            },
            "events_by_code": dict(self.events_by_code),
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
        }

    def __str__(self) -> str:
        total = sum(self.seconds.values())
        rate = self.cases / total if total else 0
        return (
            f"{self.units} 个单位 / {self.departments} 个部门 / {self.prosecutors} 名检察人员 / "
            f"{self.teams} 个团队（{self.memberships} 条成员记录）/ {self.cases} 件案件（未审结 {self.open_cases}）/ "
            f"{self.events} 条诉讼环节 / 件数 {self.items}；用时 {total:.1f} 秒（{rate:,.0f} 案/秒；"
            + "，".join(f"{k} {v:.1f}s" for k, v in self.seconds.items())
            + "）"
        )


class _Catalogue:
    """Event type (id, kind, weight) by code for the rule set in force on a date, as services resolve it."""

    def __init__(self):
        self.rule_sets = list(RuleSet.objects.order_by("-effective_from"))
        if not self.rule_sets:
            raise DemoDataError("没有统计规则（请先运行 migrate）")
        self.types = {
            rs.pk: {et.code: (et.pk, et.kind, et.weight) for et in EventType.objects.filter(rule_set=rs)}
            for rs in self.rule_sets
        }
        self._by_day: dict[datetime.date, dict] = {}

    def on(self, day: datetime.date) -> dict[str, tuple[int, str, int]]:
        found = self._by_day.get(day)
        if found is None:
            in_force = [
                rs
                for rs in self.rule_sets
                if rs.effective_from <= day and (rs.effective_to is None or rs.effective_to >= day)
            ]
            found = self._by_day[day] = self.types[(in_force or self.rule_sets)[0].pk]
        return found


def _window_start(today: datetime.date, months: int) -> datetime.date:
    """First day of the month `months - 1` months before today's (the window holds `months` calendar months)."""
    index = today.year * 12 + today.month - 1 - (months - 1)
    return datetime.date(index // 12, index % 12 + 1, 1)


def _daily_counts(total: int, start: datetime.date, today: datetime.date) -> list[int]:
    """Cases received per day: workdays busy, weekends quiet, the Spring Festival month slower, mild growth."""
    days = (today - start).days + 1
    weights = []
    for i in range(days):
        day = start + i * DAY
        w = 1.0 if day.weekday() < 5 else 0.15
        if day.month == 2:
            w *= 0.7
        weights.append(w * (0.9 + 0.2 * i / max(days - 1, 1)))
    return _allocate(total, weights)


def _month_bounds(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """First and last day of the month before today's."""
    first_this = today.replace(day=1)
    last_prev = first_this - DAY
    return last_prev.replace(day=1), last_prev


class _CaseMaker:
    """Draws one case at a time (attribution, title, timeline) and turns it into rows."""

    def __init__(self, rng, layout: OfficeLayout, params: DemoParams, today, catalogue: _Catalogue, now):
        self.rng, self.layout, self.today, self.catalogue = rng, layout, today, catalogue
        self.rates = Rates(neutral=params.neutral_rate)
        self.handlers = layout.handlers
        cum, total = [], 0.0
        for person in self.handlers:
            total += person.load
            cum.append(total)
        self.cum_loads, self.total_load = cum, total
        self.numbers: Counter = Counter()
        self.created_at = writer.adapt_timestamp(now)
        month_from, month_to = _month_bounds(today)
        # Reviews starting in this window end (with 退补) mostly inside last month.
        self.story_window = (month_from - 25 * DAY, month_to - 8 * DAY)
        self.story_team = layout.teams[0].id if layout.teams else None
        # The demo's crimes as catalogue charges (an office that deleted one gets cases without it).
        by_code = dict(Charge.objects.values_list("code", "pk"))
        self.charge_ids = {crime: by_code.get(code) for crime, code in names.CRIME_CHARGES.items()}

    def _pick_handler(self) -> PersonInfo:
        return self.handlers[bisect.bisect_right(self.cum_loads, self.rng.random() * self.total_load)]

    def _pick_team(self, person: PersonInfo, day: datetime.date):
        active = [
            t for t, start, end in person.teams if (start is None or start <= day) and (end is None or end >= day)
        ]
        if active and self.rng.random() < TEAM_SHARE:
            # Members of the story team work mostly for it (its roster is the demo's busiest).
            if active[0] == 0 and self.rng.random() < 0.7:
                return self.layout.teams[0]
            return self.layout.teams[self.rng.choice(active)]
        return None

    def make(self, case_id: int, day: datetime.date, first_event_id: int) -> tuple[tuple, list[tuple], Timeline]:
        rng = self.rng
        person = self._pick_handler()
        team = self._pick_team(person, day)
        persons = 1 if rng.random() < 0.78 else rng.choice((2, 2, 2, 3, 3, 4, 5, 6))
        if team is not None:
            _label, _stem, crimes, line = names.TEAM_TOPICS[team.topic]
            crime, category = rng.choice(crimes)
        else:
            lines = names.DEPARTMENT_LINES[person.department_index]
            line = rng.choices([x for x, _w in lines], [w for _x, w in lines])[0]
            crimes = names.DEPARTMENT_CRIMES[person.department_index]
            crime, category, _w = rng.choices(crimes, [w for *_c, w in crimes])[0]
        suspect = person_name(rng) + ("等" if persons > 1 else "")
        charge_id = None
        if line == "criminal":
            charge_id = self.charge_ids.get(crime)
            title = f"{suspect}涉嫌{crime}案"
            boost = 0.0
            if team is not None and team.id == self.story_team:
                boost = STORY_RETURN_BOOST
            outcome_rng = random.Random(f"outcomes|{case_id}")
            timeline = criminal_timeline(rng, day, self.today, self.rates, boost, self.story_window, outcome_rng)
        else:
            category = ""
            title = f"{suspect}{rng.choice(names.OTHER_LINE_TITLES[line])}案"
            timeline = other_line_timeline(rng, day, self.today)

        unit_index = person.unit_index
        key = (unit_index, day.year, line)
        self.numbers[key] += 1
        case_no = (
            f"{self.layout.unit_codes[unit_index]}检{names.LINE_LETTER[line]}受〔{day.year}〕{self.numbers[key]:05d}号"
        )

        events, received, extra = [], None, 0
        for offset, (code, date, note) in enumerate(timeline.events):
            type_id, kind, weight = self.catalogue.on(date)[code]
            if kind == EventType.Kind.BASE:
                received = date if received is None or date < received else received
            elif kind == EventType.Kind.EXTRA:
                extra += weight
            outcomes = _outcomes(timeline.outcomes.get(offset), persons)
            events.append(
                (first_event_id + offset, case_id, type_id, date, persons, person.id, note, outcomes, self.created_at)
            )
        items = 1 + extra if received else 0
        case_row = (
            case_id,
            case_no,
            title,
            line,
            category,
            charge_id,
            self.layout.unit_ids[unit_index],
            person.department_id,
            person.id,
            team.id if team is not None else None,
            persons,
            received,
            timeline.closed_on,
            timeline.plea_leniency,
            timeline.sentencing_recommendation,
            timeline.judgment_accepted,
            items,
            self.created_at,
            self.created_at,
        )
        return case_row, events, timeline


def _outcomes(code: str | tuple[str, str] | None, persons: int) -> str | None:
    """An event's outcomes as stored (JSON text): all persons under one code, or one person split off."""
    if code is None:
        return None
    if isinstance(code, tuple):
        outcomes = {code[0]: persons - 1, code[1]: 1} if persons > 1 else {code[0]: persons}
    else:
        outcomes = {code: persons}
    return json.dumps(outcomes)


def generate(
    scale: str | int | DemoParams | dict = "small",
    seed: int = 2026,
    *,
    today: datetime.date | None = None,
    chunk_cases: int = 20_000,
    progress: Callable[[int, int], None] | None = None,
) -> DemoSummary:
    """Generate an office and its cases into an empty database; returns counts and timings.

    `scale` is a preset name (tiny, small, medium, full), a case count, a dict of `DemoParams` fields
    (optionally with "preset") or `DemoParams`. Refuses to run when cases or the demo units exist.
    """
    params = resolve(scale)
    today = today or services.today()
    rng = random.Random(seed)
    summary = DemoSummary(params, seed, today)
    clock = time.perf_counter()
    with transaction.atomic():
        if Case.objects.exists() or Unit.objects.filter(code__in=["990100", "990000"]).exists():
            raise DemoDataError("数据库中已有案件或演示单位：演示数据只能生成到空库中")
        catalogue = _Catalogue()
        layout = build_office(rng, params.units, params.prosecutors, params.teams, today)
        summary.units, summary.departments = len(layout.unit_ids), layout.departments
        summary.prosecutors, summary.teams, summary.memberships = (
            len(layout.people),
            len(layout.teams),
            layout.memberships,
        )
        summary.story_team = layout.teams[0].name if layout.teams else ""
        summary.seconds["org"] = time.perf_counter() - clock

        clock = time.perf_counter()
        maker = _CaseMaker(rng, layout, params, today, catalogue, timezone.now())
        start = _window_start(today, params.months)
        case_id, event_id = writer.next_id(Case), writer.next_id(ProceduralEvent)
        case_rows: list[tuple] = []
        event_rows: list[tuple] = []
        for offset, count in enumerate(_daily_counts(params.cases, start, today)):
            day = start + offset * DAY
            for _ in range(count):
                case_row, events, timeline = maker.make(case_id, day, event_id)
                case_rows.append(case_row)
                event_rows.extend(events)
                case_id += 1
                event_id += len(events)
                summary.open_cases += timeline.closed_on is None
                summary.items += case_row[ITEMS]
                summary.events_by_code.update(code for code, _d, _n in timeline.events)
            if len(case_rows) >= chunk_cases:
                _flush(case_rows, event_rows, summary, progress)
        _flush(case_rows, event_rows, summary, progress)
        writer.reset_sequences(Case, ProceduralEvent)
        summary.seconds["cases"] = time.perf_counter() - clock

        clock = time.perf_counter()
        rollup.rebuild()
        summary.seconds["rollup"] = time.perf_counter() - clock
    return summary


def _flush(case_rows: list, event_rows: list, summary: DemoSummary, progress) -> None:
    summary.cases += writer.insert_rows(Case, CASE_FIELDS, case_rows)
    summary.events += writer.insert_rows(ProceduralEvent, EVENT_FIELDS, event_rows)
    case_rows.clear()
    event_rows.clear()
    if progress:
        progress(summary.cases, summary.params.cases)
