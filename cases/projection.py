"""Year-end projection of a group's 案-件比 (issue 13): where the year is heading, with a range.

Honest and simple, stated so a team lead can redo it by hand:

- **as of** the end of the last complete month (a month not over would bias the rate);
- **year to date**: cases and items of the year up to that day (`ratio_for`, either basis);
- **rate**: the mean cases and items per month over the last `WINDOW_MONTHS` (3) complete months,
  which may reach back into the previous year;
- **projection**: (items YTD + remaining months × items per month) / (cases YTD + remaining months ×
  cases per month);
- **range**: the same with the remaining months' cases at the lowest and at the highest monthly ratio
  of the last `RANGE_MONTHS` (6) complete months that had cases, instead of the window's mean ratio;
- **status** against the year's target (lower is better): `on_track` when the whole range is at or
  below it, `off_track` when the whole range is above it, else `at_risk`; no target → no status.

No remaining months → the projection is the year's actual ratio. No cases in the window → the
remaining months add nothing. One engine call per projection. The back-test (`backtest`) projects
from each month-end of a past year and compares with that year's actual ratio; see docs/teams.md.
"""

from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass

from cases.facts import FLOW
from cases.ratio import EVERYTHING, RatioFilters, Scope, ratio_for

WINDOW_MONTHS = 3
RANGE_MONTHS = 6
ON_TRACK, AT_RISK, OFF_TRACK = "on_track", "at_risk", "off_track"


def _month_index(day: datetime.date) -> int:
    return day.year * 12 + day.month - 1


