"""The Celery app. Broker from settings (Redis, or kombu's filesystem transport for the demo).

The beat schedule is defined here in code, so every deployment runs the same schedule.
"""

import os

from celery import Celery
from celery.schedules import crontab

from .health import HEARTBEAT_TASK

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ecm.settings.development")

app = Celery("ecm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "heartbeat": {"task": HEARTBEAT_TASK, "schedule": 60.0},
    "requeue-pending-invitations": {
        "task": "formulation.requeue_pending_invitations",
        "schedule": 600.0,
    },
    "tidy-report-renders": {"task": "formulation.tidy_report_renders", "schedule": 600.0},
    # Reminders: the sweep is idempotent and catches up, so running it often is harmless.
    "sweep-reminders": {"task": "ecm.sweep_reminders", "schedule": crontab(minute="*/30")},
    "deliver-reminders": {"task": "ecm.deliver_reminders", "schedule": 60.0},
    "send-digests": {"task": "ecm.send_digests", "schedule": crontab(hour=7, minute=0)},
    # Hourly, so a case closes on the day its voluntary period ends whenever beat was up.
    "end-voluntary-periods": {
        "task": "reviews.end_voluntary_periods",
        "schedule": crontab(minute=5),
    },
    # The audit log's own retention (AUDIT_RETENTION_YEARS): also a signed checkpoint daily.
    "audit-retention": {"task": "ecm.audit_retention", "schedule": crontab(hour=3, minute=45)},
    # Retention (issue 20): daily; idempotent, and its reminders catch up like the others.
    "find-retention-due": {
        "task": "ecm.find_retention_due",
        "schedule": crontab(hour=6, minute=30),
    },
    "requeue-erasures": {"task": "ecm.requeue_erasures", "schedule": 600.0},
    # Bulk import (issue 21): previews nobody confirmed are abandoned and their files deleted.
    "tidy-child-imports": {"task": "referrals.tidy_child_imports", "schedule": 3600.0},
    # The monitoring pages' figures: each refreshed once FIGURES_REFRESH_MINUTES old (the
    # sweep decides, so the setting needs no change here); idempotent, claimed per snapshot.
    "refresh-figures": {"task": "monitoring.refresh_figures", "schedule": 60.0},
    "clear-expired-sessions": {
        "task": "ecm.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=15),
    },
}
