"""Reads of referrals, the decision queue and the waiting list, scoped by `ecm.access`."""

from __future__ import annotations

import datetime as dt
import math

from django.db.models import Case as When_
from django.db.models import Count, F, IntegerField, Min, Q, QuerySet, Value, When, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ecm.access import access_for
from ecm.dates import add_months, days_since
from ecm.models import Case, CaseStatus, User
from ecm.selectors import case_list_for

from .models import (
    ACE_FIELDS,
    COMPLEXITY_CPN,
    COMPLEXITY_YND,
    Consent,
    CurrentPreviousNever,
    Referral,
    ReferralEvent,
    ReferralStatus,
    TeamReferralSettings,
    YesNoDontKnow,
)

SIGNIFICANT_CONCERN_POINTS = 5


def referral_for_case(case: Case) -> Referral | None:
    return (
        Referral.objects.filter(case=case)
        .select_related("referrer", "case", "case__child", "case__team")
        .first()
    )


def case_panel_reads(case: Case) -> tuple[Referral | None, ReferralEvent | None, list[Consent]]:
    """What the case page's referral section shows: the referral (the columns it shows), its
    latest event and the case's consent records. Three queries."""
    referral = Referral.objects.filter(case=case).only("case_id", "status", "submitted_at").first()
    last_event = None
    if referral is not None:
        last_event = (
            ReferralEvent.objects.filter(referral=referral)
            .only("referral_id", "at", "kind", "summary")
            .order_by("-at", "-pk")
            .first()
        )
    return referral, last_event, list(Consent.objects.filter(case=case))


