"""A journey in Welsh in real headless Chromium (issue 23): the case manager chooses Cymraeg
on the sign-in page, registers a child, makes and submits the referral, the senior
practitioner accepts it, the case manager adds to a life timeline, and the psychologist drafts
the report from a held meeting and downloads its PDF. Every page visited shows no English
(tests/welsh.py: a catalogue msgid left untranslated, or English function words) beyond a
short allow-list of proper nouns; the PDF's text is Welsh. What the test types is Welsh too, so
user data does not count as English."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from ecm.models import Case, Role, Team
from formulation.models import (
    FamilyMember,
    Meeting,
    Recommendation,
    TimelineEvent,
    TRMPlacement,
    TRMStage,
)
from formulation.report.models import ReportSection
from referrals import services as referral_services
from referrals.models import Referral
from tests import welsh
from tests.conftest import reload_migration_data
from tests.factories import CaseFactory, ChildFactory, TeamFactory, member
from tests.referrals.conftest import full_answers, pdf_upload

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REASON = "Mae'r troseddu wedi cynyddu ers iddo golli ei dad."
WHY_ECM = "Mae angen i'r rhwydwaith ddeall beth sydd y tu ôl i'r ymddygiad."
EVENTS = ("Symud i fyw at ei nain", "Dechrau yn yr ysgol gynradd")
OPINION = "Mae colledion cynnar wedi ei ddysgu i ddisgwyl i oedolion adael."
VOICE = "Dywedodd ei fod eisiau un gweithiwr sy'n dal i ddod."
COMMENT = "Ychwanegwch mai yn 2019 y symudodd i Langefni."


@pytest.fixture
def cymru(django_db_blocker):
    """Teams and people with Welsh names, the rule sets and TRM frameworks in both languages,
    and a case with a held meeting for the report."""
    reload_migration_data(django_db_blocker, "referrals.migrations.0002_rule_sets")
    reload_migration_data(django_db_blocker, "referrals.migrations.0006_england_2020_rule_set")
    reload_migration_data(django_db_blocker, "formulation.migrations.0002_trm_frameworks")
    central = TeamFactory(name="Tîm Canolog", code="canolog", kind=Team.Kind.CENTRAL)
    team = TeamFactory(name="Tîm Môn", code="mon", central_team=central)
    cm = member(team, Role.CASE_MANAGER, username="rheolwr", first_name="Carys", last_name="Parry")
    sp = member(central, Role.SENIOR_PRACTITIONER, username="uwch", first_name="Emyr")
    psy = member(team, Role.PSYCHOLOGIST, username="seicolegydd", first_name="Sian")
    member(team, Role.MANAGER, username="rheolwraig", first_name="Bethan")
    child = ChildFactory(first_name="Gethin", last_name="Huws")
    case = CaseFactory(child=child, team=team, case_manager=cm, status="active")
    when = timezone.now() - dt.timedelta(days=7)
    meeting = Meeting.objects.create(
        case=case,
        status=Meeting.Status.HELD,
        starts_at=when,
        held_at=when,
        location="Swyddfa Llangefni, ystafell 2",
        chair=sp,
        psychologist=psy,
        created_by=sp,
        minutes_case_history="Tair ysgol erbyn un ar ddeg oed; yn byw gyda'i nain ers 2017.",
        minutes_discussion="Cytunwyd ar un gweithiwr cyson a threfn ragweladwy.",
    )
    stage = TRMStage.objects.get(framework__code="practice-stages", number=1)
    TRMPlacement.objects.create(
        meeting=meeting,
        stage=stage,
        presentation="Anhrefnus; yn colli apwyntiadau.",
        underlying_need="Diogelwch a threfn.",
        intervention_recommendation="Trefn ac un oedolyn cyson.",
        placed_by=psy,
    )
    Recommendation.objects.create(
        meeting=meeting,
        case=case,
        intervention="Yr un amser a lle bob wythnos",
        owner_agency="yot",
        sequence=1,
        trm_stage=stage,
        created_by=psy,
    )
    FamilyMember.objects.create(
        child=child,
        name="Gethin",
        relationship="self",
        sex="male",
        date_of_birth=child.date_of_birth,
    )
    FamilyMember.objects.create(
        child=child, name="Nia", relationship="mother", sex="female", year_of_birth=1985
    )
    return {"team": team, "central": central, "cm": cm, "sp": sp, "psy": psy, "held": case}


def sign_in_in_welsh(browser, base, username, seen, **options):
    """A fresh browser: the sign-in page in English, the header's "Cymraeg", then sign in."""
    context = browser.new_context(**options)
    page = context.new_page()
    page.goto(base + reverse("login"))
    assert page.locator("html").get_attribute("lang") == "en-gb"
    page.get_by_role("button", name="Cymraeg").first.click()
    page.wait_for_function("() => document.documentElement.lang === 'cy'")
    welsh.assert_welsh(page, seen)
    page.locator("[name=login]").fill(username)
    page.locator("[name=password]").fill("correct-horse-battery")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert reverse("login") not in page.url, "not signed in"
    assert page.locator("html").get_attribute("lang") == "cy"
    welsh.assert_welsh(page, seen)
    return context, page


