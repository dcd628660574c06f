"""Review and action reminders. Titles name no child."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ecm.models import ON_ECM_STATUSES, Case, case_reference, open_case
from ecm.reminders import Due, Words, due_title, link, occurrence, rules_by_team
from formulation.models import Agency, Meeting
from referrals.models import Consent

from .models import Action, Review


def review_due(today: dt.date):
    """7 days before, on the day and while overdue: to the chair and the case manager. The
    due date is the next review agreed at the last review, or at the formulation meeting (or
    for a re-opened episode that carried its formulation forward, set by that decision)."""
    rules = rules_by_team()
    latest = Review.objects.filter(case=OuterRef("pk"), next_review_on__isnull=False).order_by(
        "-held_on", "-pk"
    )
    first = Meeting.objects.formulation_meetings().filter(case=OuterRef("pk"))
    rows = (
        Case.objects.filter(status__in=ON_ECM_STATUSES)
        .annotate(
            next_on=Subquery(latest.values("next_review_on")[:1]),
            next_chair=Subquery(latest.values("chair_id")[:1]),
            first_at=Subquery(first.values("review_at")[:1]),
            first_chair=Subquery(first.values("chair_id")[:1]),
        )
        .values(
            "pk",
            "team_id",
            "case_manager_id",
            "next_on",
            "next_chair",
            "first_at",
            "first_chair",
            "first_review_on",
        )
    )
    for row in rows:
        if row["next_on"]:
            due, chair = row["next_on"], row["next_chair"]
        elif row["first_at"]:
            due, chair = timezone.localdate(row["first_at"]), row["first_chair"]
        elif row["first_review_on"]:  # a re-opened episode that carried its formulation
            due, chair = row["first_review_on"], None
        else:
            continue
        r = rules.get(row["team_id"], rules[None])
        if "review_due" in r.disabled_kinds:
            continue
        occ = occurrence(today, due, before=r.review_days_before, repeat=r.overdue_repeat_days)
        if occ is None:
            continue
        yield Due(
            kind="review_due",
            object_type="ecm.case",
            object_id=row["pk"],
            occurrence=occ,
            title=due_title(_("Review"), due, occ),
            link=link("reviews:overview", row["pk"]),
            case_reference=case_reference(row["pk"]),
            team_id=row["team_id"],
            users=tuple(u for u in (chair, row["case_manager_id"]) if u),
        )


def action_overdue(today: dt.date):
    rules = rules_by_team()
    rows = Action.objects.filter(
        open_case("case__"),
        status=Action.Status.OPEN,
        due_on__lt=today,
        owner_user__isnull=False,
    ).values("pk", "case_id", "case__team_id", "owner_user_id", "due_on")
    for row in rows:
        r = rules.get(row["case__team_id"], rules[None])
        if "action_overdue" in r.disabled_kinds:
            continue
        overdue_from = row["due_on"] + dt.timedelta(days=1)
        occ = occurrence(today, overdue_from, before=0, repeat=r.overdue_repeat_days)
        yield Due(
            kind="action_overdue",
            object_type="reviews.action",
            object_id=row["pk"],
            occurrence=occ,
            title=Words(_("An action you own is overdue (was due %(d)s)"), d=row["due_on"]),
            link=link("reviews:overview", row["case_id"]) + "#actions",
            case_reference=case_reference(row["case_id"]),
            team_id=row["case__team_id"],
            users=(row["owner_user_id"],),
        )


#: Days before its due date that the case manager hears of a partner's action.
PARTNER_ACTION_DAYS_BEFORE = 7


def partner_action(today: dt.date):
    """An open action owned outside the team's accounts (a partner agency or a named person
    without one): nobody in the product owns it, so the case's case manager, who follows
    it up, is reminded 7 days before, on the day and while it is overdue (repeating as the
    team's overdue reminders do). Idempotent through the reminder's unique row."""
    rules = rules_by_team()
    rows = (
        Action.objects.filter(
            open_case("case__"),
            status=Action.Status.OPEN,
            owner_user__isnull=True,
            case__case_manager__isnull=False,
            due_on__lte=today + dt.timedelta(days=PARTNER_ACTION_DAYS_BEFORE),
        )
        .values("pk", "case_id", "case__team_id", "case__case_manager_id", "due_on", "owner_agency")
        .order_by("pk")
    )
    agencies = dict(Agency.choices)
    for row in rows:
        r = rules.get(row["case__team_id"], rules[None])
        if "partner_action" in r.disabled_kinds:
            continue
        occ = occurrence(
            today, row["due_on"], before=PARTNER_ACTION_DAYS_BEFORE, repeat=r.overdue_repeat_days
        )
        if occ is None:
            continue
        agency = agencies.get(row["owner_agency"])
        thing = (
            Words(_("A partner's action to follow up (%(agency)s)"), agency=agency)
            if agency
            else _("A partner's action to follow up")
        )
        yield Due(
            kind="partner_action",
            object_type="reviews.action",
            object_id=row["pk"],
            occurrence=occ,
            title=due_title(thing, row["due_on"], occ),
            link=link("reviews:overview", row["case_id"]) + "#actions",
            case_reference=case_reference(row["case_id"]),
            team_id=row["case__team_id"],
            users=(row["case__case_manager_id"],),
        )


def closure_after_withdrawal(today: dt.date):
    """A case on ECM whose child withdrew their ECM consent (and has given none since) waits
    for its closure record: its case manager is reminded on the day of the withdrawal, then
    as overdue reminders repeat, until the closure is recorded (or consent is given again).
    Idempotent through the reminder's unique row."""
    rules = rules_by_team()
    withdrawn = Consent.objects.filter(
        case=OuterRef("pk"), kind=Consent.Kind.ECM_CHILD, withdrawn_on__isnull=False
    ).order_by("-withdrawn_on")
    current = Consent.objects.filter(
        case=OuterRef("pk"), kind=Consent.Kind.ECM_CHILD, given=True, withdrawn_on__isnull=True
    )
    rows = (
        Case.objects.filter(status__in=ON_ECM_STATUSES, case_manager__isnull=False)
        .annotate(withdrawn_on=Subquery(withdrawn.values("withdrawn_on")[:1]))
        .filter(withdrawn_on__isnull=False)
        .exclude(Exists(current))
        .values("pk", "team_id", "case_manager_id", "withdrawn_on")
        .order_by("pk")
    )
    for row in rows:
        r = rules.get(row["team_id"], rules[None])
        if "closure_after_withdrawal" in r.disabled_kinds:
            continue
        occ = occurrence(today, row["withdrawn_on"], before=0, repeat=r.overdue_repeat_days)
        if occ is None:
            continue
        yield Due(
            kind="closure_after_withdrawal",
            object_type="ecm.case",
            object_id=row["pk"],
            occurrence=occ,
            title=Words(
                _("Consent withdrawn: record the closure of %(ref)s"), ref=case_reference(row["pk"])
            ),
            link=link("reviews:close", row["pk"]) + "?reason=consent_withdrawn",
            case_reference=case_reference(row["pk"]),
            team_id=row["team_id"],
            users=(row["case_manager_id"],),
        )
