"""Hostile AssetPlus uploads (issue 19, ASVS V12): checked by parsing, not by the first bytes,
and the size limit enforced while the upload streams in."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject, StreamObject, TextStringObject

from referrals import uploads
from referrals.demo import minimal_pdf
from tests.referrals.conftest import docx_bytes, full_answers
from tests.referrals.test_referrals import _post_data, _start


def _refusal(name: str, content: bytes) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        uploads.validate_document(SimpleUploadedFile(name, content))
    return caught.value


def _pdf_with(key: str, value) -> bytes:
    """minimal_pdf rewritten by pypdf (so its cross-reference table is right) with one more
    entry in the catalogue."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(minimal_pdf("AssetPlus"))))
    writer._root_object[NameObject(key)] = writer._add_object(value)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _javascript_action() -> DictionaryObject:
    return DictionaryObject(
        {
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("app.alert(1)"),
        }
    )


def test_valid_pdf_and_docx_are_accepted():
    pdf = SimpleUploadedFile("a.pdf", minimal_pdf("AssetPlus test"))
    assert uploads.validate_document(pdf) == uploads.PDF
    docx = SimpleUploadedFile("a.docx", docx_bytes())
    assert uploads.validate_document(docx) == uploads.DOCX


def test_pdf_header_followed_by_html_and_script_is_refused():
    error = _refusal(
        "a.pdf", b"%PDF-1.4\n<html><body><script>alert(document.cookie)</script></body></html>"
    )
    assert error.code == "bad_pdf"
    assert "web page or script" in error.messages[0]


def test_valid_pdf_with_html_appended_is_refused():
    error = _refusal("a.pdf", minimal_pdf("x") + b"<script>alert(1)</script>")
    assert "web page or script" in error.messages[0]


def test_html_like_bytes_inside_stream_data_are_not_mistaken_for_html():
    # Compressed streams are random bytes; "<meta" can occur by chance deep in a real file.
    stream = StreamObject()
    stream.set_data(b"\x00" * 2000 + b"<meta\x00" + b"\x01" * 10)
    content = _pdf_with("/PieceInfo", stream)
    assert b"<meta" in content
    assert uploads.validate_document(SimpleUploadedFile("a.pdf", content)) == uploads.PDF
    # The same bytes outside any stream are refused.
    assert _refusal("a.pdf", content + b"\n<meta http-equiv=refresh>").code == "bad_pdf"


def test_pdf_with_javascript_is_refused():
    # The same rewrite with a harmless entry passes: the refusal is for the JavaScript.
    assert uploads.validate_document(
        SimpleUploadedFile("a.pdf", _pdf_with("/PageLayout", NameObject("/SinglePage")))
    )
    error = _refusal("a.pdf", _pdf_with("/OpenAction", _javascript_action()))
    assert error.code == "bad_pdf"
    assert "JavaScript" in error.messages[0]


def test_pdf_with_javascript_in_the_names_tree_is_refused():
    names = DictionaryObject({NameObject("/JavaScript"): DictionaryObject()})
    assert _refusal("a.pdf", _pdf_with("/Names", names)).code == "bad_pdf"


def test_pdf_link_to_a_javascript_uri_is_refused():
    link = DictionaryObject(
        {
            NameObject("/S"): NameObject("/URI"),
            NameObject("/URI"): TextStringObject("JavaScript:x()"),
        }
    )
    content = _pdf_with("/OpenAction", link)
    # pypdf writes the colon as an octal escape: only parsing, not a scan of the bytes, sees it.
    assert b"(JavaScript\\072" in content
    assert not uploads.HTML_IN_BYTES.search(content)
    assert _refusal("a.pdf", content).code == "bad_pdf"


@pytest.mark.parametrize("action", ["/Launch", "/EmbeddedFile"])
def test_pdf_with_launch_or_embedded_file_is_refused(action):
    value = DictionaryObject({NameObject("/S"): NameObject(action)})
    assert "JavaScript" in _refusal("a.pdf", _pdf_with("/OpenAction", value)).messages[0]


