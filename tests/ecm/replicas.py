"""Helpers of the read replica's tests (tests/ecm/test_replica*.py): the "replica" alias as
DATABASE_REPLICA_URL configures it, and a manager with referrals to count.

pytest-django checks a test's `databases` when the test starts, so the alias is added by a
module-scoped fixture (before any test's database fixture) and removed after the module."""

from __future__ import annotations

import copy
import datetime as dt
import socket

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.urls import reverse
from django.utils import timezone

from ecm.db_router import REPLICA
from ecm.models import Case, Role, Team
from referrals.models import Referral
from tests.factories import CaseFactory, TeamFactory, member

DASHBOARD = reverse("monitoring:dashboard")
DRILL = reverse("monitoring:drill", args=["referred"])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def add_replica(port: int) -> None:
    """Configure the "replica" alias: the primary's settings on 127.0.0.1:port."""
    db = copy.deepcopy(connections[DEFAULT_DB_ALIAS].settings_dict)
    db.update(HOST="127.0.0.1", PORT=str(port))
    db["OPTIONS"] = {**db.get("OPTIONS", {}), "connect_timeout": 3}
    db["TEST"] = {**db.get("TEST", {}), "MIRROR": DEFAULT_DB_ALIAS}
    connections.settings[REPLICA] = db
    settings.DATABASES[REPLICA] = db


def remove_replica() -> None:
    if REPLICA in connections.settings:
        connections[REPLICA].close()
        del connections[REPLICA]
        del connections.settings[REPLICA]
    settings.DATABASES.pop(REPLICA, None)


def referral(team: Team) -> Case:
    """A referral submitted today (the dashboard's "referred" figure counts it)."""
    case = CaseFactory(
        team=team, status="referred", opened_on=timezone.localdate() - dt.timedelta(days=1)
    )
    Referral.objects.create(case=case, status="submitted", submitted_at=timezone.now())
    return case


def manager_and_referrals(n: int):
    """A team with n referrals and its manager (who sees exact counts)."""
    team = TeamFactory(name="Alpha YOT", code="alpha")
    manager = member(team, Role.MANAGER, username="mgr_a")
    member(team, Role.CASE_MANAGER, username="cm_a")
    for _ in range(n):
        referral(team)
    return team, manager


def referred_card(page) -> str:
    return {card.row.key: card for card in page.context["cards"]}["referred"].shown
