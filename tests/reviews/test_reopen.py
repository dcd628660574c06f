"""Re-opening as the practice guidance describes it ("Re-opening cases"): why, the referral
pre-filled from the last one with what changed, consent carried forward when still valid,
and the joint decision on another formulation meeting (straight to active when not)."""

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from ecm import services as core
from ecm.models import AuditEvent, Case
from formulation.decision import services as decision
from formulation.models import Meeting
from formulation.report import services as report_services
from formulation.report.models import Report
from referrals import demo as referral_demo
from referrals import selectors as referral_selectors
from referrals import services as referrals
from referrals.models import LEAFLET_VERSION, Consent, Referral
from reviews import reminders, selectors
from tests.referrals.conftest import full_answers, pdf_upload

from .test_reviews import close, record

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _today():
    global TODAY
    TODAY = timezone.localdate()


def _consent(case, kind, on, **extra):
    return Consent.objects.create(
        case=case,
        kind=kind,
        date=on,
        explained_by=case.case_manager,
        recorded_by=case.case_manager,
        leaflet_version=LEAFLET_VERSION if kind == Consent.Kind.ECM_CHILD else "",
        **extra,
    )


@pytest.fixture
def closed_episode(world, formulated):
    """World's Alpha YOT case after a whole episode: its referral (decided), the child's and
    parent's consent signed a month ago, a final formulation report; then closed."""
    case = formulated
    Referral.objects.create(
        case=case, status="decided", referrer=world.case_manager, **full_answers()
    )
    signed = TODAY - dt.timedelta(days=30)
    _consent(case, Consent.Kind.ECM_CHILD, signed)
    _consent(case, Consent.Kind.PARENT_GENERAL, signed, signatory_name="Ann Parent")
    _consent(case, Consent.Kind.EVALUATION, signed, given=False)
    report = report_services.report_start(actor=world.psychologist, case=case)
    report_services.report_save(
        actor=world.psychologist,
        report=report,
        data={
            "formulation": "The story so far.",
            "voice": "He said so.",
            "summary": "s",
            "needs": "n",
            "trm": "t",
            "plan": "p",
        },
        expected_revision=report.revision,
    )
    report_services.report_send_for_check(actor=world.psychologist, report=report)
    report_services.report_approve(actor=world.case_manager, report=report)
    report.refresh_from_db()
    report_services.report_finalise(
        actor=world.psychologist, report=report, expected_revision=report.revision
    )
    close(world, case)
    case.refresh_from_db()
    return case


def reopen(world, closed, **extra) -> Case:
    return core.case_reopen(
        actor=world.case_manager, case=closed, **({"reason": "reoffended"} | extra)
    )


def to_acceptance(world, new: Case) -> Case:
    """The re-opened episode's referral, pre-filled, updated, submitted and accepted."""
    referral = referrals.referral_start(actor=world.case_manager, case=new)
    referral = referrals.referral_save(
        actor=world.case_manager,
        referral=referral,
        data={"reason": "Reoffended after release."},
        upload=pdf_upload(),
    )
    referral = referrals.referral_submit(actor=world.case_manager, referral=referral)
    referral_demo.decide(world.senior, referral, "accepted")
    new.refresh_from_db()
    return new


# --- Re-opening asks why ---------------------------------------------------------------------


def test_reopening_asks_why_and_other_needs_words(world, closed_episode):
    with pytest.raises(ValidationError) as error:
        reopen(world, closed_episode, reason="")
    assert "reason" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        reopen(world, closed_episode, reason="other", detail="  ")
    assert "detail" in error.value.message_dict
    assert not Case.objects.filter(previous_case=closed_episode).exists()

    new = reopen(world, closed_episode, reason="other", detail="Placement broke down again.")
    assert (new.reopen_reason, new.reopen_detail) == ("other", "Placement broke down again.")
    assert new.previous_case == closed_episode
    assert new.case_manager == world.case_manager  # the same case manager by default
    assert new.status == "ready"  # the referral (pre-filled) is the next step
    update = AuditEvent.objects.get(object_id=str(new.pk), action="update", detail__contains="re-")
    assert set(update.changed_fields) == {"previous_case", "reopen_reason", "reopen_detail"}
    assert "Placement" not in update.detail  # names and codes only, never what was typed
    assert AuditEvent.objects.filter(
        object_id=str(new.pk), action="transition", detail="potential → ready (re-opened)"
    ).exists()


