"""The formulation app's models, defined with their part of the app (meeting, genogram,
timeline, trm, report) and gathered here: Django loads an app's models from this module, and
other apps import them from it (`from formulation.models import Meeting`)."""

from .genogram.models import FamilyMember, Partnership, Sex
from .meeting.models import (
    Agency,
    ChecklistTick,
    DevelopmentalMap,
    Invitation,
    Meeting,
    Professional,
    Recommendation,
    TRMPlacement,
)
from .report.models import (
    REQUIRED_SECTIONS,
    TEXT_SECTIONS,
    Circulation,
    Report,
    ReportComment,
    ReportRender,
    ReportSection,
    ReportVersion,
)
from .timeline.models import Category, Precision, SummaryItem, TimelineEvent
from .trm.models import TeamFormulationSettings, TRMFramework, TRMStage

__all__ = [
    "REQUIRED_SECTIONS",
    "TEXT_SECTIONS",
    "Agency",
    "Category",
    "ChecklistTick",
    "Circulation",
    "DevelopmentalMap",
    "FamilyMember",
    "Invitation",
    "Meeting",
    "Partnership",
    "Precision",
    "Professional",
    "Recommendation",
    "Report",
    "ReportComment",
    "ReportRender",
    "ReportSection",
    "ReportVersion",
    "Sex",
    "SummaryItem",
    "TRMFramework",
    "TRMPlacement",
    "TRMStage",
    "TeamFormulationSettings",
    "TimelineEvent",
]
