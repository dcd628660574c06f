"""Form helpers shared by the formulation forms."""

from __future__ import annotations

from ecm.forms import bootstrap


class BootstrapMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


# Old import path, kept for the callers in other apps (reviews) until they use the new name.
from .meeting.forms import team_people, team_people_with_role  # noqa: E402

__all__ = ["BootstrapMixin", "team_people", "team_people_with_role"]
