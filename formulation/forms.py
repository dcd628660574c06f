"""Form helpers shared by the formulation forms."""

from __future__ import annotations

from ecm.forms import bootstrap

from .meeting.selectors import case_staff


class BootstrapMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


# Old names, kept for the callers in other apps (reviews) until they use
# formulation.meeting.selectors.case_staff (or ecm.selectors.team_members) instead.
def team_people(case):
    return case_staff(case)


def team_people_with_role(case, role: str):
    return case_staff(case, [role])


__all__ = ["BootstrapMixin", "team_people", "team_people_with_role"]
