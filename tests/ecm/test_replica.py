"""The read replica (issue 22, ecm/db_router.py): with DATABASE_REPLICA_URL the monitoring pages
read their figures from a PostgreSQL streaming standby while every write (the drill-down's
audit row) goes to the primary; the page says how far behind the copy is; an unreachable
replica falls back to the primary (never a 500); without one everything reads the primary.

The standby is real: `pg_basebackup -R` of the suite's throwaway cluster, started on another
port from the same binaries (scripts/throwaway-postgres.sh exports ECM_TEST_PG_BIN), once for
this module. Replication needs committed data, so those tests are transactional."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ecm.audit import audit_chain_verify
from ecm.db_router import REPLICA
from ecm.models import AuditEvent
from referrals.models import Referral
from tests.ecm.replicas import (
    DASHBOARD,
    DRILL,
    add_replica,
    free_port,
    manager_and_referrals,
    referral,
    referred_card,
    remove_replica,
)

TIMEOUT = 30  # seconds, for every wait on the standby


def _as_server_user() -> list[str]:
    """As root, the throwaway cluster runs as the postgres user: so does its standby."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


@pytest.fixture(scope="module")
def standby(django_db_setup, django_db_blocker):
    """A hot standby of the test cluster, streaming from it: its port. Stopped and removed
    afterwards, whatever happened."""
    pg_bin = os.environ.get("ECM_TEST_PG_BIN")
    if not pg_bin:
        pytest.skip("needs the throwaway PostgreSQL of scripts/run-tests (ECM_TEST_PG_BIN)")
    primary = connections[DEFAULT_DB_ALIAS].settings_dict
    with django_db_blocker.unblock(), connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        # A standby refuses to start with fewer of these than its primary has.
        limits = {}
        for name in (
            "max_connections",
            "max_worker_processes",
            "max_wal_senders",
            "max_prepared_transactions",
            "max_locks_per_transaction",
        ):
            cursor.execute(f"SHOW {name}")
            limits[name] = cursor.fetchone()[0]
    folder = Path(tempfile.mkdtemp(prefix="ecm-standby."))
    folder.chmod(0o755)
    data, sock = folder / "data", folder / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        shutil.chown(sock, "postgres")
    env = {**os.environ, "PGPASSWORD": primary.get("PASSWORD") or ""}
    port = free_port()
    pg_ctl = [*_as_server_user(), f"{pg_bin}/pg_ctl", "-D", str(data)]
    started = False
    try:
        subprocess.run(
            [
                *_as_server_user(),
                f"{pg_bin}/pg_basebackup",
                *("-D", str(data), "-h", primary["HOST"] or "127.0.0.1"),
                *("-p", str(primary["PORT"]), "-U", primary["USER"]),
                *("-R", "--checkpoint=fast", "--wal-method=stream", "--no-sync"),
            ],
            check=True,
            capture_output=True,
            timeout=TIMEOUT * 2,
            env=env,
        )
        options = " ".join(
            [
                f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c hot_standby=on",
                "-c fsync=off -c max_standby_streaming_delay=5s",
                *(f"-c {k}={v}" for k, v in limits.items()),
            ]
        )
        started = True
        subprocess.run(
            [*pg_ctl, "-l", str(folder / "standby.log"), "-w", "-t", str(TIMEOUT)]
            + ["-o", options, "start"],
            check=True,
            capture_output=True,
            timeout=TIMEOUT + 10,
        )
        yield port
    except subprocess.CalledProcessError as exc:
        log = folder / "standby.log"
        pytest.fail(
            f"the standby did not start: {exc.stderr.decode(errors='replace')}"
            f"{log.read_text(errors='replace') if log.exists() else ''}"
        )
    finally:
        if started:
            subprocess.run(
                [*pg_ctl, "-m", "immediate", "-w", "-t", str(TIMEOUT), "stop"],
                capture_output=True,
                timeout=TIMEOUT + 10,
                check=False,
            )
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module", autouse=True)
def replica(standby):
    """The "replica" alias pointing at the standby, for this module's tests."""
    add_replica(standby)
    try:
        yield connections[REPLICA]
    finally:
        remove_replica()


@pytest.fixture(autouse=True)
def _replay_resumed(replica):
    """A test that pauses the standby's replay leaves it resumed."""
    yield
    _replica_sql("SELECT pg_wal_replay_resume()")
    connections[REPLICA].close()


def _replica_sql(sql: str, params=()):
    with connections[REPLICA].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def _primary_lsn() -> str:
    """Where the primary's WAL is flushed to, after everything committed so far. The suite's
    cluster commits asynchronously (synchronous_commit=off) and the standby is sent flushed
    WAL only: one synchronous commit that writes WAL (a temporary table's catalog rows)
    flushes every earlier commit."""
    with transaction.atomic(using=DEFAULT_DB_ALIAS), connections[DEFAULT_DB_ALIAS].cursor() as c:
        c.execute("SET LOCAL synchronous_commit = on")
        c.execute("CREATE TEMPORARY TABLE ecm_test_flush (x int) ON COMMIT DROP")
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_flush_lsn()::text")
        return cursor.fetchone()[0]


def _wait_for(what: str, sql: str) -> None:
    """Wait until the standby has `what` (received or replayed) everything the primary wrote."""
    lsn = _primary_lsn()
    deadline = time.monotonic() + TIMEOUT
    while not _replica_sql(sql, [lsn]):
        if time.monotonic() > deadline:
            pytest.fail(f"the standby has not {what} the primary's WAL up to {lsn}")
        time.sleep(0.05)


