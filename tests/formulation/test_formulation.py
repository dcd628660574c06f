"""The formulation workspace: scheduling, invitations and .ics, checklist, genogram,
summary and timeline, meeting record, access."""

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from ecm.models import AuditEvent, Case
from formulation.genogram import services as genogram
from formulation.meeting import selectors as meeting_selectors
from formulation.meeting import services
from formulation.models import (
    ChecklistTick,
    Invitation,
    Meeting,
    Professional,
    SummaryItem,
    TimelineEvent,
    TRMFramework,
)
from formulation.report import services as report_services
from formulation.report.models import Report
from formulation.timeline import services as timeline
from referrals import services as referral_services
from tests.factories import CaseFactory, assert_ecm_start_stored

FUTURE = timezone.now() + dt.timedelta(days=10)


@pytest.fixture
def consented(world):
    """A case preparing for formulation, with valid consent, referred to the central team."""
    case = CaseFactory(
        team=world.yot_a,
        case_manager=world.case_manager,
        status="awaiting_consent",
        referred_to=world.central,
    )
    today = timezone.localdate()
    referral_services.consent_record(
        actor=world.case_manager, case=case, kind="ecm_child", date=today
    )
    referral_services.consent_record(
        actor=world.case_manager, case=case, kind="parent_general", date=today, signatory_name="Jo"
    )
    case.refresh_from_db()
    assert case.status == "preparation"
    return case


@pytest.fixture
def meeting(world, consented):
    return services.meeting_schedule(
        actor=world.central_senior,
        case=consented,
        starts_at=FUTURE,
        chair=world.central_senior,
        psychologist=world.central_psychologist,
        location="Room 2",
    )


def test_scheduling_needs_consent(world):
    case = CaseFactory(
        team=world.yot_a,
        case_manager=world.case_manager,
        status="awaiting_consent",
        referred_to=world.central,
    )
    with pytest.raises(ValidationError, match="valid ECM consent"):
        services.meeting_schedule(
            actor=world.senior,
            case=case,
            starts_at=FUTURE,
            chair=world.senior,
            psychologist=world.psychologist,
            location="Room",
        )


def test_scheduling_in_the_past_is_refused(world, consented):
    with pytest.raises(ValidationError, match="must be in the future"):
        services.meeting_schedule(
            actor=world.senior,
            case=consented,
            starts_at=timezone.now() - dt.timedelta(hours=1),
            chair=world.senior,
            psychologist=world.psychologist,
            location="Room",
        )


def test_only_senior_practitioners_schedule(world, consented):
    with pytest.raises(PermissionDenied):
        services.meeting_schedule(
            actor=world.case_manager,
            case=consented,
            starts_at=FUTURE,
            chair=world.senior,
            psychologist=world.psychologist,
            location="Room",
        )


def test_schedule_page_keeps_input_and_says_why(client, world, consented):
    client.force_login(world.senior)
    past = f"{timezone.localdate() - dt.timedelta(days=1)}T10:00"  # exists on clock-change days
    response = client.post(
        reverse("formulation:schedule", args=[consented.pk]),
        {
            "starts_at": past,
            "duration_minutes": 180,
            "location": "Library",
            "chair": world.senior.pk,
            "psychologist": world.psychologist.pk,
        },
    )
    body = response.content.decode()
    assert body.count("must be in the future") == 1  # said once, not twice
    assert "The meeting has already been held" in body  # and how to enter a past meeting
    assert 'value="Library"' in body
    assert not Meeting.objects.exists()


def test_invitation_email_with_valid_ics(world, meeting, django_capture_on_commit_callbacks):
    professional = Professional.objects.create(
        team=world.yot_a,
        name="Bethan Rowlands",
        role="Social worker",
        agency="social_services",
        email="bethan@example.org",
    )
    invitation = services.invitation_add(
        actor=world.case_manager, meeting=meeting, professional=professional
    )
    assert invitation.delivery == "pending"
    assert services.send_invitation_email(invitation.pk) == "sent"
    assert services.send_invitation_email(invitation.pk) == "sent"  # idempotent: once
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["bethan@example.org"]
    child = meeting.case.child
    assert child.last_name not in message.subject + message.body  # no sensitive content
    assert meeting.case.reference in message.subject
    name, content, mimetype = message.attachments[0]
    assert name == "invitation.ics" and mimetype.startswith("text/calendar")
    calendar = Calendar.from_ical(content)
    event = calendar.walk("VEVENT")[0]
    assert str(calendar["method"]) == "REQUEST"
    assert event.decoded("dtstart") == meeting.starts_at.replace(microsecond=0)
    assert event.decoded("dtend") == meeting.ends_at.replace(microsecond=0)
    assert str(event["location"]) == "Room 2"
    assert "mailto:bethan@example.org" in str(event["attendee"])
    assert child.last_name not in content


def test_invalid_email_is_flagged_not_dropped(world, meeting):
    invitation = services.invitation_add(
        actor=world.case_manager,
        meeting=meeting,
        name="Nia Clarke",
        agency="housing",
        email="not-an-address",
    )
    assert invitation.delivery == "no_email"
    assert "not a valid e-mail address" in invitation.delivery_error
    item = {i.key: i for i in meeting_selectors.checklist(meeting)}["invitations"]
    assert not item.done and "1 need attention" in item.detail


