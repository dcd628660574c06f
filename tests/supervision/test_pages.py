"""The supervision pages' forms as a user meets them: every control labelled, ids used
once, and the oversight period offered as a form's choices."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from supervision import services
from tests.ecm import pages


@pytest.fixture
def session(world):
    starts = timezone.now() - dt.timedelta(hours=3)
    return services.session_save(
        actor=world.psychologist,
        data={
            "starts_at": starts,
            "ends_at": starts + dt.timedelta(minutes=60),
            "format": "individual",
            "kind": "scheduled",
            "mode": "in_person",
            "notes": "Talked it through.",
        },
        supervisees=[world.case_manager],
        cases=[world.case],
    )


@pytest.mark.parametrize(
    "who, url",
    [
        ("psychologist", lambda s: reverse("supervision:index")),
        ("manager", lambda s: reverse("supervision:index")),
        ("psychologist", lambda s: reverse("supervision:session_new")),
        ("psychologist", lambda s: reverse("supervision:session_edit", args=[s.pk])),
        ("psychologist", lambda s: reverse("supervision:session", args=[s.pk])),
        ("case_manager", lambda s: reverse("supervision:session", args=[s.pk])),
    ],
)
def test_supervision_pages_label_every_control(client, world, session, who, url):
    client.force_login(getattr(world, who))
    response = client.get(url(session))
    assert response.status_code == 200
    pages.assert_accessible_form_page(response.content.decode())


def test_the_oversight_period_is_chosen_from_the_periods_offered(client, world, session):
    client.force_login(world.manager)
    body = client.get(reverse("supervision:index") + "?months=6").content.decode()
    root = pages.parse(body)
    (period,) = [s for s in root.iter("select") if s.attrs["name"] == "months"]
    assert pages.label_of(root, period) == "Period"
    options = {o.attrs["value"]: o.text() for o in period.iter("option")}
    assert options == {
        "1": "last month",
        "2": "last 2 months",
        "3": "last 3 months",
        "6": "last 6 months",
        "12": "last 12 months",
    }
    assert [o.attrs["value"] for o in period.iter("option") if "selected" in o.attrs] == ["6"]
    export = next(a for a in root.iter("a") if a.text() == "Export CSV")
    assert export.attrs["href"].endswith("?months=6")
