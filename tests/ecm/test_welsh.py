"""Welsh and English (issue 23): the catalogue complete and kept complete, each person's
choice of language (switcher, profile, sign-in), Welsh dates, reminders and account e-mails in
the recipient's language, the report PDF in the language chosen at download, the bilingual
consent leaflet, and the reference data in both languages."""

import datetime as dt
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import translation

from ecm.dates import display_date
from ecm.models import Reminder, User
from ecm.reminders import send_digest, send_one, sweep
from formulation.models import Meeting
from reviews.models import Action

ROOT = Path(__file__).resolve().parents[2]
I18N = ROOT / "scripts" / "i18n"
TZ = dt.UTC


def i18n(*args, **env):
    return subprocess.run(
        [sys.executable, str(I18N), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=300,
    )


# --- The catalogue ------------------------------------------------------------------------


def test_the_welsh_catalogue_is_complete():
    result = i18n("check")
    assert result.returncode == 0, result.stderr
    assert "Welsh catalogue complete" in result.stdout


def test_a_string_a_later_change_adds_is_caught(tmp_path):
    """A copy of the sources with one new template string: the check fails and names it."""
    for name in ["ecm", "referrals", "formulation", "reviews", "supervision", "monitoring"]:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ["api", "templates", "locale"]:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("*.mo"))
    shutil.copy2(ROOT / "manage.py", tmp_path / "manage.py")
    (tmp_path / "templates" / "new_page.html").write_text(
        '{% load i18n %}<p>{% translate "A sentence nobody has translated yet" %}</p>\n'
    )
    # ...and a new folder of code nobody listed anywhere.
    (tmp_path / "newapp").mkdir()
    (tmp_path / "newapp" / "views.py").write_text(
        'from django.utils.translation import gettext as _\n\nTITLE = _("A title in a new app")\n'
    )
    result = i18n("check", ECM_I18N_ROOT=str(tmp_path))
    assert result.returncode == 1
    assert "A sentence nobody has translated yet" in result.stderr
    assert "A title in a new app" in result.stderr
    shutil.rmtree(tmp_path / "newapp")
    # ...and a string the code no longer has is caught too.
    (tmp_path / "templates" / "new_page.html").unlink()
    po = tmp_path / "locale" / "cy" / "LC_MESSAGES" / "django.po"
    po.write_text(po.read_text() + '\nmsgid "A string the code dropped"\nmsgstr "Llinyn"\n')
    result = i18n("check", ECM_I18N_ROOT=str(tmp_path))
    assert result.returncode == 1 and "A string the code dropped" in result.stderr


def test_welsh_plurals_have_four_forms_and_the_catalogue_is_used():
    import polib

    po = polib.pofile(str(ROOT / "locale" / "cy" / "LC_MESSAGES" / "django.po"))
    singular, plural = "ECM: %(n)s reminder for today", "ECM: %(n)s reminders for today"
    [entry] = [e for e in po if e.msgid == singular]
    with translation.override("cy"):
        from django.utils.translation import gettext, ngettext

        assert gettext("Sign out") == "Allgofnodi"
        # n = 1, 2, 3 and 8 take Welsh forms 0, 1, 2 and 3.
        forms = [ngettext(singular, plural, n) for n in (1, 2, 3, 8)]
    assert forms == [entry.msgstr_plural[k] for k in range(4)]
    assert singular not in forms and plural not in forms
    with translation.override("en-gb"):
        assert gettext("Sign out") == "Sign out"


# --- Dates --------------------------------------------------------------------------------


def test_dates_are_written_in_full_in_welsh():
    day = dt.date(2026, 12, 1)
    with translation.override("cy"):
        assert display_date(day) == "1 Rhagfyr 2026"
    with translation.override("en-gb"):
        assert display_date(day) == "1 Dec 2026"


# --- Each person chooses ------------------------------------------------------------------


def test_the_switcher_on_the_sign_in_page_changes_the_language(client, db):
    page = client.get(reverse("login")).content.decode()
    assert 'lang="en-gb"' in page and ">Cymraeg</button>" in page
    response = client.post(reverse("set_language"), {"language": "cy", "next": reverse("login")})
    assert response.status_code == 302 and response.url == reverse("login")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "cy"
    page = client.get(reverse("login")).content.decode()
    assert '<html lang="cy">' in page
    assert "Mewngofnodi" in page and ">English</button>" in page


def test_the_switcher_refuses_to_send_anyone_off_site(client, db):
    response = client.post(
        reverse("set_language"), {"language": "cy", "next": "https://evil.example/"}
    )
    assert response.url == "/"
    assert client.get(reverse("set_language")).status_code == 405


