"""Fixtures shared by the reviews tests."""

import datetime as dt

import pytest
from django.utils import timezone

from formulation.meeting import services as meeting_services
from formulation.models import Meeting, TRMFramework
from formulation.report import services as report_services
from tests.factories import held_meeting


@pytest.fixture
def formulated(world):
    """World's Alpha YOT case after a held formulation meeting 60 days ago: TRM stage 3
    and two recommendations."""
    case = world.case
    meeting = held_meeting(
        case=case,
        starts_at=timezone.now() - dt.timedelta(days=60),
        chair=world.senior,
        psychologist=world.psychologist,
        status=Meeting.Status.HELD,
        review_at=timezone.now() + dt.timedelta(days=5),
    )
    meeting_services.trm_placement_save(
        actor=world.psychologist,
        meeting=meeting,
        stage=TRMFramework.objects.get(code="practice-stages").stages.get(number=3),
        presentation="Talking about hard things.",
        underlying_need="Trusted adult.",
        intervention_recommendation="Keep going.",
    )
    for n in (1, 2):
        report_services.recommendation_add(
            actor=world.psychologist,
            meeting=meeting,
            data={"intervention": f"Recommendation {n}", "owner_agency": "yot", "sequence": n},
        )
    return case
