"""The timeline on paper: years down A4 portrait pages, events beside them, every title whole
at 9 pt or more; the genogram at 9 pt or more too (pypdf reads the PDF's text and sizes)."""

import datetime as dt
import io
import math
import re
import xml.etree.ElementTree as ET

import pytest
from pypdf import PdfReader

from formulation.models import TimelineEvent
from formulation.report import pdf
from formulation.timeline.drawing import TimelineItem, render_timeline
from formulation.timeline.print_layout import (
    FIRST_PAGE_HEIGHT,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    pages_from_drawing,
    render_timeline_pages,
)
from tests.formulation.test_report import FAMILY_NAME, finalised, held  # noqa: F401

NS = "{http://www.w3.org/2000/svg}"
DOB = dt.date(2011, 5, 7)
TODAY = dt.date(2026, 12, 1)
LONG = "Parents separate after DV incident; Dad leaves and Mum moves with the children to Nan's"


def items(count: int = 60) -> list[TimelineItem]:
    out = [
        TimelineItem(1, LONG, "family", dt.date(2014, 3, 1), precision="month"),
        TimelineItem(2, "Child protection plan: neglect", "social_care", dt.date(2013, 11, 4),
                     end=dt.date(2015, 1, 20), sensitive=True),
        TimelineItem(3, "Speech delay noted", "health", dt.date(2014, 5, 7), precision="approx"),
        TimelineItem(-4, "Offence: Theft from a shop", "offending", dt.date(2025, 10, 9)),
    ]  # fmt: skip
    for i in range(5, count):
        out.append(
            TimelineItem(i, f"Event number {i} in a crowded year with a long title to wrap",
                         "education", dt.date(2024, 1 + i % 12, 1 + i % 27))
        )  # fmt: skip
    return out


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output


def shown(root: ET.Element, event_id: int) -> str:
    [group] = [g for g in root.iter(f"{NS}g") if g.get("id") == f"tl-print-{event_id}"]
    return " ".join(t.text or "" for t in group.iter(f"{NS}text"))


def test_pages_run_down_a4_portrait_from_the_year_of_birth_to_this_year():
    pages = [parse(p) for p in render_timeline_pages(items(), date_of_birth=DOB, today=TODAY,
                                                    title="Timeline")]  # fmt: skip
    assert len(pages) > 1
    for number, root in enumerate(pages):
        assert float(root.get("width")) == PAGE_WIDTH
        assert float(root.get("height")) <= (FIRST_PAGE_HEIGHT if number == 0 else PAGE_HEIGHT)
    years = [t.text for root in pages for t in root.iter(f"{NS}text")
             if t.get("data-kind") == "year"]  # fmt: skip
    assert years[0] == "2011"  # no empty year before birth
    assert years[-1] == "2026"
    assert "2024" in years and years.count("2024") >= 2  # the crowded year goes on over a page
    texts = [t.text for root in pages for t in root.iter(f"{NS}text")]
    assert "continued" in texts
    assert "2015 – 2023" in years  # a run of empty years takes one row


def test_every_title_is_whole_with_its_category_and_date_at_12_units_or_more():
    pages = [parse(p) for p in render_timeline_pages(items(), date_of_birth=DOB, today=TODAY,
                                                    title="Timeline")]  # fmt: skip
    whole = " ".join(" ".join(t.text or "" for t in root.iter(f"{NS}text")) for root in pages)
    for item in items():
        root = next(r for r in pages if any(g.get("id") == f"tl-print-{item.id}"
                                            for g in r.iter(f"{NS}g")))  # fmt: skip
        assert item.title in shown(root, item.id) or item.title in " ".join(
            shown(root, item.id).split()
        )
    assert "…" not in whole
    period = shown(next(r for r in pages if "tl-print-2" in ET.tostring(r, "unicode")), 2)
    assert "Child protection plan: neglect" in period  # the period's box has its text
    assert "4 Nov 2013 – 20 Jan 2015" in period and "sensitive" in period
    assert "c. 7 May 2014" in shown(pages[0], 3)
    sizes = {float(t.get("font-size")) for root in pages for t in root.iter(f"{NS}text")}
    assert min(sizes) >= 12


