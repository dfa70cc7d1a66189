"""Calendar arithmetic of legal periods (DOMAIN.md §6), in one place for every month-based deadline.

A period of N months (最高法解释 2021 第202条) runs from a day to the same day N months later; when
that day does not exist in the target month, or the period starts on the last day of a month, it ends
on the last day of the target month: 01-31 → 02-28/29, 02-28 → 03-31, 04-30 → 05-31, 05-15 → 06-15.
(`dateutil.relativedelta` only clamps, giving 02-28 → 03-28 and 04-30 → 05-30: wrong here.)
"""

from __future__ import annotations

import calendar
import datetime


def last_day_of_month(year: int, month: int) -> datetime.date:
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


def is_last_day_of_month(day: datetime.date) -> bool:
    return day == last_day_of_month(day.year, day.month)


def months_after(start: datetime.date, months: int) -> datetime.date:
    """The day a period of `months` calendar months starting on `start` ends (see module docstring)."""
    if months < 0:
        raise ValueError("a legal period cannot run backwards")
    if months == 0:
        return start
    year, month = divmod(start.year * 12 + start.month - 1 + months, 12)
    month += 1
    end_of_target = last_day_of_month(year, month)
    if is_last_day_of_month(start) or start.day > end_of_target.day:
        return end_of_target
    return datetime.date(year, month, start.day)
