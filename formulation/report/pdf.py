"""The formulation report as a PDF (WeasyPrint), from a normal Django template.

The drawings are the same server-side SVGs the browser shows, inlined. Rendering fetches
nothing but the product's own static files (`StaticOnlyFetcher`): text typed by users can
never make the server fetch a URL.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from ecm.dates import display_date
from ecm.drawing import document_width
from ecm.models import Case, User

from ..genogram.models import FamilyMember
from ..genogram.selectors import genogram_svg
from ..timeline.models import TimelineEvent
from ..timeline.print_layout import PAGE_WIDTH, pages_from_drawing
from ..timeline.selectors import timeline_svg
from .models import TEXT_SECTIONS, Circulation, Report, ReportSection, ReportVersion
from .selectors import recommendation_rows

Progress = Callable[[int, str], None]
ALL_SECTIONS = tuple(ReportSection.values)

NOT_A_COURT_REPORT = gettext_lazy(
    "This formulation report is not a court report. It sets out a psychological "
    "understanding of the child to guide the work of the youth justice service and its "
    "partners. It may inform, but does not replace, pre-sentence or breach reports."
)


class StaticOnlyFetcher(URLFetcher):
    """Serves `/static/...` from the product's own static files; refuses everything else
    (http, https, data, other files)."""

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        prefix = "/" + settings.STATIC_URL.strip("/") + "/"
        path = unquote(parts.path)
        if parts.scheme != "file" or parts.netloc or not path.startswith(prefix):
            raise ValueError(f"refused to fetch {url!r}: only the product's static files")
        relative = path[len(prefix) :]
        if (
            not relative
            or relative.startswith("/")
            or "\\" in relative
            or ".." in relative.split("/")
        ):
            raise ValueError(f"refused to fetch {url!r}")
        try:
            found = finders.find(relative)
        except Exception as exc:  # e.g. SuspiciousFileOperation
            raise ValueError(f"refused to fetch {url!r}") from exc
        if not found:
            root = Path(settings.STATIC_ROOT).resolve()
            candidate = (root / relative).resolve()
            inside = candidate.is_relative_to(root)
            found = str(candidate) if inside and candidate.is_file() else None
        if not found:
            raise ValueError(f"no static file {relative!r}")
        content_type = mimetypes.guess_type(found)[0] or "application/octet-stream"
        return URLFetcherResponse(
            url, body=Path(found).read_bytes(), headers={"Content-Type": content_type}
        )


@dataclass
class ReportDocument:
    """Everything one PDF prints, gathered before rendering."""

    case: Case
    number: int
    is_draft: bool
    dated: dt.date
    sections: dict[str, str]
    recommendations: list[dict]
    timeline_svg: str
    genogram_svg: str
    include: tuple[str, ...] = ALL_SECTIONS
    reason: str = ""
    approved_by: str = ""
    psychologist: str = ""
    meeting_date: dt.date | None = None
    recipient: str = ""
    shared: bool = False
    extra: dict = field(default_factory=dict)
    # The language it is made in (the one active when it was put together).
    language: str = field(default_factory=lambda: translation.get_language() or "en-gb")

    @property
    def filename(self) -> str:
        suffix = "-draft" if self.is_draft else ""
        part = "" if self.include == ALL_SECTIONS else "-sections"
        welsh = "-cy" if self.language == "cy" else ""
        return f"formulation-report-{self.case.reference}-v{self.number}{suffix}{part}{welsh}.pdf"


def _ordered(sections) -> tuple[str, ...]:
    if not sections:
        return ALL_SECTIONS
    chosen = set(sections)
    return tuple(key for key in ALL_SECTIONS if key in chosen)


def document_for(
    report: Report,
    *,
    user: User,
    version: ReportVersion | None = None,
    sections=None,
    circulation: Circulation | None = None,
) -> ReportDocument:
    """The draft as it stands (version=None), or a frozen final version; a circulated copy
    prints only the sections sent and leaves out sensitive timeline events."""
    case = report.case
    meeting = report.meeting
    common = {
        "case": case,
        "psychologist": report.psychologist.get_full_name() or report.psychologist.username,
        "meeting_date": timezone.localdate(meeting.starts_at),
    }
    if circulation is not None:
        version = circulation.version
        sections = circulation.sections or None
        common["recipient"] = _("Copy for %(who)s (%(agency)s), sent %(date)s") % {
            "who": circulation.recipient_name,
            "agency": circulation.get_agency_display(),
            "date": display_date(circulation.sent_on),
        }
        common["shared"] = True
    if version is None:
        return ReportDocument(
            number=report.number,
            is_draft=report.status != Report.Status.FINAL,
            dated=timezone.localdate(),
            sections=report.section_texts(),
            recommendations=recommendation_rows(case),
            timeline_svg=timeline_svg(user, case),
            genogram_svg=genogram_svg(case),
            include=_ordered(sections),
            reason=report.amendment_reason if report.number > 1 else "",
            **common,
        )
    shared = common.get("shared", False)
    return ReportDocument(
        number=version.number,
        is_draft=False,
        dated=timezone.localdate(version.finalised_at),
        sections={key: version.sections.get(key, "") for key in TEXT_SECTIONS},
        recommendations=version.recommendations,
        timeline_svg=version.timeline_shared_svg if shared else version.timeline_svg,
        genogram_svg=version.genogram_svg,
        include=_ordered(sections),
        reason=version.reason,
        approved_by=version.approved_by,
        **common,
    )


def _css_string(value: str) -> str:
    """A CSS string literal for the page-margin boxes, safe inside <style>: quotes and
    backslashes escaped, and < > & as CSS escapes so typed text cannot close the element."""
    cleaned = " ".join(str(value).split())
    escaped = []
    for char in cleaned:
        if char in '\\"<>&':
            escaped.append(f"\\{ord(char):x} ")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


def render_html(doc: ReportDocument) -> str:
    child = doc.case.child
    sections = [
        {
            "key": key,
            "label": ReportSection(key).label,
            "text": doc.sections.get(key, ""),
        }
        for key in doc.include
    ]
    return render_to_string(
        "formulation/report_pdf.html",
        {
            "LANGUAGE_CODE": translation.get_language() or settings.LANGUAGE_CODE,
            "Section": ReportSection,
            "doc": doc,
            "child": child,
            "sections": sections,
            "timeline_svg": mark_safe(doc.timeline_svg),  # noqa: S308 - our own renderer
            "genogram_svg": mark_safe(doc.genogram_svg),  # noqa: S308 - our own renderer
            # The timeline down portrait pages; the genogram at 1:1 (text 9 pt), landscape
            # when it is wider than a portrait page.
            "timeline_pages": [
                mark_safe(page)  # noqa: S308 - our own renderer
                for page in pages_from_drawing(doc.timeline_svg) or []
            ],
            "genogram_wide": document_width(doc.genogram_svg) > PAGE_WIDTH,
            "not_a_court_report": NOT_A_COURT_REPORT,
            "marking": settings.PROTECTIVE_MARKING,
            "css": {
                "marking": _css_string(settings.PROTECTIVE_MARKING),
                "who": _css_string(
                    f"{child.full_name} · {_('born')} {display_date(child.date_of_birth)}"
                ),
                "version": _css_string(
                    (_("DRAFT version %(n)s") if doc.is_draft else _("Version %(n)s"))
                    % {"n": doc.number}
                    + f" · {display_date(doc.dated)}"
                ),
                "page": _css_string(_("Page")),
                "of": _css_string(_("of")),
                "recipient": _css_string(doc.recipient),
            },
        },
    )


def render_pdf(doc: ReportDocument, progress: Progress | None = None) -> bytes:
    """Render to PDF bytes; `progress(percent, stage)` is told as each stage starts."""
    # Stage names are stored untranslated and translated when shown to the user.
    report = progress or (lambda percent, stage: None)
    report(20, gettext_noop("Preparing the text and drawings"))
    html = render_html(doc)
    report(40, gettext_noop("Laying out the pages"))
    document = HTML(string=html, base_url="file:///", url_fetcher=StaticOnlyFetcher()).render()
    report(85, gettext_noop("Writing the PDF"))
    data = document.write_pdf()
    report(100, gettext_noop("Ready"))
    return data


def estimated_size(report: Report) -> int:
    """A cheap measure of how heavy the PDF is: timeline events and family members."""
    child_id = report.case.child_id
    return (
        TimelineEvent.objects.filter(child_id=child_id).count()
        + FamilyMember.objects.filter(child_id=child_id).count()
    )
