"""The admin side of no self-granted access: memberships made there wait for approval;
membership, password and account changes are audited and told to the user and managers."""

import pytest
from django.urls import reverse

from ecm.models import AuditEvent, Membership, Notification, Reminder, Role


def _post_data(response) -> dict:
    """The admin change form's current values (main form and inlines), as a browser sends."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management[name].value()
        forms.extend(formset.forms)
    for form in forms:
        for name, field in form.fields.items():
            if field.disabled:
                continue
            value = form[name].value()
            if value is None or value is False:
                continue
            widget = field.widget
            if hasattr(widget, "decompress"):  # split date and time
                for i, part in enumerate(widget.decompress(value)):
                    data[f"{form.add_prefix(name)}_{i}"] = part
                continue
            data[form.add_prefix(name)] = "on" if value is True else value
    return data


def test_superuser_self_grant_opens_nothing_until_another_manager_approves(client, world):
    """The red team's path: a superuser adds themself a case-manager membership of a team in
    the admin and opens a child's case. 404 until a manager of the team approves it."""
    root = world.superuser
    case_url = reverse("case_detail", args=[world.case.pk])
    client.force_login(root)
    assert client.get(case_url).status_code == 404
    response = client.post(
        reverse("admin:ecm_membership_add"),
        {"user": root.pk, "team": world.yot_a.pk, "role": Role.CASE_MANAGER},
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user=root)
    assert membership.requested_by == root and not membership.is_approved
    assert client.get(case_url).status_code == 404
    # The superuser cannot approve it (their own, and asked for by them; no manager role).
    decide = reverse("membership_decide", args=[membership.pk, "approve"])
    assert client.post(decide).status_code == 404
    assert client.get(case_url).status_code == 404
    # The team's manager is told and approves it.
    assert Notification.objects.filter(
        user=world.manager, link=reverse("memberships_pending")
    ).exists()
    client.force_login(world.manager)
    assert client.post(decide).status_code == 302
    client.force_login(root)
    assert client.get(case_url).status_code == 200


