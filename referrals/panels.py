"""What the referral app shows on the home page, and the next steps it knows from its records
(registered in apps.py through `ecm.panels`)."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ecm.access import access_for
from ecm.dates import days_since
from ecm.models import ON_ECM_STATUSES, CaseStatus

from . import selectors
from .services import consent_status

#: How many referrals the home page lists (the queue has them all).
HOME_ROWS = 10

#: The stages whose next step the referral's dates or the consent decide.
_CONSENT_STAGES = (CaseStatus.AWAITING_CONSENT, CaseStatus.PREPARATION, *ON_ECM_STATUSES)
_STAGES = (CaseStatus.REFERRED, CaseStatus.WAITING, *_CONSENT_STAGES)


def _consent_missing(status) -> str:
    """What to record, in words, for consent that is not complete."""
    if not (status.child and status.child.is_current):
        return _("Record the child's ECM consent (the leaflet)")
    return _("Record the parent/carer's general YOT consent: the child is under 16")


def _consent_step(case, consents) -> str:
    """The next step the consent records decide, or "" (nothing to say about consent)."""
    status = consent_status(case, consents)
    if case.status == CaseStatus.AWAITING_CONSENT:
        if status.is_valid:
            return _("ECM consent is recorded: prepare for the formulation meeting")
        return _consent_missing(status)
    # Later stages had their consent when they got there: say so only if it is lost since
    # (withdrawn, or the parent/carer's needed after the child's date of birth was corrected).
    if not consents or status.is_valid:
        return ""
    if status.child is not None and status.child.withdrawn_on and case.status in ON_ECM_STATUSES:
        return _("ECM consent withdrawn: record the closure")
    return _("ECM consent is no longer complete. %(step)s") % {"step": _consent_missing(status)}


def next_steps(cases, today) -> dict[int, str]:
    """The next step of each case from its referral and consent records: the days a referral
    has waited for a decision or on the waiting list (counted as the queue and the waiting
    list count them), and what consent is still missing. Two queries."""
    cases = [case for case in cases if case.status in _STAGES]
    if not cases:
        return {}
    referrals, consents = selectors.next_step_records([case.pk for case in cases])
    steps = {}
    for case in cases:
        referral = referrals.get(case.pk)
        if case.status == CaseStatus.REFERRED and referral and referral.submitted_at:
            days = selectors.days_referred(referral, today)
            steps[case.pk] = ngettext(
                "Awaiting eligibility decision (%(days)s day)",
                "Awaiting eligibility decision (%(days)s days)",
                days,
            ) % {"days": days}
        elif case.status == CaseStatus.WAITING and referral and referral.waiting_since:
            days = selectors.days_waiting(referral, today)
            steps[case.pk] = ngettext(
                "On the waiting list (%(days)s day)", "On the waiting list (%(days)s days)", days
            ) % {"days": days}
        elif case.status in _CONSENT_STAGES:
            step = _consent_step(case, consents[case.pk])
            if step and case.status == CaseStatus.AWAITING_CONSENT and referral:
                days = days_since(referral.decided_at, today)
                if days is not None:
                    step += " " + ngettext(
                        "(accepted %(days)s day ago)", "(accepted %(days)s days ago)", days
                    ) % {"days": days}
            if step:
                steps[case.pk] = step
    return steps


def decisions_home_panel(request) -> str:
    """The senior practitioner's home: the referrals waiting for their decision, oldest
    first, with the days each has waited. Two queries."""
    if not access_for(request.user).can_sift_referrals():
        return ""
    today = timezone.localdate()
    queue = selectors.decision_queue_for(request.user)
    # Only what the rows show: the referral's many answers are not read (nor sorted).
    rows = list(
        queue.select_related(None)
        .select_related("case__child", "case__team")
        .only(
            "case_id",
            "submitted_at",
            "case__child_id",
            "case__team_id",
            "case__child__first_name",
            "case__child__last_name",
            "case__team__name",
        )[:HOME_ROWS]
    )
    for referral in rows:
        referral.age_days = selectors.days_referred(referral, today)
    total = queue.count()
    return render_to_string(
        "referrals/home_decisions.html", {"rows": rows, "total": total}, request=request
    )


def waiting_home_panel(request) -> str:
    """The senior practitioner's home: how long the waiting list is, linked. One query."""
    if not access_for(request.user).can_sift_referrals():
        return ""
    summary = selectors.waiting_list_summary(request.user)
    longest = days_since(summary["since"], timezone.localdate())
    return render_to_string(
        "referrals/home_waiting.html",
        {"n": summary["n"], "longest": longest},
        request=request,
    )
