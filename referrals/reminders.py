"""Referral reminders: a referral waiting for an eligibility decision too long."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ecm.models import Role, case_reference
from ecm.reminders import Due, Words, rules_by_team
from ecm.selectors import members_by_team
from ecm.workdays import add_working_days

from .models import Referral, ReferralStatus


def referral_waiting(today: dt.date):
    """After 10 working days without a decision: to the deciding team's senior
    practitioners."""
    rules = rules_by_team()
    rows = list(
        Referral.objects.filter(status=ReferralStatus.SUBMITTED, submitted_at__isnull=False).values(
            "pk", "case_id", "case__team_id", "case__referred_to_id", "submitted_at"
        )
    )
    deciding = {r["case__referred_to_id"] or r["case__team_id"] for r in rows}
    seniors = members_by_team({Role.SENIOR_PRACTITIONER}, deciding)
    for row in rows:
        r = rules.get(row["case__team_id"], rules[None])
        if "referral_waiting" in r.disabled_kinds:
            continue
        threshold = add_working_days(
            timezone.localdate(row["submitted_at"]), r.referral_working_days
        )
        if today < threshold:
            continue
        team = row["case__referred_to_id"] or row["case__team_id"]
        yield Due(
            kind="referral_waiting",
            object_type="referrals.referral",
            object_id=row["pk"],
            occurrence=threshold,
            title=Words(
                _("A referral has waited more than %(n)s working days for a decision"),
                n=r.referral_working_days,
            ),
            link=reverse("referrals:queue"),
            case_reference=case_reference(row["case_id"]),
            team_id=row["case__team_id"],
            users=tuple(seniors.get(team, ())),
        )
