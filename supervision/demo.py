"""Demo clinical supervision: sessions with case managers (one overdue), a decision summary
on a case, a declined offer, and a team that supervises monthly."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from ecm.models import Case

from . import services
from .models import Session, SupervisionSettings


def seed(ctx) -> None:
    if Session.objects.exists():
        return
    psychologist = ctx.users["psychologist"]
    riverside = ctx.teams.get("riverside-yot")
    if riverside is not None:
        SupervisionSettings.objects.get_or_create(team=riverside, defaults={"interval_months": 1})
    now = timezone.localtime().replace(minute=0, second=0, microsecond=0)
    cm = ctx.users["casemanager"]
    case = Case.objects.filter(case_manager=cm, status="active").order_by("pk").first()
    plan = [
        (cm, 40, "Approach to a child who shuts down when challenged.", True),
        (ctx.users.get("jdavies"), 75, "Reactions to a disclosure; self-care plan.", False),
    ]
    for person, days_ago, notes, with_case in plan:
        if person is None:
            continue
        starts = now - dt.timedelta(days=days_ago)
        session = services.session_save(
            actor=psychologist,
            data={
                "starts_at": starts,
                "ends_at": starts + dt.timedelta(minutes=60),
                "format": "individual",
                "kind": "scheduled",
                "mode": "in_person",
                "theme_approach": True,
                "theme_feelings": True,
                "theme_impact": not with_case,
                "notes": notes,
            },
            supervisees=[person],
            cases=[case] if with_case and case else [],
        )
        if with_case and case:
            services.decision_summary_save(
                actor=psychologist,
                session=session,
                case=case,
                text="Keep one consistent worker; no offence-focused work until the next review.",
            )
    other = ctx.users.get("riverside")
    if other is not None:
        services.offer_record(
            actor=psychologist,
            practitioner=other,
            offered_on=timezone.localdate() - dt.timedelta(days=10),
            response="declined",
        )