def _month_start(index: int) -> datetime.date:
    return datetime.date(index // 12, index % 12 + 1, 1)


def last_complete_month_end(today: datetime.date) -> datetime.date:
    """The last day of the month before `today`'s."""
    return today.replace(day=1) - datetime.timedelta(days=1)


@dataclass
class Projection:
    """A year-end projection of the ratio (see module docstring); ratios as items per case."""

    year: int
    as_of: datetime.date
    basis: str
    ytd_cases: int
    ytd_items: int
    remaining_months: int
    window: tuple[str, str]
    cases_per_month: float
    items_per_month: float
    projected: float | None
    low: float | None
    high: float | None
    target: float | None
    status: str | None

    @property
    def ytd_ratio(self) -> float | None:
        return self.ytd_items / self.ytd_cases if self.ytd_cases else None

    def as_dict(self) -> dict:
        data = asdict(self)
        data["as_of"] = self.as_of.isoformat()
        data["window"] = {"from": self.window[0], "to": self.window[1]}
        data["ytd_ratio"] = self.ytd_ratio
        for key in ("projected", "low", "high", "ytd_ratio"):
            data[key] = None if data[key] is None else round(data[key], 4)
        data["method"] = (
            f"YTD + remaining months at the mean monthly rate of the last {WINDOW_MONTHS} complete months; "
            f"range from the lowest and highest monthly ratio of the last {RANGE_MONTHS}"
        )
        return data


def status_of(low: float | None, high: float | None, target: float | None) -> str | None:
    """on_track / at_risk / off_track of a range against a target (lower is better)."""
    if target is None or low is None or high is None:
        return None
    if high <= target + 1e-9:
        return ON_TRACK
    if low > target + 1e-9:
        return OFF_TRACK
    return AT_RISK


def project_ratio(
    year: int,
    as_of: datetime.date,
    *,
    filters: RatioFilters | None = None,
    scope: Scope = EVERYTHING,
    basis: str = FLOW,
    target: float | None = None,
) -> Projection:
    """Project `year`'s ratio from the counts up to `as_of` (a month's last day; see module docstring)."""
    months = _monthly(as_of, year, filters, scope, basis)
    return _project(year, as_of, basis, months, target)


def _monthly(as_of, year, filters, scope, basis) -> dict[int, tuple[int, int]]:
    """(cases, items) by month index from the range window before `as_of` (or January) to `as_of`."""
    last = _month_index(as_of)
    first = min(last - RANGE_MONTHS + 1, _month_index(datetime.date(year, 1, 1)))
    report = ratio_for(
        group_by="month",
        basis=basis,
        date_from=_month_start(first),
        date_to=as_of,
        filters=filters,
        scope=scope,
    )
    found = {}
    for row in report.rows:
        y, m = (int(part) for part in row.keys["month"].split("-"))
        found[y * 12 + m - 1] = (row.cases, row.items)
    return found


def _project(year, as_of, basis, months: dict[int, tuple[int, int]], target) -> Projection:
    last = _month_index(as_of)
    year_first, year_last = year * 12, year * 12 + 11
    ytd = [months.get(i, (0, 0)) for i in range(year_first, min(last, year_last) + 1)]
    ytd_cases, ytd_items = sum(c for c, _i in ytd), sum(i for _c, i in ytd)
    remaining = max(0, year_last - max(last, year_first - 1))
    window = [months.get(i, (0, 0)) for i in range(last - WINDOW_MONTHS + 1, last + 1)]
    cases_rate = sum(c for c, _i in window) / WINDOW_MONTHS
    items_rate = sum(i for _c, i in window) / WINDOW_MONTHS
    spread = [i / c for c, i in (months.get(k, (0, 0)) for k in range(last - RANGE_MONTHS + 1, last + 1)) if c]
    cases_end = ytd_cases + remaining * cases_rate
    projected = low = high = None
    if cases_end:
        projected = (ytd_items + remaining * items_rate) / cases_end
        low, high = projected, projected
        if remaining and cases_rate and spread:
            low = (ytd_items + remaining * cases_rate * min(spread)) / cases_end
            high = (ytd_items + remaining * cases_rate * max(spread)) / cases_end
            low, high = min(low, projected), max(high, projected)
    window_labels = (
        f"{_month_start(last - WINDOW_MONTHS + 1):%Y-%m}",
        f"{_month_start(last):%Y-%m}",
    )
    return Projection(
        year=year,
        as_of=as_of,
        basis=basis,
        ytd_cases=ytd_cases,
        ytd_items=ytd_items,
        remaining_months=remaining,
        window=window_labels,
        cases_per_month=round(cases_rate, 4),
        items_per_month=round(items_rate, 4),
        projected=projected,
        low=low,
        high=high,
        target=target,
        status=status_of(low, high, target),
    )


@dataclass
class BacktestRow:
    """The projection from one month-end of a past year against that year's actual ratio."""

    month: int
    groups: int
    mean_absolute_error: float | None
    within_range: float | None  # share of groups whose actual ratio fell inside the projected range


def backtest(year: int, groups: dict[str, RatioFilters], *, basis: str = FLOW) -> list[BacktestRow]:
    """Project `year` from each of its month-ends 1…11 for each group and compare with the actual ratio.

    One engine call per group (the months from the window before January to December); groups without
    cases in the year are left out. The error is |projected − actual| in items per case.
    """
    december = datetime.date(year, 12, 31)
    per_month: dict[int, list[tuple[float, bool]]] = {m: [] for m in range(1, 12)}
    for filters in groups.values():
        # From the range window before January's month-end to December: every projection's input.
        months = _monthly(december, year, filters, EVERYTHING, basis)
        months.update(_monthly(datetime.date(year, 1, 31), year, filters, EVERYTHING, basis))
        actual = _project(year, december, basis, months, None)
        if actual.projected is None:
            continue
        for month in range(1, 12):
            as_of = datetime.date(year, month + 1, 1) - datetime.timedelta(days=1)
            projection = _project(year, as_of, basis, months, None)
            if projection.projected is None:
                continue
            inside = projection.low - 1e-9 <= actual.projected <= projection.high + 1e-9
            per_month[month].append((abs(projection.projected - actual.projected), inside))
    rows = []
    for month, found in per_month.items():
        n = len(found)
        rows.append(
            BacktestRow(
                month,
                n,
                round(sum(e for e, _in in found) / n, 4) if n else None,
                round(sum(1 for _e, inside in found if inside) / n, 4) if n else None,
            )
        )
    return rows
