"""Celery finds an app's tasks in its `tasks` module; the formulation's live with their part
of the app (meeting, report) and are gathered here."""

from .meeting.tasks import requeue_pending_invitations, send_invitation
from .report.tasks import render_report_pdf, tidy_report_renders

__all__ = [
    "render_report_pdf",
    "requeue_pending_invitations",
    "send_invitation",
    "tidy_report_renders",
]
