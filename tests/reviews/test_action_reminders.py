"""Reminders of actions owned outside the team's accounts (a partner agency or a named
person): the case manager follows them up (001 found such actions fell through)."""

import datetime as dt

import time_machine

from ecm.models import Notification, Reminder, TeamReminderSettings
from ecm.reminders import sweep
from reviews.models import Action

TZ = dt.UTC


def at(day: dt.date, hour: int = 9):
    return time_machine.travel(dt.datetime.combine(day, dt.time(hour), TZ), tick=False)


def kinds(kind):
    return list(Reminder.objects.filter(kind=kind).order_by("occurrence", "recipient_key"))


def test_a_partners_action_reminds_the_case_manager(world):
    """An action owned outside the team's accounts reminds the case manager who follows it
    up: a week before, on the day, then while overdue; once each, whatever the sweeps."""
    action = Action.objects.create(
        case=world.case,
        description="Send the school's attendance report",
        owner_agency="education",
        owner_name="Head of year",
        due_on=dt.date(2026, 7, 10),
    )
    Action.objects.create(  # a team member's own action: their reminder, not this one
        case=world.case, description="y", owner_user=world.senior, due_on=dt.date(2026, 7, 10)
    )
    with at(dt.date(2026, 7, 2)):
        sweep()
    assert kinds("partner_action") == []
    for day in (3, 3, 5, 10, 11, 17, 18):
        with at(dt.date(2026, 7, day)):
            sweep()
    rows = kinds("partner_action")
    assert [(r.occurrence.day, r.recipient) for r in rows] == [
        (3, world.case_manager),
        (10, world.case_manager),
        (17, world.case_manager),
    ]
    assert {r.object_id for r in rows} == {action.pk}
    assert (
        rows[0].title == "A partner's action to follow up (School / education) due on 10 Jul 2026"
    )
    assert rows[1].title.endswith("due today")
    assert "overdue" in rows[2].title
    assert all(world.case.child.last_name not in r.title for r in rows)
    assert Notification.objects.filter(reminder__kind="partner_action").count() == 3
    # Done: no more.
    action.status = Action.Status.DONE
    action.save()
    with at(dt.date(2026, 7, 24)):
        sweep()
    assert len(kinds("partner_action")) == 3


def test_a_team_can_switch_partner_action_reminders_off(world):
    TeamReminderSettings.objects.create(team=world.yot_a, disabled_kinds=["partner_action"])
    Action.objects.create(
        case=world.case, description="x", owner_agency="camhs", due_on=dt.date(2026, 7, 1)
    )
    with at(dt.date(2026, 7, 1)):
        sweep()
    assert kinds("partner_action") == []


def test_consent_withdrawn_on_ecm_reminds_the_case_manager_to_record_the_closure(world):
    """An active case whose child withdrew their ECM consent waits for its closure record:
    its case manager is reminded from the day of the withdrawal until it is recorded, once
    per occurrence."""
    from referrals.models import Consent

    consent = Consent.objects.create(
        case=world.case,
        kind=Consent.Kind.ECM_CHILD,
        date=dt.date(2026, 5, 1),
        withdrawn_on=dt.date(2026, 7, 6),
        withdrawal_reason="Does not want the psychologist involved",
    )
    with at(dt.date(2026, 7, 5)):
        sweep()
    assert kinds("closure_after_withdrawal") == []
    for day in (6, 6, 12, 13):
        with at(dt.date(2026, 7, day)):
            sweep()
    rows = kinds("closure_after_withdrawal")
    assert [r.occurrence for r in rows] == [dt.date(2026, 7, 6), dt.date(2026, 7, 13)]
    assert {r.recipient_id for r in rows} == {world.case_manager.pk}
    assert world.case.reference in rows[0].title
    assert world.case.child.first_name not in rows[0].title
    # Consent given again: nothing more is due.
    Consent.objects.create(case=world.case, kind=Consent.Kind.ECM_CHILD, date=dt.date(2026, 7, 14))
    with at(dt.date(2026, 7, 20)):
        sweep()
    assert len(kinds("closure_after_withdrawal")) == 2
    assert consent.pk
