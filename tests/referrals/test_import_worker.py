"""The import through a real Celery worker and a real Redis, the command, and erasure."""

from __future__ import annotations

import io
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from ecm.erasure import erase_child
from ecm.models import Case, Child
from referrals.imports import services
from referrals.models import ChildImport, Offence
from tests.ecm.test_celery import redis_worker  # noqa: F401  (the fixture)
from tests.referrals.test_import import CSV, HEADER, ROWS, _no_files_left  # noqa: F401


def test_a_large_import_runs_on_a_real_worker_with_progress(
    redis_worker,  # noqa: F811
    world,
    client,
    monkeypatch,
):
    monkeypatch.setattr(services, "INLINE_ROWS", 1)
    client.force_login(world.senior)
    client.post(
        reverse("referrals:import_start"),
        {"team": world.yot_a.pk, "file": SimpleUploadedFile("c.csv", CSV, "text/csv")},
    )
    job = ChildImport.objects.get()
    response = client.post(reverse("referrals:import_confirm", args=[job.pk]))
    assert response.status_code == 302
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.is_finished:
            break
        time.sleep(0.2)
    assert job.status == "done", job.error
    assert job.result["children_created"] == 3 and job.result["offences_added"] == 3
    assert not job.file
    assert Offence.objects.filter(case__team=world.yot_a, offence_type="Assault").count() == 1
    poll = client.get(
        reverse("referrals:import_detail", args=[job.pk]),
        headers={"HX-Request": "true", "X-ECM-Background-Poll": "1"},
    )
    assert b"Imported on" in poll.content


def _csv_file(tmp_path, data=CSV):
    path = tmp_path / "caseload.csv"
    path.write_bytes(data)
    return str(path)


def test_command_dry_run_writes_nothing_then_imports(world, tmp_path):
    out = io.StringIO()
    children = Child.objects.count()
    call_command("import_children", _csv_file(tmp_path), team="alpha", dry_run=True, stdout=out)
    assert "Would import:" in out.getvalue() and "children created: 3" in out.getvalue()
    assert Child.objects.count() == children
    out = io.StringIO()
    call_command("import_children", _csv_file(tmp_path), team="alpha", stdout=out)
    assert "Imported." in out.getvalue()
    assert Case.objects.filter(team=world.yot_a, child__yot_reference="Y001").count() == 1
    call_command("import_children", _csv_file(tmp_path), team="alpha", stdout=io.StringIO())
    assert Child.objects.count() == children + 3  # idempotent


def test_command_refuses_a_file_with_errors_unless_valid_rows_only(world, tmp_path):
    data = (HEADER + ROWS + "Y9,A,B,01/02/2010,Q,WBRI,,,,\n").encode()
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 row has errors"):
        call_command("import_children", _csv_file(tmp_path, data), team="alpha", stderr=err)
    assert "Row 6: gender 'Q' is not a code we know" in err.getvalue()
    assert not Child.objects.filter(yot_reference="Y001").exists()
    call_command(
        "import_children",
        _csv_file(tmp_path, data),
        team="alpha",
        valid_rows_only=True,
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    assert Child.objects.filter(yot_reference="Y001").exists()


def test_command_refuses_an_unknown_team_and_an_unreadable_file(world, tmp_path):
    with pytest.raises(CommandError, match="No active team"):
        call_command("import_children", _csv_file(tmp_path), team="nope")
    with pytest.raises(CommandError, match="UTF-16"):
        call_command(
            "import_children",
            _csv_file(tmp_path, (HEADER + ROWS).encode("utf-16")),
            team="alpha",
        )


def test_erasing_a_child_deletes_waiting_files_that_name_them(
    world, django_capture_on_commit_callbacks
):
    services.import_apply(actor=world.senior, team=world.yot_a, data=CSV)
    child = Child.objects.get(yot_reference="Y001")
    Case.objects.filter(child=child).update(status="closed", closed_on=timezone.localdate())
    upload = SimpleUploadedFile("c.csv", CSV, "text/csv")
    naming, _plan = services.import_upload(actor=world.senior, team=world.yot_a, upload=upload)
    other = (HEADER + ROWS.splitlines(keepends=True)[2]).encode()
    upload = SimpleUploadedFile("d.csv", other, "text/csv")
    not_naming, _plan = services.import_upload(actor=world.senior, team=world.yot_a, upload=upload)
    storage, name = naming.file.storage, naming.file.name
    with django_capture_on_commit_callbacks(execute=True):
        summary = erase_child(child.pk)
    assert summary["import_files"] == 1
    naming.refresh_from_db()
    not_naming.refresh_from_db()
    assert naming.status == "cancelled" and not naming.file and not storage.exists(name)
    assert not_naming.status == "preview" and not_naming.file


def test_tidy_abandons_old_previews_and_deletes_their_files(
    world, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile("c.csv", CSV, "text/csv")
    job, _plan = services.import_upload(actor=world.senior, team=world.yot_a, upload=upload)
    storage, name = job.file.storage, job.file.name
    assert services.imports_tidy() == 0
    ChildImport.objects.filter(pk=job.pk).update(
        created_at=timezone.now() - timezone.timedelta(hours=services.KEEP_HOURS + 1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.imports_tidy() == 1
    job.refresh_from_db()
    assert job.status == "cancelled" and not storage.exists(name)


def test_the_worker_knows_the_tasks_and_beat_tidies_hourly():
    from ecm.celery import app

    app.loader.import_default_modules()
    assert {services.RUN_IMPORT, "referrals.tidy_child_imports"} <= set(app.tasks)
    assert app.conf.beat_schedule["tidy-child-imports"]["task"] == "referrals.tidy_child_imports"