def test_a_signed_in_choice_is_kept_on_the_profile_and_follows_the_user(client, world):
    client.force_login(world.case_manager)
    client.post(reverse("set_language"), {"language": "cy", "next": "/"})
    world.case_manager.refresh_from_db()
    assert world.case_manager.language == "cy"
    # Another browser, whatever it asks for, shows the profile's language once signed in.
    from django.test import Client

    other = Client(HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    other.force_login(world.case_manager)
    page = other.get(reverse("home")).content.decode()
    assert '<html lang="cy">' in page and "Allgofnodi" in page
    # Switching back is kept too.
    other.post(reverse("set_language"), {"language": "en-gb", "next": "/"})
    world.case_manager.refresh_from_db()
    assert world.case_manager.language == "en-gb"
    assert "Sign out" in other.get(reverse("home")).content.decode()


def test_someone_who_never_chose_keeps_the_language_they_signed_in_with(client, world):
    user = world.case_manager
    user.set_password("correct-horse-battery")
    user.language = ""
    user.save()
    client.post(reverse("set_language"), {"language": "cy", "next": "/"})
    client.post(reverse("login"), {"login": user.username, "password": "correct-horse-battery"})
    user.refresh_from_db()
    assert user.language == "cy"


# --- E-mails in the recipient's language --------------------------------------------------


def _travel(day: dt.date):
    return time_machine.travel(dt.datetime.combine(day, dt.time(9), TZ), tick=False)


def test_a_reminder_to_a_welsh_speaker_is_in_welsh_and_to_an_english_speaker_in_english(world):
    world.case_manager.email = "cm@example.org"
    world.case_manager.language = "cy"
    world.case_manager.save()
    world.senior.email = "senior@example.org"
    world.senior.language = "en-gb"
    world.senior.save()
    # Each one owns an overdue action.
    Action.objects.create(
        case=world.case,
        description="Ffonio'r ysgol",
        owner_user=world.case_manager,
        due_on=dt.date(2026, 7, 1),
    )
    Action.objects.create(
        case=world.case,
        description="Call the school",
        owner_user=world.senior,
        due_on=dt.date(2026, 7, 1),
    )
    with _travel(dt.date(2026, 7, 2)):
        sweep()
        for reminder in Reminder.objects.filter(kind="action_overdue", email_status="pending"):
            send_one(reminder.pk)
    by_address = {m.to[0]: m for m in mail.outbox}
    welsh, english = by_address["cm@example.org"], by_address["senior@example.org"]
    with translation.override("cy"):
        from django.utils.translation import gettext

        overdue = gettext("An action you own is overdue (was due %(d)s)") % {
            "d": "1 Gorffennaf 2026"
        }
        no_details = gettext("This e-mail carries no personal details. Sign in to ECM to see them.")
    assert welsh.subject == f"ECM: {overdue} ({world.case.reference})"
    assert no_details in welsh.body and "This e-mail carries" not in welsh.body
    assert english.subject == (
        f"ECM: An action you own is overdue (was due 1 Jul 2026) ({world.case.reference})"
    )
    assert "This e-mail carries no personal details" in english.body
    # The in-app notification is in each one's language too.
    assert "1 Gorffennaf 2026" in world.case_manager.notifications.get().title
    assert "1 Jul 2026" in world.senior.notifications.get().title


def test_the_daily_digest_is_in_the_recipients_language(world):
    from ecm.models import NotificationPreference

    user = world.case_manager
    user.email = "cm@example.org"
    user.language = "cy"
    user.save()
    NotificationPreference.objects.create(user=user, email_mode="digest")
    for n in (1, 2):
        Action.objects.create(
            case=world.case, description=f"Gwaith {n}", owner_user=user, due_on=dt.date(2026, 7, 1)
        )
    with _travel(dt.date(2026, 7, 2)):
        sweep()
        send_digest(user.pk)
    [digest] = mail.outbox
    with translation.override("cy"):
        from django.utils.translation import ngettext

        expected = ngettext(
            "ECM: %(n)s reminder for today", "ECM: %(n)s reminders for today", 2
        ) % {"n": 2}
    assert digest.subject == expected and "reminders for today" not in digest.subject
    assert "Your ECM reminders for today" not in digest.body


def test_a_password_reset_email_is_in_the_users_language(world, django_capture_on_commit_callbacks):
    from ecm.account_tasks import send_password_reset

    user = world.case_manager
    user.email = "cm@example.org"
    user.language = "cy"
    user.save()
    send_password_reset("cm@example.org")
    [message] = mail.outbox
    with translation.override("cy"):
        from django.utils.translation import gettext

        assert message.subject == gettext("Reset your ECM password") != "Reset your ECM password"


# --- Reference data in both languages -----------------------------------------------------


def test_rule_sets_and_trm_stages_read_in_the_language_of_the_page(db):
    from formulation.models import TRMStage
    from referrals.models import Criterion, RuleSet

    rule_set = RuleSet.objects.get(code="yjb-2020", version=1)
    criterion = Criterion.objects.get(rule_set=rule_set, code="complex-needs")
    stage = TRMStage.objects.filter(framework__code="practice-stages").order_by("number").first()
    with translation.override("cy"):
        assert rule_set.name == "Canllawiau ymarfer BCI (2020)"
        assert criterion.text == "Tystiolaeth o anghenion cymhleth"
        assert stage.name and stage.name != stage.name_en_gb
    with translation.override("en-gb"):
        assert rule_set.name == "YJB practice guidance (2020)"
        assert criterion.text == "Evidence of complex needs"
    # A rule set someone adds in English only reads in English on a Welsh page.
    extra = RuleSet.objects.create(code="local", version=1, name="Local criteria")
    with translation.override("cy"):
        assert RuleSet.objects.get(pk=extra.pk).name == "Local criteria"


def test_a_new_version_of_a_rule_set_keeps_both_languages(world):
    from referrals.models import RuleSet
    from referrals.services import rule_set_new_version

    world.superuser.is_superuser = True
    rule_set = RuleSet.objects.get(code="yjb-2020", version=1)
    new = rule_set_new_version(actor=world.superuser, rule_set=rule_set)
    assert new.name_cy == rule_set.name_cy and new.name_en_gb == rule_set.name_en_gb
    assert {c.text_cy for c in new.criteria.all()} == {c.text_cy for c in rule_set.criteria.all()}


# --- The leaflet and the PDF --------------------------------------------------------------


def test_the_consent_leaflet_prints_welsh_and_english_side_by_side(client, world):
    client.force_login(world.case_manager)
    page = client.get(reverse("referrals:leaflet", args=[world.case.pk])).content.decode()
    welsh = page.index('<section lang="cy"')
    english = page.index('<section lang="en-gb"')
    assert welsh < english  # Welsh first
    with translation.override("cy"):
        from django.utils.translation import gettext

        assert gettext("Your agreement") in page[welsh:english]
    assert "Your agreement" in page[english:]
    assert '<span lang="cy">' in page and '<span lang="en-gb">Signed:</span>' in page


@pytest.mark.parametrize("language", ["cy", "en-gb"])
def test_the_report_pdf_is_made_in_the_language_chosen_at_download(client, world, language):
    from pypdf import PdfReader

    from formulation.models import Report

    meeting = Meeting.objects.create(
        case=world.case,
        starts_at=dt.datetime(2026, 1, 5, 10, tzinfo=TZ),
        chair=world.senior,
        psychologist=world.psychologist,
        status=Meeting.Status.HELD,
    )
    Report.objects.create(
        case=world.case,
        meeting=meeting,
        psychologist=world.psychologist,
        due_on=dt.date(2026, 2, 5),
    )
    world.psychologist.language = "en-gb" if language == "cy" else "cy"  # the other one
    world.psychologist.save()
    client.force_login(world.psychologist)
    url = reverse("formulation:report_pdf", args=[world.case.pk])
    response = client.get(url, {"language": language})
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Disposition"].endswith('-cy.pdf"') == (language == "cy")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    with translation.override("cy"):
        from django.utils.translation import gettext

        welsh_marking = gettext("OFFICIAL-SENSITIVE")
    if language == "cy":
        assert welsh_marking in text and "OFFICIAL-SENSITIVE" not in text
    else:
        assert "OFFICIAL-SENSITIVE" in text and welsh_marking not in text
    # Without a choice: the user's own language.
    response = client.get(url)
    assert response["Content-Disposition"].endswith('-cy.pdf"') == (language != "cy")


def test_a_welsh_users_pages_say_so_to_screen_readers(client, world):
    world.case_manager.language = "cy"
    world.case_manager.save()
    client.force_login(world.case_manager)
    page = client.get(reverse("case_detail", args=[world.case.pk])).content.decode()
    assert page.startswith("\n<!DOCTYPE html>") or "<!DOCTYPE html>" in page[:200]
    assert '<html lang="cy">' in page
    assert '<button type="submit"' in page and 'lang="en-gb"' in page  # the switcher's "English"
    assert User.objects.get(pk=world.case_manager.pk).language == "cy"


# --- What the crawl in Welsh found --------------------------------------------------------


def test_the_case_pages_trm_stage_is_in_the_readers_language(client, world):
    from formulation.models import TRMStage
    from reviews.models import Review, TRMStageRecord

    stage = TRMStage.objects.filter(framework__code="practice-stages").order_by("number").first()
    review = Review.objects.create(case=world.case, held_on=dt.date(2026, 3, 1))
    TRMStageRecord.objects.create(
        case=world.case, review=review, stage=stage, recorded_on=review.held_on
    )
    world.case_manager.language = "cy"
    world.case_manager.save()
    client.force_login(world.case_manager)
    page = client.get(reverse("case_detail", args=[world.case.pk])).content.decode()
    assert f"{stage.number}. {stage.name_cy}" in page
    assert stage.name_en_gb not in page


def test_a_referral_decision_is_kept_in_english_and_shown_in_the_readers_language(world):
    from django.template import Context, Template

    from referrals.models import Decision, ReferralEvent
    from referrals.services import _in_english

    with translation.override("cy"):
        summary = _in_english(Decision.NOT_MET.label)
    assert summary == "Criteria not met"
    event = ReferralEvent(summary=summary)
    template = Template("{% load i18n %}{% translate e.summary %}")
    with translation.override("cy"):
        shown = template.render(Context({"e": event}))
        welsh = str(Decision.NOT_MET.label)
    assert shown == welsh != "Criteria not met"


def test_a_factors_reset_email_is_in_the_members_language(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    from ecm import account_adapter
    from ecm.mfa import factors_reset

    queued = []
    monkeypatch.setattr(account_adapter, "queue_task", lambda name, payload: queued.append(payload))
    member = world.case_manager
    member.email = "cm@example.org"
    member.language = "cy"
    member.save()
    # The team administrator's page is in English.
    with translation.override("en-gb"), django_capture_on_commit_callbacks(execute=True):
        factors_reset(actor=world.team_admin, member=member)
    [payload] = queued
    with translation.override("cy"):
        from django.utils.translation import gettext

        assert payload["subject"] == gettext("Your sign-in factors were reset")
    assert payload["subject"] != "Your sign-in factors were reset"


def _invitation(world, email):
    from formulation.models import Invitation

    meeting = Meeting.objects.create(
        case=world.case,
        starts_at=dt.datetime(2026, 7, 6, 10, tzinfo=TZ),
        chair=world.senior,
        psychologist=world.psychologist,
        location="Swyddfa'r TTI",
    )
    return Invitation.objects.create(
        meeting=meeting, name="Dr Siân Lloyd", agency="health", email=email
    )


def test_an_invitation_to_someone_without_an_account_is_bilingual_when_asked(world, settings):
    from formulation.meeting.services import invitation_email

    invitation = _invitation(world, "sian@example.org")
    settings.BILINGUAL_EMAILS = False
    message = invitation_email(invitation)
    assert message.subject.startswith("Invitation: ECM formulation meeting")
    assert "Gorffennaf" not in message.body
    settings.BILINGUAL_EMAILS = True
    message = invitation_email(invitation)
    welsh, english = message.body.split("\n\n---\n\n")
    assert "6 Gorffennaf 2026" in welsh and "6 Jul 2026" in english
    assert "You are invited" in english and "You are invited" not in welsh
    assert message.subject.endswith(
        f"Invitation: ECM formulation meeting {world.case.reference}, 6 Jul 2026"
    )
    assert " / " in message.subject and "6 Gorffennaf 2026" in message.subject
    # Someone with an account gets their own language only.
    world.psychologist.email = "psy@example.org"
    world.psychologist.language = "cy"
    world.psychologist.save()
    message = invitation_email(_invitation(world, "PSY@example.org"))
    assert "---" not in message.body and "6 Gorffennaf 2026" in message.subject
    assert "You are invited" not in message.body


def test_any_lazy_reminder_title_is_made_in_the_recipients_language(world, monkeypatch):
    """A source may give Words or a bare lazy string: both come out in Welsh for a Welsh
    speaker (the accuracy-check reminder once came out in the worker's language)."""
    from django.utils.translation import gettext_lazy

    from ecm import reminders
    from ecm.reminders import Due, Kind, Words

    world.case_manager.language = "cy"
    world.case_manager.save()

    def source(today):
        for n, title in enumerate(
            [gettext_lazy("Review"), Words(gettext_lazy("%(thing)s due today"), thing="X")]
        ):
            yield Due(
                kind="test_kind",
                object_type="ecm.case",
                object_id=n + 1,
                occurrence=today,
                title=title,
                link="/",
                users=(world.case_manager.pk, world.senior.pk),
            )

    monkeypatch.setattr(reminders, "KINDS", {"test_kind": Kind("test_kind", "Test", source)})
    sweep()
    welsh = set(
        Reminder.objects.filter(recipient=world.case_manager).values_list("title", flat=True)
    )
    english = set(Reminder.objects.filter(recipient=world.senior).values_list("title", flat=True))
    assert english == {"Review", "X due today"}
    with translation.override("cy"):
        from django.utils.translation import gettext

        assert welsh == {gettext("Review"), gettext("%(thing)s due today") % {"thing": "X"}}
    assert not welsh & english