def visit(page, url, seen):
    response = page.goto(url)
    assert response.ok, (url, response.status)
    welsh.assert_welsh(page, seen)


def submit(page, selector):
    with page.expect_navigation():
        page.locator(selector).first.click()


def test_a_journey_in_welsh_shows_no_english(browser, live_server, cymru, tmp_path):
    from pypdf import PdfReader

    base = live_server.url
    seen = []

    # The case manager registers a child and makes the referral, in Welsh.
    context, page = sign_in_in_welsh(browser, base, "rheolwr", seen)
    visit(page, base + reverse("case_list"), seen)
    visit(page, base + reverse("child_create"), seen)
    submit(page, "main form button[type=submit]")  # nothing typed: the errors are Welsh too
    page.locator(".invalid-feedback, .errorlist, .alert-danger").first.wait_for()
    welsh.assert_welsh(page, seen)
    page.locator("[name=first_name]").fill("Alys")
    page.locator("[name=last_name]").fill("Pritchard")
    page.locator("[name=yot_reference]").fill("MON-0001")
    dob = timezone.localdate() - dt.timedelta(days=15 * 365)
    page.locator("[name=date_of_birth]").fill(dob.isoformat())
    page.locator("[name=gender]").select_option(index=1)
    page.locator("[name=ethnicity]").select_option(index=1)
    submit(page, "main form button[type=submit]")
    page.get_by_role("heading", name="Alys Pritchard").wait_for()
    welsh.assert_welsh(page, seen)
    case = Case.objects.get(child__last_name="Pritchard")
    submit(page, "form[action$='/referral/ready/'] button[type=submit]")
    if page.locator("[name=contact_number]").count() == 0:  # one more step to the form
        submit(page, "form[action$='/referral/'] button[type=submit]")
    page.locator("[name=contact_number]").wait_for()
    welsh.assert_welsh(page, seen)
    submit(page, "button[name=submit]")  # not answered yet: what is missing, in Welsh
    page.locator("#submit-problems").wait_for()
    welsh.assert_welsh(page, seen)
    # The answers are saved as a draft (the field-by-field form is the keyboard test's); the
    # form is then opened again and submitted from its own button.
    referral = Referral.objects.get(case=case)
    answers = full_answers() | {"reason": REASON, "why_ecm": WHY_ECM}
    referral_services.referral_save(
        actor=cymru["cm"], referral=referral, data=answers, upload=pdf_upload()
    )
    visit(page, base + reverse("referrals:edit", args=[case.pk]), seen)
    submit(page, "button[name=submit]")
    welsh.assert_welsh(page, seen)
    case.refresh_from_db()
    assert case.status == "referred", page.locator("main").inner_text()[:800]

    # ... and adds to the held case's life timeline, live.
    held = cymru["held"]
    visit(page, base + reverse("formulation:timeline", args=[held.pk]), seen)
    for n, title in enumerate(EVENTS):
        page.locator("[name=title]").first.fill(title)
        page.locator("#id_category").select_option("family" if n else "accommodation")
        page.locator("#id_start_date").fill((dob + dt.timedelta(days=900 * (n + 1))).isoformat())
        page.get_by_role("button", name="Ychwanegu at y llinell amser").click()
        page.locator("#timeline-drawing").get_by_text(title).first.wait_for(state="attached")
    welsh.assert_welsh(page, seen)
    assert TimelineEvent.objects.filter(child=held.child).count() == 2
    context.close()

    # The central team's senior practitioner accepts the referral.
    context, page = sign_in_in_welsh(browser, base, "uwch", seen)
    visit(page, base + reverse("referrals:queue"), seen)
    visit(page, base + reverse("referrals:waiting_list"), seen)
    visit(page, base + reverse("referrals:check", args=[case.pk]), seen)
    page.locator("[name=decision][value=accepted]").check()
    submit(page, "button[name=decide]")
    welsh.assert_welsh(page, seen)
    case.refresh_from_db()
    assert case.status == "awaiting_consent", page.locator("main").inner_text()[:800]
    context.close()

    # The case manager records the child's consent and reads the held case's other pages.
    context, page = sign_in_in_welsh(browser, base, "rheolwr", seen)
    visit(page, base + reverse("referrals:consent", args=[case.pk]), seen)
    page.locator("#id_kind").select_option("ecm_child")
    submit(page, "button[name=record]")
    welsh.assert_welsh(page, seen)
    assert case.consents.count() == 1, page.locator("main").inner_text()[:800]
    for name, args in (
        ("referrals:edit", [case.pk]),
        ("referrals:print", [case.pk]),
        ("referrals:leaflet", [case.pk]),  # bilingual: its English half is marked lang="en-gb"
        ("case_detail", [held.pk]),
        ("formulation:workspace", [held.pk]),
        ("formulation:meeting", [held.meetings.get().pk]),
        ("formulation:genogram", [held.pk]),
        ("formulation:summary", [held.pk]),
        ("formulation:timeline_present", [held.pk]),
        ("formulation:directory", []),
        ("notifications", []),
    ):
        visit(page, base + reverse(name, args=args), seen)
    context.close()

    # The psychologist drafts the report from the held meeting and downloads the PDF.
    context, page = sign_in_in_welsh(browser, base, "seicolegydd", seen, accept_downloads=True)
    # Their own account's pages first (django-allauth's among them), and a search.
    for name in (
        "account_security",
        "account_change_password",
        "mfa_index",
        "mfa_activate_totp",
        "usersessions_list",
        "notification_preferences",
    ):
        visit(page, base + reverse(name), seen)
    visit(page, base + reverse("search") + "?q=Gethin", seen)
    visit(page, base + reverse("formulation:report", args=[held.pk]), seen)
    submit(page, "form[action$='/report/start/'] button[type=submit]")
    welsh.assert_welsh(page, seen)
    page.locator("#section-formulation textarea").first.fill(OPINION)
    page.locator("#section-voice textarea").first.fill(VOICE)
    page.get_by_role("button", name="Cadw'r drafft").click()
    page.get_by_text("Cadwyd y drafft.").first.wait_for()
    welsh.assert_welsh(page, seen)
    page.get_by_role("button", name="Anfon am wiriad cywirdeb").click()
    page.get_by_text("Anfonwyd y drafft").first.wait_for()
    welsh.assert_welsh(page, seen)
    context.close()

    # The case manager checks it for accuracy: a comment, then approval.
    context, page = sign_in_in_welsh(browser, base, "rheolwr", seen)
    visit(page, base + reverse("formulation:report", args=[held.pk]), seen)
    page.locator("#check select").first.select_option("formulation")
    page.locator("#check textarea").first.fill(COMMENT)
    page.get_by_role("button", name="Ychwanegu sylw").click()
    page.get_by_text("Ychwanegwyd sylw i'r seicolegydd.").wait_for()
    welsh.assert_welsh(page, seen)
    page.locator("#check").get_by_role("button", name="Cymeradwyo'n gywir").click()
    page.get_by_text("Rydych wedi cymeradwyo bod y drafft yn gywir.").wait_for()
    welsh.assert_welsh(page, seen)
    context.close()

    # The psychologist resolves it, finalises version 1 and downloads it.
    context, page = sign_in_in_welsh(browser, base, "seicolegydd", seen, accept_downloads=True)
    visit(page, base + reverse("formulation:report", args=[held.pk]), seen)
    page.locator("#section-formulation").get_by_role("button", name="Datrys").click()
    page.get_by_text("Datryswyd y sylw.").wait_for()
    welsh.assert_welsh(page, seen)
    page.get_by_role("button", name="Gwneud fersiwn 1 yn derfynol").click()
    page.get_by_text("Mae fersiwn 1 yn derfynol.").wait_for()
    welsh.assert_welsh(page, seen)
    visit(page, base + reverse("formulation:report_version", args=[held.pk, 1]), seen)
    visit(page, base + reverse("formulation:report", args=[held.pk]), seen)
    with page.expect_download() as info:
        page.get_by_role("link", name="Lawrlwytho fersiwn 1 (PDF)").click()
    download = info.value
    assert download.suggested_filename.endswith("-v1-cy.pdf"), download.suggested_filename
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    context.close()
    assert len(seen) >= 40, seen  # every page above was looked at

    text = " ".join(
        " ".join(
            p.extract_text() or "" for p in PdfReader(io.BytesIO(target.read_bytes())).pages
        ).split()
    )
    assert OPINION in text
    assert "SWYDDOGOL-SENSITIF" in text and "OFFICIAL-SENSITIVE" not in text
    assert "Symud i fyw at ei nain" in text  # the timeline drawing
    assert "DRAFFT" not in text and "DRAFT" not in text  # the final version is not marked
    lowered = text.lower()
    for section in ReportSection:
        with translation.override("cy"):
            cymraeg = str(section.label)
        with translation.override("en-gb"):
            english = str(section.label)
        assert cymraeg != english, english
        assert " ".join(cymraeg.split()).lower() in lowered, cymraeg
        assert english.lower() not in lowered, english
    # The team manager reads the audit of all this, and the team's figures.
    context, page = sign_in_in_welsh(browser, base, "rheolwraig", seen)
    for name in ("audit_log", "monitoring:dashboard", "supervision:index", "team_members"):
        visit(page, base + reverse(name), seen)
    context.close()

    found = welsh.english_in([{"where": "pdf", "text": text}])
    assert not found, found