def test_checklist_follows_the_data(world, meeting):
    items = {i.key: i for i in meeting_selectors.checklist(meeting)}
    assert items["consent"].done and items["parent_consent"].done and items["date_set"].done
    assert not items["genogram"].done and not items["summary"].done
    assert not items["room_booked"].done
    case = meeting.case
    genogram.genogram_start(actor=world.case_manager, case=case)
    genogram.family_member_save(
        actor=world.case_manager,
        case=case,
        data={"name": "Mum", "relationship": "mother", "sex": "female"},
    )
    timeline.summary_item_save(
        actor=world.case_manager, case=case, data={"kind": "strength", "title": "Loves football"}
    )
    services.checklist_tick(actor=world.case_manager, meeting=meeting, key="room_booked", done=True)
    items = {i.key: i for i in meeting_selectors.checklist(meeting)}
    assert items["genogram"].done and items["summary"].done and items["room_booked"].done
    consent = case.consents.get(kind="ecm_child")
    referral_services.consent_withdraw(
        actor=world.case_manager, consent=consent, date=timezone.localdate(), reason="Changed mind"
    )
    items = {i.key: i for i in meeting_selectors.checklist(meeting)}
    assert not items["consent"].done


def test_dated_summary_entries_become_timeline_events(world, consented):
    item = timeline.summary_item_save(
        actor=world.case_manager,
        case=consented,
        data={
            "kind": "school",
            "title": "Northgate High",
            "start_date": dt.date(2022, 9, 1),
            "precision": "month",
        },
    )
    event = TimelineEvent.objects.get(source_item=item)
    assert event.category == "education" and event.start_date == dt.date(2022, 9, 1)
    timeline.summary_item_save(
        actor=world.case_manager,
        case=consented,
        item=item,
        data={"start_date": dt.date(2022, 10, 1)},
    )
    event.refresh_from_db()
    assert event.start_date == dt.date(2022, 10, 1)  # one entry, kept in step
    assert TimelineEvent.objects.count() == 1
    with pytest.raises(ValidationError, match="edit it there"):
        timeline.timeline_event_save(
            actor=world.case_manager, case=consented, event=event, data={"title": "x"}
        )


def test_timeline_dates_are_checked(world, consented):
    dob = consented.child.date_of_birth
    with pytest.raises(ValidationError) as exc:
        timeline.timeline_event_save(
            actor=world.case_manager,
            case=consented,
            data={
                "title": "Too early",
                "category": "family",
                "start_date": dt.date(1899, 12, 31),
            },
        )
    assert exc.value.message_dict["start_date"] == [
        "The timeline goes back to 1900 at the earliest: this date is earlier."
    ]
    # The parents' history, long before the year before birth, is the child's history too.
    for title, start, end in [
        ("Parents together", dt.date(dob.year - 19, 1, 1), dt.date(dob.year - 7, 1, 1)),
        ("Dad violent to Mum", dt.date(dob.year - 17, 1, 1), None),
        ("Great-grandad born", dt.date(1900, 1, 1), None),
    ]:
        timeline.timeline_event_save(
            actor=world.case_manager,
            case=consented,
            data={
                "title": title,
                "category": "family",
                "start_date": start,
                "end_date": end,
                "precision": "year",
            },
        )
    assert TimelineEvent.objects.filter(child=consented.child).count() == 3
    with pytest.raises(ValidationError) as exc:
        timeline.timeline_event_save(
            actor=world.case_manager,
            case=consented,
            data={
                "title": "Backwards",
                "category": "family",
                "start_date": dt.date(dob.year + 3, 6, 1),
                "end_date": dt.date(dob.year + 2, 6, 1),
            },
        )
    assert "end_date" in exc.value.message_dict


def test_second_editor_of_an_event_is_told(world, consented):
    event = timeline.timeline_event_save(
        actor=world.case_manager,
        case=consented,
        data={
            "title": "Moves house",
            "category": "accommodation",
            "start_date": consented.child.date_of_birth + dt.timedelta(days=400),
        },
    )
    timeline.timeline_event_save(
        actor=world.senior,
        case=consented,
        event=event,
        expected_version=1,
        data={"title": "Moves to Nan's"},
    )
    with pytest.raises(ValidationError, match="Someone else saved this event"):
        timeline.timeline_event_save(
            actor=world.case_manager,
            case=consented,
            event=event,
            expected_version=1,
            data={"title": "Moves to a flat"},
        )
    event.refresh_from_db()
    assert event.title == "Moves to Nan's"


def test_timeline_page_queries_constant_with_300_events(client, world, consented):
    client.force_login(world.case_manager)
    url = reverse("formulation:timeline", args=[consented.pk])
    dob = consented.child.date_of_birth
    TimelineEvent.objects.create(
        child=consented.child, title="First", category="family", start_date=dob
    )
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    TimelineEvent.objects.bulk_create(
        TimelineEvent(
            child=consented.child,
            title=f"Event {n}",
            category="education",
            start_date=dob + dt.timedelta(days=17 * n),
        )
        for n in range(299)
    )
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert len(large) == len(small)
    assert len(large) <= 12  # the events are read once, for the table and the drawing
    body = response.content.decode()
    assert body.count('id="tl-event-') == 300


def test_live_timeline_entry_queries_constant(client, world, consented):
    client.force_login(world.case_manager)
    url = reverse("formulation:timeline_add", args=[consented.pk])
    dob = consented.child.date_of_birth

    def add(n):
        with CaptureQueriesContext(connection) as ctx:
            response = client.post(
                url,
                {
                    "title": f"Added {n}",
                    "category": "family",
                    "start_date": (dob + dt.timedelta(days=n)).isoformat(),
                    "precision": "day",
                },
                HTTP_HX_REQUEST="true",
            )
        assert response.status_code == 200
        return len(ctx.captured_queries)

    few = add(1)
    TimelineEvent.objects.bulk_create(
        TimelineEvent(
            child=consented.child,
            title=f"Event {n}",
            category="education",
            start_date=dob + dt.timedelta(days=17 * n),
        )
        for n in range(200)
    )
    many = add(2)
    assert many == few
    assert many <= 22


