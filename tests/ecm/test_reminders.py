"""Reminders: each kind on the right day (frozen clock), not before, not twice; working days
skip England and Wales bank holidays; catch-up after downtime; concurrent sweeps; e-mails
carry no child's name; failures retried then shown as failed; notification centre."""

import datetime as dt
import threading

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from ecm.models import (
    Notification,
    NotificationPreference,
    Reminder,
    TeamReminderSettings,
)
from ecm.reminders import occurrence, send_digest, send_one, sweep
from ecm.workdays import add_working_days, is_working_day
from formulation.models import Invitation, Meeting, Report
from referrals.models import Referral, ReferralStatus
from reviews.models import Action

TZ = dt.UTC


def at(day: dt.date, hour: int = 9):
    return time_machine.travel(dt.datetime.combine(day, dt.time(hour), TZ), tick=False)


def kinds(kind):
    return list(Reminder.objects.filter(kind=kind).order_by("occurrence", "recipient_key"))


def held_meeting(world, day: dt.date, **extra):
    starts = timezone.make_aware(dt.datetime.combine(day, dt.time(10)))
    return Meeting.objects.create(
        case=world.case,
        starts_at=starts,
        chair=world.senior,
        psychologist=world.psychologist,
        status=Meeting.Status.HELD,
        **extra,
    )


# --- Rules ---


def test_occurrence_rule():
    due = dt.date(2026, 3, 31)
    assert occurrence(dt.date(2026, 3, 23), due, before=7, repeat=7) is None
    assert occurrence(dt.date(2026, 3, 24), due, before=7, repeat=7) == dt.date(2026, 3, 24)
    assert occurrence(dt.date(2026, 3, 30), due, before=7, repeat=7) == dt.date(2026, 3, 24)
    assert occurrence(due, due, before=7, repeat=7) == due
    assert occurrence(dt.date(2026, 4, 6), due, before=7, repeat=7) == due
    assert occurrence(dt.date(2026, 4, 7), due, before=7, repeat=7) == dt.date(2026, 4, 7)


def test_working_days_skip_weekends_and_bank_holidays():
    # Easter 2026: Good Friday 3 April and Easter Monday 6 April.
    assert not is_working_day(dt.date(2026, 4, 3)) and not is_working_day(dt.date(2026, 4, 6))
    assert add_working_days(dt.date(2026, 4, 2), 1) == dt.date(2026, 4, 7)
    assert add_working_days(dt.date(2026, 12, 24), 1) == dt.date(
        2026, 12, 29
    )  # Boxing Day observed
    assert add_working_days(dt.date(2026, 11, 20), 10) == dt.date(2026, 12, 4)


# --- Each kind ---


def test_report_due_before_on_the_day_and_weekly_while_overdue(world):
    held_meeting(world, dt.date(2026, 1, 31))  # due 28 February 2026
    for day, expected in [
        (dt.date(2026, 2, 20), 0),
        (dt.date(2026, 2, 21), 1),  # 7 days before
        (dt.date(2026, 2, 22), 1),  # not twice
        (dt.date(2026, 2, 28), 2),  # on the day
        (dt.date(2026, 3, 6), 2),
        (dt.date(2026, 3, 7), 3),  # a week overdue
    ]:
        with at(day):
            sweep()
            sweep()  # run twice: once
        assert len(kinds("report_due")) == expected, day
    titles = [r.title for r in kinds("report_due")]
    assert titles[0] == "Formulation report due on 28 Feb 2026"
    assert titles[1] == "Formulation report due today"
    assert titles[2].startswith("Formulation report overdue")
    assert {r.recipient for r in kinds("report_due")} == {world.psychologist}


def test_catch_up_after_the_scheduler_was_down_sends_once(world):
    held_meeting(world, dt.date(2026, 1, 31))
    with at(dt.date(2026, 3, 9)):  # down since the 20th of February
        sweep()
        sweep()
    rows = kinds("report_due")
    assert [r.occurrence for r in rows] == [dt.date(2026, 3, 7)]  # the latest missed, once


