"""The referral asks the AssetPlus ratings once, on the labelled scales, and the words it
stored before (low / medium / high) became points on them."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from referrals import services
from tests.factories import CaseFactory

BEFORE = ("referrals", "0003_check_checked_at_index")
AFTER = ("referrals", "0005_risk_points")


def test_referral_form_asks_the_labelled_assetplus_scales(client, world, potential_case):
    services.referral_mark_ready(actor=world.case_manager, case=potential_case)
    client.force_login(world.case_manager)
    body = client.get(reverse("referrals:edit", args=[potential_case.pk])).content.decode()
    reoffending = body[body.index('name="risk_reoffending"') :]
    reoffending = reoffending[: reoffending.index("</select>")]
    assert '<option value="1">Low (YOGRS 0-43%)</option>' in reoffending
    assert '<option value="3">High (YOGRS 77-100%)</option>' in reoffending
    assert "Very high" not in reoffending  # reoffending has three levels
    harm = body[body.index('name="risk_harm_others"') :]
    assert '<option value="4">Very high</option>' in harm[: harm.index("</select>")]
    assert "Risk of serious harm to others" in body
    assert "Vulnerability (risk of harm to self)" in body


def test_submitted_referral_shows_the_ratings_in_words(client, world, submitted):
    client.force_login(world.case_manager)
    body = client.get(reverse("referrals:edit", args=[submitted.case.pk])).content.decode()
    # full_answers(): reoffending 3, harm to self (vulnerability) 2, harm to others 1.
    assert "High (YOGRS 77-100%)" in body
    assert ">\n      Medium\n" in body or "Medium" in body
    assert submitted.get_risk_harm_others_display() == "Low"


@pytest.mark.django_db(transaction=True)
def test_migration_maps_the_stored_words_to_points(world):
    case = CaseFactory(team=world.yot_a)
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    try:
        old = executor.loader.project_state([BEFORE]).apps.get_model("referrals", "Referral")
        old.objects.create(
            case_id=case.pk, risk_reoffending="high", risk_harm_self="", risk_harm_others="medium"
        )
        executor = MigrationExecutor(connection)
        executor.migrate([AFTER])
        new = executor.loader.project_state([AFTER]).apps.get_model("referrals", "Referral")
        row = new.objects.get(case_id=case.pk)
        assert (row.risk_reoffending, row.risk_harm_self, row.risk_harm_others) == (3, None, 2)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
