"""Supervision reminders: due and overdue, to the practitioner and the psychologists who
supervise their team. No content, of course."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ecm.models import Role, Team
from ecm.reminders import Due, Words, due_title, occurrence, rules_by_team
from ecm.selectors import members_by_team

from . import selectors


def supervision_due(today: dt.date):
    rules = rules_by_team()
    central = dict(Team.objects.filter(is_active=True).values_list("pk", "central_team_id"))
    psychologists = members_by_team({Role.PSYCHOLOGIST})
    for row in selectors.cadence_for(list(central)):
        r = rules.get(row.team_id, rules[None])
        if "supervision_due" in r.disabled_kinds:
            continue
        occ = occurrence(
            today, row.due_on, before=r.supervision_days_before, repeat=r.overdue_repeat_days
        )
        if occ is None:
            continue
        supervisors = psychologists.get(row.team_id, []) + psychologists.get(
            central.get(row.team_id), []
        )
        common = {
            "kind": "supervision_due",
            "object_type": "ecm.user",
            "object_id": row.user.pk,
            "occurrence": occ,
            "link": reverse("supervision:index"),
            "team_id": row.team_id,
        }
        yield Due(
            title=due_title(_("Your clinical supervision"), row.due_on, occ),
            users=(row.user.pk,),
            **common,
        )
        if supervisors:
            who = row.user.get_full_name() or row.user.username
            yield Due(
                title=due_title(
                    Words(_("Clinical supervision for %(who)s"), who=who), row.due_on, occ
                ),
                users=tuple(supervisors),
                **common,
            )