def test_reopening_can_name_another_case_manager_of_the_team_only(world, closed_episode):
    with pytest.raises(ValidationError) as error:
        reopen(world, closed_episode, case_manager=world.other_case_manager)
    assert "case_manager" in error.value.message_dict
    new = reopen(world, closed_episode, case_manager=world.case_manager_2)
    assert new.case_manager == world.case_manager_2


def test_reopening_is_for_the_owning_team(world, closed_episode):
    for user in (world.other_case_manager, world.psychologist, world.outsider):
        with pytest.raises(PermissionDenied):
            core.case_reopen(actor=user, case=closed_episode, reason="reoffended")


# --- The referral pre-filled, with what changed ---------------------------------------------


def test_the_new_referral_is_prefilled_and_says_what_changed(client, world, closed_episode):
    old = closed_episode.referral
    new = reopen(world, closed_episode, reason="returned_from_custody")
    referral = referrals.referral_start(actor=world.case_manager, case=new)
    assert referral.status == "draft"
    for name in ("reason", "why_ecm", "disposal", "risk_reoffending", "cx_camhs", "ace_neglect"):
        assert getattr(referral, name) == getattr(old, name), name
    assert not referral.assetplus_file  # the current AssetPlus is attached anew
    assert referral.referral_date is None and referral.submitted_at is None
    assert referral_selectors.referral_changes(referral) == []
    event = referral.events.get()
    assert event.kind == "ready" and closed_episode.reference in event.summary

    referrals.referral_save(
        actor=world.case_manager, referral=referral, data={"reason": "Reoffended in custody."}
    )
    referral.refresh_from_db()
    changes = referral_selectors.referral_changes(referral)
    assert [c["field"] for c in changes] == ["reason"]
    assert changes[0]["before"] == old.reason
    assert changes[0]["after"] == "Reoffended in custody."

    client.force_login(world.case_manager)
    url = reverse("referrals:changes", args=[new.pk])
    page = client.get(url).content.decode()
    assert "Reoffended in custody." in page and old.reason in page
    assert (
        "What changed since the last episode"
        in client.get(reverse("referrals:edit", args=[new.pk])).content.decode()
    )
    assert (
        "Changed since the last episode"
        in client.get(reverse("referrals:print", args=[new.pk])).content.decode()
    )
    # Not re-opened: no such page. Another team: not found either.
    assert client.get(reverse("referrals:changes", args=[closed_episode.pk])).status_code == 404
    client.force_login(world.other_case_manager)
    assert client.get(url).status_code == 404


# --- Consent carried forward, or asked again ----------------------------------------------


def test_valid_consent_carries_forward_when_the_referral_is_accepted(client, world, closed_episode):
    new = to_acceptance(world, reopen(world, closed_episode))
    assert new.status == "preparation"  # never waited in "awaiting consent"
    carried = {c.kind: c for c in new.consents.all()}
    assert set(carried) == {"ecm_child", "parent_general", "evaluation"}
    old = {c.kind: c for c in closed_episode.consents.all()}
    for kind, consent in carried.items():
        assert consent.carried_forward_from == old[kind]
        assert consent.date == old[kind].date
        assert consent.given == old[kind].given  # the evaluation refusal stands too
    assert carried["parent_general"].signatory_name == "Ann Parent"
    assert referrals.consent_status(new).is_valid
    assert (
        AuditEvent.objects.filter(
            object_type="referrals.consent", detail__contains="carried forward from"
        ).count()
        == 3
    )
    client.force_login(world.case_manager)
    page = client.get(reverse("referrals:consent", args=[new.pk])).content.decode()
    assert "Carried forward" in page and closed_episode.reference in page