def caught_up() -> None:
    _wait_for("replayed", "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn")


def received() -> None:
    _wait_for("received", "SELECT pg_last_wal_receive_lsn() >= %s::pg_lsn")


pytestmark = pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA])


def _compute_figures(team) -> None:
    """What the worker does (on the primary): the dashboard's stored figures, computed now."""
    from monitoring import readmodel

    readmodel.compute_now("dashboard", [team.pk])


def test_the_figures_come_from_the_replica_and_the_page_says_how_far_behind(client):
    team, manager = manager_and_referrals(2)
    client.force_login(manager)
    _compute_figures(team)
    caught_up()

    page = client.get(DASHBOARD)
    assert page.status_code == 200
    assert referred_card(page) == "2"
    assert page.context["replica_reads"].on_replica
    assert "Figures read from a copy of the database, up to date." in page.content.decode()

    # Replay paused: a referral committed on the primary is not on the copy yet.
    _replica_sql("SELECT pg_wal_replay_pause()")
    time.sleep(1.1)  # so the copy is at least a second behind its last replayed commit
    referral(team)
    _compute_figures(team)  # the primary's stored figures now count 3
    received()
    assert Referral.objects.using(DEFAULT_DB_ALIAS).count() == 3
    page = client.get(DASHBOARD)
    assert page.status_code == 200
    assert referred_card(page) == "2"  # the copy's stored figures
    status = page.context["replica_reads"]
    assert status.on_replica and status.lag >= 1
    body = page.content.decode()
    assert "Figures read from a copy of the database about" in body
    assert "seconds behind" in body or "second behind" in body
    drill = client.get(DRILL)
    assert drill.context["page"].paginator.count == 2
    assert "Figures read from a copy of the database about" in drill.content.decode()

    # Resumed and caught up: the new figure.
    _replica_sql("SELECT pg_wal_replay_resume()")
    caught_up()
    page = client.get(DASHBOARD)
    assert referred_card(page) == "3"
    assert "Figures read from a copy of the database, up to date." in page.content.decode()


def test_the_drill_downs_audit_row_is_written_to_the_primary(client):
    team, manager = manager_and_referrals(1)
    client.force_login(manager)
    caught_up()
    _replica_sql("SELECT pg_wal_replay_pause()")
    before = AuditEvent.objects.using(DEFAULT_DB_ALIAS).count()

    with (
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_primary,
        CaptureQueriesContext(connections[REPLICA]) as on_replica,
    ):
        drill = client.get(DRILL)
        export = client.get(reverse("monitoring:export", args=["cohort"]))
    assert drill.status_code == 200 and drill.context["replica_reads"].on_replica
    assert drill.context["page"].paginator.count == 1
    assert export.status_code == 200

    # Both audit rows are on the primary (chained onto its head), none on the paused copy.
    rows = AuditEvent.objects.using(DEFAULT_DB_ALIAS).order_by("pk")
    assert rows.count() == before + 2
    assert [r.action for r in rows[before:]] == [AuditEvent.Action.SEARCH, AuditEvent.Action.EXPORT]
    assert audit_chain_verify().ok
    assert AuditEvent.objects.using(REPLICA).count() == before
    primary_sql = " ".join(q["sql"] for q in on_primary.captured_queries)
    replica_sql = " ".join(q["sql"] for q in on_replica.captured_queries)
    assert 'INSERT INTO "ecm_auditevent"' in primary_sql
    assert "ecm_audit_chain_head" in primary_sql
    assert "INSERT" not in replica_sql and "ecm_audit_chain_head" not in replica_sql
    # The cases behind the figure were read from the copy; who may see them from the primary.
    assert '"ecm_case"' in replica_sql
    assert 'FROM "ecm_membership"' in primary_sql
    assert 'FROM "ecm_membership"' not in replica_sql
    assert 'FROM "django_session"' in primary_sql
    assert 'FROM "django_session"' not in replica_sql
    # One query measures the copy, per page.
    assert replica_sql.count("pg_last_wal_replay_lsn") == 2


def test_reads_outside_the_monitoring_pages_go_to_the_primary(client):
    team, manager = manager_and_referrals(1)
    client.force_login(manager)
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        assert client.get(reverse("home")).status_code == 200
        assert client.get(reverse("monitoring:caseload")).status_code == 200
    assert on_replica.captured_queries == []


def test_a_replica_further_behind_than_the_limit_is_not_read(client, settings):
    team, manager = manager_and_referrals(1)
    client.force_login(manager)
    _compute_figures(team)
    caught_up()
    _replica_sql("SELECT pg_wal_replay_pause()")
    time.sleep(1.1)
    referral(team)
    _compute_figures(team)
    received()
    settings.DATABASE_REPLICA_MAX_LAG = 0.5
    page = client.get(DASHBOARD)
    assert page.status_code == 200
    status = page.context["replica_reads"]
    assert status.too_far_behind and not status.on_replica
    assert referred_card(page) == "2"  # the primary's figure, not the copy's 1
    assert "so they were read from the main database" in page.content.decode()
    settings.DATABASE_REPLICA_MAX_LAG = 0
    assert referred_card(client.get(DASHBOARD)) == "1"
