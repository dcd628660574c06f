"""The referral form saves a draft by itself (issue 18, "nothing typed is lost"): the
autosave endpoint saves the answers through `referral_save` with its stale-edit check, writes
nothing when nothing changed, never saves files or new offence rows (those wait for "Save
draft", so they are not saved twice), and gives the page the version its next save needs."""

import pytest
from django.urls import reverse

from ecm.models import AuditEvent
from referrals import services
from referrals.models import Offence, Referral
from tests.referrals.conftest import full_answers, pdf_upload
from tests.referrals.test_referrals import _post_data

pytestmark = pytest.mark.django_db

REASON = "Typed into the form a minute ago: offending rose after the placement broke down."


@pytest.fixture
def draft(world, potential_case):
    services.referral_mark_ready(actor=world.case_manager, case=potential_case)
    return services.referral_start(actor=world.case_manager, case=potential_case)


def _autosave(client, referral, **answers):
    data = _post_data(referral, {**full_answers(), **answers})
    return client.post(reverse("referrals:autosave", args=[referral.case_id]), data)


def _updates(referral) -> int:
    return AuditEvent.objects.filter(
        action=AuditEvent.Action.UPDATE,
        object_type="referrals.referral",
        object_id=str(referral.pk),
    ).count()


def test_autosave_saves_the_answers_and_the_next_save_is_taken(client, world, draft):
    client.force_login(world.case_manager)
    response = _autosave(
        client,
        draft,
        reason=REASON,
        **{"offence-0-date": "2026-01-05", "offence-0-offence_type": "Robbery"},
        assetplus=pdf_upload(),
    )
    assert response.status_code == 200
    reply = response.json()
    assert reply["message"].startswith("Saved at ")
    referral = Referral.objects.get(pk=draft.pk)
    assert referral.reason == REASON
    assert reply["version"] == referral.version == draft.version + 1
    assert not referral.assetplus_file  # files wait for "Save draft"
    assert not Offence.objects.filter(case=draft.case).exists()  # so do new offence rows
    assert _updates(referral) == 1
    # "Save draft" with the version the autosave gave the page is taken.
    data = _post_data(referral, {**full_answers(), "reason": REASON + " More."}, save="1")
    response = client.post(reverse("referrals:edit", args=[draft.case_id]), data)
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.reason == REASON + " More."


def test_autosave_without_a_change_writes_nothing(client, world, draft):
    referral = services.referral_save(actor=world.case_manager, referral=draft, data=full_answers())
    before = _updates(referral)
    client.force_login(world.case_manager)
    reply = _autosave(client, referral).json()
    assert reply["version"] == referral.version
    referral.refresh_from_db()
    assert referral.version == reply["version"]
    assert _updates(referral) == before


def test_autosave_refuses_a_stale_draft_and_overwrites_nothing(client, world, draft):
    loaded = Referral.objects.get(pk=draft.pk)
    services.referral_save(
        actor=world.case_manager,
        referral=draft,
        data={**full_answers(), "reason": "Saved in another tab"},
        expected_version=draft.version,
    )
    client.force_login(world.case_manager)
    response = _autosave(client, loaded, reason=REASON)
    assert response.status_code == 409
    assert "reload the page" in response.json()["message"]
    assert Referral.objects.get(pk=draft.pk).reason == "Saved in another tab"


def test_autosave_of_an_invalid_answer_saves_nothing(client, world, draft):
    client.force_login(world.case_manager)
    response = _autosave(client, draft, reason=REASON, referral_date="2999-01-01")
    assert response.status_code == 400
    assert "Save draft" in response.json()["message"]
    assert Referral.objects.get(pk=draft.pk).reason != REASON


def test_autosave_is_refused_to_others(client, world, draft):
    url = reverse("referrals:autosave", args=[draft.case_id])
    data = _post_data(draft, {**full_answers(), "reason": REASON})
    client.force_login(world.other_case_manager)  # another team
    assert client.post(url, data).status_code == 404
    client.force_login(world.psychologist)  # the team, but not one who edits referrals
    assert client.post(url, data).status_code == 404
    client.force_login(world.case_manager)
    assert client.get(url).status_code == 405
    assert Referral.objects.get(pk=draft.pk).reason != REASON


def test_a_submitted_referral_is_not_changed_by_an_autosave(client, world, submitted):
    client.force_login(world.case_manager)
    url = reverse("referrals:autosave", args=[submitted.case_id])
    response = client.post(url, _post_data(submitted, {**full_answers(), "reason": REASON}))
    assert response.status_code == 400
    assert Referral.objects.get(pk=submitted.pk).reason != REASON


def test_the_form_warns_and_autosaves(client, world, draft):
    client.force_login(world.case_manager)
    body = client.get(reverse("referrals:edit", args=[draft.case_id])).content.decode()
    assert "data-warn-unsaved" in body
    assert reverse("referrals:autosave", args=[draft.case_id]) in body
    assert 'id="referral-autosave"' in body
