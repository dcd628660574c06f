"""Optional virus scanning through a REAL clamd (issue 19, ASVS V12.4): a clamd started here
as an unprivileged user, with a one-line signature database for the EICAR test file (no
freshclam, no network). Skipped only where clamd is not installed and this is not CI."""

import hashlib
import io
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ecm import virus_scan
from ecm.models import AuditEvent
from referrals import uploads
from referrals.demo import minimal_pdf
from tests.referrals.test_referrals import _post_data, _start

# The standard anti-virus test file (harmless; every scanner reports it).
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!H+H*"
CLAMD = shutil.which("clamd") or ("/usr/sbin/clamd" if os.path.exists("/usr/sbin/clamd") else None)


def _start_clamd(base: Path, stream_max: str = "25M") -> subprocess.Popen:
    (base / "db").mkdir()
    (base / "tmp").mkdir()
    (base / "db" / "eicar.hdb").write_text(
        f"{hashlib.md5(EICAR).hexdigest()}:{len(EICAR)}:Eicar-Test-Signature\n"  # noqa: S324
    )
    (base / "clamd.conf").write_text(
        "\n".join(
            [
                "Foreground yes",
                f"DatabaseDirectory {base / 'db'}",
                f"LocalSocket {base / 'clamd.sock'}",
                f"TemporaryDirectory {base / 'tmp'}",
                f"LogFile {base / 'clamd.log'}",
                f"StreamMaxLength {stream_max}",
                "MaxThreads 2",
                "",
            ]
        )
    )
    user = None
    if os.geteuid() == 0:  # never run the scanner as root: the package's own user
        user = "clamav"
        entry = pwd.getpwnam(user)
        for path in [base, *base.rglob("*")]:
            os.chown(path, entry.pw_uid, entry.pw_gid)
    return subprocess.Popen(
        [CLAMD, "--config-file", str(base / "clamd.conf")],
        user=user,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _running_clamd(stream_max: str = "25M"):
    if CLAMD is None:
        if os.environ.get("CI"):
            pytest.fail("clamd is missing in CI: scripts/install-system-packages test installs it")
        pytest.skip("clamd not installed (scripts/install-system-packages test installs it)")
    base = Path(tempfile.mkdtemp(prefix="ecm-clamd-"))
    process = _start_clamd(base, stream_max)
    sock = str(base / "clamd.sock")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                log = (base / "clamd.log").read_text() if (base / "clamd.log").exists() else ""
                pytest.fail(f"clamd exited: {process.stderr.read().decode()} {log}")
            if os.path.exists(sock):
                break
            time.sleep(0.1)
        else:
            pytest.fail("clamd did not open its socket within 60 s")
        yield sock
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def clamd_socket():
    yield from _running_clamd()


@pytest.fixture
def scanning(settings, clamd_socket):
    settings.CLAMD_SOCKET = clamd_socket
    settings.CLAMD_HOST = ""
    settings.CLAMD_TIMEOUT_SECONDS = 10
    assert virus_scan.ping()
    return clamd_socket


def test_clamd_reports_eicar_and_passes_a_clean_pdf(scanning):
    assert "Eicar-Test-Signature" in virus_scan.instream(io.BytesIO(EICAR))
    assert virus_scan.instream(io.BytesIO(minimal_pdf("AssetPlus"))) is None


def test_a_file_streamed_in_many_chunks_is_scanned_whole(scanning, settings):
    settings.CLAMD_CHUNK_BYTES = 7  # EICAR crosses ten chunk boundaries
    assert "Eicar-Test-Signature" in virus_scan.instream(io.BytesIO(EICAR))


def test_a_file_longer_than_the_stream_limit_is_not_called_clean(scanning, settings):
    settings.CLAMD_STREAM_MAX_BYTES = 1024
    pdf = minimal_pdf("x") + b"%" + b"0" * 4096 + b"\n"
    with pytest.raises(ValidationError) as caught:
        uploads.validate_document(SimpleUploadedFile("a.pdf", pdf))
    assert caught.value.code == virus_scan.UNAVAILABLE


def test_clamd_cutting_the_stream_at_its_stream_max_length_is_not_clean(settings):
    """clamd's own StreamMaxLength (smaller than ours here) stops the stream: its error reply
    (or the connection it drops) refuses the file, never passes it."""
    for sock in _running_clamd(stream_max="2K"):
        settings.CLAMD_SOCKET = sock
        settings.CLAMD_STREAM_MAX_BYTES = 10 * 1024 * 1024
        with pytest.raises(virus_scan.ScanUnavailable):
            virus_scan.instream(io.BytesIO(b"%PDF-1.4\n" + b"0" * (256 * 1024)))
        assert virus_scan.instream(io.BytesIO(b"small and clean")) is None


def test_eicar_refused_on_the_referral_page_typed_text_kept_and_audited(
    client, world, potential_case, scanning
):
    referral = _start(client, world, potential_case)
    infected = SimpleUploadedFile("assetplus.pdf", EICAR, "application/pdf")
    data = _post_data(referral, {"reason": "Typed reason kept"}, save="1", assetplus=infected)
    response = client.post(reverse("referrals:edit", args=[potential_case.pk]), data)
    body = response.content.decode()
    assert response.status_code == 200
    assert "the virus scanner found Eicar-Test-Signature" in body
    assert "Typed reason kept" in body
    referral.refresh_from_db()
    assert referral.reason == "Typed reason kept"
    assert not referral.assetplus_file
    event = AuditEvent.objects.filter(detail__contains="virus scanner found").get()
    assert event.actor == world.case_manager
    assert event.child_id == potential_case.child_id
    assert "Eicar-Test-Signature" in event.detail
    assert "assetplus.pdf" not in event.detail  # never the file's name


def test_clean_pdf_accepted_when_scanning(client, world, potential_case, scanning, monkeypatch):
    referral = _start(client, world, potential_case)
    streamed = []
    real = virus_scan.instream
    monkeypatch.setattr(virus_scan, "instream", lambda f: streamed.append(1) or real(f))
    clean = SimpleUploadedFile("a.pdf", minimal_pdf("AssetPlus"), "application/pdf")
    data = _post_data(referral, {}, save="1", assetplus=clean)
    response = client.post(reverse("referrals:edit", args=[potential_case.pk]), data)
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.assetplus_file
    assert streamed == [1]  # scanned once, though the view and the service both check it


def test_clamd_configured_but_down_refuses_the_upload(client, world, potential_case, settings):
    settings.CLAMD_SOCKET = str(Path(tempfile.gettempdir()) / "ecm-no-clamd-here.sock")
    settings.CLAMD_TIMEOUT_SECONDS = 2
    referral = _start(client, world, potential_case)
    clean = SimpleUploadedFile("a.pdf", minimal_pdf("AssetPlus"), "application/pdf")
    data = _post_data(referral, {"reason": "Still kept"}, save="1", assetplus=clean)
    response = client.post(reverse("referrals:edit", args=[potential_case.pk]), data)
    body = response.content.decode()
    assert response.status_code == 200
    assert "could not be checked for viruses just now" in body
    assert "Try again later" in body
    referral.refresh_from_db()
    assert referral.reason == "Still kept"
    assert not referral.assetplus_file


def test_clamd_over_tcp_that_is_not_listening_fails_closed(settings):
    import socket

    with socket.socket() as probe:  # a free port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CLAMD_SOCKET = ""
    settings.CLAMD_HOST = "127.0.0.1"
    settings.CLAMD_PORT = port
    settings.CLAMD_TIMEOUT_SECONDS = 2
    with pytest.raises(ValidationError) as caught:
        uploads.validate_document(SimpleUploadedFile("a.pdf", minimal_pdf("x")))
    assert caught.value.code == virus_scan.UNAVAILABLE


def test_no_scanning_when_not_configured(settings, monkeypatch):
    settings.CLAMD_SOCKET = ""
    settings.CLAMD_HOST = ""
    monkeypatch.setattr(virus_scan, "instream", lambda f: pytest.fail("scanned"))
    assert uploads.validate_document(SimpleUploadedFile("a.pdf", minimal_pdf("x"))) == uploads.PDF


@pytest.mark.parametrize(
    ("reply", "found"),
    [("stream: OK", None), ("stream: Win.Test.EICAR_HDB-1 FOUND", "Win.Test.EICAR_HDB-1")],
)
def test_replies_parsed(reply, found):
    assert virus_scan._parse_reply(reply) == found


@pytest.mark.parametrize("reply", ["INSTREAM size limit exceeded. ERROR", "", "stream: garbage"])
def test_error_replies_are_not_clean(reply):
    with pytest.raises(virus_scan.ScanUnavailable):
        virus_scan._parse_reply(reply)
