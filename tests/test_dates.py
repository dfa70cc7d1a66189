"""DOMAIN.md §6: a period of months (最高法解释 2021 第202条), the rule every month-based deadline uses."""

import calendar
import datetime

import pytest

from cases.dates import months_after

D = datetime.date


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


@pytest.mark.parametrize(
    "start, end",
    [
        (D(2025, 1, 31), D(2025, 2, 28)),
        (D(2024, 1, 31), D(2024, 2, 29)),
        (D(2025, 2, 28), D(2025, 3, 31)),  # the last day of a month ends on the last day of the next
        (D(2024, 2, 29), D(2024, 3, 31)),
        (D(2024, 2, 28), D(2024, 3, 28)),  # not February's last day in a leap year
        (D(2025, 4, 30), D(2025, 5, 31)),
        (D(2025, 5, 15), D(2025, 6, 15)),
        (D(2025, 1, 30), D(2025, 2, 28)),  # 02-30 does not exist
        (D(2025, 3, 30), D(2025, 4, 30)),
        (D(2025, 12, 31), D(2026, 1, 31)),
        (D(2025, 12, 1), D(2026, 1, 1)),
    ],
)
def test_one_month_from_a_day(start, end):
    assert months_after(start, 1) == end


def test_every_day_of_several_years_including_leap_years():
    """Property over every day 2023–2029 (two leap years) and 1–13 months: the rule, stated independently."""
    day = D(2023, 1, 1)
    while day <= D(2029, 12, 31):
        for months in (1, 2, 3, 12, 13):
            end = months_after(day, months)
            index = day.year * 12 + day.month - 1 + months
            year, month = divmod(index, 12)
            month += 1
            assert (end.year, end.month) == (year, month), (day, months)
            starts_on_last_day = day.day == _last_day(day.year, day.month)
            if starts_on_last_day or day.day > _last_day(year, month):
                assert end.day == _last_day(year, month), (day, months)
            else:
                assert end.day == day.day, (day, months)
            assert end > day
        day += datetime.timedelta(days=1)


def test_zero_months_is_the_day_itself_and_negative_is_refused():
    assert months_after(D(2025, 2, 28), 0) == D(2025, 2, 28)
    with pytest.raises(ValueError):
        months_after(D(2025, 2, 28), -1)