def test_live_timeline_entry_returns_the_updated_drawing(client, world, consented):
    client.force_login(world.case_manager)
    dob = consented.child.date_of_birth
    response = client.post(
        reverse("formulation:timeline_add", args=[consented.pk]),
        {
            "title": "Starts boxing club",
            "category": "relationships",
            "start_date": (dob + dt.timedelta(days=5000)).isoformat(),
            "precision": "month",
        },
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200
    # Only what changed: the events table in place, the drawing and its count out of band;
    # the add form is not sent again (the page empties it on the event named).
    assert body.strip().startswith('<div class="col-lg-7" id="timeline-events">')
    assert response["HX-Retarget"] == "#timeline-events"
    assert response["HX-Reswap"] == "outerHTML"
    assert "ecm-form-saved" in response["HX-Trigger"]
    assert '<figure id="timeline-figure"' in body and 'hx-swap-oob="true"' in body
    assert "Starts boxing club" in body and "<svg" in body and "1 event" in body
    assert 'name="title"' not in body and "<html" not in body
    # Without htmx, back to the page.
    response = client.post(
        reverse("formulation:timeline_add", args=[consented.pk]),
        {
            "title": "Joins a band",
            "category": "relationships",
            "start_date": (dob + dt.timedelta(days=5100)).isoformat(),
            "precision": "month",
        },
    )
    assert response.status_code == 302
    # An error comes back on the field with everything else kept.
    response = client.post(
        reverse("formulation:timeline_add", args=[consented.pk]),
        {
            "title": "Too early to be true",
            "category": "family",
            "start_date": dt.date(1899, 1, 1).isoformat(),
            "precision": "day",
        },
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert "The timeline goes back to 1900 at the earliest" in body
    assert 'value="Too early to be true"' in body
    assert body.strip().startswith('<div id="timeline-workspace">')  # the whole workspace
    assert "HX-Retarget" not in response


def test_trm_placement_only_by_the_psychologist(client, world, meeting):
    framework = TRMFramework.objects.get(code="practice-stages")
    stage = framework.stages.get(number=2)
    for who in ("central_senior", "case_manager", "manager"):
        with pytest.raises(PermissionDenied):
            services.trm_placement_save(
                actor=getattr(world, who),
                meeting=meeting,
                stage=stage,
                presentation="a",
                underlying_need="b",
                intervention_recommendation="c",
            )
        client.force_login(getattr(world, who))
        response = client.post(
            reverse("formulation:trm", args=[meeting.pk]),
            {
                "stage": stage.pk,
                "presentation": "a",
                "underlying_need": "b",
                "intervention_recommendation": "c",
            },
        )
        assert response.status_code == 403
    placement = services.trm_placement_save(
        actor=world.central_psychologist,
        meeting=meeting,
        stage=stage,
        presentation="a",
        underlying_need="b",
        intervention_recommendation="c",
    )
    assert placement.stage.framework == framework  # the framework version it used


MEETING_ACCESS = {
    "case_manager": 200,
    "senior": 200,
    "psychologist": 200,
    "manager": 200,
    "central_senior": 200,
    "central_psychologist": 200,
    "team_admin": 404,
    "other_case_manager": 404,
    "other_senior": 404,
    "central_case_manager": 404,
    "outsider": 404,
    "superuser": 404,
}


@pytest.mark.parametrize("who", MEETING_ACCESS)
def test_workspace_access(client, world, meeting, who):
    client.force_login(getattr(world, who))
    expected = MEETING_ACCESS[who]
    case = meeting.case
    for url in (
        reverse("formulation:meeting", args=[meeting.pk]),
        reverse("formulation:workspace", args=[case.pk]),
        reverse("formulation:genogram", args=[case.pk]),
        reverse("formulation:summary", args=[case.pk]),
        reverse("formulation:timeline", args=[case.pk]),
    ):
        assert client.get(url).status_code == expected, url


def test_recommendations_and_meeting_held(world, meeting):
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=timezone.now() - dt.timedelta(hours=2))
    meeting.refresh_from_db()
    for n in (1, 2, 3):
        report_services.recommendation_add(
            actor=world.central_psychologist,
            meeting=meeting,
            data={"intervention": f"Step {n}", "owner_agency": "yot", "sequence": n},
        )
    with pytest.raises(ValidationError, match="who is best placed"):
        report_services.recommendation_add(
            actor=world.central_psychologist,
            meeting=meeting,
            data={"intervention": "Nobody", "sequence": 4},
        )
    # Held means complete: the developmental map and the TRM placement are still missing.
    with pytest.raises(services.IncompleteMeetingError) as refused:
        services.meeting_mark_held(actor=world.central_senior, meeting=meeting)
    assert [m.anchor for m in refused.value.missing] == ["dmap", "trm"]
    complete_the_record(world, meeting, recommendations=False)
    assert Case.objects.get(pk=meeting.case_id).ecm_started_on is None
    services.meeting_mark_held(actor=world.central_senior, meeting=meeting)
    meeting.case.refresh_from_db()
    assert meeting.case.status == "active"
    # ECM starts on the day of the formulation meeting (stored for monitoring).
    assert meeting.case.ecm_started_on == timezone.localdate(meeting.starts_at)
    assert list(meeting.recommendations.values_list("sequence", flat=True)) == [1, 2, 3]
    meeting.refresh_from_db()
    assert meeting.held_incomplete_reason == ""


def test_genogram_and_timeline_svgs_on_pages(client, world, consented):
    genogram.genogram_start(actor=world.case_manager, case=consented)
    genogram.family_member_save(
        actor=world.case_manager,
        case=consented,
        data={
            "name": "Grandad Bill",
            "relationship": "grandparent",
            "sex": "male",
            "deceased": True,
        },
    )
    client.force_login(world.case_manager)
    body = client.get(reverse("formulation:genogram", args=[consented.pk])).content.decode()
    svg = body[body.index("<svg") : body.index("</svg>") + 6]
    ET.fromstring(svg)
    assert "Grandad Bill" in svg


def test_invitations_survive_a_broker_outage(
    world, meeting, settings, django_capture_on_commit_callbacks
):
    from ecm.celery import app

    retry, max_retries = app.conf.broker_connection_retry, app.conf.broker_connection_max_retries
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    app.conf.broker_connection_retry = False
    app.conf.broker_connection_max_retries = 0
    try:
        with django_capture_on_commit_callbacks(execute=True):
            invitation = services.invitation_add(
                actor=world.case_manager,
                meeting=meeting,
                name="Sian",
                agency="health",
                email="sian@example.org",
            )
    finally:
        app.conf.broker_url = settings.CELERY_BROKER_URL
        app.conf.broker_connection_retry = retry
        app.conf.broker_connection_max_retries = max_retries
        # Drop the connections made to the dead broker (not app.close(), which would take the
        # app out of Celery's active apps: tasks imported later would never be registered).
        if app._pool is not None:
            app._pool.force_close_all()
        app._pool = None
        app.amqp._producer_pool = None
    invitation.refresh_from_db()
    assert invitation.delivery == Invitation.Delivery.PENDING  # kept, to be sent later


def test_demo_has_a_full_formulation(db):
    from django.core.management import call_command

    call_command("seed_demo", verbosity=0)
    from django.db.models import Count

    meeting = (
        Meeting.objects.filter(status="held")
        .annotate(people=Count("case__child__family", distinct=True))
        .order_by("-people")
        .first()
    )
    child = meeting.case.child
    assert child.family.count() >= 12
    assert child.timeline.count() >= 40
    assert SummaryItem.objects.filter(child=child).count() >= 5
    assert meeting.recommendations.count() >= 3
    assert meeting.trm_placement.stage.framework.code == "practice-stages"
    assert_ecm_start_stored(Case.objects.all())
    assert Case.objects.filter(ecm_started_on__isnull=False).exists()


def test_reopened_case_carries_the_timeline_and_genogram_over(client, world, consented):
    from ecm import services as core

    timeline.timeline_event_save(
        actor=world.case_manager,
        case=consented,
        data={
            "title": "Moves to Nan's",
            "category": "accommodation",
            "start_date": consented.child.date_of_birth + dt.timedelta(days=900),
        },
    )
    genogram.genogram_start(actor=world.case_manager, case=consented)
    core.case_activate(actor=world.senior, case=consented)
    closed = core.case_close(actor=world.case_manager, case=consented, reason="custody")
    reopened = core.case_reopen(actor=world.case_manager, case=closed, reason="reoffended")
    client.force_login(world.case_manager)
    body = client.get(reverse("formulation:timeline", args=[reopened.pk])).content.decode()
    assert "Moves to Nan&#x27;s" in body or "Moves to Nan's" in body
    body = client.get(reverse("formulation:genogram", args=[reopened.pk])).content.decode()
    assert consented.child.first_name in body


def test_directory_is_per_team_and_checks_addresses(client, world):
    client.force_login(world.case_manager)
    url = reverse("formulation:directory")
    body = client.post(
        url, {"name": "Ann Bad", "role": "Nurse", "agency": "health", "email": "not-an-address"}
    ).content.decode()
    assert "Enter a valid email address" in body and 'value="Ann Bad"' in body
    response = client.post(
        url, {"name": "Ann Good", "role": "Nurse", "agency": "health", "email": "ann@example.org"}
    )
    assert response.status_code == 302
    assert Professional.objects.get(name="Ann Good").team == world.yot_a
    client.force_login(world.other_case_manager)
    assert "Ann Good" not in client.get(url).content.decode()
    client.force_login(world.team_admin)
    assert client.get(url).status_code == 403


def test_directory_of_a_user_in_two_teams_lets_them_choose_the_team(client, world):
    """The directory page served a 500 to anyone keeping two teams' directories."""
    from ecm.models import Role
    from tests.factories import MembershipFactory

    MembershipFactory(user=world.case_manager, team=world.yot_b, role=Role.CASE_MANAGER)
    client.force_login(world.case_manager)
    url = reverse("formulation:directory")
    body = client.get(url).content.decode()
    assert world.yot_a.name in body and world.yot_b.name in body
    data = {"team": world.yot_b.pk, "name": "Bo Two", "role": "Nurse", "agency": "health"}
    assert client.post(url, data).status_code == 302
    assert Professional.objects.get(name="Bo Two").team == world.yot_b


def test_meeting_page_queries_constant(client, world, meeting):
    client.force_login(world.central_senior)
    url = reverse("formulation:meeting", args=[meeting.pk])
    services.invitation_add(
        actor=world.case_manager, meeting=meeting, name="P", agency="health", email="p@x.org"
    )
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    for key in ChecklistTick.MANUAL_ITEMS:
        services.checklist_tick(actor=world.case_manager, meeting=meeting, key=key, done=True)
    for n in range(8):
        services.invitation_add(
            actor=world.case_manager,
            meeting=meeting,
            name=f"P{n}",
            agency="health",
            email=f"p{n}@example.org",
        )
        report_services.recommendation_add(
            actor=world.central_psychologist,
            meeting=meeting,
            data={"intervention": f"R{n}", "owner_agency": "yot", "sequence": n + 1},
        )
    with CaptureQueriesContext(connection) as large:
        client.get(url)
    assert len(large) == len(small)
    # The placement, map and report come with the meeting; the invitations are read once;
    # the folded task forms (and their lists of people) are read when opened.
    assert len(large) <= 26


def test_meeting_page_folded_forms_come_when_opened(client, world, meeting):
    """The invitation form is in the page while nobody is invited (its section opens by
    itself); once folded, the page links to it instead: fetched into the section (htmx) or a
    page of its own, which posts to the same address and so keeps what was typed on error."""
    client.force_login(world.central_senior)
    url = reverse("formulation:meeting", args=[meeting.pk])
    form_url = reverse("formulation:meeting_form", args=[meeting.pk, "invite"])
    invite_url = reverse("formulation:invite", args=[meeting.pk])
    body = client.get(url).content.decode()
    assert f'action="{invite_url}"' in body and form_url not in body
    services.invitation_add(
        actor=world.case_manager, meeting=meeting, name="P", agency="health", email="p@x.org"
    )
    body = client.get(url).content.decode()
    assert f'action="{invite_url}"' not in body
    assert f'hx-get="{form_url}"' in body and f'href="{form_url}"' in body
    attendee_url = reverse("formulation:meeting_form", args=[meeting.pk, "attendee"])
    recommendation_url = reverse("formulation:meeting_form", args=[meeting.pk, "recommendation"])
    assert f'href="{attendee_url}"' in body and f'href="{recommendation_url}"' in body
    # Opened with htmx: the form alone; without: a page of its own, the visit audited.
    fragment = client.get(form_url, headers={"HX-Request": "true"}).content.decode()
    assert f'action="{invite_url}"' in fragment and "<html" not in fragment
    assert "From the directory" in fragment
    views = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW).count()
    page = client.get(form_url).content.decode()
    assert "<html" in page and f'action="{invite_url}"' in page
    assert "<h1>Invite a professional</h1>" in page
    assert AuditEvent.objects.filter(action=AuditEvent.Action.VIEW).count() == views + 1
    for name in ("attendee", "recommendation"):
        response = client.get(reverse("formulation:meeting_form", args=[meeting.pk, name]))
        assert response.status_code == 200
    # What was typed comes back in the meeting page, its section open.
    response = client.post(invite_url, {"name": "Typed Name"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="Typed Name"' in body and "Choose the person" in body
    unknown = reverse("formulation:meeting_form", args=[meeting.pk, "x"])
    assert client.get(unknown).status_code == 404


def test_meeting_form_is_refused_to_other_teams_and_to_roles_without_the_task(
    client, world, meeting
):
    form_url = reverse("formulation:meeting_form", args=[meeting.pk, "invite"])
    for user in (world.other_senior, world.team_admin, world.outsider):
        client.force_login(user)
        assert client.get(form_url).status_code == 404
    # The case manager invites, but records no recommendations.
    client.force_login(world.case_manager)
    assert client.get(form_url).status_code == 200
    recommendation_url = reverse("formulation:meeting_form", args=[meeting.pk, "recommendation"])
    assert client.get(recommendation_url).status_code == 404
    # Once the psychologist has started the report, recommendations are changed there.
    client.force_login(world.central_senior)
    assert client.get(recommendation_url).status_code == 200
    Report.objects.create(
        case=meeting.case,
        meeting=meeting,
        psychologist=world.central_psychologist,
        due_on=timezone.localdate(),
    )
    assert client.get(recommendation_url).status_code == 404


# --- One transaction per action; no writes on GET ---


def test_a_refused_invitation_adds_nobody_to_the_directory(client, world, meeting):
    """Inviting someone new "and add them to the directory" is one change. When the
    invitation is refused (here: the case is closed, so it is read-only), the directory is
    as it was, though the user may keep their team's directory."""
    from ecm.models import Case

    client.force_login(world.case_manager)
    url = reverse("formulation:invite", args=[meeting.pk])
    new = {"name": "Ann Nurse", "agency": "health", "email": "ann@example.org"}
    assert client.post(url, {**new, "save_to_directory": "on"}).status_code == 302
    assert Professional.objects.filter(name="Ann Nurse").count() == 1
    Case.objects.filter(pk=meeting.case_id).update(status="closed", closed_on=timezone.localdate())
    response = client.post(url, {**new, "name": "Bob Nurse", "save_to_directory": "on"})
    assert response.status_code == 403
    assert not Professional.objects.filter(name="Bob Nurse").exists()


def test_invite_and_add_to_the_directory_rolls_back_together(world, meeting):
    with pytest.raises(ValidationError, match="agency"):
        services.invitation_add(
            actor=world.case_manager, meeting=meeting, name="No Agency", save_to_directory=True
        )
    assert not Professional.objects.exists() and not Invitation.objects.exists()


def test_the_genogram_page_writes_nothing_and_the_first_save_adds_the_child(
    client, world, consented
):
    """Opening the genogram makes no row: the child is drawn and listed from their record.
    The first family member saved brings the child's own row with it, audited."""
    from ecm.models import AuditEvent
    from formulation.models import FamilyMember

    child = consented.child
    client.force_login(world.case_manager)
    url = reverse("formulation:genogram", args=[consented.pk])
    body = client.get(url).content.decode()
    assert not FamilyMember.objects.exists()
    assert not AuditEvent.objects.filter(object_type="formulation.familymember").exists()
    assert (child.preferred_name or child.first_name) in body
    assert 'data-kind="index-child"' in body and "?edit=child" in body
    response = client.post(
        url, {"member": "1", "name": "Mum", "relationship": "mother", "sex": "female"}
    )
    assert response.status_code == 302
    index = FamilyMember.objects.get(relationship="self")
    assert index.name == (child.preferred_name or child.first_name)
    assert AuditEvent.objects.filter(
        action="create", object_type="formulation.familymember", object_id=str(index.pk)
    ).exists()
    # The child's own row is changed through the same form, from ?edit=<its pk>.
    mum = FamilyMember.objects.get(name="Mum")
    client.post(
        url + f"?edit={index.pk}",
        {
            "member": "1",
            "name": index.name,
            "relationship": "self",
            "sex": index.sex,
            "mother": mum.pk,
            "version": index.version,
        },
    )
    index.refresh_from_db()
    assert index.mother == mum and FamilyMember.objects.filter(relationship="self").count() == 1


def test_the_child_can_be_edited_before_their_row_exists(client, world, consented):
    from formulation.models import FamilyMember

    client.force_login(world.case_manager)
    url = reverse("formulation:genogram", args=[consented.pk])
    page = client.get(url + "?edit=child").content.decode()
    assert 'value="self"' in page and 'value="mother"' not in page  # the child stays the child
    client.post(
        url + "?edit=child",
        {
            "member": "1",
            "name": "Tee",
            "relationship": "self",
            "sex": "male",
            "lives_with_child": "on",
        },
    )
    [index] = FamilyMember.objects.all()
    assert index.is_index and index.name == "Tee"


def test_a_stale_timeline_edit_keeps_the_text_and_the_next_save_is_taken(client, world, consented):
    event = timeline.timeline_event_save(
        actor=world.case_manager,
        case=consented,
        data={
            "title": "Moves house",
            "category": "accommodation",
            "start_date": consented.child.date_of_birth + dt.timedelta(days=400),
        },
    )
    timeline.timeline_event_save(
        actor=world.senior,
        case=consented,
        event=event,
        expected_version=1,
        data={"title": "Moves to Nan's"},
    )
    client.force_login(world.case_manager)
    url = reverse("formulation:timeline_edit", args=[consented.pk, event.pk])
    typed = {
        "title": "Moves to a flat",
        "category": "accommodation",
        "start_date": event.start_date.isoformat(),
        "precision": "day",
        "version": 1,
    }
    body = client.post(url, typed, HTTP_HX_REQUEST="true").content.decode()
    assert "Someone else saved this event" in body and 'value="Moves to a flat"' in body
    event.refresh_from_db()
    assert event.title == "Moves to Nan's"
    client.post(url, {**typed, "version": event.version}, HTTP_HX_REQUEST="true")
    event.refresh_from_db()
    assert event.title == "Moves to a flat"


def test_a_case_not_accepted_is_read_only(client, world, consented):
    from ecm.models import Case

    Case.objects.filter(pk=consented.pk).update(status="not_accepted")
    client.force_login(world.case_manager)
    url = reverse("formulation:genogram", args=[consented.pk])
    assert 'id="member-form"' not in client.get(url).content.decode()
    response = client.post(url, {"member": "1", "name": "Mum", "relationship": "mother"})
    assert response.status_code == 403


def test_adding_the_parents_links_the_child_to_them_and_the_drawing_joins_them(
    client, world, consented
):
    """The child's own row gets its mother and father as they are added (not by hand), so the
    genogram hangs the child below their parents' line. A link set by hand is kept."""
    from ecm.models import AuditEvent
    from formulation.models import FamilyMember

    child = consented.child
    name = child.preferred_name or child.first_name
    client.force_login(world.case_manager)
    url = reverse("formulation:genogram", args=[consented.pk])
    client.post(url, {"member": "1", "name": "Kerry", "relationship": "mother", "sex": "female"})
    client.post(url, {"member": "1", "name": "Dean", "relationship": "father", "sex": "male"})
    index = FamilyMember.objects.get(relationship="self")
    mum, dad = FamilyMember.objects.get(name="Kerry"), FamilyMember.objects.get(name="Dean")
    assert (index.mother, index.father) == (mum, dad)
    audited = AuditEvent.objects.filter(
        action="update", object_type="formulation.familymember", object_id=str(index.pk)
    )
    assert sorted(f for a in audited for f in a.changed_fields) == ["father", "mother"]

    body = client.get(url).content.decode()
    root = ET.fromstring(body[body.index("<svg") : body.index("</svg>") + 6])
    descents = [e for e in root.iter() if e.get("data-kind") == "descent"]
    assert len(descents) == 1
    assert descents[0].find("{http://www.w3.org/2000/svg}title").text == f"Children: {name}"
    # No partnership was recorded, yet the parents are joined for their child.
    assert [e for e in root.iter() if e.get("data-kind") == "partnership-unrecorded"]

    # A second "mother" (e.g. a stepmother entered as mother) does not replace the link.
    genogram.family_member_save(
        actor=world.case_manager,
        case=consented,
        data={"name": "Other", "relationship": "mother", "sex": "female"},
    )
    index.refresh_from_db()
    assert index.mother == mum


@pytest.mark.parametrize(
    "kind, title, expected",
    [
        ("significant_event", "Maternal gran died", "loss"),
        ("significant_event", "Bereavement: Dad's brother", "loss"),
        ("significant_event", "Becomes looked after (s20)", "social_care"),
        ("significant_event", "Placed on a child protection plan", "social_care"),
        ("significant_event", "Taken into care", "social_care"),
        ("significant_event", "Studies hard for exams", "family"),  # "dies" inside a word
        ("significant_event", "Dad leaves home", "family"),
        ("parental", "Mum's partner died in prison", "loss"),
        ("school", "Care studies college", "education"),  # one category for schools
    ],
)
def test_case_summary_categories_are_suggested_from_the_kind_and_the_words(kind, title, expected):
    from formulation.timeline.models import suggest_category

    assert suggest_category(kind, title) == expected


def test_significant_events_keep_their_kind_on_the_timeline_and_can_be_changed(
    client, world, consented
):
    born = consented.child.date_of_birth
    guessed = timeline.summary_item_save(
        actor=world.case_manager,
        case=consented,
        data={
            "kind": "significant_event",
            "title": "Grandad Bill died",
            "start_date": born + dt.timedelta(days=2000),
        },
    )
    chosen = timeline.summary_item_save(
        actor=world.case_manager,
        case=consented,
        data={
            "kind": "significant_event",
            "title": "Moves in with Nan",
            "category": "accommodation",
            "start_date": born + dt.timedelta(days=2100),
        },
    )
    assert guessed.category == "loss" and guessed.timeline_event.category == "loss"
    assert chosen.timeline_event.category == "accommodation"

    client.force_login(world.case_manager)
    body = client.get(reverse("formulation:summary", args=[consented.pk])).content.decode()
    assert "on the timeline as Loss and bereavement" in body
    edit = reverse("formulation:summary_edit", args=[consented.pk, guessed.pk])
    assert edit in body
    page = client.get(edit).content.decode()
    assert '<option value="loss" selected>' in page
    response = client.post(
        edit,
        {
            "kind": "significant_event",
            "title": "Grandad Bill died",
            "category": "family",
            "start_date": guessed.start_date.isoformat(),
            "precision": "day",
        },
    )
    assert response.status_code == 302
    guessed.refresh_from_db()
    assert guessed.category == "family" and guessed.timeline_event.category == "family"
    svg = client.get(reverse("formulation:timeline", args=[consented.pk])).content.decode()
    assert (
        f'id="tl-event-{guessed.timeline_event.pk}" data-kind="event" data-category="family"' in svg
    )
    # An edit that leaves the words as they are keeps the chosen category.
    timeline.summary_item_save(
        actor=world.case_manager, case=consented, item=guessed, data={"detail": "Aged 5"}
    )
    guessed.refresh_from_db()
    assert guessed.category == "family"
    # An error keeps what was typed.
    response = client.post(edit, {"kind": "significant_event", "title": "Typed", "category": "x"})
    assert response.status_code == 400 and 'value="Typed"' in response.content.decode()


def test_editing_a_summary_entry_is_for_the_preparers_of_the_childs_case(client, world, consented):
    item = timeline.summary_item_save(
        actor=world.case_manager,
        case=consented,
        data={"kind": "significant_event", "title": "Dad leaves"},
    )
    edit = reverse("formulation:summary_edit", args=[consented.pk, item.pk])
    client.force_login(world.other_case_manager)
    assert client.get(edit).status_code == 404  # another team's case
    client.force_login(world.case_manager)
    other = reverse("formulation:summary_edit", args=[world.case.pk, item.pk])
    assert client.get(other).status_code == 404  # another child's entry
    from ecm.models import Case

    Case.objects.filter(pk=consented.pk).update(status="not_accepted")
    assert client.get(edit).status_code == 403  # sees the case, which is read-only now
    assert client.post(edit, {"kind": "school", "title": "x"}).status_code == 403


# --- A meeting recorded after it took place; held means complete (issue 16) ---

PAST = timezone.now() - dt.timedelta(days=3)


def complete_the_record(world, meeting, *, recommendations=True):
    """The developmental map, the TRM placement and (optionally) one recommendation."""
    services.developmental_map_save(
        actor=world.central_psychologist, meeting=meeting, data={"emotional_age": "9"}
    )
    services.trm_placement_save(
        actor=world.central_psychologist,
        meeting=meeting,
        stage=TRMFramework.objects.get(code="practice-stages").stages.get(number=2),
        presentation="Guarded.",
        underlying_need="A trusted adult.",
        intervention_recommendation="One consistent worker.",
    )
    if recommendations:
        report_services.recommendation_add(
            actor=world.central_psychologist,
            meeting=meeting,
            data={"intervention": "Weekly sessions", "owner_agency": "yot", "sequence": 1},
        )


def enter_afterwards(world, case, **changes):
    data = {
        "actor": world.central_senior,
        "case": case,
        "starts_at": PAST,
        "chair": world.central_senior,
        "psychologist": world.central_psychologist,
        "location": "Room 4",
        "already_held": True,
    }
    data.update(changes)
    return services.meeting_schedule(**data)


def test_a_meeting_is_entered_after_it_took_place_and_sends_no_invitation(
    world, consented, django_capture_on_commit_callbacks
):
    meeting = enter_afterwards(world, consented)
    assert meeting.recorded_afterwards and meeting.status == "scheduled"
    assert meeting.starts_at == PAST
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        invitation = services.invitation_add(
            actor=world.case_manager,
            meeting=meeting,
            name="Bethan Rowlands",
            agency="social_services",
            email="bethan@example.org",
        )
    # The attendance sheet, not an invitation: nothing queued, nothing sent.
    assert invitation.status == "attended" and invitation.delivery == "not_sent"
    assert callbacks == [] and mail.outbox == []
    complete_the_record(world, meeting)
    services.meeting_mark_held(actor=world.central_senior, meeting=meeting)
    consented.refresh_from_db()
    assert consented.status == "active"
    assert meeting_selectors.formulation_meeting(consented).pk == meeting.pk


def test_entered_afterwards_means_a_past_date_and_a_future_one_still_invites(world, consented):
    with pytest.raises(ValidationError, match="cannot be in the future"):
        enter_afterwards(world, consented, starts_at=FUTURE)
    with pytest.raises(ValidationError) as refused:
        enter_afterwards(world, consented, already_held=False)
    assert len(refused.value.messages) == 1 and "must be in the future" in refused.value.messages[0]
    assert not Meeting.objects.exists()


def test_an_invitation_queued_late_for_a_past_meeting_is_not_sent(world, meeting):
    invitation = services.invitation_add(
        actor=world.case_manager, meeting=meeting, name="Nia", agency="health", email="n@x.org"
    )
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=timezone.now() - dt.timedelta(hours=1))
    assert services.send_invitation_email(invitation.pk) == "not_sent"
    assert mail.outbox == []


def test_the_schedule_page_enters_a_past_meeting(client, world, consented):
    client.force_login(world.central_senior)
    past = timezone.localtime(PAST).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("formulation:schedule", args=[consented.pk]),
        {
            "starts_at": past,
            "duration_minutes": 120,
            "location": "Library",
            "chair": world.central_senior.pk,
            "psychologist": world.central_psychologist.pk,
            "already_held": "on",
        },
    )
    meeting = Meeting.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("formulation:meeting", args=[meeting.pk])
    assert meeting.recorded_afterwards
    body = client.get(response.url).content.decode()
    assert "entered after it took place" in body
    assert "Add to the attendance sheet" in body and "Record the meeting as held" in body


