"""Review meetings arranged in the product (issue 16): the formulation meeting's scheduling,
invitations with .ics and attendance, reused through `Meeting.kind`; the review recorded for
one links to it and starts with who is present pre-ticked."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from formulation.meeting import selectors as meeting_selectors
from formulation.meeting import services as meeting_services
from formulation.models import Invitation, Meeting
from formulation.report import selectors as report_selectors
from reviews import services
from reviews.models import Review

NEXT_MONTH = timezone.now() + dt.timedelta(days=30)


def arrange(world, case, *, actor=None, **changes):
    data = {
        "actor": actor or world.case_manager,
        "case": case,
        "kind": Meeting.Kind.REVIEW,
        "starts_at": NEXT_MONTH,
        "chair": world.senior,
        "psychologist": world.psychologist,
        "location": "Northgate YOT, room 1",
        "duration_minutes": 60,
    }
    data.update(changes)
    return meeting_services.meeting_schedule(**data)


def review_data(**changes):
    today = timezone.localdate()
    data = {
        "kind": "scheduled",
        "held_on": today,
        "reoffended": False,
        "breach": False,
        "next_review_on": today + dt.timedelta(weeks=6),
    }
    data.update(changes)
    return data


def all_progress(case):
    return {r.pk: ("in_progress", "") for r in case.recommendations.all()}


def test_a_review_meeting_is_not_the_formulation_meeting(world, formulated):
    first = meeting_selectors.formulation_meeting(formulated)
    review = arrange(world, formulated)
    assert review.kind == "review" and review.status == "scheduled"
    # Held, and earlier than the formulation meeting would be: still not "the" formulation
    # meeting, nor its report's, nor listed with the formulation meetings.
    Meeting.objects.filter(pk=review.pk).update(
        status="held", starts_at=first.starts_at - dt.timedelta(days=1)
    )
    assert meeting_selectors.formulation_meeting(formulated).pk == first.pk
    assert list(Meeting.objects.formulation_meetings().filter(case=formulated)) == [first]
    assert [m.pk for m in report_selectors.reports_owed()] == [first.pk]
    assert [m.pk for m in meeting_selectors.meetings_for_case(formulated)] == [first.pk]
    assert [m.pk for m in meeting_selectors.review_meetings_for_case(formulated)] == [review.pk]


def test_arranging_a_review_needs_the_formulation_meeting_held(world):
    with pytest.raises(ValidationError, match="record the formulation meeting as held first"):
        arrange(world, world.case)


def test_who_arranges_a_review(world, formulated):
    for actor in (world.case_manager, world.senior, world.psychologist):
        arrange(world, formulated, actor=actor)
    for actor in (world.manager, world.team_admin, world.other_senior, world.outsider):
        with pytest.raises(PermissionDenied):
            arrange(world, formulated, actor=actor)


def test_review_invitations_reuse_the_email_and_ics(world, formulated):
    meeting = arrange(world, formulated, online_link="https://meet.example.org/r1")
    invitation = meeting_services.invitation_add(
        actor=world.case_manager,
        meeting=meeting,
        name="Bethan Rowlands",
        agency="social_services",
        email="bethan@example.org",
    )
    assert meeting_services.send_invitation_email(invitation.pk) == "sent"
    message = mail.outbox[0]
    assert "review meeting" in message.subject and formulated.reference in message.subject
    assert "review meeting" in message.body
    assert formulated.child.last_name not in message.subject + message.body
    event = Calendar.from_ical(message.attachments[0][1]).walk("VEVENT")[0]
    assert "review meeting" in str(event["summary"])
    assert event.decoded("dtstart") == meeting.starts_at.replace(microsecond=0)


def test_a_colleague_is_invited_once_and_an_outsider_not_at_all(world, formulated):
    meeting = arrange(world, formulated)
    invitation = meeting_services.invitation_add(
        actor=world.case_manager, meeting=meeting, colleague=world.case_manager_2
    )
    assert invitation.user == world.case_manager_2 and invitation.agency == "yot"
    with pytest.raises(ValidationError, match="already invited"):
        meeting_services.invitation_add(
            actor=world.case_manager, meeting=meeting, colleague=world.case_manager_2
        )
    with pytest.raises(ValidationError, match="colleague of this case"):
        meeting_services.invitation_add(
            actor=world.case_manager, meeting=meeting, colleague=world.other_case_manager
        )


def test_the_chair_defaults_to_the_senior_practitioner(client, world, formulated):
    client.force_login(world.case_manager)
    response = client.get(reverse("formulation:arrange_review", args=[formulated.pk]))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["chair"] == world.senior.pk
    assert form.initial["psychologist"] == world.psychologist.pk
    assert "Arrange the next review" in response.content.decode()


def test_arrange_review_page_access(client, world, formulated):
    url = reverse("formulation:arrange_review", args=[formulated.pk])
    client.force_login(world.other_senior)
    assert client.get(url).status_code == 404  # another team's case
    client.force_login(world.manager)
    assert client.get(url).status_code == 403  # a role that does not arrange reviews


def test_arrange_then_record_the_review_with_who_is_present_pre_ticked(client, world, formulated):
    client.force_login(world.case_manager)
    overview = client.get(reverse("reviews:overview", args=[formulated.pk])).content.decode()
    assert reverse("formulation:arrange_review", args=[formulated.pk]) in overview
    when = timezone.localtime(NEXT_MONTH).strftime("%Y-%m-%dT10:00")
    response = client.post(
        reverse("formulation:arrange_review", args=[formulated.pk]),
        {
            "starts_at": when,
            "duration_minutes": 60,
            "location": "Room 1",
            "chair": world.senior.pk,
            "psychologist": world.psychologist.pk,
        },
    )
    meeting = Meeting.objects.reviews().get(case=formulated)
    assert response.url == reverse("formulation:meeting", args=[meeting.pk])
    page = client.get(response.url).content.decode()
    assert "Review meeting" in page and "Developmental map" not in page
    for name, agency, status in (
        ("Bethan Rowlands", "social_services", "attended"),
        ("Dr Tom Walsh", "camhs", "apologies"),
    ):
        inv = meeting_services.invitation_add(
            actor=world.case_manager, meeting=meeting, name=name, agency=agency, email=""
        )
        meeting_services.invitation_update(actor=world.case_manager, invitation=inv, status=status)
    colleague = meeting_services.invitation_add(
        actor=world.case_manager, meeting=meeting, colleague=world.case_manager
    )
    meeting_services.invitation_update(
        actor=world.case_manager, invitation=colleague, status=Invitation.Status.ATTENDED
    )
    # The review meeting took place (yesterday): its review is recorded from its page.
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=timezone.now() - dt.timedelta(days=1))
    page = client.get(reverse("formulation:meeting", args=[meeting.pk])).content.decode()
    new_url = reverse("reviews:review_new", args=[formulated.pk]) + f"?meeting={meeting.pk}"
    assert new_url in page
    form = client.get(new_url).context["form"]
    assert form.initial["meeting"] == meeting.pk
    assert set(form.initial["present"]) == {
        world.senior.pk,
        world.psychologist.pk,
        world.case_manager.pk,
    }
    assert form.initial["present_others"] == "Bethan Rowlands (Social services)"
    assert form.initial["apologies"] == "Dr Tom Walsh"
    assert form.initial["held_on"] == timezone.localdate() - dt.timedelta(days=1)
    # Saved through the service with the meeting: linked, and the meeting is held.
    review = services.review_save(
        actor=world.case_manager,
        case=formulated,
        data=review_data(held_on=form.initial["held_on"]),
        progress=all_progress(formulated),
        present=form.initial["present"],
        meeting=meeting,
    )
    meeting.refresh_from_db()
    assert review.meeting == meeting and meeting.status == "held"
    assert meeting_selectors.formulation_meeting(formulated).kind == "formulation"
    # A second review for the same meeting is refused.
    with pytest.raises(ValidationError, match="has its review already"):
        services.review_save(
            actor=world.case_manager,
            case=formulated,
            data=review_data(),
            progress=all_progress(formulated),
            meeting=meeting,
        )
    overview = client.get(reverse("reviews:overview", args=[formulated.pk])).content.decode()
    assert reverse("reviews:review", args=[review.pk]) in overview


def test_a_review_cannot_link_another_cases_meeting(world, formulated):
    other = Meeting.objects.create(
        case=world.other_case,
        kind=Meeting.Kind.REVIEW,
        starts_at=timezone.now(),
        chair=world.other_senior,
        psychologist=world.psychologist,
    )
    with pytest.raises(ValidationError, match="review meeting of this case"):
        services.review_save(
            actor=world.case_manager,
            case=formulated,
            data=review_data(),
            progress=all_progress(formulated),
            meeting=other,
        )
    assert not Review.objects.exists()


def test_a_review_is_recorded_afterwards_without_arranging(client, world, formulated):
    review = services.review_save(
        actor=world.case_manager,
        case=formulated,
        data=review_data(held_on=timezone.localdate() - dt.timedelta(days=10)),
        progress=all_progress(formulated),
    )
    assert review.meeting is None
    assert review.held_on == timezone.localdate() - dt.timedelta(days=10)


def test_the_case_page_shows_the_arranged_review(client, world, formulated):
    meeting = arrange(world, formulated)
    client.force_login(world.case_manager)
    page = client.get(reverse("case_detail", args=[formulated.pk])).content.decode()
    assert reverse("formulation:meeting", args=[meeting.pk]) in page
    assert reverse("formulation:arrange_review", args=[formulated.pk]) in page
