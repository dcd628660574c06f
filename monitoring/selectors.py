"""The pipeline board: every case a senior practitioner or manager can see, by stage, with
how many are in each stage and how long they have been there. Counted in SQL."""

from __future__ import annotations

import datetime as dt

from django.db.models import (
    Avg,
    CharField,
    Count,
    DurationField,
    Exists,
    F,
    OuterRef,
    Q,
    Value,
    When,
)
from django.db.models import Case as Switch
from django.db.models.expressions import ExpressionWrapper, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ecm.models import Case, CaseStatus, User
from ecm.selectors import case_list_for
from formulation.models import Meeting, ReportVersion
from reviews.models import Review

#: The board's columns: a case status, or a step within "active" (report due, closing).
REPORT_DUE, CLOSING = "report_due", "closing"
STAGES = [
    (CaseStatus.POTENTIAL, _("Potential")),
    (CaseStatus.REFERRED, _("Referred: awaiting decision")),
    (CaseStatus.WAITING, _("Waiting list")),
    (CaseStatus.AWAITING_CONSENT, _("Awaiting consent")),
    (CaseStatus.PREPARATION, _("Meeting scheduled / preparing")),
    (REPORT_DUE, _("Report due")),
    (CaseStatus.ACTIVE, _("Active")),
    (CLOSING, _("Closing (closure review held)")),
    (CaseStatus.VOLUNTARY, _("Voluntary period after the order")),
    (CaseStatus.CLOSED, _("Closed (last 90 days)")),
]
SHOWN_PER_STAGE = 30
RECENTLY_CLOSED = dt.timedelta(days=90)


def _stage():
    """The board column of a case, as an expression."""
    active = Q(status=CaseStatus.ACTIVE)
    held = Exists(Meeting.objects.filter(case_id=OuterRef("pk"), status=Meeting.Status.HELD))
    final = Exists(ReportVersion.objects.filter(report__case_id=OuterRef("pk")))
    closing = Exists(Review.objects.filter(case_id=OuterRef("pk"), kind=Review.Kind.CLOSURE))
    return Switch(
        When(active & Q(held) & ~Q(final), then=Value(REPORT_DUE)),
        When(active & Q(closing), then=Value(CLOSING)),
        default=F("status"),
        output_field=CharField(),
    )


def pipeline_board(user: User) -> list[dict]:
    """One column per stage: its count and mean days in the stage (one grouped query), and
    the cases that have been there longest (one query, the first SHOWN_PER_STAGE of each)."""
    now = timezone.now()
    cases = (
        case_list_for(user)
        .exclude(
            status__in=[
                CaseStatus.NOT_ACCEPTED,
                CaseStatus.NOT_CARRIED_FORWARD,
                CaseStatus.CONSENT_REFUSED,
                CaseStatus.READY,
            ]
        )
        .exclude(status=CaseStatus.CLOSED, closed_on__lt=timezone.localdate() - RECENTLY_CLOSED)
        .annotate(stage=_stage())
    )
    in_stage = ExpressionWrapper(Value(now) - F("status_changed_at"), output_field=DurationField())
    stats = {
        row["stage"]: row
        for row in cases.order_by().values("stage").annotate(n=Count("pk"), mean=Avg(in_stage))
    }
    longest = (
        cases.select_related(None)
        .select_related("child", "team")
        .annotate(
            place=Window(
                RowNumber(), partition_by=[F("stage")], order_by=[F("status_changed_at"), F("pk")]
            )
        )
        .filter(place__lte=SHOWN_PER_STAGE)
        .order_by("status_changed_at", "pk")
    )
    columns: dict[str, list[Case]] = {key: [] for key, _label in STAGES}
    for case in longest:
        case.days_in_stage = (now - case.status_changed_at).days
        columns[case.stage].append(case)
    return [
        {
            "key": key,
            "label": label,
            "cases": columns[key],
            "count": stats.get(key, {}).get("n", 0),
            "more": stats.get(key, {}).get("n", 0) - len(columns[key]),
            "mean_days": round(stats[key]["mean"].total_seconds() / 86400)
            if key in stats and stats[key]["mean"] is not None
            else None,
        }
        for key, label in STAGES
    ]
