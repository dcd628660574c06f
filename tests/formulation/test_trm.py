"""TRM frameworks keep their meaning: one in use is not changed in place, editing makes a new
version (the teams move to it), and a retired version takes no new placements."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from ecm.models import AuditEvent
from formulation.admin import TeamFormulationSettingsForm
from formulation.meeting import services
from formulation.models import Meeting, TeamFormulationSettings, TRMFramework, TRMPlacement
from formulation.trm import selectors
from formulation.trm import services as trm


@pytest.fixture
def framework(db):
    return TRMFramework.objects.get(code="practice-stages", version=1)


@pytest.fixture
def placed(world, framework):
    """World's Alpha YOT case placed on stage 2 at its held meeting; the team uses v1."""
    TeamFormulationSettings.objects.update_or_create(
        team=world.yot_a, defaults={"framework": framework}
    )
    meeting = Meeting.objects.create(
        case=world.case,
        starts_at=timezone.now() - dt.timedelta(days=3),
        chair=world.senior,
        psychologist=world.psychologist,
        status=Meeting.Status.HELD,
        held_at=timezone.now() - dt.timedelta(days=3),
    )
    services.trm_placement_save(
        actor=world.psychologist,
        meeting=meeting,
        stage=framework.stages.get(number=2),
        presentation="Quick to anger.",
        underlying_need="Safety.",
        intervention_recommendation="Routine first.",
    )
    return meeting


def place(client, world, meeting, stage):
    client.force_login(world.psychologist)
    return client.post(
        reverse("formulation:trm", args=[meeting.pk]),
        {
            "stage": stage.pk,
            "presentation": "Calmer now.",
            "underlying_need": "Trust.",
            "intervention_recommendation": "Relationship work.",
        },
    )


def test_a_framework_in_use_is_read_only_in_the_admin(client, world, framework, placed):
    assert selectors.framework_uses(framework) == 1
    client.force_login(world.superuser)
    url = reverse("admin:formulation_trmframework_change", args=[framework.pk])
    page = client.get(url, follow=True).content.decode()
    assert "cannot be changed in place" in page and "Make a new version to edit" in page
    assert 'name="name_en_gb"' not in page  # shown, not editable
    assert 'name="stages-0-name_en_gb"' not in page
    # ...but its Welsh may still be written or corrected (issue 23).
    assert 'name="stages-0-name_cy"' in page and 'name="name_cy"' in page
    client.post(url, {"name_en_gb": "Renamed", "is_active": "on", "stages-TOTAL_FORMS": "0"})
    framework.refresh_from_db()
    assert framework.name != "Renamed"
    assert framework.stages.get(number=2).name == placed.trm_placement.stage.name
    # A framework nobody used yet is edited in place as before.
    unused = TRMFramework.objects.exclude(pk=framework.pk).first()
    assert selectors.framework_uses(unused) == 0
    page = client.get(reverse("admin:formulation_trmframework_change", args=[unused.pk]))
    # In both languages, side by side (issue 23).
    assert 'name="name_en_gb"' in page.content.decode()
    assert 'name="name_cy"' in page.content.decode()


def test_editing_makes_a_new_version_the_team_moves_to_and_the_old_one_is_retired(
    client, world, framework, placed
):
    client.force_login(world.superuser)
    response = client.post(
        reverse("admin:formulation_trmframework_changelist"),
        {"action": "make_new_version", "_selected_action": [framework.pk]},
    )
    new = TRMFramework.objects.get(code=framework.code, version=2)
    assert response.status_code == 302
    assert response.url == reverse("admin:formulation_trmframework_change", args=[new.pk])
    framework.refresh_from_db()
    assert not framework.is_active and new.is_active
    assert list(new.stages.values_list("number", "name")) == list(
        framework.stages.values_list("number", "name")
    )
    assert TeamFormulationSettings.objects.get(team=world.yot_a).framework == new
    assert AuditEvent.objects.filter(object_type="formulation.trmframework").count() == 2
    # The past placement keeps the stage (and meaning) it was made with.
    placement = TRMPlacement.objects.get(meeting=placed)
    assert placement.stage.framework == framework
    assert "retired: no new placements" in str(framework)
    # New placements use the new version; the old version's stages are refused.
    assert set(selectors.stages_for(world.case)) == set(new.stages.all())
    old_stage = framework.stages.get(number=3)
    refused = place(client, world, placed, old_stage)
    assert refused.status_code == 200 and "Select a valid choice" in refused.content.decode()
    placement.refresh_from_db()
    assert placement.stage.number == 2 and placement.stage.framework == framework
    assert place(client, world, placed, new.stages.get(number=3)).status_code == 302
    placement.refresh_from_db()
    assert placement.stage.framework == new


def test_a_retired_framework_without_a_newer_version_refuses_new_placements(
    client, world, framework, placed
):
    TRMFramework.objects.filter(pk=framework.pk).update(is_active=False)
    assert list(selectors.stages_for(world.case)) == []
    refusal = selectors.placement_refusal(world.case)
    assert refusal == (
        f"The TRM framework {framework.name} version 1 is retired: it takes no new "
        "placements. An administrator sets the team's framework to an available version."
    )
    refused = place(client, world, placed, framework.stages.get(number=4))
    # A placement sent from a page opened before the retirement is refused, and the page
    # says why (not Django's "Select a valid choice").
    assert refused.status_code == 200
    assert "is retired: it takes no new placements" in refused.content.decode()
    assert TRMPlacement.objects.get(meeting=placed).stage.number == 2
    client.force_login(world.psychologist)
    page = client.get(reverse("formulation:meeting", args=[placed.pk])).content.decode()
    assert "retired: no new placements" in page  # the meeting page names the framework
    # ... and says why there is no placement form, instead of offering one that cannot save.
    assert "is retired: it takes no new placements" in page
    assert reverse("formulation:trm", args=[placed.pk]) not in page
    framework.refresh_from_db()
    with pytest.raises(ValidationError, match="is retired"):
        trm.trm_framework_require_available(framework)
    # A team cannot be set to a retired framework (kept as it was when unchanged).
    form = TeamFormulationSettingsForm({"team": world.yot_b.pk, "framework": framework.pk})
    assert not form.is_valid()
    assert "is retired: it takes no new placements" in form.errors["framework"][0]


def test_only_those_allowed_to_change_frameworks_make_a_new_version(world, framework):
    with pytest.raises(PermissionDenied):
        trm.trm_framework_new_version(actor=world.psychologist, framework=framework)
    assert not TRMFramework.objects.filter(code=framework.code, version=2).exists()
    new = trm.trm_framework_new_version(actor=world.superuser, framework=framework)
    again = trm.trm_framework_new_version(actor=world.superuser, framework=framework)
    assert (new.version, again.version) == (2, 3)  # numbered after the latest
