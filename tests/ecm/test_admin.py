"""The Django admin is for users, teams and memberships; never for children's records."""

from django.urls import reverse

from ecm.models import AuditEvent


def test_admin_manages_users_and_teams_but_not_case_data(client, world):
    client.force_login(world.superuser)
    assert client.get(reverse("admin:ecm_user_changelist")).status_code == 200
    assert client.get(reverse("admin:ecm_team_changelist")).status_code == 200
    assert client.get(reverse("admin:ecm_membership_changelist")).status_code == 200
    assert client.get("/admin/ecm/child/").status_code == 404
    assert client.get("/admin/ecm/case/").status_code == 404
    assert client.get("/admin/ecm/auditevent/").status_code == 404


def test_admin_changes_are_audited(client, world):
    client.force_login(world.superuser)
    team = world.yot_b
    response = client.post(
        reverse("admin:ecm_team_change", args=[team.pk]),
        {
            "name": "Bravo Youth Justice Service",
            "code": team.code,
            "kind": team.kind,
            "central_team": world.central.pk,
            "phone": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action=AuditEvent.Action.UPDATE, object_type="ecm.team")
    assert event.actor == world.superuser
    assert "name" in " ".join(event.changed_fields).lower()


def test_case_workers_cannot_enter_the_admin(client, world):
    client.force_login(world.manager)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
