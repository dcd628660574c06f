"""Forms in the GOV.UK way (issue 18): an error summary at the top of a failed form with a
link to each field in error, specific messages instead of "This field is required.", one
date style ("1 Dec 2026") and people's names in status histories."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django import forms
from django.urls import reverse
from django.utils import timezone, translation

from ecm.dates import display_date, display_datetime
from ecm.forms import SpecificErrorsMixin, specific_messages
from tests.ecm import pages
from tests.factories import CaseFactory

DD_MM_YYYY = re.compile(r"\b\d{1,2}/\d{1,2}/\d{4}\b")


def summary_links(html: str) -> list[tuple[str, str]]:
    """(href, text) of each link in the page's error summaries, in order."""
    root = pages.parse(html)
    boxes = [e for e in root.iter("div") if "data-error-summary" in e.attrs]
    return [(a.attrs.get("href", ""), a.text()) for box in boxes for a in box.iter("a")]


def summaries(html: str) -> list[pages.Element]:
    return [e for e in pages.parse(html).iter("div") if "data-error-summary" in e.attrs]


# --- Specific messages ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "label", "subject", "required"),
    [
        (
            forms.DateTimeField(),
            "Date and time",
            "the meeting",
            "Enter the date and time of the meeting",
        ),
        (forms.DateField(), "Date of birth", "", "Enter the date of birth"),
        (forms.DateField(), "From", "", "Enter the “From” date"),
        (forms.CharField(), "YOT reference", "", "Enter the YOT reference"),
        (forms.CharField(), "Who agreed, and why", "", "Enter who agreed, and why"),
        (forms.ChoiceField(), "Team", "", "Choose the team"),
        (
            forms.ChoiceField(),
            "Why is it re-opened?",
            "",
            "Choose an answer to “Why is it re-opened?”",
        ),
        (forms.CharField(), "Repeat offender?", "", "Answer “Repeat offender?”"),
        (forms.MultipleChoiceField(), "Agencies", "", "Choose one or more of the agencies"),
        (forms.BooleanField(), "I confirm", "", "Tick “I confirm”"),
        (
            forms.FileField(),
            "AssetPlus assessment",
            "",
            "Choose a file for the AssetPlus assessment",
        ),
    ],
)
def test_messages_are_derived_from_type_and_label(field, label, subject, required):
    assert specific_messages(field, label, subject)["required"] == required


def test_the_mixin_keeps_a_message_the_field_sets_and_uses_labels_set_in_init():
    class Example(SpecificErrorsMixin, forms.Form):
        when = forms.DateField(label="Date of the contact")
        count = forms.IntegerField(label="Number of sessions")
        reason = forms.CharField(label="Reason", error_messages={"required": "Say why."})
        status = forms.ChoiceField(choices=[("a", "A")])

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.fields["status"].label = "Status of Ann Smith"

    form = Example({"count": "lots"})
    assert form.errors == {
        "when": ["Enter the date of the contact"],
        "count": ["Enter the number of sessions as a number"],
        "reason": ["Say why."],
        "status": ["Choose the status of Ann Smith"],
    }
    assert Example({"when": "2026-02-31"}).errors["when"] == [
        "Enter the date of the contact as a real date"
    ]


# --- The error summary on several forms -------------------------------------------------


