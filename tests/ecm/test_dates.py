"""Date arithmetic in one place (ecm.dates): calendar months and years as people count them."""

import datetime as dt

import pytest

from ecm.dates import (
    add_months,
    add_years,
    age_on,
    nth_birthday,
    quarter_start,
    whole_months_between,
)

D = dt.date


def test_add_months_31_january_plus_one_is_28_february():
    assert add_months(D(2026, 1, 31), 1) == D(2026, 2, 28)


def test_add_months_31_january_plus_one_is_29_february_in_a_leap_year():
    assert add_months(D(2024, 1, 31), 1) == D(2024, 2, 29)


def test_add_months_keeps_the_day_when_it_exists():
    assert add_months(D(2026, 1, 15), 1) == D(2026, 2, 15)
    assert add_months(D(2026, 1, 1), 0) == D(2026, 1, 1)


def test_add_months_crosses_the_year_end():
    assert add_months(D(2026, 12, 31), 1) == D(2027, 1, 31)
    assert add_months(D(2026, 1, 1), 12) == D(2027, 1, 1)
    assert add_months(D(2026, 11, 30), 15) == D(2028, 2, 29)


def test_add_months_negative_months():
    assert add_months(D(2026, 1, 15), -1) == D(2025, 12, 15)
    assert add_months(D(2026, 7, 1), -12) == D(2025, 7, 1)
    assert add_months(D(2026, 7, 1), -24) == D(2024, 7, 1)
    assert add_months(D(2026, 1, 31), -25) == D(2023, 12, 31)


def test_add_months_negative_months_clamp_to_the_month_end():
    assert add_months(D(2026, 3, 31), -1) == D(2026, 2, 28)
    assert add_months(D(2024, 3, 31), -1) == D(2024, 2, 29)
    assert add_months(D(2024, 2, 29), -12) == D(2023, 2, 28)


def test_add_years_on_29_february_is_the_28th_in_a_common_year():
    assert add_years(D(2028, 2, 29), -15) == D(2013, 2, 28)
    assert add_years(D(2028, 2, 29), -16) == D(2012, 2, 29)
    assert add_years(D(2027, 3, 1), -15) == D(2012, 3, 1)
    assert add_years(D(2024, 2, 29), 1) == D(2025, 2, 28)


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (D(2010, 6, 15), D(2026, 6, 14), 15),
        (D(2010, 6, 15), D(2026, 6, 15), 16),
        (D(2012, 2, 29), D(2026, 2, 28), 13),
        (D(2012, 2, 29), D(2026, 3, 1), 14),
        (D(2012, 2, 29), D(2028, 2, 29), 16),
        (D(2026, 6, 15), D(2026, 6, 1), -1),
    ],
)
def test_age_on(born, on, age):
    assert age_on(born, on) == age


def test_a_29_february_birthday_is_1_march_in_a_common_year():
    born = D(2012, 2, 29)
    assert nth_birthday(born, 14) == D(2026, 3, 1)
    assert nth_birthday(born, 16) == D(2028, 2, 29)
    assert nth_birthday(D(2010, 6, 15), 16) == D(2026, 6, 15)
    for years in range(10, 19):
        day = nth_birthday(born, years)
        assert age_on(born, day) == years
        assert age_on(born, day - dt.timedelta(days=1)) == years - 1


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (D(2026, 1, 31), D(2026, 2, 27), 0),
        (D(2026, 1, 31), D(2026, 2, 28), 1),
        (D(2026, 1, 31), D(2026, 3, 30), 1),
        (D(2026, 1, 31), D(2026, 3, 31), 2),
        (D(2026, 1, 15), D(2027, 1, 15), 12),
        (D(2026, 1, 15), D(2027, 1, 14), 11),
        (D(2026, 5, 1), D(2026, 4, 1), 0),
    ],
)
def test_whole_months_between_counts_as_add_months_does(start, end, months):
    assert whole_months_between(start, end) == months
    assert add_months(start, months) <= end or months == 0
    assert add_months(start, months + 1) > end


@pytest.mark.parametrize(
    ("day", "start"),
    [
        (D(2026, 1, 1), D(2026, 1, 1)),
        (D(2026, 3, 31), D(2026, 1, 1)),
        (D(2026, 4, 1), D(2026, 4, 1)),
        (D(2026, 12, 31), D(2026, 10, 1)),
    ],
)
def test_quarter_start(day, start):
    assert quarter_start(day) == start