def test_held_is_refused_with_what_is_missing_each_linked(client, world, consented):
    meeting = enter_afterwards(world, consented)
    client.force_login(world.central_senior)
    url = reverse("formulation:held", args=[meeting.pk])
    response = client.post(url, {"incomplete_reason": ""})
    assert response.status_code == 400
    body = response.content.decode()
    page = reverse("formulation:meeting", args=[meeting.pk])
    for anchor in ("dmap", "trm", "recommendations"):
        assert f'href="{page}#{anchor}"' in body
    assert "Still missing" in body
    meeting.refresh_from_db()
    assert meeting.status == "scheduled"
    # With the chair's reason it is held; the reason is kept, shown and audited.
    response = client.post(url, {"incomplete_reason": "The psychologist was taken ill."})
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == "held"
    assert meeting.held_incomplete_reason == "The psychologist was taken ill."
    assert "The psychologist was taken ill." in client.get(page).content.decode()
    event = AuditEvent.objects.filter(object_id=str(meeting.pk), detail="held").get()
    assert "held_incomplete_reason" in event.changed_fields
    assert "taken ill" not in str(event.changed_fields)


def test_held_by_a_case_manager_is_refused(world, consented):
    meeting = enter_afterwards(world, consented)
    complete_the_record(world, meeting)
    with pytest.raises(PermissionDenied):
        services.meeting_mark_held(actor=world.case_manager, meeting=meeting)


