"""A stand-in for the worker in page tests: a monitoring page asks for its figures
(`readmodel.snapshot_for` queues their computation) and the worker computes them before the
page looks. Tests of the waiting page itself do without it (`no_figures_worker`)."""

import pytest

from monitoring import readmodel


def install(monkeypatch):
    asked = readmodel.snapshot_for

    def snapshot_for(section, team_ids, period):
        snapshot = asked(section, team_ids, period)
        if snapshot.computed_at is None:
            readmodel.refresh(snapshot.pk)
            snapshot.refresh_from_db()
        return snapshot

    monkeypatch.setattr(readmodel, "snapshot_for", snapshot_for)


@pytest.fixture
def figures_worker(monkeypatch):
    install(monkeypatch)


def recompute() -> None:
    """The worker's refresh of every stored snapshot, as beat's sweep would ask for it."""
    from django.utils import timezone

    from monitoring.models import FigureSnapshot

    FigureSnapshot.objects.update(requested_at=timezone.now())
    for pk in FigureSnapshot.objects.values_list("pk", flat=True):
        readmodel.refresh(pk)
