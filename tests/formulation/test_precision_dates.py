"""Dates known to a month or a year are asked as a month or a year (issue 18): the timeline
event and case-summary forms take "2019-03" or "2019" and keep the first day, and open with
a month picker or a year box for an event known to that precision."""

from __future__ import annotations

import datetime as dt

import pytest

from formulation.timeline.forms import SummaryItemForm, TimelineEventForm
from formulation.timeline.models import TimelineEvent
from tests.ecm import pages

pytestmark = pytest.mark.django_db

BASE = {"title": "Moved to Nan's", "category": "accommodation", "shared_by": ""}


@pytest.mark.parametrize(
    ("precision", "typed", "kept"),
    [
        ("day", "2019-03-05", dt.date(2019, 3, 5)),
        ("month", "2019-03", dt.date(2019, 3, 1)),
        ("year", "2019", dt.date(2019, 1, 1)),
    ],
)
def test_a_month_or_a_year_is_kept_as_its_first_day(precision, typed, kept):
    form = TimelineEventForm(BASE | {"precision": precision, "start_date": typed})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["start_date"] == kept


@pytest.mark.parametrize(
    ("precision", "input_type", "value"),
    [("day", "date", "2019-03-05"), ("month", "month", "2019-03"), ("year", "number", "2019")],
)
def test_the_form_opens_with_the_box_of_the_events_precision(precision, input_type, value, world):
    event = TimelineEvent(
        pk=7,
        child=world.case.child,
        title="Moved",
        category="accommodation",
        start_date=dt.date(2019, 3, 5),
        precision=precision,
    )
    html = str(TimelineEventForm(instance=event)["start_date"])
    (box,) = pages.parse(html).iter("input")
    assert (box.attrs["type"], box.attrs["value"]) == (input_type, value)
    assert box.attrs["data-precision-name"] == "precision"


def test_a_form_sent_back_keeps_the_box_of_the_precision_chosen():
    form = SummaryItemForm(
        {
            "kind": "significant_event",
            "title": "Nan died",
            "precision": "year",
            "start_date": "nonsense",
        }
    )
    assert not form.is_valid()
    (box,) = pages.parse(str(form["start_date"])).iter("input")
    assert box.attrs["type"] == "number"
    assert form.errors["start_date"] == ["Enter the “From” date as a real date"]
