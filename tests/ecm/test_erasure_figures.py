"""Erasure keeps past figures: the dashboard, profile, model fidelity and trends of a past
period are the same before and after erasing some of its children (the raw figures,
before small-cell suppression), and the stub date of birth gives the same ages."""

import datetime as dt
import os
import random

from django.core.management import call_command
from django.utils import timezone

from ecm.dates import add_months, age_on
from ecm.erasure import erase_child, is_erased, stub_date_of_birth
from ecm.models import Case, Child, Team
from monitoring import figures, trends
from monitoring.figures import Period
from monitoring.tables import every_table


def snapshot(team_ids, period) -> dict:
    out = {}
    for table in every_table(team_ids, period):
        for row in table.rows:
            out[(table.key, row.key)] = (row.value, row.denominator, row.n, repr(row.columns))
    _quarters, rows = trends.trends(team_ids, period.end)
    for row in rows:
        out[("trends", row.key)] = tuple(row.values)
    return out


def last_full_quarter(today: dt.date) -> Period:
    first_month = 3 * ((today.month - 1) // 3) + 1
    this_quarter = dt.date(today.year, first_month, 1)
    end = this_quarter - dt.timedelta(days=1)
    start = dt.date(end.year, end.month - 2, 1)
    return Period(start, end)


def test_past_figures_are_the_same_after_erasing_some_of_their_children(world):
    call_command(
        "generate_data",
        teams=2,
        children=160,
        reviews=600,
        timeline=200,
        seed=13,
        stdout=open(os.devnull, "w"),  # noqa: SIM115
    )
    team_ids = list(Team.objects.filter(code__startswith="gen13-").values_list("pk", flat=True))
    quarter = last_full_quarter(timezone.localdate())
    year = Period(add_months(quarter.end, -12) + dt.timedelta(days=1), quarter.end)
    # Children of the period, every episode ended: some on ECM in it (with reviews and
    # offences), one turned down at referral.
    ended = Child.objects.exclude(cases__in=Case.objects.open()).filter(cases__team_id__in=team_ids)
    on_ecm = (
        ended.filter(
            cases__in=Case.objects.filter(figures.on_ecm_in(year)),
            cases__reviews__isnull=False,
            cases__offences__isnull=False,
        )
        .distinct()
        .order_by("pk")
    )
    turned_down = ended.filter(cases__status="not_accepted").distinct().order_by("pk")
    chosen = list(on_ecm[:4]) + list(turned_down[:1])
    assert len(chosen) >= 4
    periods = (quarter, year)
    before = {p.start: snapshot(team_ids, p) for p in periods}
    # The chosen children are counted in the figures (so that the comparison can fail).
    on_ecm_cases = set(figures.drill_cases(team_ids, year, "on_ecm").values_list("pk", flat=True))
    assert on_ecm_cases & set(Case.objects.filter(child__in=chosen).values_list("pk", flat=True))

    for child in chosen:
        erase_child(child.pk)

    for child in chosen:
        child.refresh_from_db()
        assert is_erased(child)
    for period in periods:
        after = snapshot(team_ids, period)
        changed = {
            k: (before[period.start][k], after[k])
            for k in after
            if after[k] != before[period.start][k]
        }
        assert changed == {}, (period, changed)


def test_the_stub_date_of_birth_gives_the_same_ages():
    """On every month's last day (every quarter's and year's end) and on the dates of
    referral, the stub date of birth gives the same age as the real one; it is another day."""
    rng = random.Random(20)
    month_ends = []
    for year in range(2000, 2035):
        for month in range(1, 13):
            nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
            month_ends.append(nxt - dt.timedelta(days=1))
    for _ in range(400):
        dob = dt.date(2000, 1, 1) + dt.timedelta(days=rng.randrange(365 * 12))
        if (dob.month, dob.day) == (2, 29):
            continue
        referred = [
            # A referral in the birth month (not on the two days no other day can keep:
            # a 1st-of-the-month birthday, the day before a birthday on the month's last day).
            dob.replace(year=dob.year + rng.randrange(10, 18), day=rng.randrange(2, 27)),
            dob + dt.timedelta(days=rng.randrange(3650, 6500)),
        ]
        stub = stub_date_of_birth(dob, referred)
        assert stub != dob and (stub.year, stub.month) == (dob.year, dob.month)
        for day in month_ends + referred:
            assert age_on(stub, day) == age_on(dob, day), (dob, stub, day)
    # 29 February: 1 March, the day such a child turns a year older in a common year.
    assert stub_date_of_birth(dt.date(2012, 2, 29), []) == dt.date(2012, 3, 1)