def test_a_frozen_drawing_prints_the_same_pages_and_an_old_one_as_it_is():
    svg = render_timeline(items(), date_of_birth=DOB, today=TODAY, title="Timeline X")
    direct = render_timeline_pages(items(), date_of_birth=DOB, today=TODAY, title="Timeline X")
    assert pages_from_drawing(svg) == direct
    old = re.sub(r' data-(start|end|precision|title|born|today)="[^"]*"', "", svg)
    assert pages_from_drawing(old) is None
    assert pages_from_drawing("not svg") is None


def drawing_text_sizes(data: bytes, marking: str) -> tuple[list[str], dict[int, list[tuple]]]:
    """Each page's text runs with their size in points (font size x text and current
    matrices), leaving out the page-margin boxes (marking, name, version, page number)."""
    reader = PdfReader(io.BytesIO(data))
    texts, runs = [], {}
    for number, page in enumerate(reader.pages):
        found = []

        def visit(text, cm, tm, font, size, found=found):
            if not text.strip():
                return
            a, b = tm[0] * cm[0] + tm[1] * cm[2], tm[0] * cm[1] + tm[1] * cm[3]
            c, d = tm[2] * cm[0] + tm[3] * cm[2], tm[2] * cm[1] + tm[3] * cm[3]
            found.append((text.strip(), size * math.sqrt(abs(a * d - b * c))))

        texts.append(page.extract_text(visitor_text=visit))
        margin = re.compile(rf"^({re.escape(marking)}|.* · born .*|Version .*|Page \d+ of \d+)$")
        runs[number] = [(t, s) for t, s in found if not margin.match(t)]
    return texts, runs


@pytest.mark.django_db
def test_report_pdf_prints_every_event_whole_at_9_pt_or_more(world, held):  # noqa: F811
    child = held.case.child
    dob = child.date_of_birth
    titles = [LONG, "Looked after: short-term foster placement with a family in Swansea"]
    TimelineEvent.objects.create(child=child, title=titles[0], category="family",
                                 start_date=dob.replace(year=dob.year + 3))  # fmt: skip
    TimelineEvent.objects.create(child=child, title=titles[1], category="social_care",
                                 start_date=dob.replace(year=dob.year + 9),
                                 end_date=dob.replace(year=dob.year + 10))  # fmt: skip
    for i in range(30):
        title = f"Crowded event {i}: school meeting about attendance and a new plan"
        titles.append(title)
        TimelineEvent.objects.create(child=child, title=title, category="education",
                                     start_date=dob.replace(year=dob.year + 12))  # fmt: skip
    report = finalised(world, held)
    doc = pdf.document_for(report, user=world.psychologist, version=report.versions.get())
    data = pdf.render_pdf(doc)
    texts, runs = drawing_text_sizes(data, "OFFICIAL-SENSITIVE")
    reader = PdfReader(io.BytesIO(data))
    timeline_pages = [n for n, t in enumerate(texts) if "Timeline " in t and "age " in t]
    assert len(timeline_pages) >= 2  # split across pages
    for n in timeline_pages:
        assert reader.pages[n].mediabox.width < reader.pages[n].mediabox.height  # portrait
    flat = " ".join(" ".join(texts[n] for n in timeline_pages).split())
    for title in [*titles, "Moved to nan's house", "Told the nurse"]:
        assert title in flat
    [genogram] = [n for n, t in enumerate(texts) if FAMILY_NAME in t]
    for n in [*timeline_pages, genogram]:
        assert runs[n]
        small = [(t, round(s, 2)) for t, s in runs[n] if s < 8.99]
        assert small == [], f"page {n + 1}: text under 9 pt"
