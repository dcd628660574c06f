"""The supervision app's part of erasing a child (`ecm.erasure`). Sessions are about the
practitioners and stay; their links to the child's cases are cut (with the decision
summaries put on the cases), escalations no longer point to the case, and the child's names
are removed from the session's confidential notes, the supervisees' reflections and the
escalations' text (every name in the sessions that discussed the child; the full name in
any other session)."""

from __future__ import annotations

from django.db.models import Q

from ecm.erasure import names_of, scrub_rows

from .models import Escalation, Session, SessionCase, Supervisee


def erase(child, cases) -> dict[str, int]:
    links = SessionCase.objects.filter(case__in=cases)
    discussed = set(links.values_list("session_id", flat=True))
    escalations = Escalation.objects.filter(case__in=cases)
    discussed |= set(escalations.values_list("session_id", flat=True))
    names = names_of(child)
    full = [child.full_name] if names else []
    in_discussed = Q(pk__in=discussed)
    counts = {
        "supervision_names": scrub_rows(Session.objects.filter(in_discussed), ["notes"], names)
        + scrub_rows(Session.objects.exclude(in_discussed), ["notes"], full)
        + scrub_rows(Supervisee.objects.filter(session_id__in=discussed), ["reflections"], names)
        + scrub_rows(Supervisee.objects.exclude(session_id__in=discussed), ["reflections"], full)
        + scrub_rows(Escalation.objects.filter(session_id__in=discussed), ["what"], names)
        + scrub_rows(Escalation.objects.exclude(session_id__in=discussed), ["what"], full),
    }
    counts["supervision_escalation_links"] = escalations.update(case=None)
    counts["supervision_case_links"], _x = links.delete()
    return counts


def register() -> None:
    from ecm.erasure import register_eraser

    register_eraser("supervision", erase, 40)