def _count_matching(fields, values) -> When_:
    return sum(
        (
            When_(
                When(**{f"{f}__in": values}, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
            for f in fields
        ),
        Value(0),
    )


def _risk_points(field: str):
    """A rating's points are its value on the AssetPlus scale (none: 0)."""
    return Coalesce(F(field), Value(0), output_field=IntegerField())


def with_priority(qs: QuerySet[Referral]) -> QuerySet[Referral]:
    """Annotate the transparent waiting-list priority, computed in SQL, with its parts."""
    cpn = [f for f, _ in COMPLEXITY_CPN]
    ynd = [f for f, _ in COMPLEXITY_YND]
    return qs.annotate(
        complexity_count=_count_matching(
            cpn, [CurrentPreviousNever.CURRENT, CurrentPreviousNever.PREVIOUS]
        )
        + _count_matching(ynd, [YesNoDontKnow.YES]),
        ace_count=_count_matching(ACE_FIELDS, [YesNoDontKnow.YES]),
        risk_score=_risk_points("risk_reoffending")
        + _risk_points("risk_harm_self")
        + _risk_points("risk_harm_others"),
        concern_points=When_(
            When(significant_concern=True, then=Value(SIGNIFICANT_CONCERN_POINTS)),
            default=Value(0),
            output_field=IntegerField(),
        ),
    ).annotate(
        priority=F("complexity_count") + F("ace_count") + F("risk_score") + F("concern_points")
    )


def decision_queue_for(user: User) -> QuerySet[Referral]:
    """Submitted referrals awaiting a decision that this user may see, oldest first."""
    cases = case_list_for(user, status=CaseStatus.REFERRED)
    return (
        Referral.objects.filter(case__in=cases.values("pk"), status=ReferralStatus.SUBMITTED)
        .select_related("case", "case__child", "case__team", "case__case_manager", "referrer")
        .annotate(
            viability_notes=Count("events", filter=Q(events__kind=ReferralEvent.Kind.VIABILITY))
        )
        .order_by("submitted_at", "pk")
    )


def decision_queue_page_for(user: User) -> QuerySet[Referral]:
    """`decision_queue_for` (the same rows, order and annotations) for the queue's page: the
    user's cases by the case's teams directly, not a `case__in` subquery (less to plan)."""
    return (
        Referral.objects.filter(
            access_for(user).case_scope(prefix="case__"),
            case__status=CaseStatus.REFERRED,
            status=ReferralStatus.SUBMITTED,
        )
        .select_related("case", "case__child", "case__team", "case__case_manager", "referrer")
        .annotate(
            viability_notes=Count("events", filter=Q(events__kind=ReferralEvent.Kind.VIABILITY))
        )
        .order_by("submitted_at", "pk")
    )


def waiting_list_for(user: User) -> QuerySet[Referral]:
    """Accepted cases waiting for capacity, highest priority first, then longest waiting."""
    cases = case_list_for(user, status=CaseStatus.WAITING)
    return (
        with_priority(Referral.objects.filter(case__in=cases.values("pk")))
        .select_related("case", "case__child", "case__team", "case__referred_to")
        .annotate(provider_id=Coalesce("case__referred_to_id", "case__team_id"))
        .order_by("-priority", "waiting_since", "pk")
    )


def waiting_list_in_line_for(user: User) -> QuerySet[Referral]:
    """`waiting_list_for` (the same rows, order and annotations) with each entry's place in
    its provider team's line (`line_position`, 1 for the first), counted in SQL over the
    whole list: a page of it estimates its slots as the whole list would (`estimate_slots`).
    The user's cases by the case's teams directly, not a `case__in` subquery: a third of the
    planning time of this large query (about 3 -> 1 ms)."""
    referrals = Referral.objects.filter(
        access_for(user).case_scope(prefix="case__"), case__status=CaseStatus.WAITING
    )
    return (
        with_priority(referrals)
        .select_related("case", "case__child", "case__team", "case__referred_to")
        .annotate(provider_id=Coalesce("case__referred_to_id", "case__team_id"))
        .order_by("-priority", "waiting_since", "pk")
    ).annotate(
        line_position=Window(
            RowNumber(),
            partition_by=[F("provider_id")],
            order_by=[F("priority").desc(), F("waiting_since").asc(), F("pk").asc()],
        )
    )


def pipeline_counts(provider_ids: set[int]) -> dict[int, int]:
    """Cases accepted but not yet formulated (awaiting consent or preparing), by the team
    whose psychology capacity they use. One query."""
    rows = (
        Case.objects.filter(status__in=[CaseStatus.AWAITING_CONSENT, CaseStatus.PREPARATION])
        .annotate(provider=Coalesce("referred_to_id", "team_id"))
        .filter(provider__in=provider_ids)
        .values("provider")
        .annotate(n=Count("pk"))
    )
    return {row["provider"]: row["n"] for row in rows}


def capacity_for(provider_ids: set[int]) -> dict[int, int]:
    rows = TeamReferralSettings.objects.filter(team_id__in=provider_ids).values_list(
        "team_id", "formulations_per_month"
    )
    return dict(rows)


def estimate_slots(entries: list[Referral], today: dt.date | None = None) -> None:
    """Set `likely_from` (first day of a month) on each waiting-list entry.

    Each provider team holds `formulations_per_month` formulation meetings a month. The
    cases already accepted but not yet formulated go first, then the waiting list in
    priority order: the n-th case in that line is likely to start in month
    floor((n - 1) / capacity) from now. An estimate, shown as such.
    """
    today = today or timezone.localdate()
    providers = {e.provider_id for e in entries}
    ahead = pipeline_counts(providers)
    capacity = capacity_for(providers)
    position: dict[int, int] = {}
    for entry in entries:
        per_month = capacity.get(entry.provider_id) or 2
        # On a page of the list, the place counted over the whole list.
        here = getattr(entry, "line_position", None)
        position[entry.provider_id] = here or position.get(entry.provider_id, 0) + 1
        n = ahead.get(entry.provider_id, 0) + position[entry.provider_id]
        months = math.floor((n - 1) / per_month)
        entry.queue_position = position[entry.provider_id]
        entry.capacity = per_month
        entry.likely_from = add_months(today.replace(day=1), months) if months else today


#: What a re-opened episode's referral does not take from the last one: its own state and
#: dates, the referrer (this episode's case manager), the senior practitioner's waiting-list
#: priority, and the AssetPlus file (attach the current assessment; the last one stays on
#: the earlier episode).
NOT_PREFILLED = frozenset(
    {
        "id",
        "case",
        "status",
        "referrer",
        "contact_number",
        "referral_date",
        "assetplus_file",
        "assetplus_name",
        "assetplus_content_type",
        "assetplus_size",
        "assetplus_uploaded_at",
        "significant_concern",
        "significant_concern_note",
        "submitted_at",
        "decided_at",
        "waiting_since",
        "version",
        "created_at",
        "updated_at",
    }
)


def prefilled_fields() -> list:
    """The referral's answers a re-opened episode starts from (every field of the form but
    those in NOT_PREFILLED: the reasons, the order, the history, the ratings, the complexity
    and ACE grids), in form order."""
    return [f for f in Referral._meta.concrete_fields if f.name not in NOT_PREFILLED]


def previous_referral(referral: Referral) -> Referral | None:
    """A re-opened episode's referral: the earlier episode's (None otherwise). One query."""
    if not referral.case.previous_case_id:
        return None
    return (
        Referral.objects.filter(case_id=referral.case.previous_case_id)
        .select_related("case")
        .first()
    )


def _display(referral: Referral, field) -> str:
    value = getattr(referral, field.attname)
    if value in (None, ""):
        return str(_("(not answered)"))
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(value, dt.date):
        return date_format(value)
    return str(value)


def referral_changes(referral: Referral, previous: Referral | None = None) -> list[dict]:
    """What changed since the last episode's referral, field by field (the answers a
    re-opened episode's referral is pre-filled with): label, before, after. Empty when
    nothing changed or the episode is not re-opened. One query (none with `previous`)."""
    previous = previous or previous_referral(referral)
    if previous is None:
        return []
    return [
        {
            "field": field.name,
            "label": str(field.verbose_name),
            "before": _display(previous, field),
            "after": _display(referral, field),
        }
        for field in prefilled_fields()
        if getattr(previous, field.attname) != getattr(referral, field.attname)
    ]


def ecm_leaflet_consent(case: Case) -> Consent | None:
    """The child's latest ECM (leaflet) consent record, with who explained the leaflet: the
    formulation checklist's "leaflet explained" item ticks itself from it. One query."""
    return (
        Consent.objects.filter(case=case, kind=Consent.Kind.ECM_CHILD)
        .select_related("explained_by")
        .order_by("-date", "-pk")
        .first()
    )


# --- How long a referral has waited, and what the home page shows of the queue ---------------


def days_referred(referral: Referral, today: dt.date) -> int | None:
    """Days since the referral was submitted: how long it has waited for a decision (the
    decision queue, the home page and the next step all count it so)."""
    return days_since(referral.submitted_at, today)


def days_waiting(referral: Referral, today: dt.date) -> int | None:
    """Days on the waiting list, from when the case was put on it (the waiting list, the
    home page and the next step all count it so)."""
    return days_since(referral.waiting_since, today)


def waiting_list_summary(user: User) -> dict:
    """How long this user's waiting list is (`waiting_list_for`) and since when its longest
    wait: one query. The same referrals as `waiting_list_for`, without its priority
    annotations, whose building cost the ORM most of this section's time (issue 22)."""
    cases = case_list_for(user, status=CaseStatus.WAITING).order_by()
    return Referral.objects.filter(case__in=cases.values("pk")).aggregate(
        n=Count("pk"), since=Min("waiting_since")
    )


def next_step_records(case_ids: list[int]) -> tuple[dict[int, Referral], dict[int, list[Consent]]]:
    """The referral (its dates) and the consent records of each case, for the next steps of
    a list of cases: two queries however many cases."""
    referrals = {
        r.case_id: r
        for r in Referral.objects.filter(case_id__in=case_ids).only(
            "pk", "case_id", "submitted_at", "decided_at", "waiting_since"
        )
    }
    consents: dict[int, list[Consent]] = {pk: [] for pk in case_ids}
    for consent in Consent.objects.filter(case_id__in=case_ids):
        consents[consent.case_id].append(consent)
    return referrals, consents