def test_not_carried_forward_error_summary_links_to_the_radios(client, world):
    """A page that lays its fields out one by one (`{% error_summary %}`)."""
    case = CaseFactory(team=world.yot_a, case_manager=world.case_manager, status="potential")
    client.force_login(world.manager)
    response = client.post(
        reverse("case_not_carried_forward", args=[case.pk]),
        {"version": case.version, "detail": "Moved away"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert summary_links(body) == [
        ("#id_reason_0", "Choose an answer to “Why is the case not carried forward to ECM?”")
    ]
    assert 'id="id_reason_0"' in body  # the link's target exists
    (box,) = summaries(body)
    assert box.attrs["tabindex"] == "-1" and box.attrs["role"] == "alert"
    assert "This field is required" not in body
    pages.assert_accessible_form_page(body)


def test_register_a_child_error_summary_lists_every_field_in_order(client, world):
    """A `|crispy` form: the summary comes by itself (templates/bootstrap5/errors.html)."""
    client.force_login(world.case_manager)
    response = client.post(reverse("child_create"), {"first_name": "Ann"})
    body = response.content.decode()
    links = summary_links(body)
    assert ("#id_last_name", "Enter the last name") in links
    assert ("#id_date_of_birth", "Enter the date of birth") in links
    hrefs = [h for h, _t in links]
    assert hrefs.index("#id_last_name") < hrefs.index("#id_date_of_birth")
    for href, _text in links:
        assert f'id="{href[1:]}"' in body
    assert len(summaries(body)) == 1  # once, not once per form part
    assert 'value="Ann"' in body  # what was typed is kept


def test_no_summary_on_a_form_page_without_errors(client, world):
    client.force_login(world.case_manager)
    body = client.get(reverse("child_create")).content.decode()
    assert summaries(body) == []


def test_schedule_a_meeting_says_what_is_missing(client, world):
    case = CaseFactory(
        team=world.yot_a,
        case_manager=world.case_manager,
        status="awaiting_consent",
        referred_to=world.central,
    )
    from referrals import services as referral_services

    today = timezone.localdate()
    referral_services.consent_record(
        actor=world.case_manager, case=case, kind="ecm_child", date=today
    )
    referral_services.consent_record(
        actor=world.case_manager, case=case, kind="parent_general", date=today, signatory_name="Jo"
    )
    client.force_login(world.senior)
    response = client.post(
        reverse("formulation:schedule", args=[case.pk]),
        {"duration_minutes": 180, "location": "Library"},
    )
    body = response.content.decode()
    assert ("#id_starts_at", "Enter the date and time of the meeting") in summary_links(body)


def test_referral_form_summary_links_to_an_offence_row(client, world):
    case = CaseFactory(team=world.yot_a, case_manager=world.case_manager, status="potential")
    client.force_login(world.case_manager)
    client.post(reverse("referrals:ready", args=[case.pk]), {"note": "Agreed"})
    from referrals.models import Referral

    referral = Referral.objects.get(case=case)
    response = client.post(
        reverse("referrals:edit", args=[case.pk]),
        {
            "version": referral.version,
            "offence-TOTAL_FORMS": 3,
            "offence-INITIAL_FORMS": 0,
            "offence-0-offence_type": "Robbery",
            "save": "1",
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert ("#id_offence-0-date", "Give the date of the offence.") in summary_links(body)


# --- One date style ------------------------------------------------------------------------


def test_dates_in_python_text_read_as_on_the_pages():
    assert display_date(dt.date(2026, 12, 1)) == "1 Dec 2026"
    moment = timezone.make_aware(dt.datetime(2026, 7, 1, 9, 5))
    assert display_date(moment) == "1 Jul 2026"
    assert display_datetime(moment) == "1 Jul 2026 09:05"
    with translation.override("cy"):
        assert not DD_MM_YYYY.search(display_date(dt.date(2026, 12, 1)))


def test_no_page_prints_a_date_as_dd_mm_yyyy(client, world, django_user_model):
    """The eligibility check (it printed "01/11/2027"), the case page with its status
    history, the referral and the case list."""
    from referrals import services as referral_services
    from referrals.models import Offence
    from tests.referrals.conftest import full_answers, pdf_upload

    case = CaseFactory(team=world.yot_a, case_manager=world.case_manager, status="potential")
    referral_services.referral_mark_ready(actor=world.case_manager, case=case)
    referral = referral_services.referral_start(actor=world.case_manager, case=case)
    referral = referral_services.referral_save(
        actor=world.case_manager, referral=referral, data=full_answers(), upload=pdf_upload()
    )
    for days in (10, 40, 70, 100, 130):
        Offence.objects.create(
            case=case, date=timezone.localdate() - dt.timedelta(days=days), offence_type="Theft"
        )
    referral_services.referral_submit(actor=world.case_manager, referral=referral)
    client.force_login(world.senior)
    urls = [
        reverse("referrals:check", args=[case.pk]),
        reverse("referrals:edit", args=[case.pk]),
        reverse("referrals:print", args=[case.pk]),
        reverse("case_detail", args=[case.pk]),
        reverse("case_list"),
        reverse("home"),
    ]
    check_page = client.get(urls[0]).content.decode()
    assert "The order runs until" in check_page  # the criterion that printed 01/11/2027
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        text = pages.text(response.content.decode())
        assert not DD_MM_YYYY.findall(text), (url, DD_MM_YYYY.findall(text))


# --- Names in status histories ----------------------------------------------------------


def test_status_history_names_people_not_usernames(client, world):
    case = CaseFactory(team=world.yot_a, case_manager=world.case_manager, status="potential")
    from referrals import services as referral_services

    referral_services.referral_mark_ready(actor=world.case_manager, case=case)
    client.force_login(world.case_manager)
    body = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    root = pages.parse(body)
    history = [
        li.text()
        for li in root.iter("li")
        if "→" in li.text() and "Ready for referral" in li.text()
    ]
    assert history, "the move to Ready for referral is in the status history"
    assert world.case_manager.get_full_name() in history[0]
    assert "cm_a" not in history[0]
