"""Risk ratings on one set of labelled AssetPlus scales, entered once at referral and
carried forward: the reviews page shows the referral's ratings as the start (in words) and
corrects them; closure starts blank with the same labelled choices; monitoring averages the
start as the reviews page shows it."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from ecm.models import Case
from referrals.models import HarmRisk, Referral, ReoffendingRisk
from reviews import selectors
from reviews.models import RiskRating
from tests.ecm import pages

TODAY = timezone.localdate()


def _referral(case, reoffending=3, harm_self=2, harm_others=4):
    return Referral.objects.create(
        case=case,
        status="decided",
        referral_date=TODAY - dt.timedelta(days=90),
        risk_reoffending=reoffending,
        risk_harm_self=harm_self,
        risk_harm_others=harm_others,
    )


def test_the_scales_are_the_assetplus_ones_labelled_in_words():
    assert [(v, str(label)) for v, label in ReoffendingRisk.choices] == [
        (1, "Low (YOGRS 0-43%)"),
        (2, "Medium (YOGRS 44-76%)"),
        (3, "High (YOGRS 77-100%)"),
    ]
    assert [str(label) for _v, label in HarmRisk.choices] == ["Low", "Medium", "High", "Very high"]


def test_start_ratings_come_from_the_referral(world, formulated):
    _referral(formulated)
    start = selectors.start_risk(formulated)
    assert start.from_referral
    assert (start.reoffending, start.serious_harm, start.vulnerability) == (3, 4, 2)
    assert not RiskRating.objects.filter(case=formulated).exists()  # nothing asked again


def test_no_start_ratings_without_a_complete_referral(world, formulated):
    assert selectors.start_risk(formulated) is None
    _referral(formulated, harm_self=None)
    assert selectors.start_risk(formulated) is None


def test_overview_shows_the_referrals_ratings_in_words_and_offers_a_correction(
    client, world, formulated
):
    _referral(formulated)
    client.force_login(world.case_manager)
    body = client.get(reverse("reviews:overview", args=[formulated.pk])).content.decode()
    text = pages.text(body)
    assert "High (YOGRS 77-100%)" in text and "Very high" in text and "Medium" in text
    assert "The ratings at the start are the referral's." in text
    assert "Correct the ratings at the start" in text
    # The correction form starts from the referral's ratings, with labelled choices.
    assert '<option value="3" selected>High (YOGRS 77-100%)</option>' in body
    assert '<option value="4" selected>Very high</option>' in body


def test_a_correction_is_kept_and_shown_as_the_start(client, world, formulated):
    _referral(formulated)
    client.force_login(world.case_manager)
    response = client.post(
        reverse("reviews:risk_start", args=[formulated.pk]),
        {"reoffending": 2, "serious_harm": 3, "vulnerability": 2},
    )
    assert response.status_code == 302
    row = RiskRating.objects.get(case=formulated, point=RiskRating.Point.START)
    assert (row.reoffending, row.serious_harm, row.vulnerability) == (2, 3, 2)
    start = selectors.start_risk(formulated)
    assert not start.from_referral and start.pk == row.pk
    text = pages.text(
        client.get(reverse("reviews:overview", args=[formulated.pk])).content.decode()
    )
    assert "were corrected on" in text
    assert "Medium (YOGRS 44-76%)" in text


def test_a_rating_off_the_scale_is_refused(client, world, formulated):
    client.force_login(world.case_manager)
    response = client.post(
        reverse("reviews:risk_start", args=[formulated.pk]),
        {"reoffending": 4, "serious_harm": 5, "vulnerability": 0},
    )
    assert response.status_code == 400
    assert not RiskRating.objects.exists()


def test_correcting_the_start_is_for_the_case_team_only(client, world, formulated):
    url = reverse("reviews:risk_start", args=[formulated.pk])
    data = {"reoffending": 2, "serious_harm": 3, "vulnerability": 2}
    client.force_login(world.other_case_manager)
    assert client.post(url, data).status_code == 404
    client.force_login(world.psychologist)
    assert client.post(url, data).status_code == 403
    assert not RiskRating.objects.exists()


def test_closure_form_starts_blank_with_labelled_choices_and_shows_the_start(
    client, world, formulated
):
    _referral(formulated)
    client.force_login(world.case_manager)
    body = client.get(reverse("reviews:close", args=[formulated.pk])).content.decode()
    for name in ("reoffending", "serious_harm", "vulnerability"):
        select = body[body.index(f'name="{name}"') :]
        select = select[: select.index("</select>")]
        assert "selected" not in select.replace('value="" selected', "")  # nothing pre-filled
        assert "Low" in select
    assert "High (YOGRS 77-100%)" in body
    assert "Very high" in body
    text = pages.text(body)
    assert (
        "At the start: reoffending High (YOGRS 77-100%), serious harm Very high, "
        "vulnerability Medium." in text
    )


@pytest.mark.django_db
def test_monitoring_averages_take_the_start_from_the_referral_unless_corrected(world):
    from tests.factories import CaseFactory

    cases = [CaseFactory(team=world.yot_a, status="closed", closed_on=TODAY) for _ in range(3)]
    _referral(cases[0], reoffending=3, harm_self=2, harm_others=4)
    _referral(cases[1], reoffending=1, harm_self=4, harm_others=2)
    RiskRating.objects.create(
        case=cases[1],
        point=RiskRating.Point.START,
        reoffending=2,
        serious_harm=2,
        vulnerability=4,
        recorded_on=TODAY,
    )
    # The third has neither: it is not counted at the start.
    RiskRating.objects.create(
        case=cases[2],
        point=RiskRating.Point.CLOSURE,
        reoffending=1,
        serious_harm=1,
        vulnerability=1,
        recorded_on=TODAY,
    )
    averages = selectors.risk_averages(Case.objects.filter(pk__in=[c.pk for c in cases]))
    start = averages[RiskRating.Point.START]
    assert start["n"] == 2
    assert start["reoffending"] == pytest.approx(2.5)  # 3 (referral) and 2 (corrected)
    assert start["harm"] == pytest.approx(3)
    assert start["vulnerability"] == pytest.approx(3)
    closure = averages[RiskRating.Point.CLOSURE]
    assert closure["n"] == 1 and closure["reoffending"] == 1
