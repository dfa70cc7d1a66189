"""Month-over-month change of the 案-件比 and what drove it (pure arithmetic over two RatioReports).

With r = items / cases, the change from the previous period (I₁, C₁) to the current one (I₂, C₂) is
split exactly, so that the parts add up to r₂ − r₁:

    r₂ − r₁ = [ (I₂ − I₁) − r₁ · (C₂ − C₁) ] / C₂

- by event type: each extra type k contributes (E₂ₖ − E₁ₖ) / C₂; the base items move with the cases,
  so "the number of cases" contributes (1 − r₁) · (C₂ − C₁) / C₂ (fewer cases with as many extras
  raise the ratio);
- by member (or any group whose rows add up to the total): group g contributes
  [ (I₂g − I₁g) − r₁ · (C₂g − C₁g) ] / C₂, i.e. the items it added beyond what its change in cases
  would have brought at the old ratio. A member whose figures did not move contributes nothing.

No cases in either period → the ratio is null there and nothing is decomposed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from cases.ratio import RatioRow

CASES_DRIVER = "__cases__"


@dataclass
class Driver:
    """One part of a change: its key (event code, group code or CASES_DRIVER), label and amount."""

    key: str | None
    label: str
    amount: float

    @property
    def display(self) -> str:
        return signed(self.amount)


@dataclass
class RatioChange:
    """The change of a ratio between two periods and its exact decomposition into drivers."""

    previous: float | None
    current: float | None
    drivers: list[Driver] = field(default_factory=list)

    @property
    def comparable(self) -> bool:
        return self.previous is not None and self.current is not None

    @property
    def delta(self) -> float | None:
        return self.current - self.previous if self.comparable else None

    @property
    def delta_display(self) -> str:
        return signed(self.delta) if self.comparable else "—"


def signed(value: float | None) -> str:
    """'+0.12' / '−0.01' (true minus sign) / '0.00', rounded half up to two decimals."""
    if value is None:
        return "—"
    shown = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if shown > 0:
        return f"+{shown}"
    if shown < 0:
        return f"−{-shown}"
    return "0.00"


def _ordered(drivers: list[Driver]) -> list[Driver]:
    # Biggest movers first; exact zeros say nothing and are dropped.
    return sorted((d for d in drivers if abs(d.amount) > 1e-12), key=lambda d: -abs(d.amount))


def change_by_event(previous: RatioRow, current: RatioRow, labels: dict[str, str], cases_label: str) -> RatioChange:
    """Decompose the change between two periods' rows into extra event types and the case count."""
    change = RatioChange(previous.ratio, current.ratio)
    if not change.comparable:
        return change
    r1, c1, c2 = previous.items / previous.cases, previous.cases, current.cases
    drivers = [
        Driver(code, labels.get(code, code), (current.extras.get(code, 0) - previous.extras.get(code, 0)) / c2)
        for code in sorted(set(previous.extras) | set(current.extras))
    ]
    drivers.append(Driver(CASES_DRIVER, cases_label, (1 - r1) * (c2 - c1) / c2))
    change.drivers = _ordered(drivers)
    return change


def change_by_group(
    previous_total: RatioRow,
    current_total: RatioRow,
    previous_rows: list[RatioRow],
    current_rows: list[RatioRow],
    key: str,
    none_label: str,
) -> RatioChange:
    """Decompose the change of a total into the groups (rows keyed by `key`) that make it up."""
    change = RatioChange(previous_total.ratio, current_total.ratio)
    if not change.comparable:
        return change
    r1, c2 = previous_total.items / previous_total.cases, current_total.cases
    groups: dict[str | None, list] = {}
    for index, rows in ((0, previous_rows), (1, current_rows)):
        for row in rows:
            code = row.keys.get(key)
            entry = groups.setdefault(code, [0, 0, 0, 0, row.labels.get(key) or code or none_label])
            entry[index * 2] += row.items
            entry[index * 2 + 1] += row.cases
    change.drivers = _ordered(
        [Driver(code, label, ((i2 - i1) - r1 * (c2g - c1g)) / c2) for code, (i1, c1g, i2, c2g, label) in groups.items()]
    )
    return change
