"""The formulation app's part of erasing a child (`ecm.erasure`): the genogram, the timeline
and the case information summary are deleted; the meetings' child-specific content
(minutes, developmental map, attendees' notes and names), the TRM placement's words, the
recommendations' words, the report's texts, its frozen versions and its rendered PDFs are
removed. What the monitoring figures count stays: the meetings' dates, kinds and statuses,
attendance by agency, the TRM stages, the report's dates and numbers."""

from __future__ import annotations

from django.db.models import Q

from ecm.erasure import blank_text

from .models import (
    Circulation,
    DevelopmentalMap,
    FamilyMember,
    Invitation,
    Meeting,
    Partnership,
    Recommendation,
    Report,
    ReportComment,
    ReportRender,
    ReportVersion,
    SummaryItem,
    TimelineEvent,
    TRMPlacement,
)


def erase(child, cases) -> dict[str, int]:
    counts: dict[str, int] = {}
    counts["genogram_partnerships"], _x = Partnership.objects.filter(child=child).delete()
    counts["genogram_people"], _x = FamilyMember.objects.filter(child=child).delete()
    counts["timeline_events"], _x = TimelineEvent.objects.filter(child=child).delete()
    counts["case_summary_items"], _x = SummaryItem.objects.filter(child=child).delete()

    meetings = Meeting.objects.filter(case__in=cases)
    counts["meetings"] = blank_text(
        meetings,
        [
            "location",
            "online_link",
            "minutes_purpose",
            "minutes_case_history",
            "minutes_additional",
            "minutes_discussion",
            "review_location",
            "held_incomplete_reason",
        ],
    )
    invitations = Invitation.objects.filter(meeting__in=meetings)
    # An invitation e-mail not yet sent is not sent now (it would name the meeting's case).
    invitations.filter(
        delivery__in=[Invitation.Delivery.PENDING, Invitation.Delivery.FAILED]
    ).update(delivery=Invitation.Delivery.NOT_SENT, claim_token=None, claimed_at=None)
    counts["invitations"] = blank_text(
        invitations,
        ["name", "role", "email", "involvement", "written_information", "delivery_error"],
    )
    counts["developmental_maps"] = blank_text(
        DevelopmentalMap.objects.filter(meeting__in=meetings),
        ["physical_age", "social_age", "cognitive_age", "emotional_age", "notes"],
    )
    counts["trm_placements"] = blank_text(
        TRMPlacement.objects.filter(meeting__in=meetings),
        ["presentation", "underlying_need", "intervention_recommendation"],
    )
    counts["recommendations"] = blank_text(
        Recommendation.objects.filter(Q(case__in=cases) | Q(meeting__in=meetings)),
        ["intervention", "owner_name"],
    )

    reports = Report.objects.filter(case__in=cases)
    counts["report_pdfs"], _x = ReportRender.objects.filter(report__in=reports).delete()
    counts["reports"] = blank_text(
        reports,
        ["summary", "needs", "development", "trm", "formulation", "voice", "plan"]
        + ["amendment_reason"],
    )
    counts["report_versions"] = blank_text(
        ReportVersion.objects.filter(report__in=reports),
        ["timeline_svg", "timeline_shared_svg", "genogram_svg", "reason", "approved_by"],
        sections={},
        recommendations=[],
    )
    counts["report_comments"] = blank_text(
        ReportComment.objects.filter(report__in=reports), ["text", "response"]
    )
    counts["report_circulations"] = blank_text(
        Circulation.objects.filter(report__in=reports),
        ["recipient_name", "recipient_role", "organisation", "purpose"],
    )
    return counts


def register() -> None:
    from ecm.erasure import register_eraser

    register_eraser("formulation", erase, 20)
