"""Reads of the TRM frameworks: which one a case uses, and its stages."""

from __future__ import annotations

from ecm.models import Case

from .models import TeamFormulationSettings, TRMFramework, TRMStage


def active_framework(case: Case) -> TRMFramework | None:
    for team_id in (case.referred_to_id, case.team_id):
        if team_id:
            row = (
                TeamFormulationSettings.objects.filter(team_id=team_id)
                .select_related("framework")
                .first()
            )
            if row:
                return row.framework
    return TRMFramework.objects.filter(is_active=True).order_by("code").first()


def stages_for(case: Case):
    framework = active_framework(case)
    if framework is None:
        return TRMStage.objects.none()
    return framework.stages.select_related("framework").order_by("number")