# The detectors themselves: a page that regressed to English is caught.


def test_the_detectors_find_english():
    assert welsh.english_in([{"where": "h1", "text": "Register a child"}])  # a msgid
    assert welsh.english_in([{"where": "p", "text": "Save the draft before you leave."}])
    found = welsh.english_in([{"where": "button[title]", "text": "Sign out"}])
    assert found and "button[title]" in found[0]
    # Welsh, proper nouns and codes pass.
    assert not welsh.english_in(
        [
            {"where": "h1", "text": "Cofrestru plentyn"},
            {"where": "p", "text": "Symud i fyw at ei nain"},
            {"where": "td", "text": "ECM · TRM · PDF · rheolwr@example.org"},
        ]
    )


def test_the_page_collector_skips_hidden_scripts_and_english_fragments(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_content(
        """<html lang="cy"><head><title>Hafan</title></head><body>
        <h1>Cofrestru plentyn</h1>
        <p hidden>The hidden text</p><div style="display:none">Save the child</div>
        <script>var x = "the and of";</script><style>/* the report */</style>
        <p lang="en-gb">Trauma Recovery Model: the publication</p>
        <input placeholder="Your name"><button aria-label="Delete this">X</button>
        <input type="submit" value="Cancel">
        <select><option>Please choose</option></select>
        </body></html>"""
    )
    texts = page.evaluate(welsh.PAGE_TEXTS)
    with pytest.raises(AssertionError, match="Your name"):  # says what, and where
        welsh.assert_welsh(page)
    page.set_content('<html lang="en-gb"><body><p>Cofrestru plentyn</p></body></html>')
    with pytest.raises(AssertionError, match='lang="en-gb"'):  # a page English as a whole
        welsh.assert_welsh(page)
    context.close()
    shown = {t["text"] for t in texts}
    assert "Cofrestru plentyn" in shown and "Hafan" in shown
    assert not shown & {
        "The hidden text",
        "Save the child",
        "Trauma Recovery Model: the publication",
    }
    assert {"Your name", "Delete this", "Cancel", "Please choose"} <= shown
    found = "\n".join(welsh.english_in(texts))
    for english in ("Your name", "Delete this", "Cancel", "Please choose"):
        assert english in found


def test_the_audit_records_its_object_in_english_whoever_acts(db):
    """The audit log's object column is marked lang="en-gb": a Welsh speaker's action is
    recorded in English too ("team #3", not "tîm #3")."""
    from ecm.audit import _label

    team = TeamFactory()
    with translation.override("cy"):
        assert _label(team) == f"team #{team.pk}"
