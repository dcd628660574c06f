"""Backups that restore (issue 22): scripts/backup writes one dated archive of the database
(pg_dump, custom format) and the private media folder, optionally encrypted; scripts/restore
puts it into a new database and folder. Real PostgreSQL client binaries against the suite's
server: the restored copy has every table's rows, the audit log (append-only, with triggers)
still verifies, and a media file comes back byte for byte."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from ecm.audit import audit_record
from ecm.models import AuditEvent
from tests.conftest import build_world

ROOT = Path(__file__).resolve().parents[2]


def _url(dbname: str) -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{dbname}"


def _run(script: str, *args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DATABASE_URL": _url(connection.settings_dict["NAME"]),
        **(env_extra or {}),
    }
    return subprocess.run(  # noqa: S603 (our own scripts)
        [str(ROOT / "scripts" / script), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _row_counts(dbname: str) -> dict[str, int]:
    with psycopg.connect(_url(dbname), autocommit=True) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}  # noqa: S608


def _database_exists(name: str) -> bool:
    with psycopg.connect(_url(connection.settings_dict["NAME"]), autocommit=True) as conn:
        return bool(conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone())


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def restored_names():
    """New database names for the test, dropped afterwards."""
    names: list[str] = []

    def new() -> str:
        names.append(f"ecm_restore_{uuid.uuid4().hex[:10]}")
        return names[-1]

    yield new
    with psycopg.connect(_url(connection.settings_dict["NAME"]), autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def committed_data(transactional_db):
    world = build_world()
    for _ in range(3):
        audit_record(actor=world.senior, action=AuditEvent.Action.VIEW, obj=world.case)
    media = Path(settings.PRIVATE_MEDIA_ROOT) / "backup-test" / f"{uuid.uuid4().hex}.bin"
    media.parent.mkdir(parents=True, exist_ok=True)
    media.write_bytes(os.urandom(200_000))
    yield world, media
    media.unlink(missing_ok=True)


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
def test_backup_restores_into_a_new_database_and_folder(
    committed_data, restored_names, tmp_path, encrypted
):
    _world, media = committed_data
    env = {"PRIVATE_MEDIA_ROOT": str(settings.PRIVATE_MEDIA_ROOT)}
    if encrypted:
        passphrase = tmp_path / "passphrase"
        passphrase.write_text("correct horse battery staple\n")
        env["BACKUP_PASSPHRASE_FILE"] = str(passphrase)
    before = _row_counts(connection.settings_dict["NAME"])
    assert before["ecm_auditevent"] >= 3 and before["ecm_case"] >= 3

    backup = _run("backup", str(tmp_path / "backups"), env_extra=env)
    assert backup.returncode == 0, backup.stderr
    archive = Path(backup.stdout.strip().splitlines()[-1])
    assert archive.parent == tmp_path / "backups"
    assert archive.name.startswith("ecm-backup-")
    assert archive.name.endswith(".tar.gpg" if encrypted else ".tar")
    if encrypted:  # nothing readable in it: not the dump's header, not the file's bytes
        raw = archive.read_bytes()
        assert b"PGDMP" not in raw and media.read_bytes()[:64] not in raw
        assert str(passphrase) not in backup.stdout + backup.stderr

    target, folder = restored_names(), tmp_path / "restored-media"
    restore = _run("restore", str(archive), target, str(folder), env_extra=env)
    assert restore.returncode == 0, restore.stderr

    assert _row_counts(target) == before
    copy = folder / media.relative_to(settings.PRIVATE_MEDIA_ROOT)
    assert _sha256(copy) == _sha256(media)

    # The audit log came back whole and still append-only in the copy.
    check = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from ecm.audit import audit_chain_verify as v; r = v(); print(r.ok, r.checked)",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "ecm.settings.test",
            "DATABASE_URL": _url(target),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stderr
    assert check.stdout.split()[-2:] == ["True", str(before["ecm_auditevent"])]
    with (
        psycopg.connect(_url(target), autocommit=True) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("DELETE FROM ecm_auditevent")


def test_restore_refuses_a_database_or_folder_that_holds_data(
    committed_data, restored_names, tmp_path
):
    env = {"PRIVATE_MEDIA_ROOT": str(settings.PRIVATE_MEDIA_ROOT)}
    backup = _run("backup", str(tmp_path), env_extra=env)
    assert backup.returncode == 0, backup.stderr
    archive = backup.stdout.strip().splitlines()[-1]

    # The live database itself: refused, and nothing changed.
    before = _row_counts(connection.settings_dict["NAME"])
    live = _run("restore", archive, connection.settings_dict["NAME"], str(tmp_path / "m1"))
    assert live.returncode != 0
    assert "already holds" in live.stderr and "--force" in live.stderr
    assert _row_counts(connection.settings_dict["NAME"]) == before

    # A media folder with files in it: refused before the database is touched.
    target = restored_names()
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "keep.txt").write_text("someone's file")
    refused = _run("restore", archive, target, str(busy))
    assert refused.returncode != 0 and "not empty" in refused.stderr
    assert not _database_exists(target)
    # Restored once, a second restore into the same name is refused; --force overwrites.
    assert _run("restore", archive, target, str(tmp_path / "m2")).returncode == 0
    again = _run("restore", archive, target, str(tmp_path / "m3"))
    assert again.returncode != 0 and "already holds" in again.stderr
    forced = _run("restore", "--force", archive, target, str(tmp_path / "m2"))
    assert forced.returncode == 0, forced.stderr
    assert _row_counts(target) == before


def test_a_damaged_or_wrongly_keyed_archive_is_refused(committed_data, restored_names, tmp_path):
    key = tmp_path / "key"
    key.write_text("the right passphrase\n")
    backup = _run("backup", str(tmp_path), env_extra={"BACKUP_PASSPHRASE_FILE": str(key)})
    assert backup.returncode == 0, backup.stderr
    archive = backup.stdout.strip().splitlines()[-1]
    wrong = tmp_path / "wrong"
    wrong.write_text("not it\n")
    target = restored_names()
    result = _run(
        "restore",
        archive,
        target,
        str(tmp_path / "m"),
        env_extra={"BACKUP_PASSPHRASE_FILE": str(wrong)},
    )
    assert result.returncode != 0 and "could not decrypt" in result.stderr
    assert not _database_exists(target)  # nothing was created on the way

    plain = _run("backup", str(tmp_path / "plain"))
    damaged = Path(plain.stdout.strip().splitlines()[-1])
    data = bytearray(damaged.read_bytes())
    data[data.index(b"PGDMP") + 2000] ^= 0xFF  # inside the dump, not the tar's padding
    damaged.write_bytes(bytes(data))
    result = _run("restore", str(damaged), target, str(tmp_path / "m"))
    assert result.returncode != 0 and "checksums do not match" in result.stderr