def test_appendix_2_last_items_and_the_leaflet_tick_themselves(client, world, meeting):
    items = {i.key: i for i in meeting_selectors.checklist(meeting)}
    assert "leaflet_explained" not in ChecklistTick.MANUAL_ITEMS
    assert items["leaflet_explained"].automatic and items["leaflet_explained"].done
    assert str(world.case_manager) in items["leaflet_explained"].detail  # who explained it
    assert not items["report_agencies"].done and not items["reviews_organised"].done
    services.invitation_add(
        actor=world.case_manager, meeting=meeting, name="Priya", agency="education", email=""
    )
    client.force_login(world.case_manager)
    page = client.get(reverse("formulation:meeting", args=[meeting.pk])).content.decode()
    assert "School / education (invited)" in page  # the invited agencies come first
    response = client.post(
        reverse("formulation:report_agencies", args=[meeting.pk]),
        {"agencies": ["education", "camhs"]},
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.report_agencies == ["education", "camhs"]
    items = {i.key: i for i in meeting_selectors.checklist(meeting)}
    assert items["report_agencies"].done and "0 of 2" in items["report_agencies"].detail
    # A review meeting arranged ticks "review dates/locations organised".
    Meeting.objects.filter(pk=meeting.pk).update(
        status="held", starts_at=timezone.now() - dt.timedelta(days=1)
    )
    services.meeting_schedule(
        actor=world.case_manager,
        case=meeting.case,
        kind=Meeting.Kind.REVIEW,
        starts_at=FUTURE + dt.timedelta(days=30),
        chair=world.central_senior,
        psychologist=world.central_psychologist,
        location="Room 9",
    )
    items = {i.key: i for i in meeting_selectors.checklist(meeting)}
    assert items["reviews_organised"].done and "Room 9" in items["reviews_organised"].detail
    # Withdrawn consent unticks the leaflet.
    consent = meeting.case.consents.get(kind="ecm_child")
    referral_services.consent_withdraw(
        actor=world.case_manager, consent=consent, date=timezone.localdate(), reason="No"
    )
    items = {i.key: i for i in meeting_selectors.checklist(meeting)}
    assert not items["leaflet_explained"].done


def test_report_agencies_from_another_team_is_404(client, world, meeting):
    client.force_login(world.other_senior)
    response = client.post(
        reverse("formulation:report_agencies", args=[meeting.pk]), {"agencies": ["camhs"]}
    )
    assert response.status_code == 404


def test_deleting_a_timeline_event_asks_first(client, world, consented):
    """The edit row's "Delete event" opens a question in place; its "Yes, delete" sends the
    delete (a destructive action asks first, with or without JavaScript)."""
    event = timeline.timeline_event_save(
        actor=world.case_manager,
        case=consented,
        data={
            "title": "Moves house",
            "category": "accommodation",
            "start_date": consented.child.date_of_birth + dt.timedelta(days=400),
        },
    )
    client.force_login(world.case_manager)
    url = reverse("formulation:timeline_edit", args=[consented.pk, event.pk])
    # The stale edit above shows the row again; so does a refused save: use a blank title.
    body = client.post(
        url,
        {"title": "", "category": "accommodation", "precision": "day", "version": event.version},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    question = body[body.index('<details class="confirm-destructive') :]
    question = question[: question.index("</details>")]
    assert "Delete event" in question and "Delete “Moves house” from the timeline?" in question
    assert 'name="delete"' in question and "Yes, delete" in question
    assert body.count('name="delete"') == 1  # only behind the question
    client.post(url, {"delete": "1", "version": event.version}, HTTP_HX_REQUEST="true")
    assert not type(event).objects.filter(pk=event.pk).exists()


def test_checklist_buttons_send_what_the_tick_form_reads(client, world, meeting):
    """The hand-ticked items' hidden fields are written by the page in the markup the form
    gives them (ChecklistTickForm): the item and what to set it to."""
    from formulation.meeting.forms import ChecklistTickForm

    services.checklist_tick(actor=world.case_manager, meeting=meeting, key="discussed", done=True)
    client.force_login(world.central_senior)
    body = " ".join(
        client.get(reverse("formulation:meeting", args=[meeting.pk])).content.decode().split()
    )
    for key in ChecklistTick.MANUAL_ITEMS:
        form = ChecklistTickForm(initial={"key": key, "done": key != "discussed"})
        assert f"{form['key']} {form['done']}" in body
