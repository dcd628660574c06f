"""Working days in England and Wales: Monday to Friday except bank holidays (the `holidays`
package's GB calendar for England, which Wales shares). Offline: nothing is fetched."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=[year]).keys())


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_working_days(day: dt.date, n: int) -> dt.date:
    """The working day `n` working days after `day` (n >= 0)."""
    current = day
    remaining = n
    while remaining > 0:
        current += dt.timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def working_days_between(start: dt.date, end: dt.date) -> int:
    """How many working days after `start`, up to and including `end` (0 when `end` is not
    after `start`): the inverse of `add_working_days` on working days."""
    days = 0
    current = start
    while current < end:
        current += dt.timedelta(days=1)
        if is_working_day(current):
            days += 1
    return days
