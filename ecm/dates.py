"""Date arithmetic, in one place for every app: calendar months and years as people count
them (python-dateutil's relativedelta), so that 31 January + 1 month is 28 (or 29) February;
ages as the law counts them."""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from django.db.models import DateField, DateTimeField, Func
from django.utils import formats, timezone


def display_date(day: dt.date | dt.datetime | None) -> str:
    """A date as every page shows it ("1 Dec 2026", settings' SHORT_DATE_FORMAT), for text
    made in Python (messages, e-mails, PDFs). A datetime is taken on its local day."""
    if day is None:
        return ""
    if isinstance(day, dt.datetime) and timezone.is_aware(day):
        day = timezone.localtime(day)
    return formats.date_format(day, "SHORT_DATE_FORMAT")


def display_datetime(moment: dt.datetime) -> str:
    """A date and time as every page shows it ("1 Dec 2026 10:42"), in local time."""
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return formats.date_format(moment, "SHORT_DATETIME_FORMAT")


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (or earlier), clamped to the month's last day."""
    return day + relativedelta(months=months)


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day `years` later (or earlier); 29 February becomes the 28th."""
    return day + relativedelta(years=years)


def age_on(date_of_birth: dt.date, day: dt.date) -> int:
    """Age in whole years on `day` (negative before birth). Someone born on 29 February
    turns a year older on 1 March in a common year, as the law of England and Wales counts
    it (so `nth_birthday` and this agree)."""
    before_birthday = (day.month, day.day) < (date_of_birth.month, date_of_birth.day)
    return day.year - date_of_birth.year - before_birthday


def nth_birthday(date_of_birth: dt.date, years: int) -> dt.date:
    """The day the child turns `years` old: their birthday that year, or 1 March for a
    29 February birthday in a common year."""
    try:
        return date_of_birth.replace(year=date_of_birth.year + years)
    except ValueError:
        return dt.date(date_of_birth.year + years, 3, 1)


def whole_months_between(start: dt.date, end: dt.date) -> int:
    """How many whole months from `start` fit before or on `end`, each counted from `start`
    (so 31 January to 28 February is one month, as `add_months` counts it)."""
    months = max(0, (end.year - start.year) * 12 + end.month - start.month - 1)
    while add_months(start, months + 1) <= end:
        months += 1
    return months


def quarter_start(day: dt.date) -> dt.date:
    """The first day of the calendar quarter `day` is in."""
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def days_since(moment: dt.datetime | None, today: dt.date) -> int | None:
    """Whole local days from `moment` to `today` (0 on the same local day), None without a
    moment: how long something has waited, counted the same on every page."""
    if moment is None:
        return None
    return (today - timezone.localtime(moment).date()).days


class AddMonths(Func):
    """A datetime `months` calendar months later, in SQL, as `ecm.dates.add_months` counts
    (PostgreSQL clamps 31 January + 1 month to 28/29 February; SQLite, the development
    database, rolls over into March)."""

    def __init__(self, expression, months: int, output_field=None):
        self.months = int(months)
        super().__init__(expression, output_field=output_field or DateTimeField())

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        if isinstance(self.output_field, DateField) and not isinstance(
            self.output_field, DateTimeField
        ):
            return f"CAST(({sql} + interval '{self.months} month') AS date)", params
        return f"({sql} + interval '{self.months} month')", params

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        fn = "datetime" if isinstance(self.output_field, DateTimeField) else "date"
        return f"{fn}({sql}, '{self.months:+d} months')", params