def test_withdrawn_consent_is_asked_for_again(client, world, closed_episode):
    Consent.objects.filter(case=closed_episode, kind="ecm_child").update(
        withdrawn_on=TODAY - dt.timedelta(days=2), withdrawal_reason="Did not want it."
    )
    new = to_acceptance(world, reopen(world, closed_episode))
    assert new.status == "awaiting_consent"
    assert not new.consents.exists()
    check = referrals.consent_carry_forward_check(new)
    assert check.consents == [] and "withdrawn" in check.reason
    client.force_login(world.case_manager)
    page = client.get(reverse("referrals:consent", args=[new.pk])).content.decode()
    assert "not carried forward" in page and "withdrawn" in page
    # Consent taken again moves the episode on as usual.
    referral_demo.give_consent(world.case_manager, new, TODAY)
    new.refresh_from_db()
    assert new.status == "preparation"
    assert not new.consents.filter(carried_forward_from__isnull=False).exists()


@override_settings(CONSENT_CARRY_FORWARD_MONTHS=12)
def test_expired_consent_is_asked_for_again(world, closed_episode):
    Consent.objects.filter(case=closed_episode).update(date=TODAY - dt.timedelta(days=400))
    new = to_acceptance(world, reopen(world, closed_episode))
    assert new.status == "awaiting_consent"
    assert "more than 12 months ago" in referrals.consent_carry_forward_check(new).reason


def test_consent_from_an_earlier_leaflet_is_asked_for_again(world, closed_episode):
    Consent.objects.filter(case=closed_episode, kind="ecm_child").update(leaflet_version="old")
    new = to_acceptance(world, reopen(world, closed_episode))
    assert new.status == "awaiting_consent"


def test_consent_withdrawn_on_the_new_episode_is_not_carried_again(world, closed_episode):
    new = to_acceptance(world, reopen(world, closed_episode))
    child = new.consents.get(kind="ecm_child")
    referrals.consent_withdraw(actor=world.case_manager, consent=child, date=TODAY, reason="No.")
    new.refresh_from_db()
    assert new.status == "awaiting_consent"
    referrals.consent_record(
        actor=world.case_manager, case=new, kind="evaluation", date=TODAY, given=True
    )
    new.refresh_from_db()
    assert new.status == "awaiting_consent"
    assert new.consents.filter(kind="ecm_child").count() == 1


# --- The decision on another formulation meeting --------------------------------------------


@pytest.fixture
def preparing(world, closed_episode):
    return to_acceptance(world, reopen(world, closed_episode))


def decide(actor, case, value="carried_forward", note="Agreed by psy_a and cm_a.", **extra):
    return decision.reopened_formulation_decide(
        actor=actor, case=case, decision=value, note=note, **extra
    )


def test_who_records_the_decision(world, preparing):
    for user in (world.senior, world.manager, world.case_manager_2, world.other_case_manager):
        with pytest.raises(PermissionDenied):
            decide(user, preparing, "new_meeting")
    decide(world.psychologist, preparing, "new_meeting")
    decide(world.case_manager, preparing, "new_meeting", note="Agreed with the psychologist.")
    # Only for a re-opened episode.
    with pytest.raises(PermissionDenied):
        decide(world.psychologist, Case.objects.get(pk=world.referred_case.pk), "new_meeting")


def test_the_decision_needs_a_note_and_the_right_stage(world, closed_episode):
    new = reopen(world, closed_episode)
    with pytest.raises(core.TransitionError):  # not accepted yet
        decide(world.psychologist, new)
    new = to_acceptance(world, new)
    with pytest.raises(ValidationError) as error:
        decide(world.psychologist, new, note=" ")
    assert "note" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        decide(world.psychologist, new, value="maybe")
    assert "decision" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        decide(world.psychologist, new, first_review_on=TODAY)
    assert "first_review_on" in error.value.message_dict
    new.refresh_from_db()
    assert (new.status, new.formulation_decision) == ("preparation", "")