def test_pdf_that_does_not_parse_is_refused():
    error = _refusal("a.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage without a trailer")
    assert error.code == "bad_pdf"
    assert "damaged or not a real PDF" in error.messages[0]


def test_macro_docx_is_refused():
    error = _refusal("a.docx", docx_bytes({"word/vbaProject.bin": b"\xd0\xcf\x11\xe0 macro"}))
    assert error.code == "bad_docx"
    assert "macros" in error.messages[0]


def test_macro_enabled_content_type_is_refused():
    types = (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Override PartName="/word/document.xml" '
        'ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/></Types>'
    )
    assert "macros" in _refusal("a.docx", docx_bytes(content_types=types)).messages[0]


def test_docx_whose_parts_do_not_parse_is_refused():
    broken = docx_bytes(content_types="<Types><not closed")
    assert "damaged" in _refusal("a.docx", broken).messages[0]
    with_entities = docx_bytes(content_types='<!DOCTYPE t [<!ENTITY a "aaaa">]><Types>&a;</Types>')
    assert _refusal("a.docx", with_entities).code == "bad_docx"


def test_legacy_doc_is_refused_with_advice():
    error = _refusal("a.doc", uploads.OLE_MAGIC + b"\x00" * 504)
    assert error.code == "legacy_doc"
    assert "PDF or .docx" in error.messages[0]


def test_hostile_pdf_refused_through_the_form_and_answers_kept(client, world, potential_case):
    referral = _start(client, world, potential_case)
    hostile = SimpleUploadedFile(
        "asset.pdf", b"%PDF-1.4\n<script>alert(1)</script>", "application/pdf"
    )
    data = _post_data(referral, {"reason": "Kept reason"}, save="1", assetplus=hostile)
    response = client.post(reverse("referrals:edit", args=[potential_case.pk]), data)
    assert response.status_code == 200
    assert "This PDF cannot be accepted" in response.content.decode()
    referral.refresh_from_db()
    assert referral.reason == "Kept reason"
    assert not referral.assetplus_file


def test_upload_over_the_limit_is_stopped_while_streaming(
    client, world, potential_case, monkeypatch
):
    referral = _start(client, world, potential_case)
    stored = []
    real = uploads.validate_document
    monkeypatch.setattr(uploads, "validate_document", lambda f: stored.append(f) or real(f))
    answers = full_answers()
    answers["reason"] = "Typed before the file was chosen"
    big = SimpleUploadedFile("asset.pdf", minimal_pdf("x") + b"0" * (11 * 1024 * 1024))
    # The file last, as in the page (only the buttons follow it).
    data = _post_data(referral, answers, assetplus=big)
    response = client.post(reverse("referrals:edit", args=[potential_case.pk]), data)
    body = response.content.decode()
    assert response.status_code == 413
    assert "larger than 10" in body and "so it was not accepted" in body
    assert "Typed before the file was chosen" in body
    # The view never saw the file: the handler stopped it at the limit.
    assert stored == []
    # Nothing saved: fields after the file never arrived, so a save could blank them.
    before = referral.version
    referral.refresh_from_db()
    assert referral.version == before
    assert referral.reason != "Typed before the file was chosen"
    assert not referral.assetplus_file


def test_upload_at_the_limit_streams_through(client, world, potential_case, settings):
    settings.ASSETPLUS_MAX_BYTES = 64 * 1024
    referral = _start(client, world, potential_case)
    pdf = minimal_pdf("x")
    pdf = pdf + b"%" + b"0" * (settings.ASSETPLUS_MAX_BYTES - len(pdf) - 2) + b"\n"
    assert len(pdf) == settings.ASSETPLUS_MAX_BYTES
    data = _post_data(referral, {}, save="1", assetplus=SimpleUploadedFile("a.pdf", pdf))
    response = client.post(reverse("referrals:edit", args=[potential_case.pk]), data)
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.assetplus_size == settings.ASSETPLUS_MAX_BYTES
