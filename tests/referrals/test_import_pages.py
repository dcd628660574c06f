"""The import pages: upload, preview (nothing written), confirm, abandon, progress; who may."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ecm.models import AuditEvent, Child
from referrals.models import ChildImport, Offence
from tests.factories import CaseFactory, ChildFactory
from tests.referrals.test_import import CSV, HEADER, ROWS, _no_files_left  # noqa: F401


def upload(client, world, data=CSV, user=None):
    client.force_login(user or world.senior)
    return client.post(
        reverse("referrals:import_start"),
        {"team": world.yot_a.pk, "file": SimpleUploadedFile("caseload.csv", data, "text/csv")},
    )


def test_upload_shows_a_preview_and_writes_nothing(client, world):
    CaseFactory(
        team=world.yot_a,
        child=ChildFactory(yot_reference="Y002", first_name="Dillon", last_name="Jones"),
    )
    children = Child.objects.count()
    response = upload(client, world)
    job = ChildImport.objects.get()
    assert response.status_code == 302 and response.url.endswith(f"/imports/{job.pk}/")
    assert job.status == "preview" and job.file and job.created_by == world.senior
    page = client.get(response.url)
    text = page.content.decode()
    assert "Nothing has been written yet." in text
    assert "Ffion Evans" in text and "Dillon Jones" in text and "first name" in text
    assert (
        Child.objects.count() == children
        and not Offence.objects.filter(case__team=world.yot_a, offence_type="Assault").exists()
    )
    view = AuditEvent.objects.get(detail="import preview")
    assert view.team_id == world.yot_a.pk and "Ffion" not in str(view.listed)


def test_a_file_that_cannot_be_read_is_refused_on_the_form_and_not_kept(client, world):
    response = upload(client, world, CSV.replace(b"date_of_birth", b"dob_x"))
    assert response.status_code == 400
    assert "The file has no column “date_of_birth”" in response.content.decode()
    assert not ChildImport.objects.exists()


def test_row_errors_are_listed_and_block_the_import(
    client, world, django_capture_on_commit_callbacks
):
    data = (HEADER + ROWS + "Y9,A,B,31/02/2010,M,WBRI,,,,\n").encode()
    upload(client, world, data)
    job = ChildImport.objects.get()
    page = client.get(reverse("referrals:import_detail", args=[job.pk])).content.decode()
    assert "Row 6: date of birth &#x27;31/02/2010&#x27; is not a date" in page
    assert "Import the valid rows only" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("referrals:import_confirm", args=[job.pk]), follow=True)
    assert "1 row has errors, so nothing was imported" in response.content.decode()
    job.refresh_from_db()
    assert job.status == "preview" and not Child.objects.filter(yot_reference="Y001").exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("referrals:import_confirm", args=[job.pk]), {"skip_invalid": "on"})
    job.refresh_from_db()
    assert job.status == "done" and job.result["children_created"] == 3
    assert not Child.objects.filter(yot_reference="Y9").exists()


def test_confirm_imports_a_small_file_at_once_and_deletes_it(
    client, world, django_capture_on_commit_callbacks
):
    upload(client, world)
    job = ChildImport.objects.get()
    storage, name = job.file.storage, job.file.name
    assert storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("referrals:import_confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "done" and job.result == job.expected
    assert not job.file and not storage.exists(name)
    page = client.get(response.url).content.decode()
    assert "Imported on" in page and "The file has been deleted" in page
    assert Child.objects.filter(yot_reference__in=["Y001", "Y002", "Y003"]).count() == 3


def test_a_large_file_is_queued_for_a_worker_and_the_page_polls(
    client, world, settings, django_capture_on_commit_callbacks, monkeypatch
):
    from referrals.imports import services

    monkeypatch.setattr(services, "INLINE_ROWS", 2)
    sent = []
    monkeypatch.setattr(services, "queue_task", lambda name, *args: sent.append((name, args)))
    upload(client, world)
    job = ChildImport.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("referrals:import_confirm", args=[job.pk]))
    assert sent == [(services.RUN_IMPORT, (str(job.pk),))]
    page = client.get(reverse("referrals:import_detail", args=[job.pk]))
    assert 'hx-headers=\'{"X-ECM-Background-Poll": "1"}\'' in page.content.decode()
    poll = client.get(
        reverse("referrals:import_detail", args=[job.pk]),
        headers={"HX-Request": "true", "X-ECM-Background-Poll": "1"},
    )
    assert b"<progress" in poll.content and b"<html" not in poll.content


def test_abandon_deletes_the_file_and_writes_nothing(
    client, world, django_capture_on_commit_callbacks
):
    upload(client, world)
    job = ChildImport.objects.get()
    storage, name = job.file.storage, job.file.name
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("referrals:import_cancel", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == "cancelled" and not job.file and not storage.exists(name)
    assert not Child.objects.filter(yot_reference="Y001").exists()
    page = client.get(reverse("referrals:import_detail", args=[job.pk])).content.decode()
    assert "Abandoned: nothing was written" in page


@pytest.mark.parametrize("who", ["case_manager", "psychologist", "team_admin", "outsider"])
def test_roles_that_may_not_import_get_403(client, world, who):
    client.force_login(getattr(world, who))
    assert client.get(reverse("referrals:import_start")).status_code == 403
    job = ChildImport.objects.create(team=world.yot_a, created_by=world.senior)
    for name in ("import_detail",):
        assert client.get(reverse(f"referrals:{name}", args=[job.pk])).status_code == 403
    for name in ("import_confirm", "import_cancel"):
        assert client.post(reverse(f"referrals:{name}", args=[job.pk])).status_code == 403


def test_another_teams_import_is_404(client, world):
    job = ChildImport.objects.create(team=world.yot_a, created_by=world.senior)
    client.force_login(world.other_senior)
    assert client.get(reverse("referrals:import_start")).status_code == 200
    assert client.get(reverse("referrals:import_detail", args=[job.pk])).status_code == 404
    for name in ("import_confirm", "import_cancel"):
        assert client.post(reverse(f"referrals:{name}", args=[job.pk])).status_code == 404
    # ... and the form offers only their own team.
    response = client.post(
        reverse("referrals:import_start"),
        {"team": world.yot_a.pk, "file": SimpleUploadedFile("c.csv", CSV, "text/csv")},
    )
    assert response.status_code == 400 and not ChildImport.objects.exclude(pk=job.pk).exists()


def test_a_manager_may_import_and_sees_the_link(client, world):
    client.force_login(world.manager)
    page = client.get(reverse("referrals:import_start"))
    assert page.status_code == 200
    assert reverse("referrals:import_start") in page.content.decode()
    client.force_login(world.case_manager)
    home = client.get(reverse("home")).content.decode()
    assert reverse("referrals:import_start") not in home


def test_preview_costs_a_constant_number_of_queries(client, world, django_assert_max_num_queries):
    rows = "".join(
        f"Z{n:04d},Name{n},Last,01/01/2010,M,WBRI,,01/02/2024,Theft,\n" for n in range(300)
    )
    for n in range(0, 300, 3):
        CaseFactory(team=world.yot_a, child=ChildFactory(yot_reference=f"Z{n:04d}"))
    upload(client, world, (HEADER + rows).encode())
    job = ChildImport.objects.get()
    with django_assert_max_num_queries(20):
        assert client.get(reverse("referrals:import_detail", args=[job.pk])).status_code == 200


def test_confirming_a_preview_that_is_no_longer_true_is_refused(
    client, world, django_capture_on_commit_callbacks
):
    upload(client, world)
    job = ChildImport.objects.get()
    page = client.get(reverse("referrals:import_detail", args=[job.pk])).content.decode()
    assert 'name="seen" value="rows=4;' in page
    seen = page.split('name="seen" value="', 1)[1].split('"', 1)[0]
    # Someone registers one of the file's children meanwhile.
    CaseFactory(team=world.yot_a, child=ChildFactory(yot_reference="Y003"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("referrals:import_confirm", args=[job.pk]), {"seen": seen}, follow=True
        )
    assert "changed since you saw the preview" in response.content.decode()
    job.refresh_from_db()
    assert job.status == "preview" and not Child.objects.filter(yot_reference="Y001").exists()
    fresh = response.content.decode().split('name="seen" value="', 1)[1].split('"', 1)[0]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("referrals:import_confirm", args=[job.pk]), {"seen": fresh})
    job.refresh_from_db()
    assert job.status == "done" and job.result["children_unchanged"] == 0
    assert job.result["children_updated"] == 1  # Y003's details from the file
