"""The read replica's router, settings and note (ecm/db_router.py), and the suite without a
replica: everything reads from the primary."""

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import DEFAULT_DB_ALIAS

from ecm import db_router
from ecm.db_router import REPLICA, ReplicaRouter, ReplicaStatus
from ecm.models import AuditEvent, Case, Membership, Notification, Team
from ecm.settings.base import database_replica_from_env
from referrals.models import Referral
from tests.ecm.replicas import DASHBOARD, DRILL, manager_and_referrals, referred_card
from tests.monitoring import figures_worker


@pytest.fixture(autouse=True)
def _figures_worker(monkeypatch):
    """The pages' stored figures are computed when first asked for, as the worker would."""
    figures_worker.install(monkeypatch)


def test_without_a_replica_everything_reads_from_the_primary(client, db):
    assert REPLICA not in settings.DATABASES
    _team, manager = manager_and_referrals(2)
    client.force_login(manager)
    page = client.get(DASHBOARD)
    assert page.status_code == 200
    assert referred_card(page) == "2"
    assert page.context["replica_reads"] is None
    assert 'id="replica-note"' not in page.content.decode()
    assert client.get(DRILL).context["page"].paginator.count == 2
    with db_router.replica_reads() as status:
        assert status is None
        assert ReplicaRouter().db_for_read(Case) == DEFAULT_DB_ALIAS


def test_the_router_sends_only_the_figures_reads_in_a_scope_to_the_replica():
    router = ReplicaRouter()
    assert router.db_for_read(Case) == DEFAULT_DB_ALIAS  # no scope
    with db_router.replica_reads(ReplicaStatus(alias=REPLICA, lag=0)):
        assert router.db_for_read(Case) == REPLICA
        assert router.db_for_read(Referral) == REPLICA
        user = apps.get_model(settings.AUTH_USER_MODEL)
        for model in (Membership, Team, AuditEvent, Notification, user, Session):
            assert router.db_for_read(model) == DEFAULT_DB_ALIAS, model
        assert router.db_for_write(Case) == DEFAULT_DB_ALIAS
        assert router.allow_relation(Case(), Team()) is True
    with db_router.replica_reads(ReplicaStatus(alias=DEFAULT_DB_ALIAS, unavailable=True)):
        assert router.db_for_read(Case) == DEFAULT_DB_ALIAS
    assert db_router.current() is None  # nothing kept after the scope
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "ecm") is True
    assert router.allow_migrate(REPLICA, "ecm") is False


def test_the_replica_has_the_primarys_options_and_its_own_address(monkeypatch):
    default = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "ecm",
        "HOST": "db",
        "PORT": 5432,
        "USER": "ecm",
        "PASSWORD": "x",
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {"options": "-c jit=off"},
    }
    monkeypatch.delenv("DATABASE_REPLICA_URL", raising=False)
    assert database_replica_from_env(default) is None
    monkeypatch.setenv("DATABASE_REPLICA_URL", "postgres://reader:y@db-replica:5433/ecm")
    db = database_replica_from_env(default)
    assert (db["HOST"], db["PORT"], db["USER"], db["PASSWORD"]) == (
        "db-replica",
        5433,
        "reader",
        "y",
    )
    assert db["CONN_MAX_AGE"] == 60 and db["CONN_HEALTH_CHECKS"] is True
    assert db["OPTIONS"]["options"] == "-c jit=off" and db["OPTIONS"]["connect_timeout"] == 3
    assert db["TEST"] == {"MIRROR": "default"}
    assert default["HOST"] == "db" and "connect_timeout" not in default["OPTIONS"]


@pytest.mark.parametrize(
    ("status", "text"),
    [
        (ReplicaStatus(alias=REPLICA, lag=0), "up to date"),
        (ReplicaStatus(alias=REPLICA, lag=0.6), "up to date"),
        (ReplicaStatus(alias=REPLICA, lag=1.4), "about 1 second behind"),
        (ReplicaStatus(alias=REPLICA, lag=42.4), "about 42 seconds behind"),
        (ReplicaStatus(alias=REPLICA, lag=None), "how far behind it is is not known"),
        (ReplicaStatus(alias=DEFAULT_DB_ALIAS, unavailable=True), "could not be reached"),
        (
            ReplicaStatus(alias=DEFAULT_DB_ALIAS, lag=90, too_far_behind=True),
            "was about 90 seconds behind, so they were read from the main database",
        ),
    ],
)
def test_the_note_says_where_the_figures_come_from(status, text):
    assert text in status.note