def test_no_new_meeting_goes_straight_to_active_with_a_review_due(world, preparing):
    case = decide(world.case_manager, preparing, note="Agreed by Dr Jones and Sam on 3 May.")
    assert case.status == "active"
    assert case.formulation_decision == "carried_forward"
    assert case.formulation_decision_note == "Agreed by Dr Jones and Sam on 3 May."
    assert case.first_review_on == TODAY + dt.timedelta(weeks=6)
    # ECM starts for the episode on its opening (stored for monitoring: no meeting of its own).
    assert Case.objects.get(pk=case.pk).ecm_started_on == case.opened_on
    # The formulation carried forward: the report from the last final version, for the
    # psychologist who wrote it (the case manager recorded the decision), and its
    # recommendations; the old episode untouched.
    report = Report.objects.get(case=case)
    assert report.formulation == "The story so far."
    assert report.psychologist == world.psychologist
    assert case.recommendations.count() == 2 == preparing.previous_case.recommendations.count()
    assert not Meeting.objects.filter(case=case).exists()
    # Its first review is due, as a formulation meeting would have set it.
    assert selectors.next_review_due(case) == case.first_review_on
    assert selectors.case_summary(case)["next_review_on"] == case.first_review_on
    due = [d for d in reminders.review_due(case.first_review_on) if d.object_id == case.pk]
    assert len(due) == 1 and world.case_manager.pk in due[0].users
    event = AuditEvent.objects.filter(object_id=str(case.pk), action="transition").first()
    assert event.detail == "preparation → active (formulation carried forward)"
    assert "formulation_decision" in event.changed_fields


def test_case_page_of_a_carried_forward_episode_says_so(client, world, preparing):
    case = decide(world.case_manager, preparing, note="Agreed with the psychologist.")
    client.force_login(world.case_manager)
    body = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert f"the formulation of {case.previous_case.reference} is carried forward" in body
    assert "No formulation meeting scheduled yet" not in body
    assert "Arrange the first review of this episode" in body
    # The status history names the move in words, with what it noted.
    assert "→ active" not in body and "(formulation carried forward)" in body
    arrange = reverse("formulation:arrange_review", args=[case.pk])
    assert arrange in body
    page = client.get(arrange)
    assert page.status_code == 200
    assert "record the formulation meeting as held first" not in page.content.decode()
    assert client.get(reverse("reviews:review_new", args=[case.pk])).status_code == 200


def test_a_carried_forward_episode_arranges_and_records_its_reviews(world, preparing):
    """No new formulation meeting: the episode works from the earlier one, so its first
    review can be arranged and recorded (the stage at formulation is the carried one), and
    it cannot be dated before the episode opened."""
    import datetime as dt_

    from formulation.meeting import services as meeting_services
    from formulation.meeting.selectors import episode_formulation_meeting

    case = decide(world.case_manager, preparing, note="Agreed with the psychologist.")
    carried = episode_formulation_meeting(case)
    assert carried is not None and carried.case_id == case.previous_case_id
    meeting = meeting_services.meeting_schedule(
        actor=world.case_manager,
        case=case,
        kind=Meeting.Kind.REVIEW,
        starts_at=timezone.now() + dt_.timedelta(days=10),
        chair=world.senior,
        psychologist=world.psychologist,
        location="YOT office",
    )
    assert meeting.kind == Meeting.Kind.REVIEW
    review = record(world, case)
    assert review.case_id == case.pk
    with pytest.raises(ValidationError, match="before the episode opened"):
        record(world, case, held_on=case.opened_on - dt_.timedelta(days=1))


def test_a_new_meeting_keeps_the_usual_preparation(world, preparing):
    case = decide(world.psychologist, preparing, "new_meeting", note="Much has changed.")
    assert (case.status, case.formulation_decision) == ("preparation", "new_meeting")
    assert case.first_review_on is None
    assert not Report.objects.filter(case=case).exists()
    assert AuditEvent.objects.filter(
        object_id=str(case.pk), detail="formulation decision: new meeting"
    ).exists()
    # Once a meeting is held on the episode, it is the meeting that makes it active.
    Meeting.objects.create(
        case=case,
        starts_at=timezone.now() - dt.timedelta(hours=2),
        chair=world.senior,
        psychologist=world.psychologist,
        status=Meeting.Status.HELD,
    )
    with pytest.raises(ValidationError, match="has been held"):
        decide(world.psychologist, case)


def test_stale_decision_is_refused(world, preparing):
    from ecm.editing import StaleEditError

    with pytest.raises(StaleEditError):
        decide(world.psychologist, preparing, expected_version=preparing.version - 1)


