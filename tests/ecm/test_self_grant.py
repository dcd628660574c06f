"""No self-granted access: a membership gives access only once another manager of its team
approves it (services, access policy, the managers' approval page)."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from ecm.access import Access, access_for
from ecm.memberships import (
    membership_approve,
    membership_refuse,
    membership_save_by_admin,
    pending_memberships_for,
)
from ecm.models import AuditEvent, Case, Membership, Notification, Reminder, Role
from ecm.reminders import send_one
from ecm.selectors import members_by_team, team_members
from tests.factories import MembershipFactory, UserFactory, member


def _ask(world, user, team=None, role=Role.CASE_MANAGER, actor=None):
    """A membership made in the admin by `actor` (the superuser by default)."""
    return membership_save_by_admin(
        actor=actor or world.superuser,
        membership=Membership(user=user, team=team or world.yot_a, role=role),
        created=True,
        changed_fields=["user", "team", "role"],
    )


def test_a_pending_membership_gives_nothing(world):
    newcomer = UserFactory()
    pending = _ask(world, newcomer)
    assert not pending.is_approved
    assert pending.requested_by == world.superuser
    access = Access(newcomer)
    assert access.grants == ()
    assert not access.can_view_case(world.case)
    assert newcomer not in team_members([world.yot_a.pk])
    assert newcomer.pk not in members_by_team([Role.CASE_MANAGER]).get(world.yot_a.pk, [])


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("team", ["yot_a", "central"])
def test_no_pending_role_opens_anything(world, role, team):
    """Whatever the role and team, a pending membership reaches no case, no dashboard, no
    supervision metadata, no approval, no audit log."""
    user = UserFactory()
    MembershipFactory(user=user, team=getattr(world, team), role=role, approved_at=None)
    access = Access(user)
    assert not Case.objects.filter(access.case_scope()).exists()
    assert not access.case_roles(world.referred_case)
    assert not access.dashboard_team_ids and not access.supervision_metadata_team_ids()
    assert not access.membership_approval_team_ids() and not access.can_view_audit()
    # Approved (by the system), the same membership opens what the role gives.
    Membership.objects.filter(user=user).update(approved_at=timezone.now())
    opened = Access(user)
    assert opened.grants and opened.roles_in(getattr(world, team).pk) == {role}


def test_a_manager_of_the_team_approves_and_it_takes_effect(world):
    newcomer = UserFactory()
    pending = _ask(world, newcomer)
    membership_approve(actor=world.manager, membership=pending)
    pending.refresh_from_db()
    assert pending.approved_by == world.manager and pending.approved_at is not None
    assert Access(newcomer).can_view_case(world.case)
    event = AuditEvent.objects.get(
        object_type="ecm.membership", object_id=str(pending.pk), detail="membership approved"
    )
    assert event.actor == world.manager and event.team_id == world.yot_a.pk
    assert set(event.changed_fields) == {"approved_by", "approved_at"}


@pytest.mark.parametrize("who", ["self", "requester", "other_team_manager", "superuser", "senior"])
def test_nobody_else_approves(world, who):
    """Not the person it is for (even a manager of the team), not who asked for it, not a
    manager of another team, not a superuser without a manager membership, not another role."""
    if who == "self":
        subject, requester, approver = world.manager, world.superuser, world.manager
        pending = _ask(world, subject, role=Role.PSYCHOLOGIST, actor=requester)
    elif who == "requester":
        # A staff manager asks for a colleague: another manager must approve it.
        world.manager.is_staff = world.manager.is_superuser = True
        world.manager.save()
        pending = _ask(world, UserFactory(), actor=world.manager)
        approver = world.manager
    else:
        pending = _ask(world, UserFactory())
        approver = {
            "other_team_manager": world.other_manager,
            "superuser": world.superuser,
            "senior": world.senior,
        }[who]
    with pytest.raises(PermissionDenied):
        membership_approve(actor=approver, membership=pending)
    with pytest.raises(PermissionDenied):
        membership_refuse(actor=approver, membership=pending)
    pending.refresh_from_db()
    assert not pending.is_approved


def test_the_database_refuses_a_self_approved_row(world):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipFactory(user=world.manager, team=world.yot_b, approved_by=world.manager)


def test_refusing_deletes_it_and_is_audited(world):
    newcomer = UserFactory(email="new@example.org")
    pending = _ask(world, newcomer)
    pk = pending.pk
    membership_refuse(actor=world.manager, membership=pending)
    assert not Membership.objects.filter(pk=pk).exists()
    assert AuditEvent.objects.filter(
        object_type="ecm.membership", object_id=str(pk), detail="membership refused"
    ).exists()
    with pytest.raises(ValidationError):  # already decided
        membership_approve(actor=world.manager, membership=Membership(pk=pk, team=world.yot_a))


def test_managers_and_the_user_are_told_in_the_app_and_by_email(world):
    world.manager.email = "mgr@example.org"
    world.manager.save()
    newcomer = UserFactory(email="new@example.org")
    pending = _ask(world, newcomer)
    told = set(Notification.objects.values_list("user_id", flat=True))
    assert told == {world.manager.pk, newcomer.pk}  # not the other team's manager
    note = Notification.objects.get(user=world.manager)
    assert note.link == reverse("memberships_pending")
    for reminder in Reminder.objects.filter(email_status=Reminder.EmailStatus.PENDING):
        assert send_one(reminder.pk) == "sent"
    assert sorted(m.to[0] for m in mail.outbox) == ["mgr@example.org", "new@example.org"]
    child = world.case.child
    for message in mail.outbox:
        assert "Alpha YOT" in message.subject
        assert child.first_name not in message.body + message.subject
        assert child.last_name not in message.body + message.subject
    assert pending.pk  # the approval tells the user (and who asked) next
    membership_approve(actor=world.manager, membership=pending)
    assert Notification.objects.filter(user=newcomer).count() == 2


def test_existing_and_seeded_memberships_are_approved_by_the_system(world):
    assert not Membership.objects.pending().exists()
    assert Membership.objects.filter(approved_by__isnull=True).count() == Membership.objects.count()


def test_command_line_approves_a_first_manager(world):
    pending = _ask(world, UserFactory(), team=world.yot_b, role=Role.MANAGER)
    call_command("membership_approve", pending.pk, reason="first manager")
    pending.refresh_from_db()
    assert pending.is_approved and pending.approved_by is None
    assert AuditEvent.objects.filter(
        actor_username="system", object_id=str(pending.pk), action=AuditEvent.Action.TRANSITION
    ).exists()


# --- the approval page -----------------------------------------------------------------------


def test_the_page_lists_the_teams_pending_memberships_only(client, world):
    mine = _ask(world, UserFactory(first_name="Gwen", last_name="Newcomer"))
    theirs = _ask(world, UserFactory(first_name="Bryn", last_name="Elsewhere"), team=world.yot_b)
    client.force_login(world.manager)
    response = client.get(reverse("memberships_pending"))
    assert response.status_code == 200
    assert "Gwen Newcomer" in response.text
    assert "Bryn Elsewhere" not in response.text
    assert reverse("membership_decide", args=[mine.pk, "approve"]) in response.text
    assert reverse("memberships_pending") in client.get(reverse("home")).text  # in the nav
    # Another team's pending membership: 404, and nothing changes.
    url = reverse("membership_decide", args=[theirs.pk, "approve"])
    assert client.post(url).status_code == 404
    theirs.refresh_from_db()
    assert not theirs.is_approved


def test_the_page_approves_and_refuses(client, world):
    one, two = _ask(world, UserFactory()), _ask(world, UserFactory())
    client.force_login(world.manager)
    response = client.post(reverse("membership_decide", args=[one.pk, "approve"]))
    assert response.status_code == 302
    one.refresh_from_db()
    assert one.approved_by == world.manager
    client.post(reverse("membership_decide", args=[two.pk, "refuse"]))
    assert not Membership.objects.filter(pk=two.pk).exists()
    # Decided already: no longer listed, a 404.
    assert client.post(reverse("membership_decide", args=[one.pk, "refuse"])).status_code == 404


@pytest.mark.parametrize("who", ["senior", "case_manager", "team_admin", "superuser", "outsider"])
def test_the_page_is_for_managers(client, world, who):
    pending = _ask(world, UserFactory())
    client.force_login(getattr(world, who))
    assert client.get(reverse("memberships_pending")).status_code == 404
    url = reverse("membership_decide", args=[pending.pk, "approve"])
    assert client.post(url).status_code == 404
    pending.refresh_from_db()
    assert not pending.is_approved


def test_a_manager_cannot_approve_their_own_on_the_page(client, world):
    own = _ask(world, world.manager, role=Role.SENIOR_PRACTITIONER)
    client.force_login(world.manager)
    response = client.get(reverse("memberships_pending"))
    assert "Waiting for another manager of the team" in response.text
    assert reverse("membership_decide", args=[own.pk, "approve"]) not in response.text
    assert client.post(reverse("membership_decide", args=[own.pk, "approve"])).status_code == 403
    own.refresh_from_db()
    assert not own.is_approved


def test_the_page_costs_a_constant_number_of_queries(client, world, django_assert_max_num_queries):
    for _ in range(25):
        _ask(world, UserFactory())
    client.force_login(world.manager)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("memberships_pending"))
    assert response.text.count("Approve<span") == 25


def test_pending_selector_is_empty_for_a_superuser(world):
    _ask(world, UserFactory())
    assert not pending_memberships_for(world.superuser).exists()
    assert access_for(world.manager).membership_approval_team_ids() == {world.yot_a.pk}


def test_a_second_team_member_added_by_factory_is_approved(world):
    user = member(world.yot_b, Role.CASE_MANAGER)
    assert Access(user).can_view_case(world.other_case)
