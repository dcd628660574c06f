"""Reads of clinical supervision. Content is read only through `session_get_for` and
`sessions_with_content_for` (psychologist and supervisees); everyone else gets
`session_metadata_for`, plain rows with no content fields at all."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, Max, Min, OuterRef, Q
from django.http import Http404
from django.utils import timezone

from ecm.access import access_for
from ecm.dates import add_months
from ecm.models import Case, User, open_case

from .models import Offer, Session, SessionCase, Supervisee, SupervisionSettings

DEFAULT_INTERVAL_MONTHS = 2


def sessions_with_content_for(user: User):
    return (
        Session.objects.filter(access_for(user).supervision_content_scope())
        .distinct()
        .select_related("psychologist")
        .prefetch_related("attendance__user")
        .order_by("-starts_at")
    )


def session_get_for(user: User, pk: int) -> Session:
    """A session with its content: its psychologist and supervisees only (404 otherwise)."""
    try:
        return (
            Session.objects.filter(access_for(user).supervision_content_scope())
            .distinct()
            .select_related("psychologist", "team")
            .get(pk=pk)
        )
    except Session.DoesNotExist:
        raise Http404 from None


def session_metadata_for(user: User, *, team_ids=None, start=None, end=None) -> list[dict]:
    """That sessions happened, for oversight: date, length, format, psychologist and who.
    Built as plain rows from named columns, so no content can reach a template. Two
    queries."""
    teams = access_for(user).supervision_metadata_team_ids()
    qs = Session.objects.all()
    if teams is not None:
        qs = qs.filter(team_id__in=teams)
    if team_ids:
        qs = qs.filter(team_id__in=team_ids)
    if start:
        qs = qs.filter(starts_at__date__gte=start)
    if end:
        qs = qs.filter(starts_at__date__lte=end)
    rows = list(
        qs.order_by("-starts_at").values(
            "pk",
            "starts_at",
            "ends_at",
            "format",
            "kind",
            "mode",
            "team__name",
            "psychologist__first_name",
            "psychologist__last_name",
        )[:500]
    )
    names: dict[int, list[str]] = {}
    for row in Supervisee.objects.filter(session_id__in=[r["pk"] for r in rows]).values(
        "session_id", "user__first_name", "user__last_name"
    ):
        names.setdefault(row["session_id"], []).append(
            f"{row['user__first_name']} {row['user__last_name']}".strip()
        )
    labels = {
        **dict(Session.Format.choices),
        **dict(Session.Kind.choices),
        **dict(Session.Mode.choices),
    }
    return [
        {
            "pk": r["pk"],
            "starts_at": r["starts_at"],
            "minutes": int((r["ends_at"] - r["starts_at"]).total_seconds() // 60),
            "format": labels[r["format"]],
            "kind": labels[r["kind"]],
            "mode": labels[r["mode"]],
            "team": r["team__name"],
            "psychologist": f"{r['psychologist__first_name']} {r['psychologist__last_name']}",
            "supervisees": sorted(names.get(r["pk"], [])),
        }
        for r in rows
    ]


def decision_summaries_for_case(case: Case):
    """What the psychologist chose to put on the case (the session stays private)."""
    return (
        SessionCase.objects.filter(case=case)
        .exclude(decision_summary="")
        .select_related("session__psychologist")
        .order_by("-session__starts_at")
        .values(
            "decision_summary",
            "session__starts_at",
            "session__psychologist__first_name",
            "session__psychologist__last_name",
        )
    )


# --- Cadence and coverage --------------------------------------------------------------


@dataclass
class Cadence:
    user: User
    team_id: int
    interval: int
    last_session: dt.date | None
    declined_on: dt.date | None
    due_on: dt.date

    @property
    def overdue(self) -> bool:
        return self.due_on < timezone.localdate()

    @property
    def days(self) -> int:
        return (self.due_on - timezone.localdate()).days


def intervals(team_ids) -> dict[int, int]:
    return dict(
        SupervisionSettings.objects.filter(team_id__in=team_ids).values_list(
            "team_id", "interval_months"
        )
    )


def next_due(*, interval: int, last_session, declined_on, first_case) -> dt.date:
    """Supervision is due `interval` months after the last session, or after the last
    declined offer (it is voluntary), or after the practitioner's first open ECM case.
    `add_months` keeps month ends sensible (31 January + 1 month = 28/29 February)."""
    base = max(d for d in (last_session, declined_on, first_case) if d is not None)
    return add_months(base, interval)


def _practitioner_joined(team_ids):
    """`practitioners_with_cases` as one join of the people's cases, sessions and offers,
    aggregated after: for one person (`only`)."""
    return (
        User.objects.filter(
            open_case("managed_cases__"),
            managed_cases__team_id__in=team_ids,
            is_active=True,
        )
        .annotate(
            first_case=Min("managed_cases__opened_on"),
            last_session=Max("supervision_attendance__session__starts_at"),
            declined_on=Max(
                "supervision_offers__offered_on",
                filter=Q(supervision_offers__response=Offer.Response.DECLINED),
            ),
            home_team=Min("managed_cases__team_id"),
        )
        .distinct()
    )


def practitioners_with_cases(team_ids, *, only: User | None = None) -> list[User]:
    """Case managers holding open ECM cases in these teams, with what cadence needs
    (`first_case`, `home_team`, `last_session`, `declined_on`), by name. Two queries: the
    open cases grouped by case manager first, then those people with their latest session
    and declined offer, so that the cases are not multiplied by the sessions and offers
    in one join before it is aggregated. For one person (`only`), one query."""
    if only is not None:
        # One person: their own cases, sessions and offers multiply little. One query.
        return list(_practitioner_joined(team_ids).filter(pk=only.pk))
    cases = Case.objects.filter(open_case(), team_id__in=team_ids, case_manager__is_active=True)
    per_person = {
        row["case_manager"]: row
        for row in cases.order_by()
        .values("case_manager")
        .annotate(first_case=Min("opened_on"), home_team=Min("team_id"))
    }
    if not per_person:
        return []
    people = list(
        User.objects.filter(pk__in=per_person)
        .annotate(
            last_session=Max("supervision_attendance__session__starts_at"),
            declined_on=Max(
                "supervision_offers__offered_on",
                filter=Q(supervision_offers__response=Offer.Response.DECLINED),
            ),
        )
        .order_by("last_name", "first_name")
    )
    for user in people:
        user.first_case = per_person[user.pk]["first_case"]
        user.home_team = per_person[user.pk]["home_team"]
    return people


def cadence_for(team_ids, *, only: User | None = None) -> list[Cadence]:
    """Next due and overdue for every practitioner with ECM cases in these teams (or just
    `only`, two queries). Three queries (two when no one holds a case)."""
    per_team = intervals(team_ids)
    people = practitioners_with_cases(team_ids, only=only)
    rows = []
    for user in people:
        interval = per_team.get(user.home_team, DEFAULT_INTERVAL_MONTHS)
        last = timezone.localdate(user.last_session) if user.last_session else None
        rows.append(
            Cadence(
                user=user,
                team_id=user.home_team,
                interval=interval,
                last_session=last,
                declined_on=user.declined_on,
                due_on=next_due(
                    interval=interval,
                    last_session=last,
                    declined_on=user.declined_on,
                    first_case=user.first_case,
                ),
            )
        )
    return sorted(rows, key=lambda c: c.due_on)


def cadence_of(user: User) -> Cadence | None:
    """The user's own supervision rhythm, if they hold open ECM cases."""
    team_ids = access_for(user).supervisee_teams()
    rows = cadence_for(team_ids, only=user) if team_ids else []
    return rows[0] if rows else None


def coverage(team_ids, start: dt.date, end: dt.date) -> dict:
    """How many practitioners with ECM cases had supervision in the period. One query."""
    tz = timezone.get_current_timezone()
    lo = timezone.make_aware(dt.datetime.combine(start, dt.time.min), tz)
    hi = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min), tz)
    had = Supervisee.objects.filter(
        user=OuterRef("pk"), session__starts_at__gte=lo, session__starts_at__lt=hi
    )
    practitioners = User.objects.filter(
        pk__in=User.objects.filter(
            open_case("managed_cases__"), managed_cases__team_id__in=team_ids
        ).values("pk")
    ).annotate(had=Exists(had))
    result = practitioners.aggregate(total=Count("pk"), covered=Count("pk", filter=Q(had=True)))
    result["start"], result["end"] = start, end
    return result
