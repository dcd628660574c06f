"""Keyboard and navigation (issue 18): the navigation collapses rather than wraps, marks the
current page and shows a focus ring of at least 3:1 on the dark bar; a case manager
registers a child, starts the referral and adds a timeline event with the keyboard alone
(Tab, Shift+Tab, Enter, Space and typing), every focused control showing its outline."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from ecm.models import Case
from referrals import services as referral_services
from referrals.demo import minimal_pdf
from tests.conftest import login
from tests.factories import CaseFactory

pytestmark = pytest.mark.browser
# Headless Chromium lays its date picker out month, day, year (its default en-US locale,
# whatever the page's language): 15 March 2011 typed as a person would, digit by digit.
DATE_KEYS = "03152011"

NAV_BAR = (29, 59, 83)  # .bg-ecm, #1d3b53


def luminance(rgb) -> float:
    def channel(c):
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def rgb(css: str) -> tuple[int, int, int]:
    return tuple(int(float(v)) for v in re.findall(r"[\d.]+", css)[:3])


FOCUSED = """() => {
  const el = document.activeElement;
  const s = getComputedStyle(el);
  return {id: el.id, tag: el.tagName.toLowerCase(), text: (el.textContent || "").trim(),
          name: el.getAttribute("name"), inNav: !!el.closest("nav.navbar"),
          outlineStyle: s.outlineStyle, outlineWidth: parseFloat(s.outlineWidth),
          outlineColor: s.outlineColor};
}"""


# How many lines of text an element's content box holds.
LINES = """e => {
  const s = getComputedStyle(e);
  const inner = e.clientHeight - parseFloat(s.paddingTop) - parseFloat(s.paddingBottom);
  return Math.round(inner / parseFloat(s.lineHeight));
}"""


def tab(page, key="Tab") -> dict:
    """Press Tab; the focused element must show an outline at least 2 px wide."""
    page.keyboard.press(key)
    focused = page.evaluate(FOCUSED)
    if focused["tag"] != "body":
        assert focused["outlineStyle"] != "none" and focused["outlineWidth"] >= 2, focused
    return focused


def tab_to(page, match, limit=80) -> dict:
    for _ in range(limit):
        focused = tab(page)
        if match(focused):
            return focused
    raise AssertionError("the keyboard never reached the control")


def test_navigation_collapses_marks_the_page_and_shows_focus(browser, live_server, world):
    # The longest name the factories give (the name is in the bar): a case manager's bar
    # must fit whatever the order the tests ran in.
    world.case_manager.first_name, world.case_manager.last_name = "Bethan", "Llewellyn"
    world.case_manager.save()
    for username, collapsed in (("sp_a", True), ("mgr_a", True), ("cm_a", False)):
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        login(page, live_server.url, username)
        page.goto(live_server.url + reverse("case_list"))
        toggler = page.locator("nav.navbar .navbar-toggler")
        assert toggler.is_visible() is collapsed, username
        if collapsed:
            toggler.press("Enter")  # the toggle works from the keyboard
            page.locator("#nav-main.show").wait_for()
        # Nothing overflows the bar and no label breaks over two lines.
        bar = page.locator("nav.navbar .container-fluid")
        assert bar.evaluate("e => e.scrollWidth <= e.clientWidth"), username
        for item in page.locator("#nav-main .nav-link, #nav-main .btn").all():
            lines = item.evaluate(LINES)
            assert lines <= 1, (username, item.inner_text())
        sign_out = page.locator("#nav-main form[action$='/logout/'] button[type=submit]")
        assert sign_out.inner_text() == "Sign out"
        # The current page is marked, and only it.
        current = page.locator("[aria-current='page']")
        assert current.count() == 1 and current.inner_text() == "Cases"
        # A focus ring on the dark bar, at least 3:1 against it.
        focused = tab_to(page, lambda f: f["inNav"] and f["tag"] == "a" and f["text"] == "Cases")
        assert contrast(rgb(focused["outlineColor"]), NAV_BAR) >= 3, focused
        context.close()

    # A case manager's navigation lies in one line at 1280 px.
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    login(page, live_server.url, "cm_a")
    tops = page.locator("#nav-main .nav-link").evaluate_all(
        "els => els.map(e => Math.round(e.getBoundingClientRect().top))"
    )
    assert max(tops) - min(tops) < 20, tops  # one row (the notifications link sits lower)
    context.close()


def test_keyboard_only_journey(browser, live_server, world):
    """Register a child, start the referral, add a timeline event: Tab/Enter/Space/typing."""
    base = live_server.url
    case = CaseFactory(
        team=world.yot_a,
        case_manager=world.case_manager,
        status="awaiting_consent",
        referred_to=world.central,
    )
    today = case.opened_on
    for kind, extra in (("ecm_child", {}), ("parent_general", {"signatory_name": "Jo"})):
        referral_services.consent_record(
            actor=world.case_manager, case=case, kind=kind, date=today, **extra
        )
    case.refresh_from_db()
    # The longest name the factories give: the bar must fit it (it is in the bar).
    world.case_manager.first_name, world.case_manager.last_name = "Bethan", "Llewellyn"
    world.case_manager.save()
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    login(page, base, "cm_a")

    # 1. Register a child: from the navigation, through every field in order.
    tab_to(page, lambda f: f["text"] == "Register a child").get("text")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Register a child").wait_for()
    expected = page.locator("main form").first.evaluate(
        "f => [...f.elements].filter(e => e.type !== 'hidden' && !e.disabled"
        " && e.tagName !== 'FIELDSET').map(e => e.name || e.type)"
    )
    first = tab_to(page, lambda f: f["name"] == "first_name")
    order = [first["name"]]
    page.keyboard.type("Alys")
    typing = {
        "last_name": "Keyboard",
        "preferred_name": "",
        "yot_reference": "KB-0001",
        "pnc_number": "",
    }
    while True:
        focused = tab(page)
        name = focused["name"] or ("submit" if focused["tag"] == "button" else focused["tag"])
        if name == order[-1]:
            continue  # the next part of a date (day, month, year)
        order.append(name)
        if name in typing:
            page.keyboard.type(typing[name])
        elif name == "date_of_birth":
            page.keyboard.type(DATE_KEYS)
        elif name in ("gender", "ethnicity"):
            page.keyboard.press("ArrowDown")  # the first real choice
        if focused["tag"] == "button":
            break
    assert order == [*expected], (order, expected)
    assert page.locator("#id_date_of_birth").input_value() == "2011-03-15"
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Alys Keyboard").wait_for()

    # 2. The referral: open it from the case page and save a first answer as a draft.
    tab_to(page, lambda f: f["tag"] == "button" and "start the referral" in f["text"].lower())
    with page.expect_navigation():
        page.keyboard.press("Space")
    if page.locator("[name=contact_number]").count() == 0:  # the form is one more step away
        tab_to(page, lambda f: "referral form" in f["text"].lower())
        with page.expect_navigation():
            page.keyboard.press("Enter")
    page.locator("[name=contact_number]").wait_for()
    tab_to(page, lambda f: f["name"] == "contact_number")
    page.keyboard.type("01632 960000")
    tab_to(page, lambda f: f["tag"] == "button" and "save" in f["text"].lower())
    with page.expect_navigation():
        page.keyboard.press("Space")
    page.goto(page.url)
    assert page.locator("[name=contact_number]").input_value() == "01632 960000"

    # ... and fill in the rest and submit it, still with the keyboard alone: Tab from the
    # first answer to "Submit referral", typing, choosing with the arrow keys, each radio
    # group answered with Space, the AssetPlus file chosen from its button.
    typing = {
        "reason": "Repeated offending and complex needs.",
        "why_ecm": "A shared formulation to sequence the work.",
        "order_length_months": "12",
        "voluntary_months_agreed": "0",
        "previous_interventions": "2",
    }
    tab_to(page, lambda f: f["name"] == "contact_number")
    answered_groups = set()
    while True:
        focused = tab(page)
        name = focused["name"] or ""
        if focused["tag"] == "button" and "submit" in focused["text"].lower():
            break
        kind = page.evaluate("() => document.activeElement.type || ''")
        if name.startswith("form-") or name in ("delete_offence",):
            continue  # the offence rows: none to add
        if name in typing and not page.evaluate("() => document.activeElement.value"):
            page.keyboard.type(typing[name])
        elif kind == "date" and name == "order_start_date":
            page.keyboard.type(DATE_KEYS)
        elif name == "disposal":
            page.keyboard.type("Referral")  # jumps to "Referral Order"
        elif kind.startswith("select") and name:
            if not page.evaluate("() => document.activeElement.value"):
                page.keyboard.press("ArrowDown")
        elif kind == "radio" and name not in answered_groups:
            page.keyboard.press("Space")
            answered_groups.add(name)
        elif kind == "file":
            with page.expect_file_chooser() as chooser:
                page.keyboard.press("Space")
            chooser.value.set_files(
                files=[{"name": "AssetPlus.pdf", "mimeType": "application/pdf",
                        "buffer": minimal_pdf("AssetPlus")}]
            )  # fmt: skip
    assert page.locator("[data-answered-count]").first.inner_text().startswith("25 of 25")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    case.refresh_from_db()
    registered = Case.objects.get(child__last_name="Keyboard")
    assert registered.referral.status == "submitted", page.locator("main").inner_text()[:600]

    # 3. A timeline event on a case being prepared.
    page.goto(base + reverse("formulation:timeline", args=[case.pk]))
    events = page.locator("#timeline-drawing [id^='tl-event-']").count()
    tab_to(page, lambda f: f["name"] == "title")
    page.keyboard.type("Moved to a new school")
    tab_to(page, lambda f: f["name"] == "category")
    page.keyboard.press("ArrowDown")
    tab_to(page, lambda f: f["name"] == "start_date")
    page.keyboard.type("09012022")  # 1 Sep 2022, in the same order as above
    tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "Add to timeline")
    page.keyboard.press("Enter")
    # A function, not an expression: Playwright evaluates an expression with eval, which the
    # CSP refuses.
    page.wait_for_function(
        "n => document.querySelectorAll(\"#timeline-drawing [id^='tl-event-']\").length > n",
        arg=events,
    )
    context.close()
