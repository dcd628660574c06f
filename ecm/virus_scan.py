"""Optional virus scanning of uploads by ClamAV's daemon, clamd (issue 19, ASVS V12.4).

Off unless ``CLAMD_SOCKET`` (a unix socket) or ``CLAMD_HOST``/``CLAMD_PORT`` is set. When
on, every uploaded document is streamed to clamd with its INSTREAM command before it is
accepted: a file clamd finds a signature in is refused, and so is every upload while clamd
cannot be reached or cannot give an answer (fail closed: an unchecked file is never kept).

The client is a few lines of the documented protocol (``zINSTREAM\\0``, then chunks each
prefixed by its length as a 4-byte big-endian number, then a zero-length chunk; one reply
ending in NUL: ``stream: OK``, ``stream: <signature> FOUND`` or ``... ERROR``).
"""

from __future__ import annotations

import logging
import os
import socket
import struct
from contextlib import closing

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .audit import audit_case_record
from .models import AuditEvent

log = logging.getLogger(__name__)

INFECTED = "infected"
UNAVAILABLE = "virus_scan_unavailable"
_MAX_REPLY = 4096


class ScanUnavailable(Exception):
    """clamd could not be reached, timed out, or answered with an error."""


def is_configured() -> bool:
    return bool(settings.CLAMD_SOCKET or settings.CLAMD_HOST)


def _connect() -> socket.socket:
    timeout = settings.CLAMD_TIMEOUT_SECONDS
    if settings.CLAMD_SOCKET:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(settings.CLAMD_SOCKET)
        except OSError:
            sock.close()
            raise
        return sock
    return socket.create_connection((settings.CLAMD_HOST, settings.CLAMD_PORT), timeout=timeout)


def _read_reply(sock: socket.socket) -> str:
    data = b""
    while not data.endswith(b"\0") and len(data) < _MAX_REPLY:
        part = sock.recv(_MAX_REPLY)
        if not part:
            break
        data += part
    return data.rstrip(b"\0").decode("utf-8", "replace").strip()


def ping() -> bool:
    """True when clamd answers PONG (for a readiness check)."""
    try:
        with closing(_connect()) as sock:
            sock.sendall(b"zPING\0")
            return _read_reply(sock) == "PONG"
    except OSError:
        return False


def instream(fileobj) -> str | None:
    """Stream ``fileobj`` (from where it stands) to clamd: the signature name clamd found, or
    None for a clean file. Raises ScanUnavailable when there is no answer to trust."""
    limit = settings.CLAMD_STREAM_MAX_BYTES
    chunk_size = settings.CLAMD_CHUNK_BYTES
    try:
        with closing(_connect()) as sock:
            sock.sendall(b"zINSTREAM\0")
            sent = 0
            try:
                while chunk := fileobj.read(chunk_size):
                    sent += len(chunk)
                    if sent > limit:
                        # clamd would cut the stream at its StreamMaxLength: a partial scan
                        # proves nothing, so do not send more.
                        raise ScanUnavailable(f"file larger than CLAMD_STREAM_MAX_BYTES ({limit})")
                    sock.sendall(struct.pack("!L", len(chunk)) + chunk)
                sock.sendall(struct.pack("!L", 0))
            except (BrokenPipeError, ConnectionResetError):
                pass  # clamd stopped reading (e.g. its own size limit): its reply says why
            reply = _read_reply(sock)
    except OSError as exc:  # refused, missing socket, timeout, reset
        raise ScanUnavailable(f"{type(exc).__name__}: {exc}") from exc
    return _parse_reply(reply)


def _parse_reply(reply: str) -> str | None:
    if reply == "stream: OK":
        return None
    if reply.startswith("stream: ") and reply.endswith(" FOUND"):
        return reply[len("stream: ") : -len(" FOUND")].strip() or "unknown"
    raise ScanUnavailable(f"clamd answered {reply[:200]!r}")


def check_upload(upload) -> None:
    """Refuse (ValidationError) an upload clamd finds infected or cannot check; nothing to do
    when scanning is not configured. A file found clean is marked, so that the view's check
    and the service's check of the same upload scan it once."""
    if not is_configured() or getattr(upload, "_ecm_virus_checked", False):
        return
    name = os.path.basename(upload.name or "")
    upload.seek(0)
    try:
        found = instream(upload)
    except ScanUnavailable as exc:
        log.error("Upload refused: the virus scanner (clamd) could not check it: %s", exc)
        raise ValidationError(
            _(
                "“%(name)s” could not be checked for viruses just now, so it was not accepted. "
                "Try again later; if this keeps happening, tell your system administrator."
            ),
            code=UNAVAILABLE,
            params={"name": name},
        ) from exc
    finally:
        upload.seek(0)
    if found is not None:
        log.warning("Upload refused: the virus scanner found %s", found)
        raise ValidationError(
            _(
                "“%(name)s” was not accepted: the virus scanner found %(signature)s in it. "
                "Nothing from the file was kept. Do not open or send on the original; "
                "tell your IT service desk."
            ),
            code=INFECTED,
            params={"name": name, "signature": found},
        )
    upload._ecm_virus_checked = True


@transaction.atomic
def audit_infected_upload(*, actor, obj, case, error: ValidationError, what: str) -> None:
    """One audit row for an upload refused as infected: the signature found, never the file
    or its name (a name can carry the child's)."""
    signature = (getattr(error, "params", None) or {}).get("signature", "unknown")
    audit_case_record(
        actor,
        AuditEvent.Action.UPDATE,
        obj,
        case,
        detail=f"{what} upload refused: virus scanner found {signature}",
    )
