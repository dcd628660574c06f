"""The supervision app's part of erasing a child (`ecm.erasure`). Sessions are about the
practitioners and stay; their links to the child's cases are cut (with the decision
summaries put on the cases), escalations no longer point to the case, and what identifies
the child is removed from the session's confidential notes, the supervisees' reflections
and the escalations' text (`ecm.erasure.identifiers_of`: in the sessions that discussed the
child every name too; in any other session the full name, PNC number, YOT reference and
date of birth)."""

from __future__ import annotations

from django.db.models import Q

from ecm.erasure import identifiers_of, scrub_rows

from .models import Escalation, Session, SessionCase, Supervisee


def erase(child, cases) -> dict[str, int]:
    links = SessionCase.objects.filter(case__in=cases)
    discussed = set(links.values_list("session_id", flat=True))
    escalations = Escalation.objects.filter(case__in=cases)
    discussed |= set(escalations.values_list("session_id", flat=True))
    names = identifiers_of(child)
    full = identifiers_of(child, single_names=False)
    in_discussed = Q(pk__in=discussed)
    counts = {
        "supervision_names": scrub_rows(
            Session.objects.filter(in_discussed), ["notes", "location"], names
        )
        + scrub_rows(Session.objects.exclude(in_discussed), ["notes", "location"], full)
        + scrub_rows(Supervisee.objects.filter(session_id__in=discussed), ["reflections"], names)
        + scrub_rows(Supervisee.objects.exclude(session_id__in=discussed), ["reflections"], full)
        + scrub_rows(
            Escalation.objects.filter(session_id__in=discussed), ["what", "line_manager"], names
        )
        + scrub_rows(
            Escalation.objects.exclude(session_id__in=discussed), ["what", "line_manager"], full
        ),
    }
    counts["supervision_escalation_links"] = escalations.update(case=None)
    counts["supervision_case_links"], _x = links.delete()
    return counts


def register() -> None:
    from ecm.erasure import register_eraser

    register_eraser("supervision", erase, 40)
