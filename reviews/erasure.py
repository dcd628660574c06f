"""The reviews app's part of erasing a child (`ecm.erasure`): every free text of the
reviews, proposed recommendations, progress notes, actions, TRM stage records, contacts,
missed-appointment decisions and the closure. What the monitoring figures count stays:
dates, kinds, statuses, reoffending and breach flags, TRM stages, risk and outcome ratings,
the closure's reason, plan and transitions."""

from __future__ import annotations

from ecm.erasure import blank_text

from .models import (
    Action,
    Closure,
    Contact,
    MissedAppointmentDecision,
    RecommendationProgress,
    Review,
    ReviewRecommendation,
    TRMStageRecord,
)


def erase(child, cases) -> dict[str, int]:
    reviews = Review.objects.filter(case__in=cases)
    return {
        "reviews": blank_text(
            reviews,
            [
                "present_others",
                "apologies",
                "additional_information",
                "discussion",
                "breach_details",
                "plan_change_reason",
            ],
        ),
        "review_recommendations": blank_text(
            ReviewRecommendation.objects.filter(review__in=reviews), ["intervention", "owner_name"]
        ),
        "progress_notes": blank_text(
            RecommendationProgress.objects.filter(review__in=reviews), ["note"]
        ),
        "actions": blank_text(Action.objects.filter(case__in=cases), ["description", "owner_name"]),
        "trm_stage_records": blank_text(
            TRMStageRecord.objects.filter(case__in=cases), ["explanation"]
        ),
        "contacts": blank_text(Contact.objects.filter(case__in=cases), ["purpose", "outcome"]),
        "missed_appointment_decisions": blank_text(
            MissedAppointmentDecision.objects.filter(case__in=cases), ["psychologist_advice"]
        ),
        "closures": blank_text(
            Closure.objects.filter(case__in=cases),
            ["reason_detail", "next_steps", "no_review_reason"],
        ),
    }


def register() -> None:
    from ecm.erasure import register_eraser

    register_eraser("reviews", erase, 30)
