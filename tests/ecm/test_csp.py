"""Content Security Policy and the other security headers (issue 19, ASVS V14.4): strict on
every response (pages, the admin, downloads, error pages, anonymous pages), and no template
that the CSP would break (the browser side: tests/ecm/test_csp_browser.py)."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import get_resolver, reverse

BASE = Path(settings.BASE_DIR)


def directives(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    out = {}
    for part in header.split(";"):
        name, *values = part.split()
        out[name] = values
    return out


def assert_strict(response):
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    header = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in header and "unsafe-eval" not in header
    assert "*" not in header and "http:" not in header and "https:" not in header
    permissions = response.headers["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in permissions
    assert "publickey-credentials" not in permissions  # security keys stay allowed
    # The headers that were there before the CSP stay.
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_a_signed_in_page_has_the_strict_policy(client, world):
    client.force_login(world.case_manager)
    response = client.get(reverse("case_detail", args=[world.case.pk]))
    assert response.status_code == 200
    assert_strict(response)


def test_the_sign_in_page_has_it_too(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert_strict(response)


def test_the_admin_has_it(client, world):
    client.force_login(world.superuser)
    for url in (reverse("admin:index"), reverse("admin:ecm_team_add")):
        response = client.get(url)
        assert response.status_code == 200
        assert_strict(response)


def test_downloads_have_it(client, world):
    client.force_login(world.senior)
    response = client.get(reverse("monitoring:export", args=["cohort"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert_strict(response)


def test_error_pages_have_it(client, world):
    client.force_login(world.case_manager)
    response = client.get(reverse("case_detail", args=[world.other_case.pk]))
    assert response.status_code == 404
    assert_strict(response)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert_strict(response)


def test_a_refused_form_shows_our_page_not_djangos_inline_styled_one(world):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(world.case_manager)
    response = csrf_client.post(reverse("notifications_read_all"))
    assert response.status_code == 403
    assert_strict(response)
    body = response.content.decode()
    assert "The form has expired" in body
    assert "<style" not in body


def test_a_server_error_page_has_it(client, world, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    # The URLconf's own pattern for the home page, made to fail.
    pattern = next(p for p in get_resolver().url_patterns if getattr(p, "name", "") == "home")
    monkeypatch.setattr(pattern, "callback", broken)
    client.raise_request_exception = False
    client.force_login(world.case_manager)
    response = client.get(reverse("home"))
    assert response.status_code == 500
    assert b"Something went wrong" in response.content
    assert_strict(response)


# --- No template, and no server-built markup, that the CSP would refuse ------------------

TEMPLATE_DIRS = [BASE / "templates", *BASE.glob("*/templates")]
# Rendered only into PDFs by WeasyPrint (formulation/report/pdf.py), never served as a page:
# the CSP does not apply to it, and it keeps its <style>.
PDF_ONLY = {"formulation/report_pdf.html"}
INLINE = [
    ("a <style> element", re.compile(r"<style\b", re.I)),
    ("a style attribute", re.compile(r"\sstyle\s*=", re.I)),
    ("an inline <script>", re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I)),
    ("an event handler attribute", re.compile(r"\son[a-z]+\s*=", re.I)),
    ("htmx's hx-on", re.compile(r"\shx-on", re.I)),
    ("a javascript: URL", re.compile(r"javascript:", re.I)),
]


def templates() -> list[tuple[str, Path]]:
    found = []
    for root in TEMPLATE_DIRS:
        for path in root.rglob("*.html"):
            found.append((path.relative_to(root).as_posix(), path))
    return found


def test_the_templates_are_found():
    names = {name for name, _ in templates()}
    assert {"base.html", "formulation/timeline_present.html", "referrals/print.html"} <= names


@pytest.mark.parametrize(("name", "path"), [pytest.param(n, p, id=n) for n, p in templates()])
def test_no_template_has_inline_script_or_style(name, path):
    if name in PDF_ONLY:
        return
    text = path.read_text(encoding="utf-8")
    found = [what for what, pattern in INLINE if pattern.search(text)]
    assert not found, f"{name}: {', '.join(found)} (the CSP refuses it; see docs/notes-csp.md)"


def test_the_pdf_only_template_is_rendered_by_the_pdf_code_alone():
    sources = [
        p
        for app in ("ecm", "referrals", "formulation", "reviews", "supervision", "monitoring")
        for p in (BASE / app).rglob("*.py")
        if "report_pdf.html" in p.read_text(encoding="utf-8")
    ]
    assert [p.relative_to(BASE).as_posix() for p in sources] == ["formulation/report/pdf.py"]


def test_the_pages_opt_out_of_htmxs_inline_indicator_style():
    for name in ("base.html", "formulation/timeline_present.html"):
        path = dict(templates())[name]
        text = path.read_text(encoding="utf-8")
        assert '"includeIndicatorStyles": false' in text, name
