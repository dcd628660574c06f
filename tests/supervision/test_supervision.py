"""Clinical supervision: confidentiality matrix, cadence, bad input, decision summaries,
escalation, coverage."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from ecm.models import AuditEvent
from supervision import selectors, services
from supervision.models import Session, SupervisionSettings

SECRET_NOTE = "SECRETNOTE feels responsible for every setback"
SECRET_REFLECTION = "SECRETREFLECTION I took it home with me"
SECRET_ESCALATION = "SECRETESCALATION workload raised"


def session_data(**changes):
    starts = timezone.now() - dt.timedelta(hours=3)
    data = {
        "starts_at": starts,
        "ends_at": starts + dt.timedelta(minutes=60),
        "format": "individual",
        "kind": "scheduled",
        "mode": "in_person",
        "theme_feelings": True,
        "notes": SECRET_NOTE,
    }
    data.update(changes)
    return data


@pytest.fixture
def session(world):
    """psy_a supervises cm_a (who holds world.case), discussing the case."""
    session = services.session_save(
        actor=world.psychologist,
        data=session_data(),
        supervisees=[world.case_manager],
        cases=[world.case],
    )
    services.reflection_save(actor=world.case_manager, session=session, text=SECRET_REFLECTION)
    services.escalation_add(
        actor=world.psychologist,
        session=session,
        data={
            "supervisee": world.case_manager,
            "discussed_first": True,
            "discussed_on": timezone.localdate(),
            "line_manager": "Team manager",
            "raised_on": timezone.localdate(),
            "what": SECRET_ESCALATION,
        },
    )
    return session


def secrets_in(body: str) -> bool:
    return any(s in body for s in ("SECRETNOTE", "SECRETREFLECTION", "SECRETESCALATION"))


# --- Confidentiality matrix ---

EVERYONE = [
    "psychologist",  # the session's psychologist
    "case_manager",  # the supervisee
    "case_manager_2",
    "senior",
    "manager",
    "team_admin",
    "central_psychologist",  # another psychologist who supervises the same team
    "other_case_manager",
    "other_manager",
    "outsider",
    "superuser",
]
CONTENT_READERS = {"psychologist", "case_manager"}


@pytest.mark.parametrize("who", EVERYONE)
def test_confidentiality_matrix(client, world, session, who):
    user = getattr(world, who)
    client.force_login(user)
    reads = who in CONTENT_READERS

    listing = client.get(reverse("supervision:index")).content.decode()
    assert secrets_in(listing) is False  # even readers see content only on the session page

    detail = client.get(reverse("supervision:session", args=[session.pk]))
    assert detail.status_code == (200 if reads else 404)
    assert secrets_in(detail.content.decode()) is reads

    edit = client.get(reverse("supervision:session_edit", args=[session.pk]))
    assert edit.status_code == (200 if who == "psychologist" else 404)

    export = client.get(reverse("supervision:export") + "?months=12")
    assert export.status_code in (200, 404)
    assert not secrets_in(export.content.decode())

    search = client.post(reverse("search"), {"q": "responsible for every setback"})
    assert not secrets_in(search.content.decode())

    audit = client.get(reverse("audit_log"))
    assert not secrets_in(audit.content.decode())

    if user.is_staff:
        admin_list = client.get(reverse("admin:supervision_session_changelist"))
        admin_page = client.get(reverse("admin:supervision_session_change", args=[session.pk]))
        assert admin_list.status_code == 200 and admin_page.status_code == 200
        assert not secrets_in(admin_list.content.decode() + admin_page.content.decode())
        assert "Dr" in admin_list.content.decode() or world.psychologist.last_name in (
            admin_list.content.decode()
        )


def test_oversight_sees_that_a_session_happened(client, world, session):
    client.force_login(world.manager)
    page = client.get(reverse("supervision:index") + "?months=1").content.decode()
    assert world.case_manager.get_full_name() in page  # who
    assert "60" in page  # how long
    assert reverse("supervision:session", args=[session.pk]) not in page  # no way in
    export = client.get(reverse("supervision:export") + "?months=1").content.decode()
    assert world.case_manager.get_full_name() in export and not secrets_in(export)
    assert AuditEvent.objects.filter(actor=world.manager, action="export").exists()


def test_every_read_of_content_is_audited(client, world, session):
    client.force_login(world.case_manager)
    client.get(reverse("supervision:session", args=[session.pk]))
    event = AuditEvent.objects.get(actor=world.case_manager, action="view")
    assert event.object_type == "supervision.session"
    assert not secrets_in(event.object_label + event.detail)
    assert all(not secrets_in(e.object_label + e.detail) for e in AuditEvent.objects.all())


def test_decision_summary_goes_on_the_case_and_the_session_stays_private(client, world, session):
    services.decision_summary_save(
        actor=world.psychologist,
        session=session,
        case=world.case,
        text="Keep the same worker through the court date.",
    )
    client.force_login(world.case_manager_2)  # the case's team, not in the session
    page = client.get(reverse("case_detail", args=[world.case.pk])).content.decode()
    assert "Keep the same worker through the court date." in page
    assert not secrets_in(page)
    with pytest.raises(PermissionDenied):
        services.decision_summary_save(
            actor=world.central_psychologist, session=session, case=world.case, text="x"
        )


def test_only_supervisees_add_reflections(world, session):
    with pytest.raises(PermissionDenied):
        services.reflection_save(actor=world.senior, session=session, text="x")


# --- Bad input ---


def test_ending_before_starting_is_refused(world):
    starts = timezone.now() - dt.timedelta(hours=2)
    with pytest.raises(ValidationError, match="cannot end before it starts"):
        services.session_save(
            actor=world.psychologist,
            data=session_data(starts_at=starts, ends_at=starts - dt.timedelta(minutes=5)),
            supervisees=[world.case_manager],
        )


def test_supervisee_without_an_ecm_role_is_refused(world):
    with pytest.raises(ValidationError, match="no ECM role"):
        services.session_save(
            actor=world.psychologist, data=session_data(), supervisees=[world.manager]
        )
    with pytest.raises(ValidationError, match="no ECM role"):
        services.session_save(
            actor=world.psychologist, data=session_data(), supervisees=[world.other_case_manager]
        )


def test_session_form_keeps_input_on_error(client, world):
    client.force_login(world.psychologist)
    starts = dt.datetime.combine(timezone.localdate() - dt.timedelta(days=1), dt.time(10))
    response = client.post(
        reverse("supervision:session_new"),
        {
            "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (starts - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "format": "individual",
            "kind": "scheduled",
            "mode": "online",
            "supervisees": [world.case_manager.pk],
            "notes": "Kept after the error",
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "cannot end before it starts" in body and "Kept after the error" in body
    assert not Session.objects.exists()


def test_editing_another_psychologists_session_is_404(client, world, session):
    client.force_login(world.central_psychologist)
    assert client.get(reverse("supervision:session_edit", args=[session.pk])).status_code == 404
    assert (
        client.post(reverse("supervision:session_edit", args=[session.pk]), {}).status_code == 404
    )
    with pytest.raises(PermissionDenied):
        services.session_save(
            actor=world.central_psychologist,
            data=session_data(notes="overwritten"),
            supervisees=[world.case_manager],
            session=session,
        )


def test_escalation_is_discussed_with_the_supervisee_first(world, session):
    base = {
        "supervisee": world.case_manager,
        "discussed_first": True,
        "discussed_on": timezone.localdate(),
        "line_manager": "Team manager",
        "raised_on": timezone.localdate() - dt.timedelta(days=1),
        "what": "x",
    }
    with pytest.raises(ValidationError, match="after it was discussed"):
        services.escalation_add(actor=world.psychologist, session=session, data=base)
    with pytest.raises(ValidationError, match="Discuss it with the supervisee"):
        services.escalation_add(
            actor=world.psychologist,
            session=session,
            data={**base, "discussed_first": False, "raised_on": timezone.localdate()},
        )


# --- Cadence and coverage ---


@pytest.mark.parametrize(
    ("last", "interval", "due"),
    [
        (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
        (dt.date(2026, 1, 31), 2, dt.date(2026, 3, 31)),
        (dt.date(2025, 12, 31), 2, dt.date(2026, 2, 28)),
        (dt.date(2027, 12, 31), 2, dt.date(2028, 2, 29)),  # leap year
        (dt.date(2026, 3, 31), 1, dt.date(2026, 4, 30)),
        (dt.date(2026, 11, 30), 2, dt.date(2027, 1, 30)),
    ],
)
def test_next_due_around_month_ends(last, interval, due):
    assert (
        selectors.next_due(interval=interval, last_session=last, declined_on=None, first_case=None)
        == due
    )


def test_cadence_monthly_and_two_monthly_teams(world):
    with time_machine.travel(dt.datetime(2026, 1, 31, 10, 0, tzinfo=dt.UTC), tick=False):
        world.case.opened_on = dt.date(2025, 12, 1)
        world.case.save()
        services.session_save(
            actor=world.psychologist,
            data=session_data(),
            supervisees=[world.case_manager],
        )

    def row(on):
        """(due date, overdue) as seen on that day."""
        with time_machine.travel(dt.datetime.combine(on, dt.time(12), dt.UTC), tick=False):
            rows = selectors.cadence_for([world.yot_a.pk])
            mine = next(r for r in rows if r.user == world.case_manager)
            return mine.due_on, mine.overdue

    assert row(dt.date(2026, 3, 31)) == (dt.date(2026, 3, 31), False)  # two-monthly default
    assert row(dt.date(2026, 4, 1)) == (dt.date(2026, 3, 31), True)
    SupervisionSettings.objects.create(team=world.yot_a, interval_months=1)
    assert row(dt.date(2026, 2, 28)) == (dt.date(2026, 2, 28), False)  # monthly team
    assert row(dt.date(2026, 3, 1)) == (dt.date(2026, 2, 28), True)


def test_a_declined_offer_resets_the_rhythm(world):
    world.case.opened_on = timezone.localdate() - dt.timedelta(days=200)
    world.case.save()
    before = selectors.cadence_of(world.case_manager)
    assert before.overdue
    services.offer_record(
        actor=world.psychologist,
        practitioner=world.case_manager,
        offered_on=timezone.localdate(),
        response="declined",
    )
    after = selectors.cadence_of(world.case_manager)
    assert not after.overdue and after.declined_on == timezone.localdate()


def test_coverage_counts_practitioners_with_cases(client, world, session):
    from tests.factories import CaseFactory

    CaseFactory(team=world.yot_a, case_manager=world.case_manager_2, status="active")
    today = timezone.localdate()
    figures = selectors.coverage([world.yot_a.pk], today - dt.timedelta(days=60), today)
    assert (figures["covered"], figures["total"]) == (1, 2)
    client.force_login(world.manager)
    page = client.get(reverse("supervision:index")).content.decode()
    assert "1 of 2 practitioners with ECM cases had clinical supervision" in page


def test_home_shows_supervision_due(client, world):
    world.case.opened_on = timezone.localdate() - dt.timedelta(days=200)
    world.case.save()
    client.force_login(world.case_manager)
    assert "Your next supervision is due" in client.get(reverse("home")).content.decode()
    client.force_login(world.psychologist)
    page = client.get(reverse("home")).content.decode()
    assert "Practitioners due for supervision" in page


def test_supervision_pages_cost_constant_queries(client, world, session):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import CaseFactory, member

    def counts():
        out = []
        for user, url in (
            (world.psychologist, reverse("supervision:index")),
            (world.manager, reverse("supervision:index")),
            (world.psychologist, reverse("supervision:session", args=[session.pk])),
        ):
            client.force_login(user)
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            out.append(len(ctx.captured_queries))
        return out

    few = counts()
    for n in range(15):
        person = member(world.yot_a, "case_manager", username=f"cm_extra_{n}")
        CaseFactory(team=world.yot_a, case_manager=person, status="active")
        services.session_save(
            actor=world.psychologist,
            data=session_data(),
            supervisees=[person],
        )
    assert counts() == few


def test_admin_cannot_filter_on_content(client, world, session):
    client.force_login(world.superuser)
    url = reverse("admin:supervision_session_changelist")
    guessed = client.get(url + "?notes__icontains=SECRETNOTE")
    assert guessed.status_code in (302, 400) or "1 clinical" not in guessed.content.decode()
    themed = client.get(url + "?theme_feelings__exact=1")
    assert themed.status_code in (302, 400) or "1 clinical" not in themed.content.decode()
    assert client.get(url + "?format__exact=individual").status_code == 200


def test_group_members_see_only_their_own_reflections_and_escalations(client, world):
    group = services.session_save(
        actor=world.psychologist,
        data=session_data(format="group"),
        supervisees=[world.case_manager, world.case_manager_2],
    )
    services.reflection_save(actor=world.case_manager, session=group, text=SECRET_REFLECTION)
    services.escalation_add(
        actor=world.psychologist,
        session=group,
        data={
            "supervisee": world.case_manager,
            "discussed_first": True,
            "discussed_on": timezone.localdate(),
            "line_manager": "Team manager",
            "raised_on": timezone.localdate(),
            "what": SECRET_ESCALATION,
        },
    )
    client.force_login(world.case_manager_2)
    page = client.get(reverse("supervision:session", args=[group.pk])).content.decode()
    assert SECRET_NOTE in page  # the group's session notes
    assert "SECRETREFLECTION" not in page and "SECRETESCALATION" not in page
    client.force_login(world.case_manager)
    page = client.get(reverse("supervision:session", args=[group.pk])).content.decode()
    assert "SECRETREFLECTION" in page and "SECRETESCALATION" in page


def test_editing_keeps_what_the_session_already_records(world, session):
    services.decision_summary_save(
        actor=world.psychologist, session=session, case=world.case, text="Decision"
    )
    world.case.status = "closed"
    world.case.closed_on = timezone.localdate()
    world.case.closure_reason = "order_completed"
    world.case.save()
    world.case_manager.memberships.all().delete()  # has since left the team
    services.session_save(
        actor=world.psychologist,
        data=session_data(notes="Corrected"),
        supervisees=[world.case_manager],
        cases=[world.case],
        session=session,
        expected_version=session.version,
    )
    assert session.cases_discussed.get().decision_summary == "Decision"
    with pytest.raises(ValidationError, match="wrote reflections"):
        services.session_save(
            actor=world.psychologist,
            data=session_data(),
            supervisees=[world.case_manager_2],
            session=session,
        )


# --- Where the session takes place (Appendix 4 item 8: "date, time, location") ---


def test_a_session_records_its_location_and_shows_it_on_its_page_and_in_the_list(client, world):
    client.force_login(world.psychologist)
    starts = dt.datetime.combine(timezone.localdate() - dt.timedelta(days=1), dt.time(10))
    response = client.post(
        reverse("supervision:session_new"),
        {
            "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (starts + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "format": "individual",
            "kind": "scheduled",
            "mode": "in_person",
            "location": "Room 2, Llys Glas YOT",
            "supervisees": [world.case_manager.pk],
        },
    )
    assert response.status_code == 302
    session = Session.objects.get()
    assert session.location == "Room 2, Llys Glas YOT"
    audit = AuditEvent.objects.filter(action=AuditEvent.Action.CREATE, object_id=str(session.pk))
    assert "location" in audit.get().changed_fields
    for who in (world.psychologist, world.case_manager):
        client.force_login(who)
        page = client.get(reverse("supervision:session", args=[session.pk])).content.decode()
        assert "Location" in page and "Room 2, Llys Glas YOT" in page
        listing = client.get(reverse("supervision:index")).content.decode()
        assert "Room 2, Llys Glas YOT" in listing
    client.force_login(world.psychologist)
    form = client.get(reverse("supervision:session_edit", args=[session.pk])).content.decode()
    assert 'value="Room 2, Llys Glas YOT"' in form


def test_location_is_optional_for_a_past_session_but_not_for_one_still_to_come(world):
    past = services.session_save(
        actor=world.psychologist, data=session_data(), supervisees=[world.case_manager]
    )
    assert past.location == ""
    starts = timezone.now() + dt.timedelta(minutes=3)  # within the recording tolerance
    soon = session_data(starts_at=starts, ends_at=starts + dt.timedelta(hours=1))
    with pytest.raises(ValidationError) as refused:
        services.session_save(
            actor=world.psychologist, data=soon, supervisees=[world.case_manager_2]
        )
    assert "location" in refused.value.message_dict
    soon["location"] = "Online (Teams)"
    kept = services.session_save(
        actor=world.psychologist, data=soon, supervisees=[world.case_manager_2]
    )
    assert kept.location == "Online (Teams)"
