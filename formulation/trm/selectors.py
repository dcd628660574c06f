"""Reads of the TRM frameworks: which one a case uses, its stages, whether it is in use."""

from __future__ import annotations

from django.utils.translation import gettext as _

from ecm.models import Case

from .models import TeamFormulationSettings, TRMFramework, TRMStage


def active_framework(case: Case) -> TRMFramework | None:
    """The framework the case's team (the central team it is referred to first) places
    children on. A team still set to a retired version gets that framework's newest
    available version; with none, the retired one (which takes no new placements)."""
    for team_id in (case.referred_to_id, case.team_id):
        if team_id:
            row = (
                TeamFormulationSettings.objects.filter(team_id=team_id)
                .select_related("framework")
                .first()
            )
            if row:
                return _available_version(row.framework)
    return TRMFramework.objects.filter(is_active=True).order_by("code").first()


def _available_version(framework: TRMFramework) -> TRMFramework:
    if framework.is_active:
        return framework
    newer = (
        TRMFramework.objects.filter(code=framework.code, is_active=True)
        .order_by("-version")
        .first()
    )
    return newer or framework


def stages_for(case: Case):
    """The stages a new placement (a TRM placement, a stage record, a recommendation's or a
    contact's stage) can choose: none when the case's framework is retired."""
    return stages_of(active_framework(case))


def stages_of(framework: TRMFramework | None):
    """`stages_for` a case whose framework (`active_framework`) is known already."""
    if framework is None or not framework.is_active:
        return TRMStage.objects.none()
    return framework.stages.select_related("framework").order_by("number")


def placement_refusal(case: Case) -> str | None:
    """Why no new placement can be made on the case's framework, in words (None if it can)."""
    framework = active_framework(case)
    if framework is None:
        return _("No TRM framework is available: an administrator sets one for the team.")
    if not framework.is_active:
        return framework_retired_message(framework)
    return None


def framework_retired_message(framework: TRMFramework) -> str:
    return _(
        "The TRM framework %(name)s version %(v)s is retired: it takes no new placements. "
        "An administrator sets the team's framework to an available version."
    ) % {"name": framework.name, "v": framework.version}


def framework_uses(framework: TRMFramework) -> int:
    """How many records point to the framework's stages (placements at meetings, stage
    records at reviews, recommendations, contacts...): a framework in use keeps its meaning,
    so it is not changed in place. Found from the relations to TRMStage, so an app that
    records stages (reviews) is counted without this app importing it."""
    stages = TRMStage.objects.filter(framework=framework).values("pk")
    total = 0
    for relation in TRMStage._meta.related_objects:
        if relation.one_to_many or relation.one_to_one:
            model = relation.related_model
            total += model._default_manager.filter(**{f"{relation.field.name}__in": stages}).count()
    return total