def test_accuracy_check_after_three_working_days(world):
    from formulation.report import services as rs

    meeting = held_meeting(world, dt.date(2026, 3, 1))
    report = rs.report_start(actor=world.psychologist, case=world.case)
    Report.objects.filter(pk=report.pk).update(
        status="checking",
        sent_for_check_at=timezone.make_aware(dt.datetime(2026, 4, 2, 15)),  # Maundy Thursday
    )
    with at(dt.date(2026, 4, 8)):
        sweep()
    assert kinds("check_waiting") == []
    with at(dt.date(2026, 4, 9)):  # Tue 7, Wed 8, Thu 9: Good Friday and Easter Monday skipped
        sweep()
        sweep()
    assert {r.recipient for r in kinds("check_waiting")} == {world.case_manager, meeting.chair}


def test_review_due_to_chair_and_case_manager(world):
    held_meeting(
        world, dt.date(2026, 1, 5), review_at=timezone.make_aware(dt.datetime(2026, 2, 16, 10))
    )
    with at(dt.date(2026, 2, 8)):
        sweep()
    assert kinds("review_due") == []
    with at(dt.date(2026, 2, 9)):
        sweep()
    assert {r.recipient for r in kinds("review_due")} == {world.senior, world.case_manager}


def test_meeting_tomorrow_to_every_invitee_with_the_ics(world):
    starts = timezone.make_aware(dt.datetime(2026, 5, 12, 10))
    meeting = Meeting.objects.create(
        case=world.case, starts_at=starts, chair=world.senior, psychologist=world.psychologist
    )
    Invitation.objects.create(
        meeting=meeting, name="Bethan", agency="health", email="b@example.org"
    )
    Invitation.objects.create(
        meeting=meeting, name="Sam", agency="police", email="s@example.org", status="declined"
    )
    with at(dt.date(2026, 5, 10)):
        sweep()
    assert kinds("meeting_tomorrow") == []
    with at(dt.date(2026, 5, 11)):
        sweep()
    rows = kinds("meeting_tomorrow")
    assert {r.recipient_email for r in rows if r.recipient_email} == {"b@example.org"}
    assert {r.recipient for r in rows if r.recipient} == {
        world.senior,
        world.psychologist,
        world.case_manager,
    }
    invitee = next(r for r in rows if r.recipient_email)
    send_one(invitee.pk)
    message = mail.outbox[-1]
    assert message.to == ["b@example.org"]
    assert any(name == "meeting.ics" for name, *_ in message.attachments)


def test_consent_missing_a_week_before_the_meeting(world):
    starts = timezone.make_aware(dt.datetime(2026, 6, 15, 10))
    Meeting.objects.create(
        case=world.case, starts_at=starts, chair=world.senior, psychologist=world.psychologist
    )
    with at(dt.date(2026, 6, 7)):
        sweep()
    assert kinds("consent_missing") == []
    with at(dt.date(2026, 6, 8)):
        sweep()
    assert {r.recipient for r in kinds("consent_missing")} == {world.case_manager, world.senior}


def test_action_overdue_to_its_owner(world):
    Action.objects.create(
        case=world.case, description="x", owner_user=world.case_manager, due_on=dt.date(2026, 7, 1)
    )
    with at(dt.date(2026, 7, 1)):
        sweep()
    assert kinds("action_overdue") == []
    with at(dt.date(2026, 7, 2)):
        sweep()
    assert [r.recipient for r in kinds("action_overdue")] == [world.case_manager]


def test_referral_waiting_ten_working_days(world):
    from tests.factories import CaseFactory

    case = CaseFactory(team=world.yot_a, case_manager=world.case_manager, status="referred")
    Referral.objects.create(
        case=case,
        status=ReferralStatus.SUBMITTED,
        submitted_at=timezone.make_aware(dt.datetime(2026, 12, 14, 12)),
    )
    # 10 working days from Monday 14 December, skipping 25, 26 (28 observed) December: 30th.
    with at(dt.date(2026, 12, 29)):
        sweep()
    assert kinds("referral_waiting") == []
    with at(dt.date(2026, 12, 30)):
        sweep()
    assert [r.recipient for r in kinds("referral_waiting")] == [world.senior]


