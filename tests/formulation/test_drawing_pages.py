"""The pages that show the drawings: the zoomable region, and a constant number of queries
however many events or family members there are; another team's case is a 404."""

import datetime as dt

from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from formulation.models import FamilyMember, Partnership, TimelineEvent


def add_events(child, count: int) -> None:
    dob = child.date_of_birth
    TimelineEvent.objects.bulk_create(
        TimelineEvent(child=child, title=f"Event {n} with a title long enough to wrap onto two",
                      category="education", start_date=dob + dt.timedelta(days=23 * n))
        for n in range(count)
    )  # fmt: skip


def test_projector_view_queries_constant_and_it_fits_the_screen(client, world):
    case = world.case
    client.force_login(world.case_manager)
    url = reverse("formulation:timeline_present", args=[case.pk])
    add_events(case.child, 1)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    add_events(case.child, 200)
    with CaptureQueriesContext(connection) as large:
        body = client.get(url).content.decode()
    assert len(large) == len(small)
    # Fitted to the screen by its own style sheet (no inline style: the CSP).
    assert "ecm/present.css" in body
    assert (
        "main svg { display: block; width: 100%; height: 100% }"
        in (settings.BASE_DIR / "static" / "ecm" / "present.css").read_text()
    )
    assert body.count('data-kind="event"') == 201
    # The htmx refresh: the drawing only, same queries.
    with CaptureQueriesContext(connection) as refresh:
        part = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert part.startswith("<svg") and len(refresh) <= len(large)
    client.force_login(world.other_case_manager)
    assert client.get(url).status_code == 404


def test_timeline_page_has_a_focusable_zoomable_region(client, world):
    client.force_login(world.case_manager)
    body = client.get(reverse("formulation:timeline", args=[world.case.pk])).content.decode()
    assert 'class="drawing-viewport"' in body
    assert 'tabindex="0"' in body and 'role="region"' in body
    assert 'aria-label="Timeline drawing"' in body
    for name in ("Zoom out", "Zoom in", "Fit to width"):
        assert name in body
    assert "ecm/drawings.js" in body


def test_genogram_page_queries_constant_with_a_big_family(client, world):
    case = world.case
    client.force_login(world.case_manager)
    url = reverse("formulation:genogram", args=[case.pk])
    mum = FamilyMember.objects.create(child=case.child, name="Mum", relationship="mother")
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    dad = FamilyMember.objects.create(child=case.child, name="Dad", relationship="father")
    Partnership.objects.create(child=case.child, a=mum, b=dad, status="separated")
    for n in range(20):
        FamilyMember.objects.create(child=case.child, name=f"Cousin {n}", relationship="cousin")
    with CaptureQueriesContext(connection) as large:
        body = client.get(url).content.decode()
    assert len(large) == len(small)
    assert 'aria-label="Genogram drawing"' in body and 'data-min-open="1"' in body
    assert "Cousin 19" in body
    client.force_login(world.other_case_manager)
    assert client.get(url).status_code == 404
