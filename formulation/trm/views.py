"""The TRM placement, posted from the meeting page."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ecm.access import access_for

from ..meeting import selectors as meeting_selectors
from ..meeting.views import _meeting_post
from . import services
from .forms import TRMPlacementForm
from .selectors import stages_for


@require_POST
def trm_placement(request, pk: int):
    def build(meeting):
        return TRMPlacementForm(request.POST, stages=stages_for(meeting.case))

    def act(meeting, form):
        services.trm_placement_save(actor=request.user, meeting=meeting, **form.cleaned_data)

    meeting = meeting_selectors.meeting_get_for(request.user, pk)
    if not access_for(request.user).can_place_on_trm(meeting.case):
        raise PermissionDenied
    return _meeting_post(request, pk, "trm_form", build, act, _("TRM placement saved."))
