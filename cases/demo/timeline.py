"""One demo case's procedural history: plausible steps and intervals that keep DOMAIN.md §5 and §6.

Pure computation over a seeded `random.Random`: no database. The intervals follow the statutory
limits (审查逮捕 7 days, a review period of 1 month, +15 days once extended, 1 month for the police to
resubmit after 退补) so that closed cases look lawful; a small share of recent cases runs late so that
the at-risk list has cases near and past their deadline. Steps dated after today are cut off: the case
is then still open at the step it has reached.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field

DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class Rates:
    """How often the optional steps happen (shares of the cases that reach the stage)."""

    arrest_review: float = 0.5
    not_arrested: float = 0.22
    arrest_reconsideration: float = 0.12  # of cases not arrested
    supplementary: float = 0.17  # cases returned at least once (退查率)
    second_round: float = 0.22  # of those, returned twice
    extension: float = 0.065  # per review period (≈8 % of cases)
    self_supplementary: float = 0.05
    detention_extension: float = 0.06
    late: float = 0.04  # steps that overrun their statutory limit (shows in the at-risk list while open)
    non_prosecution: float = 0.12
    second_instance: float = 0.09
    withdrawal: float = 0.004
    plea_leniency: float = 0.85
    neutral: float = 1.0  # share of neutral steps (决定, 公诉, 判决) that are recorded at all


@dataclass
class Timeline:
    """A case's events (code, date, note) in entry order, its closed date and outcome fields.

    `outcomes` maps an event's index to its outcome code, or to two codes when the suspects split
    (the generator gives the second code one person when the case has several).
    """

    events: list[tuple[str, datetime.date, str]] = field(default_factory=list)
    outcomes: dict[int, str | tuple[str, str]] = field(default_factory=dict)
    closed_on: datetime.date | None = None
    plea_leniency: bool | None = None
    sentencing_recommendation: str = "none"
    judgment_accepted: str = "unknown"


class _Cut(Exception):
    """The next step would lie after today: the history stops here."""


class _Builder:
    def __init__(self, rng: random.Random, today: datetime.date, rates: Rates, outcome_rng: random.Random | None):
        self.rng, self.today, self.rates = rng, today, rates
        # Outcomes draw from their own generator so that adding them left every other step as it was.
        self.outcome_rng = outcome_rng or random.Random(0)
        self.timeline = Timeline()

    def outcome(self, code: str | tuple[str, str]) -> None:
        """The outcome of the step just recorded (nothing if it was not recorded)."""
        self.timeline.outcomes[len(self.timeline.events) - 1] = code

    def pick(self, choices: list[tuple[str, float]]) -> str:
        return self.outcome_rng.choices([c for c, _w in choices], [w for _c, w in choices])[0]

    def at(self, day: datetime.date) -> datetime.date:
        if day > self.today:
            raise _Cut
        return day

    def add(self, code: str, day: datetime.date, note: str = "") -> datetime.date:
        self.timeline.events.append((code, self.at(day), note))
        return day

    def neutral(self, code: str, day: datetime.date, note: str = "") -> datetime.date:
        # Draw even when not recorded so that the rate never shifts the rest of the sequence.
        recorded = self.rng.random() < self.rates.neutral
        if recorded:
            return self.add(code, day, note)
        return self.at(day)

    def after(self, day: datetime.date, low: int, high: int) -> datetime.date:
        return day + self.rng.randint(low, high) * DAY


def criminal_timeline(
    rng: random.Random,
    received: datetime.date,
    today: datetime.date,
    rates: Rates,
    return_boost: float = 0.0,
    boost_window: tuple[datetime.date, datetime.date] | None = None,
    outcome_rng: random.Random | None = None,
) -> Timeline:
    """The steps of a criminal case received on `received` (its first base step), cut at `today`.

    `return_boost` raises the chance of 退回补充侦查 for reviews starting inside `boost_window` (the
    demo's story: one team's ratio rises last month).
    """
    b = _Builder(rng, today, rates, outcome_rng)
    try:
        review_start = _arrest_stage(b, received) if rng.random() < rates.arrest_review else received
        if review_start is not None:
            p_return = rates.supplementary
            if return_boost and boost_window:
                # The story team did well until last month (fewer 退补), then slipped.
                inside = boost_window[0] <= review_start <= boost_window[1]
                p_return = min(0.95, p_return + return_boost) if inside else p_return * 0.7
            _review_stage(b, review_start, p_return)
    except _Cut:
        pass
    return b.timeline


def _arrest_stage(b: _Builder, received: datetime.date) -> datetime.date | None:
    """审查逮捕 and what follows; returns the day 审查起诉 starts, or None if the case ends here."""
    rng, rates = b.rng, b.rates
    b.add("arrest_review", received)
    late = rng.random() < rates.late
    decided = b.after(received, 8, 12) if late else b.after(received, 2, 7)
    arrested = rng.random() >= rates.not_arrested
    before = len(b.timeline.events)
    b.neutral("arrest_decision", decided, "批准逮捕" if arrested else "不批准逮捕")
    if len(b.timeline.events) > before:
        split = arrested and b.outcome_rng.random() < 0.15  # some suspects arrested, one not
        b.outcome(("approved", "not_approved") if split else "approved" if arrested else "not_approved")
    if not arrested:
        if rng.random() < rates.arrest_reconsideration:
            again = b.add("arrest_reconsideration", b.after(decided, 3, 6))
            if rng.random() < 0.35:
                b.add("arrest_superior_review", b.after(again, 5, 12))
        if rng.random() < 0.04:
            b.add("arrest_complaint", b.after(decided, 7, 40))
        if rng.random() < 0.35:
            # Released on bail and never sent for prosecution: the matter closes with the decision.
            b.timeline.closed_on = decided
            return None
        return b.after(decided, 20, 90)
    if rng.random() < rates.detention_extension:
        b.add("detention_extension", b.after(decided, 50, 58))
        return b.after(decided, 62, 110)
    return b.after(decided, 25, 58)


def _review_stage(b: _Builder, start: datetime.date, p_return: float) -> None:
    """审查起诉: review periods, 退补 rounds with 重新移送, 延长, then the decision and what follows."""
    rng, rates = b.rng, b.rates
    b.add("prosecution_review", start)
    returns = 0
    if rng.random() < p_return:
        returns = 2 if rng.random() < rates.second_round else 1
    rounds = 0
    period_start = start
    while True:
        late = rng.random() < rates.late
        extended = rng.random() < rates.extension
        if extended:
            b.add("review_extension", b.after(period_start, 22, 29))
            end = b.after(period_start, 32, 44)
        else:
            end = b.after(period_start, 35, 60) if late else b.after(period_start, 8, 29)
        if rng.random() < rates.self_supplementary:
            b.add("self_supplementary_investigation", b.after(period_start, 3, 7))
        if rounds < returns:
            b.add("supplementary_investigation", end)
            rounds += 1
            late_police = rng.random() < rates.late
            period_start = b.add("resubmission", b.after(end, 31, 45) if late_police else b.after(end, 10, 30))
            continue
        if rng.random() < 0.01:
            # 改变管辖: the review clock restarts with the new period (DOMAIN §5 rule 5).
            period_start = b.neutral("jurisdiction_transfer", end)
            continue
        break
    if rng.random() < rates.non_prosecution:
        _non_prosecution(b, end)
    else:
        _indictment(b, end)


def _decide(b: _Builder, day: datetime.date, code: str) -> None:
    b.neutral(code, day)
    b.timeline.closed_on = day
    b.timeline.plea_leniency = b.rng.random() < b.rates.plea_leniency


def _non_prosecution(b: _Builder, day: datetime.date) -> None:
    rng = b.rng
    _decide(b, day, "non_prosecution")
    if rng.random() < 0.03:
        again = b.add("non_prosecution_reconsideration", b.after(day, 3, 7))
        if rng.random() < 0.4:
            b.add("non_prosecution_superior_review", b.after(again, 10, 30))
    if rng.random() < 0.02:
        b.add("non_prosecution_complaint", b.after(day, 7, 60))
    if rng.random() < 0.005:
        b.add("state_compensation", b.after(day, 60, 240))


def _indictment(b: _Builder, day: datetime.date) -> None:
    rng, t = b.rng, b.timeline
    _decide(b, day, "indictment")
    if t.plea_leniency or rng.random() < 0.3:
        t.sentencing_recommendation = "proposed"
    adopted = rng.random() < 0.93
    if rng.random() < 0.015:
        b.add("trial_supplementary_investigation", b.after(day, 15, 40))
    if rng.random() < b.rates.withdrawal:
        b.add("prosecution_withdrawal", b.after(day, 45, 90))
        return
    before = len(b.timeline.events)
    judged = b.neutral("judgment", b.after(day, 25, 110))
    if len(b.timeline.events) > before:
        verdict = [("guilty", 0.94), ("exempted", 0.035), ("acquitted", 0.015), ("partly_acquitted", 0.01)]
        b.outcome(b.pick(verdict))
    if t.sentencing_recommendation == "proposed" and adopted:
        t.sentencing_recommendation = "adopted"
    appealed = rng.random() < (0.04 if t.plea_leniency else 0.2)
    t.judgment_accepted = "unknown"
    if appealed:
        t.judgment_accepted = "no"
        second = b.add("second_instance", b.after(judged, 5, 10))
        b.outcome(b.pick([("upheld", 0.82), ("amended", 0.18)]))
        if rng.random() < 0.06:
            b.outcome("remanded")
            b.add("retrial", b.after(second, 30, 90))
            b.outcome(b.pick([("upheld", 0.7), ("amended", 0.3)]))
    else:
        t.judgment_accepted = "yes"
    if rng.random() < 0.004:
        b.add("judicial_supervision", b.after(judged, 90, 300))


def other_line_timeline(rng: random.Random, received: datetime.date, today: datetime.date) -> Timeline:
    """A non-criminal matter, closed within a few months: no events, since the seeded catalogue is the
    criminal line's (DOMAIN §5 rule 9; such a case counts nothing until its line has a catalogue)."""
    timeline = Timeline(events=[])
    closed = received + rng.randint(20, 90) * DAY
    if closed <= today:
        timeline.closed_on = closed
    return timeline
