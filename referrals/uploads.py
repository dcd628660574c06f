"""Checking uploaded documents by their content, not by the name or type the browser gave."""

from __future__ import annotations

import io
import os
import re
import uuid
import zipfile
from xml.etree import ElementTree

import pypdf
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from ecm import virus_scan

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
    """Refuse anything but a clean PDF or .docx file within the size limit; say why."""
    limit = settings.ASSETPLUS_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("The file is %(size)s; the largest allowed is %(limit)s.")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            code="too_large",
        )
    if upload.size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    virus_scan.check_upload(upload)  # first: malware is named as such, whatever its type
    kind = sniff(upload)
    if kind is None:
        raise ValidationError(
            _(
                "“%(name)s” is not a PDF or Word document. Upload the AssetPlus assessment "
                "as a PDF or .docx file."
            )
            % {"name": os.path.basename(upload.name)},
            code="bad_type",
        )
    if kind == DOC:
        raise ValidationError(
            _(
                "Old Word documents (.doc) are not accepted because they can carry macros. "
                "Save the AssetPlus assessment as PDF or .docx and upload that."
            ),
            code="legacy_doc",
        )
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    if kind == PDF:
        check_pdf(data)
    else:
        check_docx(data)
    return kind


# --- PDF ------------------------------------------------------------------------------
# Active content a browser or reader could run: refused wherever it appears.
PDF_ACTIVE_NAMES = {
    "/JS",
    "/JavaScript",
    "/Launch",
    "/EmbeddedFile",
    "/EmbeddedFiles",
    "/RichMedia",
}
# HTML or script anywhere in the bytes (a "polyglot" that a browser would render as a page).
HTML_IN_BYTES = re.compile(
    rb"<\s*(?:script|html|body|iframe|svg|object|embed|meta|!doctype)\b|javascript:", re.IGNORECASE
)
# Stream data (mostly compressed, random-looking bytes) is left out of that scan beyond the
# first kilobyte, where a browser sniffing the type would look: "<meta" turns up by chance in
# large compressed files. Objects in streams are still checked after parsing.
STREAM_DATA = re.compile(rb"\bstream\r?\n.*?\bendstream\b", re.DOTALL)
SNIFFED_BYTES = 1024
PDF_MAX_OBJECTS = 200_000


def _pdf_refused(reason: str) -> ValidationError:
    return ValidationError(
        _("This PDF cannot be accepted: %(reason)s Save it again as a plain PDF and upload that.")
        % {"reason": reason},
        code="bad_pdf",
    )


def _pdf_active_content(root) -> bool:
    """Walk every object reachable from the trailer (streams' dictionaries, not their data)
    looking for active-content names as keys or values."""
    seen: set[tuple[int, int]] = set()
    stack = [root]
    visited = 0
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            key = (item.idnum, item.generation)
            if key in seen:
                continue
            seen.add(key)
            item = item.get_object()
        visited += 1
        if visited > PDF_MAX_OBJECTS:
            raise _pdf_refused(_("it is too complex to check."))
        if isinstance(item, DictionaryObject):
            for name, value in item.items():
                if name in PDF_ACTIVE_NAMES:
                    return True
                stack.append(value)
        elif isinstance(item, ArrayObject):
            stack.extend(item)
        elif isinstance(item, str) and (
            item in PDF_ACTIVE_NAMES or item.strip().lower().startswith("javascript:")
        ):
            return True
    return False


def check_pdf(data: bytes) -> None:
    """Refuse a PDF that does not parse, has HTML/script in it, or carries JavaScript,
    launch actions or embedded files."""
    outside_streams = STREAM_DATA.sub(b"stream endstream", data)
    if HTML_IN_BYTES.search(data[:SNIFFED_BYTES]) or HTML_IN_BYTES.search(outside_streams):
        raise _pdf_refused(_("it contains web page or script content."))
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise _pdf_refused(_("it is password-protected, so it cannot be checked."))
        if len(reader.pages) == 0:
            raise _pdf_refused(_("it has no pages."))
        active = _pdf_active_content(reader.trailer)
    except ValidationError:
        raise
    except Exception as exc:  # pypdf raises many kinds of error on a damaged file
        raise _pdf_refused(_("it is damaged or not a real PDF.")) from exc
    if active:
        raise _pdf_refused(
            _("it contains JavaScript, actions that start programs, or embedded files.")
        )


# --- Word (.docx) ---------------------------------------------------------------------
DOCX_MAX_ENTRIES = 2000
DOCX_MAX_UNCOMPRESSED = 200 * 1024 * 1024
MACRO_MARKERS = ("vbaproject", "macroenabled", "vbadata")


def _docx_refused(reason: str) -> ValidationError:
    return ValidationError(
        _("This Word document cannot be accepted: %(reason)s Save it as .docx or PDF again.")
        % {"reason": reason},
        code="bad_docx",
    )


def _parse_xml(archive: zipfile.ZipFile, name: str):
    raw = archive.read(name)
    if b"<!DOCTYPE" in raw.upper() or b"<!ENTITY" in raw.upper():
        raise _docx_refused(_("it contains XML declarations that are not allowed."))
    return ElementTree.fromstring(raw)  # noqa: S314 (no DTD or entities: refused above)


def check_docx(data: bytes) -> None:
    """Refuse a .docx without the Office Open XML structure, one whose parts do not parse,
    and any macro-enabled document."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if (
                len(infos) > DOCX_MAX_ENTRIES
                or sum(i.file_size for i in infos) > DOCX_MAX_UNCOMPRESSED
            ):
                raise _docx_refused(_("it is too large once unpacked."))
            names = {i.filename for i in infos}
            if any(marker in name.lower() for name in names for marker in MACRO_MARKERS):
                raise _docx_refused(_("it contains macros."))
            types = _parse_xml(archive, "[Content_Types].xml")
            for element in types.iter():
                content_type = (element.get("ContentType") or "").lower()
                if any(marker in content_type for marker in MACRO_MARKERS):
                    raise _docx_refused(_("it contains macros."))
            _parse_xml(archive, "word/document.xml")
    except ValidationError:
        raise
    except Exception as exc:  # bad zip, bad CRC, missing part, XML that does not parse
        raise _docx_refused(_("it is damaged or not a real Word document.")) from exc


def stored_name(extension: str) -> str:
    """A random file name: the child's name never appears on disk."""
    return f"{uuid.uuid4().hex}.{extension}"


def display_name(original: str, extension: str) -> str:
    base = os.path.splitext(os.path.basename(original))[0][:120] or "assetplus"
    safe = "".join(ch if ch.isalnum() or ch in " -_()" else "_" for ch in base).strip()
    return f"{safe or 'assetplus'}.{extension}"
