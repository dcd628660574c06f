"""A read replica that cannot be reached, or fails during a page: the monitoring pages read from
the primary and say so, never a 500 (ecm/db_router.py)."""

import pytest
from django.db import DEFAULT_DB_ALIAS
from django.urls import reverse

from ecm import db_router
from ecm.db_router import REPLICA, ReplicaStatus
from tests.ecm.replicas import (
    DASHBOARD,
    DRILL,
    add_replica,
    free_port,
    manager_and_referrals,
    referred_card,
    remove_replica,
)
from tests.monitoring import figures_worker

# Transactional: a TestCase would open a transaction on every alias, the dead one too.
pytestmark = pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA])


@pytest.fixture(scope="module", autouse=True)
def dead_replica(django_db_setup):
    """The "replica" alias pointing at a port where nothing listens."""
    add_replica(free_port())
    try:
        yield
    finally:
        remove_replica()


@pytest.fixture(autouse=True)
def _figures_worker(monkeypatch):
    """The pages' stored figures are computed when first asked for, as the worker would."""
    figures_worker.install(monkeypatch)


@pytest.fixture
def manager():
    _team, manager = manager_and_referrals(2)
    return manager


def test_an_unreachable_replica_falls_back_to_the_primary_and_says_so(client, manager):
    client.force_login(manager)
    for url in (DASHBOARD, DRILL, reverse("monitoring:trends"), reverse("monitoring:profile")):
        page = client.get(url)
        assert page.status_code == 200, url
        status = page.context["replica_reads"]
        assert status.unavailable and not status.on_replica
        assert "could not be reached, so they were read from the main database" in (
            page.content.decode()
        )
    assert referred_card(client.get(DASHBOARD)) == "2"
    assert client.get(reverse("monitoring:export", args=["cohort"])).status_code == 200


def test_a_replica_that_fails_during_the_page_falls_back_to_the_primary(
    client, manager, monkeypatch
):
    # It answered the lag query, then went away before the figures were read.
    monkeypatch.setattr(db_router, "replica_status", lambda: ReplicaStatus(alias=REPLICA, lag=0))
    client.force_login(manager)
    page = client.get(DASHBOARD)
    assert page.status_code == 200
    assert page.context["replica_reads"].unavailable
    assert referred_card(page) == "2"
    assert "could not be reached" in page.content.decode()