# --- Pages -----------------------------------------------------------------------------------


def test_reopen_page_asks_why_then_reopens(client, world, closed_episode):
    url = reverse("case_reopen", args=[closed_episode.pk])
    client.force_login(world.case_manager)
    case_page = client.get(reverse("case_detail", args=[closed_episode.pk])).content.decode()
    assert f'href="{url}"' in case_page  # a link to the page, not a one-click form
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Why is the case re-opened?" in body and "Reoffended" in body
    assert AuditEvent.objects.filter(
        object_id=str(closed_episode.pk), action="view", detail="reopen"
    ).exists()
    response = client.post(url, {"reason": "other", "detail": "", "case_manager": ""})
    assert response.status_code == 400
    assert "Say what the other reason is." in response.content.decode()
    assert re.search(r'<input[^>]*value="other"[^>]*checked', response.content.decode())
    response = client.post(
        url, {"reason": "new_concerns", "detail": "", "case_manager": world.case_manager.pk}
    )
    new = Case.objects.get(previous_case=closed_episode)
    assert response.status_code == 302 and response.url == reverse("case_detail", args=[new.pk])
    assert new.reopen_reason == "new_concerns"
    page = client.get(response.url).content.decode()
    assert "Re-opened" in page and "New concerns" in page
    # Once re-opened, it cannot be again.
    assert client.get(url).status_code == 403


def test_reopen_page_access(client, world, closed_episode):
    url = reverse("case_reopen", args=[closed_episode.pk])
    client.force_login(world.other_case_manager)
    assert client.get(url).status_code == 404
    assert client.post(url, {"reason": "reoffended"}).status_code == 404
    client.force_login(world.psychologist)
    assert client.get(url).status_code == 403
    client.force_login(world.case_manager)
    assert client.get(reverse("case_reopen", args=[world.referred_case.pk])).status_code == 403
    assert not Case.objects.filter(previous_case=closed_episode).exists()


def test_decision_page_straight_to_active(client, world, preparing):
    url = reverse("formulation:decision", args=[preparing.pk])
    client.force_login(world.psychologist)
    case_page = client.get(reverse("case_detail", args=[preparing.pk])).content.decode()
    assert f'href="{url}"' in case_page
    assert "whether another formulation meeting is needed" in case_page
    assert client.get(url).status_code == 200
    response = client.post(url, {"version": preparing.version, "decision": "carried_forward"})
    assert response.status_code == 400  # no note: kept and said
    assert "Enter who agreed, and why" in response.content.decode()
    response = client.post(
        url,
        {
            "version": preparing.version,
            "decision": "carried_forward",
            "note": "Agreed by psy_a and cm_a.",
            "first_review_on": (TODAY + dt.timedelta(weeks=4)).isoformat(),
        },
    )
    assert response.status_code == 302
    preparing.refresh_from_db()
    assert preparing.status == "active"
    assert preparing.first_review_on == TODAY + dt.timedelta(weeks=4)
    page = client.get(response.url).content.decode()
    assert "Arrange the first review of this episode" in page
    # Active now: the page sends back to the case.
    assert client.get(url).status_code == 302


def test_decision_page_access(client, world, preparing):
    url = reverse("formulation:decision", args=[preparing.pk])
    client.force_login(world.other_case_manager)
    assert client.get(url).status_code == 404
    client.force_login(world.senior)
    assert client.get(url).status_code == 403
    assert client.post(url, {"decision": "new_meeting", "note": "x"}).status_code == 403
    client.force_login(world.case_manager)
    assert client.get(url).status_code == 200


def test_no_carry_forward_while_a_formulation_meeting_is_scheduled(world, preparing):
    import datetime as dt_

    from formulation.meeting import services as meeting_services

    meeting_services.meeting_schedule(
        actor=world.senior,
        case=preparing,
        starts_at=timezone.now() + dt_.timedelta(days=7),
        chair=world.senior,
        psychologist=world.psychologist,
        location="YOT office",
    )
    with pytest.raises(ValidationError, match="A formulation meeting is scheduled"):
        decide(world.psychologist, preparing)
    preparing.refresh_from_db()
    assert preparing.status == "preparation" and preparing.formulation_decision == ""
