"""The timeline and the genogram as users see them, in real headless Chromium: fitted to the
width with zoom controls and keys, open at the present, no title cut; at 1280 px a whole
childhood of 60 events fits the width with its titles at 11 px or more; the projector view
shows the whole life; the genogram's text is 12 px or more."""

import datetime as dt
import random

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


def smallest_title_px(page) -> float:
    """The smallest event title as rendered: its font size times the drawing's screen scale."""
    return page.evaluate(
        """() => { const svg = document.querySelector('#timeline-drawing svg');
              const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
              return Math.min(...[...svg.querySelectorAll('[data-kind=event-title]')].map(
                  t => parseFloat(t.getAttribute('font-size')) * scale)); }"""
    )


def mark_year(page, year: int, mark: str) -> None:
    page.evaluate(
        """([y, id]) => { [...document.querySelectorAll('#timeline-drawing [data-kind=year]')]
                         .find(t => t.textContent === String(y)).id = id; }""",
        [year, mark],
    )


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
            .filter(g => !g.dataset.period)  // a period's text is under its bar, not in it
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
    lines = page.evaluate(
        """() => [...document.querySelectorAll('#timeline-drawing [data-kind=event]')]
              .map(g => g.querySelectorAll('[data-kind=event-title]').length)"""
    )
    assert max(lines) == 3 and min(lines) >= 1  # the long one on three lines, whole

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
    assert smallest_title_px(page) >= 11
    assert visible_in(page, "#timeline-drawing [data-kind=marker-today]", "#timeline-drawing")
    context.close()


@pytest.fixture
def busy_life(world):
    """A child aged 17 with 60 events spread over the life, from the pregnancy to today."""
    case = world.case
    child = case.child
    today = timezone.localdate()
    child.date_of_birth = today.replace(year=today.year - 17, month=3, day=14)
    child.save(update_fields=["date_of_birth"])
    rng = random.Random(17)
    words = ["School", "CAMHS", "police", "moved", "Nan", "court", "exclusion", "foster",
             "placement", "referral", "Dad"]  # fmt: skip
    start = child.date_of_birth - dt.timedelta(days=150)
    days = (today - start).days
    events = []
    for n in range(60):
        day = start + dt.timedelta(days=days * n // 60 + rng.randint(0, 40))
        end = None
        if rng.random() < 0.25:
            end = min(day + dt.timedelta(days=rng.randint(40, 700)), today)
        events.append(
            TimelineEvent(child=child, title=" ".join(rng.choices(words, k=rng.randint(2, 9))),
                          category=rng.choice(["family", "education", "health", "offending"]),
                          start_date=min(day, today), end_date=end)
        )  # fmt: skip
    TimelineEvent.objects.bulk_create(events)
    return case


def test_a_whole_childhood_fits_1280_px_and_its_titles_read(browser, live_server, busy_life):
    base = live_server.url
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    login(page, base, "psy_a")
    page.goto(base + reverse("formulation:timeline", args=[busy_life.pk]))
    assert page.locator("#timeline-drawing [data-kind=event]").count() == 60
    # The whole width on open: nothing to scroll sideways, in the frame or on the page.
    frame = page.evaluate(
        """() => { const v = document.querySelector('#timeline-drawing');
              return [v.scrollWidth, v.clientWidth, document.documentElement.scrollWidth]; }"""
    )
    assert frame[0] <= frame[1] and frame[2] <= 1280
    assert svg_width(page) <= page.locator("#timeline-drawing").bounding_box()["width"]
    # From the birth year (the pregnancy's year before it too) to this year, all in view.
    born = busy_life.child.date_of_birth.year
    now = timezone.localdate().year
    for year in (born - 1, born, now):
        mark_year(page, year, f"year-{year}")
        assert visible_in(page, f"#year-{year}", "#timeline-drawing")
    assert visible_in(page, "#timeline-drawing [data-kind=marker-today]", "#timeline-drawing")
    # And it reads: every event title at 11 px or more on the screen.
    assert smallest_title_px(page) >= 11
    # No two events' drawn boxes (box, bar, texts) overlap on the screen.
    overlaps = page.evaluate(
        """() => { const boxes = [...document.querySelectorAll(
                  '#timeline-drawing [data-kind=event]')].map(g => g.getBoundingClientRect());
              let n = 0;
              boxes.forEach((a, i) => boxes.slice(i + 1).forEach(b => {
                  if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1
                      && b.top < a.bottom - 1) n++; }));
              return n; }"""
    )
    assert overlaps == 0
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
    # Its refresh every 5 s says it is a background poll, so it does not keep the session alive.
    with page.expect_request(
        lambda r: "/timeline/present/" in r.url and r.headers.get("x-ecm-background-poll") == "1",
        timeout=8000,
    ):
        pass
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