def test_admin_membership_events_are_audited(client, world):
    client.force_login(world.superuser)
    client.post(
        reverse("admin:ecm_membership_add"),
        {"user": world.outsider.pk, "team": world.yot_a.pk, "role": Role.CASE_MANAGER},
    )
    membership = Membership.objects.get(user=world.outsider)
    created = AuditEvent.objects.get(object_type="ecm.membership", action=AuditEvent.Action.CREATE)
    assert created.actor == world.superuser and created.team_id == world.yot_a.pk
    assert created.detail == "admin: membership waiting for approval"
    # Approved, then moved to another role in the admin: waiting again.
    membership.approved_at = membership.requested_at
    membership.save()
    response = client.post(
        reverse("admin:ecm_membership_change", args=[membership.pk]),
        {"team": world.yot_a.pk, "role": Role.MANAGER},
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == Role.MANAGER and not membership.is_approved
    changed = AuditEvent.objects.get(object_type="ecm.membership", action=AuditEvent.Action.UPDATE)
    assert "role" in changed.changed_fields and "approved_at" in changed.changed_fields
    # Deleted: audited, the user and the team's manager told.
    Notification.objects.all().delete()
    response = client.post(
        reverse("admin:ecm_membership_delete", args=[membership.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert AuditEvent.objects.filter(
        object_type="ecm.membership", action=AuditEvent.Action.DELETE
    ).exists()
    told = set(Notification.objects.values_list("user_id", flat=True))
    assert told == {world.outsider.pk, world.manager.pk}


def test_memberships_added_through_the_user_page_wait_too(client, world):
    client.force_login(world.superuser)
    url = reverse("admin:ecm_user_change", args=[world.superuser.pk])
    data = _post_data(client.get(url))
    prefix = "memberships"
    data[f"{prefix}-0-team"] = world.yot_a.pk
    data[f"{prefix}-0-role"] = Role.PSYCHOLOGIST
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    membership = Membership.objects.get(user=world.superuser)
    assert membership.role == Role.PSYCHOLOGIST and not membership.is_approved
    assert membership.requested_by == world.superuser
    assert Notification.objects.filter(user=world.manager).exists()
    assert client.get(reverse("case_detail", args=[world.case.pk])).status_code == 404


def test_a_new_users_memberships_wait_too(client, world):
    client.force_login(world.superuser)
    url = reverse("admin:ecm_user_add")
    data = _post_data(client.get(url))
    data.update(
        {
            "username": "newcomer",
            "usable_password": "true",
            "password1": "a-new-long-passphrase-9",
            "password2": "a-new-long-passphrase-9",
            "memberships-0-team": world.yot_a.pk,
            "memberships-0-role": Role.CASE_MANAGER,
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    membership = Membership.objects.get(user__username="newcomer")
    assert not membership.is_approved and membership.requested_by == world.superuser


def test_admin_password_change_is_audited_and_told(client, world):
    """A superuser resetting the psychologist's password: the psychologist and the managers
    of their team hear of it (in the app and by e-mail), and it is in the audit log."""
    psychologist = world.psychologist
    psychologist.email = "psy@example.org"
    psychologist.save()
    client.force_login(world.superuser)
    url = reverse("admin:auth_user_password_change", args=[psychologist.pk])
    response = client.post(
        url,
        {"password1": "a-new-long-passphrase-9", "password2": "a-new-long-passphrase-9"},
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(detail="admin: account change")
    assert event.actor == world.superuser and event.changed_fields == ["password"]
    assert event.object_id == str(psychologist.pk)
    told = set(Notification.objects.values_list("user_id", flat=True))
    assert told == {psychologist.pk, world.manager.pk}
    assert Reminder.objects.get(recipient=psychologist).email_status == "pending"


@pytest.mark.parametrize("field", ["is_superuser", "is_staff", "is_active"])
def test_admin_status_changes_are_audited_and_told(client, world, field):
    user = world.senior
    before = getattr(user, field)
    client.force_login(world.superuser)
    url = reverse("admin:ecm_user_change", args=[user.pk])
    data = _post_data(client.get(url))
    if data.get(field):
        del data[field]
    else:
        data[field] = "on"
    response = client.post(url, data)
    assert response.status_code == 302
    user.refresh_from_db()
    assert getattr(user, field) is not before
    event = AuditEvent.objects.get(detail="admin: account change")
    assert event.changed_fields == [field]
    told = set(Notification.objects.values_list("user_id", flat=True))
    assert told == {user.pk, world.manager.pk}


def test_a_name_change_alone_tells_nobody(client, world):
    client.force_login(world.superuser)
    url = reverse("admin:ecm_user_change", args=[world.senior.pk])
    data = _post_data(client.get(url))
    data["job_title"] = "Practice lead"
    assert client.post(url, data).status_code == 302
    assert not Notification.objects.exists()


def test_no_case_data_model_is_in_the_admin(world):
    """Superuser status alone opens no case data in the admin: no child, case, referral,
    formulation, review or report model is registered; supervision shows metadata only."""
    from django.contrib import admin

    registered = {m._meta.label_lower for m in admin.site._registry}
    case_apps = {"referrals", "formulation", "reviews", "supervision", "monitoring"}
    allowed = {
        "referrals.ruleset",
        "referrals.teamreferralsettings",
        "formulation.trmframework",
        "formulation.teamformulationsettings",
        "supervision.session",  # metadata only: see below
        "supervision.supervisionsettings",
    }
    assert {m for m in registered if m.split(".")[0] in case_apps} <= allowed
    assert {"ecm.child", "ecm.case", "ecm.childcorrection", "ecm.auditevent"}.isdisjoint(registered)
    session_admin = admin.site._registry[
        next(m for m in admin.site._registry if m._meta.label_lower == "supervision.session")
    ]
    content = {"notes", "themes", "content", "discussion", "actions"}
    assert content.isdisjoint(set(session_admin.fields) | set(session_admin.list_display))
