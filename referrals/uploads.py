"""Checking uploaded documents by their content, not by the name or type the browser gave."""

from __future__ import annotations

import os
import uuid
import zipfile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

PDF = ("pdf", "application/pdf")
DOCX = ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
DOC = ("doc", "application/msword")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def sniff(upload) -> tuple[str, str] | None:
    """(extension, content type) of a PDF or Word document, judged from its bytes."""
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(OLE_MAGIC):
        return DOC
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(upload) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            return None
        finally:
            upload.seek(0)
        if "word/document.xml" in names and "[Content_Types].xml" in names:
            return DOCX
    return None


def validate_document(upload) -> tuple[str, str]:
    """Refuse anything but a PDF or Word file within the size limit; say why."""
    limit = settings.ASSETPLUS_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("The file is %(size)s; the largest allowed is %(limit)s.")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            code="too_large",
        )
    if upload.size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    kind = sniff(upload)
    if kind is None:
        raise ValidationError(
            _(
                "“%(name)s” is not a PDF or Word document. Upload the AssetPlus assessment "
                "as a PDF, .docx or .doc file."
            )
            % {"name": os.path.basename(upload.name)},
            code="bad_type",
        )
    return kind


def stored_name(extension: str) -> str:
    """A random file name: the child's name never appears on disk."""
    return f"{uuid.uuid4().hex}.{extension}"


def display_name(original: str, extension: str) -> str:
    base = os.path.splitext(os.path.basename(original))[0][:120] or "assetplus"
    safe = "".join(ch if ch.isalnum() or ch in " -_()" else "_" for ch in base).strip()
    return f"{safe or 'assetplus'}.{extension}"
