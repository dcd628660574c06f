"""The Celery app with a fast schedule of one probe entry, for tests/ecm/test_beat.py: each run
of the probe is one message in the queue BEAT_TEST_QUEUE (no worker consumes it), so the test
counts the runs every beat process sent."""

import os

from ecm.celery import app

app.conf.beat_schedule = {
    "beat-probe": {
        "task": "tests.beat_probe",
        "schedule": float(os.environ.get("BEAT_TEST_INTERVAL", "1")),
        "options": {"queue": os.environ["BEAT_TEST_QUEUE"]},
    }
}