def test_supervision_due_to_psychologist_and_supervisee(world):
    world.case.opened_on = dt.date(2026, 1, 10)
    world.case.save()
    with at(dt.date(2026, 3, 2)):
        sweep()
    assert kinds("supervision_due") == []
    with at(dt.date(2026, 3, 3)):  # 7 days before 10 March
        sweep()
    recipients = {r.recipient for r in kinds("supervision_due")}
    assert {world.case_manager, world.psychologist} <= recipients


def test_team_can_switch_a_kind_off_and_change_the_timing(world):
    TeamReminderSettings.objects.create(
        team=world.yot_a, report_days_before=3, disabled_kinds=["action_overdue"]
    )
    held_meeting(world, dt.date(2026, 1, 31))
    Action.objects.create(
        case=world.case, description="x", owner_user=world.case_manager, due_on=dt.date(2026, 2, 1)
    )
    with at(dt.date(2026, 2, 24)):
        sweep()
    assert kinds("report_due") == [] and kinds("action_overdue") == []
    with at(dt.date(2026, 2, 25)):
        sweep()
    assert len(kinds("report_due")) == 1


# --- Channels ---


def test_emails_name_no_child_and_follow_preferences(client, world):
    world.psychologist.email = "psy@example.org"
    world.psychologist.save()
    world.case_manager.email = "cm@example.org"
    world.case_manager.save()
    NotificationPreference.objects.create(user=world.case_manager, email_mode="digest")
    held_meeting(world, dt.date(2026, 1, 31))
    Action.objects.create(
        case=world.case,
        description="Call Tyler's school",
        owner_user=world.case_manager,
        due_on=dt.date(2026, 2, 1),
    )
    with at(dt.date(2026, 2, 28)):
        sweep()
        for r in Reminder.objects.filter(email_status="pending"):
            send_one(r.pk)
        send_digest(world.case_manager.pk)
    assert len(mail.outbox) == 2  # one immediate, one digest
    child = world.case.child
    for message in mail.outbox:
        text = message.subject + message.body
        assert child.first_name not in text and child.last_name not in text
        assert "Tyler" not in text  # the action's own words stay in the product
        assert world.case.reference in text
    assert Reminder.objects.filter(email_status="sent").count() == 2
    # In the product: a count in the navigation, a list, each linking to the thing.
    client.force_login(world.psychologist)
    page = client.get(reverse("home")).content.decode()
    assert "Notifications" in page
    note = Notification.objects.get(user=world.psychologist)
    response = client.get(reverse("notification_open", args=[note.pk]))
    assert response.url == reverse("formulation:report", args=[world.case.pk])
    note.refresh_from_db()
    assert note.read_at is not None


def test_a_failing_email_is_retried_then_shown_as_failed(world, monkeypatch):
    from django.core.mail import EmailMessage

    world.psychologist.email = "psy@example.org"
    world.psychologist.save()
    held_meeting(world, dt.date(2026, 1, 31))
    with at(dt.date(2026, 2, 28)):
        sweep()
    reminder = Reminder.objects.get(kind="report_due")

    def refuse(self, fail_silently=False):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(EmailMessage, "send", refuse)
    for attempt in range(1, 6):
        with pytest.raises(ConnectionRefusedError):
            send_one(reminder.pk)
        reminder.refresh_from_db()
        assert reminder.attempts == attempt
    assert reminder.email_status == "failed" and "smtp down" in reminder.last_error
    assert reminder.next_attempt_at is not None


def test_a_retry_waits_for_its_backoff(world, monkeypatch):
    from django.core.mail import EmailMessage

    from ecm.tasks import deliver_reminders

    world.psychologist.email = "psy@example.org"
    world.psychologist.save()
    held_meeting(world, dt.date(2026, 1, 31))
    with at(dt.date(2026, 2, 28)):
        sweep()
    reminder = Reminder.objects.get(kind="report_due")
    monkeypatch.setattr(
        EmailMessage, "send", lambda self, fail_silently=False: (_ for _ in ()).throw(OSError("x"))
    )
    with pytest.raises(OSError):
        send_one(reminder.pk)
    reminder.refresh_from_db()
    assert reminder.email_status == "pending" and reminder.next_attempt_at > timezone.now()
    queued = []
    monkeypatch.setattr("ecm.tasks.send_reminder_email.delay", queued.append)
    deliver_reminders()
    assert queued == []  # not before its backoff
    Reminder.objects.filter(pk=reminder.pk).update(next_attempt_at=timezone.now())
    deliver_reminders()
    assert queued == [reminder.pk]


