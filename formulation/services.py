"""Old import path, kept only for the callers outside the app (tests/reviews) until they
import from the app's parts. Nothing in formulation uses this module."""

from .meeting.services import recommendation_add
from .timeline.services import timeline_event_save
from .trm.services import trm_placement_save

__all__ = ["recommendation_add", "timeline_event_save", "trm_placement_save"]
