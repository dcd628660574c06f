"""A period at the calendar's edge is refused in words, not a server error (the figures'
comparisons reach a year before the start)."""

import pytest
from django.urls import reverse


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    ["start=0001-01-01&end=9999-12-31", "end=0001-01-01", "start=9999-12-31", "start=1989-12-31"],
)
@pytest.mark.parametrize(
    "name", ["monitoring:dashboard", "monitoring:profile", "monitoring:fidelity"]
)
def test_a_period_at_the_calendars_edge(client, world, query, name):
    client.force_login(world.manager)
    response = client.get(reverse(name) + "?" + query)
    assert response.status_code == 200
    assert "Give a date from 1 Jan 1990 to 31 Dec 2100" in response.content.decode()