def test_an_invitee_who_is_also_a_user_hears_once(world):
    world.senior.email = "chair@example.org"
    world.senior.save()
    starts = timezone.make_aware(dt.datetime(2026, 5, 12, 10))
    meeting = Meeting.objects.create(
        case=world.case, starts_at=starts, chair=world.senior, psychologist=world.psychologist
    )
    Invitation.objects.create(
        meeting=meeting, name="Chair", agency="yot", email="Chair@Example.org"
    )
    with at(dt.date(2026, 5, 11)):
        sweep()
    rows = kinds("meeting_tomorrow")
    assert not any(r.recipient_email == "chair@example.org" for r in rows)
    assert sum(1 for r in rows if r.recipient == world.senior) == 1


def test_sending_twice_sends_once(world):
    world.psychologist.email = "psy@example.org"
    world.psychologist.save()
    held_meeting(world, dt.date(2026, 1, 31))
    with at(dt.date(2026, 2, 28)):
        sweep()
    reminder = Reminder.objects.get(kind="report_due")
    assert send_one(reminder.pk) == "sent"
    assert send_one(reminder.pk) == "skipped"
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_make_each_reminder_once(django_db_blocker):
    from tests.conftest import build_world, reload_migration_data

    reload_migration_data(django_db_blocker, "formulation.migrations.0002_trm_frameworks")
    world = build_world()
    from tests.factories import CaseFactory

    for _n in range(5):
        case = CaseFactory(team=world.yot_a, case_manager=world.case_manager, status="active")
        for i in range(20):
            Action.objects.create(
                case=case,
                description=f"a{i}",
                owner_user=world.case_manager,
                due_on=dt.date(2026, 7, 1) - dt.timedelta(days=i),
            )
    errors = []
    barrier = threading.Barrier(4)

    def run():
        try:
            barrier.wait()
            sweep(dt.date(2026, 7, 10))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Reminder.objects.filter(kind="action_overdue").count() == 100
    assert Notification.objects.filter(reminder__kind="action_overdue").count() == 100


def test_every_scheduled_reminder_task_run_twice_emails_once(world, monkeypatch):
    """Two beats by mistake (ecm/beat.py prevents it; this is why it would be harmless): each
    reminder task of the schedule runs twice, and the two deliveries queue the same sends
    twice before either runs. Every reminder, notification and e-mail still happens once."""
    from ecm import tasks

    world.psychologist.email = "psy@example.org"
    world.psychologist.save()
    world.case_manager.email = "cm@example.org"
    world.case_manager.save()
    NotificationPreference.objects.create(user=world.case_manager, email_mode="digest")
    held_meeting(world, dt.date(2026, 1, 31))
    Action.objects.create(
        case=world.case, description="a", owner_user=world.case_manager, due_on=dt.date(2026, 2, 1)
    )
    queued: list[int] = []
    monkeypatch.setattr(tasks.send_reminder_email, "delay", queued.append)
    with at(dt.date(2026, 2, 28)):
        tasks.sweep_reminders()
        tasks.sweep_reminders()
        tasks.deliver_reminders()
        tasks.deliver_reminders()
        assert len(queued) == 2 and len(set(queued)) == 1  # the same send queued twice
        for pk in queued:
            tasks.send_reminder_email.apply(args=(pk,))
        tasks.send_digests.apply()
        tasks.send_digests.apply()
    assert Reminder.objects.count() == 2
    assert Notification.objects.count() == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["cm@example.org", "psy@example.org"]
    assert Reminder.objects.filter(email_status="sent").count() == 2
