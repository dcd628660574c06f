"""The timeline and the genogram as users see them, in real headless Chromium: fitted to the
width with zoom controls and keys, open at the present, no title cut; the projector view
shows the whole life; the genogram's text is 12 px or more."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from formulation.models import FamilyMember, TimelineEvent
from tests.conftest import login

pytestmark = pytest.mark.browser

LONG = "Parents separate after DV incident; Dad leaves the family home"


@pytest.fixture
def timeline_case(world):
    case = world.case
    child = case.child
    dob = child.date_of_birth
    today = timezone.localdate()
    titles = [
        (LONG, "family", dob.replace(year=dob.year + 2), None),
        ("Looked after: short-term foster placement", "social_care",
         dob.replace(year=dob.year + 9), dob.replace(year=dob.year + 9) + dt.timedelta(days=90)),
        ("Starts secondary school", "education", dob.replace(year=dob.year + 11), None),
        ("Youth rehabilitation order (12 months) with a supervision requirement", "offending",
         today - dt.timedelta(days=40), None),
        ("Boxing club: first positive activity", "relationships", today - dt.timedelta(days=5),
         None),
    ]  # fmt: skip
    for title, category, start, end in titles:
        TimelineEvent.objects.create(
            child=child, title=title, category=category, start_date=start, end_date=end
        )
    FamilyMember.objects.create(child=child, name="Auntie Meinir", relationship="aunt_uncle")
    return case


def visible_in(page, selector: str, container: str) -> bool:
    """Whether the element's box is inside the container's visible box."""
    return page.evaluate(
        """([sel, cont]) => {
            const e = document.querySelector(sel).getBoundingClientRect();
            const c = document.querySelector(cont).getBoundingClientRect();
            return e.left >= c.left - 1 && e.right <= c.right + 1 && e.height > 0;
        }""",
        [selector, container],
    )


def svg_width(page, selector="#timeline-drawing svg") -> float:
    return page.evaluate(f"document.querySelector('{selector}').getBoundingClientRect().width")


def test_timeline_fits_opens_at_the_present_and_zooms(browser, live_server, timeline_case):
    base = live_server.url
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    login(page, base, "psy_a")
    page.goto(base + reverse("formulation:timeline", args=[timeline_case.pk]))
    viewport = page.locator("#timeline-drawing")
    assert viewport.get_attribute("tabindex") == "0"
    assert viewport.get_attribute("role") == "region"
    assert viewport.get_attribute("aria-label")
    # Fitted to the width: the whole drawing, today and the current year in view.
    width = svg_width(page)
    assert width <= viewport.bounding_box()["width"] + 1
    year = str(timezone.localdate().year)
    page.evaluate(
        """y => { const t = [...document.querySelectorAll('#timeline-drawing [data-kind=year]')]
                   .find(t => t.textContent === y); t.id = 'this-year'; }""",
        year,
    )
    assert visible_in(page, "#this-year", "#timeline-drawing")
    assert visible_in(page, "#timeline-drawing [data-kind=marker-today]", "#timeline-drawing")
    # No title cut: what is drawn is each event's whole title, inside its box when inside.
    drawn = page.evaluate(
        """() => [...document.querySelectorAll('#timeline-drawing [data-kind=event]')]
              .map(g => [...g.querySelectorAll('[data-kind=event-title]')]
                  .map(t => t.textContent).join(' '))"""
    )
    titles = list(
        TimelineEvent.objects.filter(child=timeline_case.child).values_list("title", flat=True)
    )
    assert sorted(drawn) == sorted(titles)
    assert not page.locator("#timeline-drawing text", has_text="…").count()
    spill = page.evaluate(
        """() => [...document.querySelectorAll('#timeline-drawing [data-kind=event]')]
            .filter(g => {
              const box = g.querySelector('[data-kind=event-box]').getBBox();
              const right = box.x + box.width;
              return box.width > 60 && [...g.querySelectorAll('[data-kind=event-title]')]
                .some(t => {
                  const b = t.getBBox();
                  return b.x >= box.x && b.x < right && b.x + b.width > right + 1;
                });
            }).length"""
    )
    assert spill == 0
    assert page.locator("#timeline-drawing text", has_text=LONG.split(";")[0]).count() == 1

    # Zoom with the buttons, then with the keys when the drawing has focus.
    page.get_by_role("button", name="Zoom in").click()
    assert svg_width(page) == pytest.approx(width * 1.25, rel=0.02)
    viewport.focus()
    assert page.evaluate("document.activeElement.id") == "timeline-drawing"
    page.keyboard.press("+")
    assert svg_width(page) == pytest.approx(width * 1.25 * 1.25, rel=0.02)
    page.keyboard.press("-")
    page.keyboard.press("-")
    assert svg_width(page) == pytest.approx(width, rel=0.02)
    page.keyboard.press("+")
    page.keyboard.press("0")
    assert svg_width(page) == pytest.approx(width, rel=0.02)
    page.get_by_role("button", name="Zoom out").click()
    assert svg_width(page) == pytest.approx(width / 1.25, rel=0.02)
    page.get_by_role("button", name="Fit to width").click()
    assert svg_width(page) == pytest.approx(width, rel=0.02)
    context.close()

    # At 390 px the drawing scrolls in its own region, opened at the present.
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    login(page, base, "psy_a")
    page.goto(base + reverse("formulation:timeline", args=[timeline_case.pk]))
    assert page.locator("#timeline-drawing").bounding_box()["width"] <= 390
    assert svg_width(page) > 390  # legible, not squeezed into 390 px
    assert visible_in(page, "#timeline-drawing [data-kind=marker-today]", "#timeline-drawing")
    context.close()


def test_projector_shows_the_whole_life_from_birth_to_now(browser, live_server, timeline_case):
    base = live_server.url
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    login(page, base, "psy_a")
    page.goto(base + reverse("formulation:timeline_present", args=[timeline_case.pk]))
    years = page.evaluate(
        """() => [...document.querySelectorAll('main [data-kind=year]')].map(t => {
              const b = t.getBoundingClientRect();
              const inside = b.left >= 0 && b.right <= innerWidth && b.bottom <= innerHeight;
              return [t.textContent, inside];
          })"""
    )
    born = str(timeline_case.child.date_of_birth.year)
    now = str(timezone.localdate().year)
    assert years[0][0] == born  # no empty years before birth
    assert years[-1][0] == now
    assert all(inside for _year, inside in years)
    box = page.locator("main svg").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 1920 + 1
    assert box["y"] + box["height"] <= 1080 + 1
    every = page.evaluate(
        """() => [...document.querySelectorAll('main [data-kind=event]')].every(g => {
              const b = g.getBoundingClientRect();
              return b.left >= 0 && b.right <= innerWidth + 1 && b.bottom <= innerHeight + 1;
          })"""
    )
    assert every
    assert page.evaluate("document.scrollingElement.scrollHeight <= innerHeight + 1")
    context.close()


def test_genogram_text_is_12_px_or_more(browser, live_server, timeline_case):
    base = live_server.url
    for width in (1280, 390):
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        login(page, base, "psy_a")
        page.goto(base + reverse("formulation:genogram", args=[timeline_case.pk]))
        smallest = page.evaluate(
            """() => { const svg = document.querySelector('#genogram-drawing svg');
                  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
                  return Math.min(...[...svg.querySelectorAll('text')].map(
                      t => parseFloat(t.getAttribute('font-size')) * scale)); }"""
        )
        assert smallest >= 12
        assert page.get_by_text("Auntie Meinir").count() >= 1
        context.close()
