"""The month range and basis a dashboard shows, read from the query string (so a view is bookmarkable)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext as _

from cases.facts import BASES, FLOW

MAX_MONTHS = 60


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The first day of the month `months` after `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def month_label(day: datetime.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def parse_month(value: str) -> datetime.date:
    """'2025-03' → 2025-03-01; ValueError otherwise."""
    year, month = value.strip().split("-")
    return datetime.date(int(year), int(month), 1)


@dataclass(frozen=True)
class Period:
    """Whole calendar months from `first` to `last` (first days) and the basis of the detail figures."""

    first: datetime.date
    last: datetime.date
    basis: str = FLOW

    @property
    def date_from(self) -> datetime.date:
        return self.first

    @property
    def date_to(self) -> datetime.date:
        return add_months(self.last, 1) - datetime.timedelta(days=1)

    @property
    def months(self) -> list[str]:
        out, day = [], self.first
        while day <= self.last:
            out.append(month_label(day))
            day = add_months(day, 1)
        return out

    def query(self, **overrides: str) -> dict[str, str]:
        """The query-string form of this period (`from`, `to`, `basis`), with overrides."""
        return {"from": month_label(self.first), "to": month_label(self.last), "basis": self.basis, **overrides}


def default_period(today: datetime.date) -> Period:
    """The twelve months ending with the current one, flow basis."""
    last = month_start(today)
    return Period(add_months(last, -11), last, FLOW)


def parse_period(params, today: datetime.date) -> tuple[Period, list[str]]:
    """The period asked for in `params` (`from`, `to` as YYYY-MM; `basis`), and messages for bad input.

    Bad values fall back to the default with a message naming the parameter: a page never fails on them.
    """
    default = default_period(today)
    errors: list[str] = []
    first, last, basis = default.first, default.last, default.basis
    for name in ("from", "to"):
        raw = params.get(name)
        if not raw:
            continue
        try:
            value = parse_month(raw)
        except ValueError:
            message = _("参数 %(name)s 的值 “%(value)s” 不是有效月份（格式 YYYY-MM）")
            errors.append(message % {"name": name, "value": raw})
            continue
        if name == "from":
            first = value
        else:
            last = value
    if params.get("from") and not params.get("to") and first > last:
        last = add_months(first, 11)
    if params.get("to") and not params.get("from") and first > last:
        first = add_months(last, -11)
    if first > last:
        errors.append(_("起始月份晚于截止月份，已恢复默认区间"))
        first, last = default.first, default.last
    if len(Period(first, last).months) > MAX_MONTHS:
        errors.append(_("区间最多 %(n)d 个月，已截取最后 %(n)d 个月") % {"n": MAX_MONTHS})
        first = add_months(last, -(MAX_MONTHS - 1))
    raw_basis = params.get("basis")
    if raw_basis:
        if raw_basis in BASES:
            basis = raw_basis
        else:
            errors.append(_("参数 basis 只能是 flow 或 cohort"))
    return Period(first, last, basis), errors
