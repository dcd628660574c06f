"""The timeline laid out for paper: years down A4 portrait pages, each year's events beside
it, full titles wrapped onto as many lines as they need, text at 12 units or more (9 pt when
a unit is a CSS pixel, as the report PDF prints it: 640 units across the page's 174 mm).

`render_timeline_pages` returns one SVG document per page, so the PDF can break between
them; a year with more events than a page holds goes on over the page ("continued").
`pages_from_drawing` redraws the pages from a timeline drawing (`render_timeline`), which
carries its events' data in data-* attributes: a report version frozen at finalisation
keeps only that drawing, and prints from it.
"""

from __future__ import annotations

import datetime
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from django.utils.translation import gettext as _

from ecm.dates import age_on
from ecm.drawing import (
    BORDER,
    INK,
    MUTED,
    SVG_NS,
    clean,
    darker,
    document,
    el,
    text,
    text_width,
    wrap,
)

from .drawing import CATEGORIES, TimelineItem, _date_text, first_year
from .models import Category, Precision

#: The width of a page's drawing: A4 portrait (210 mm) less the report's 18 mm margins (less a
#: little to spare), in CSS pixels (96 per inch), so that the PDF prints it at 1:1.
PAGE_WIDTH = 640.0
#: The height available on a page (297 mm less the margins, a little to spare), and on the
#: first page, under the section heading.
PAGE_HEIGHT = 900.0
FIRST_PAGE_HEIGHT = 820.0
#: Text sizes, in units (= CSS px): 12 px is 9 pt.
TITLE_SIZE = 12.5
TEXT_SIZE = 12.0
YEAR_SIZE = 14.0

_YEAR_COL = 92.0  # the year and age column
_LEFT = 4.0
_RIGHT = 4.0
_PAD = 8.0
_LINE = 16.0
_GAP = 6.0
_EMPTY_ROW = 30.0
_HEAD = 52.0  # the title and the key at the top of a page
_ALERT = "#9b1c1c"


@dataclass
class _Entry:
    item: TimelineItem
    lines: list[str]
    sub: str
    height: float


@dataclass
class _Row:
    label: str  # "2014", or "2016 – 2018" for a run of empty years
    age: str
    entries: list[_Entry]


def _age_label(year: int, date_of_birth: datetime.date) -> str:
    if year < date_of_birth.year:
        return _("before birth")
    if year == date_of_birth.year:
        return _("born")
    return _("age %(age)d") % {"age": age_on(date_of_birth, datetime.date(year, 12, 31))}


def _entry(item: TimelineItem) -> _Entry:
    category = item.category if item.category in CATEGORIES else Category.OTHER
    label = str(CATEGORIES[category][0])
    title = clean(item.title).strip() or _("(untitled)")
    width = PAGE_WIDTH - _RIGHT - _YEAR_COL - 2 * _PAD - 6 - (22 if item.sensitive else 0)
    lines = wrap(title, width, TITLE_SIZE, True, 50)
    parts = [label, _date_text(item)]
    if item.sensitive:
        parts.append(_("sensitive"))
    sub = " · ".join(parts)
    sub_lines = wrap(sub, width, TEXT_SIZE, False, 5)
    height = 2 * _PAD - 2 + _LINE * (len(lines) + len(sub_lines))
    return _Entry(item, lines, "\n".join(sub_lines), height)


def _rows(
    items: list[TimelineItem], date_of_birth: datetime.date, today: datetime.date
) -> list[_Row]:
    """One row per year, events in date order; runs of three or more empty years in one."""
    first = first_year(items, date_of_birth)
    last = max(today.year, date_of_birth.year)
    by_year: dict[int, list[TimelineItem]] = {}
    for item in items:
        start = item.start
        if item.end is not None and item.end < start:
            start = item.end
        year = min(max(start.year, first), last)
        by_year.setdefault(year, []).append(item)
    rows: list[_Row] = []
    year = first
    while year <= last:
        if year in by_year:
            ordered = sorted(by_year[year], key=lambda i: (i.start, i.id))
            rows.append(
                _Row(str(year), _age_label(year, date_of_birth), [_entry(i) for i in ordered])
            )
            year += 1
            continue
        run_end = year
        while run_end + 1 <= last and run_end + 1 not in by_year:
            run_end += 1
        if run_end - year >= 2:
            rows.append(_Row(f"{year} – {run_end}", _("nothing recorded"), []))
        else:
            for y in range(year, run_end + 1):
                rows.append(_Row(str(y), _age_label(y, date_of_birth), []))
        year = run_end + 1
    return rows


def _draw_entry(entry: _Entry, y: float) -> str:
    item = entry.item
    category = item.category if item.category in CATEGORIES else Category.OTHER
    colour = CATEGORIES[category][1]
    dark = darker(colour)
    approx = item.precision == Precision.APPROX
    x = _YEAR_COL
    w = PAGE_WIDTH - _RIGHT - x
    parts = [
        el(
            "rect",
            {
                "x": x,
                "y": y,
                "width": w,
                "height": entry.height,
                "rx": 4,
                "fill": colour,
                "stroke": dark,
                "stroke-width": 1.6 if approx else 1,
                "stroke-dasharray": "5 3" if approx else None,
                "data-kind": "event-box",
            },
        ),
        el("rect", {"x": x + 2, "y": y + 3, "width": 4, "height": entry.height - 6, "fill": dark}),
    ]
    ty = y + _PAD + 11
    for line in entry.lines:
        parts.append(text(x + _PAD + 6, ty, line, TITLE_SIZE, bold=True))
        ty += _LINE
    for line in entry.sub.split("\n"):
        parts.append(text(x + _PAD + 6, ty, line, TEXT_SIZE))
        ty += _LINE
    if item.sensitive:
        cx, cy = x + w - 14, y + 14
        parts.append(
            el("circle", {"cx": cx, "cy": cy, "r": 8, "fill": "#ffffff", "stroke": _ALERT})
            + text(cx, cy + 4.5, "!", 12, anchor="middle", bold=True, fill=_ALERT)
        )
    return el(
        "g",
        {"id": f"tl-print-{item.id}", "data-kind": "event", "data-category": category},
        "".join(parts),
    )


def _draw_row_head(row: _Row, y: float, height: float, shade: bool, continued: bool) -> str:
    parts = [
        el(
            "rect",
            {
                "x": _LEFT,
                "y": y,
                "width": PAGE_WIDTH - _LEFT - _RIGHT,
                "height": height,
                "fill": "#f3f5f8" if shade else "#ffffff",
            },
        ),
        el("line", {"x1": _LEFT, "y1": y, "x2": PAGE_WIDTH - _RIGHT, "y2": y, "stroke": BORDER}),
    ]
    label = row.label
    size = YEAR_SIZE if text_width(label, YEAR_SIZE, True) <= _YEAR_COL - 12 else TEXT_SIZE
    parts.append(text(_LEFT + 6, y + 19, label, size, bold=True, extra={"data-kind": "year"}))
    age = _("continued") if continued else row.age
    for i, line in enumerate(wrap(age, _YEAR_COL - 12, TEXT_SIZE, False, 2)):
        parts.append(text(_LEFT + 6, y + 36 + i * 15, line, TEXT_SIZE, fill=MUTED))
    return "".join(parts)


def _key() -> str:
    """One line under the page title: what the marks mean (categories are written out)."""
    x = _LEFT
    y = _HEAD - 8
    parts = [
        el(
            "rect",
            {
                "x": x,
                "y": y - 11,
                "width": 26,
                "height": 14,
                "rx": 3,
                "fill": "#ffffff",
                "stroke": INK,
                "stroke-dasharray": "5 3",
            },
        ),
        text(x + 32, y, _("approximate date (c.)"), TEXT_SIZE),
    ]
    x += 32 + text_width(_("approximate date (c.)"), TEXT_SIZE) + 18
    parts.append(
        el("circle", {"cx": x + 8, "cy": y - 4, "r": 8, "fill": "#ffffff", "stroke": _ALERT})
        + text(x + 8, y + 0.5, "!", 12, anchor="middle", bold=True, fill=_ALERT)
    )
    parts.append(text(x + 22, y, _("sensitive"), TEXT_SIZE))
    return el("g", {"data-kind": "key"}, "".join(parts))


def render_timeline_pages(
    items: list[TimelineItem],
    *,
    date_of_birth: datetime.date,
    today: datetime.date,
    title: str,
    first_page_height: float = FIRST_PAGE_HEIGHT,
    page_height: float = PAGE_HEIGHT,
) -> list[str]:
    """The timeline as SVG pages for A4 portrait: years down the page, events beside them."""
    title = clean(title)
    pages: list[list[str]] = []
    heights: list[float] = []
    body: list[str] = []
    limit = first_page_height
    y = 0.0

    def new_page() -> None:
        nonlocal body, y, limit
        if body:
            pages.append(body)
            heights.append(y + 4)
            limit = page_height
        heading = title if not pages else _("%(title)s (continued)") % {"title": title}
        body = [text(_LEFT, 18, heading, 14, bold=True), _key()]
        y = _HEAD + 8

    new_page()
    for index, row in enumerate(_rows(items, date_of_birth, today)):
        shade = index % 2 == 1
        if not row.entries:
            if y + _EMPTY_ROW > limit - 4:
                new_page()
            body.append(_draw_row_head(row, y, _EMPTY_ROW, shade, False))
            y += _EMPTY_ROW
            continue
        pending = list(row.entries)
        continued = False
        while pending:
            # As many of the year's events as fit on this page (at least one on a fresh page).
            taken: list[_Entry] = []
            need = _GAP
            for entry in pending:
                too_tall = y + max(need + entry.height + _GAP, 52.0) > limit - 4
                if too_tall and (taken or y > _HEAD + 8):
                    break
                taken.append(entry)
                need += entry.height + _GAP
            if not taken:
                new_page()
                continue
            height = max(need, 52.0)
            body.append(_draw_row_head(row, y, height, shade, continued))
            ey = y + _GAP
            for entry in taken:
                body.append(_draw_entry(entry, ey))
                ey += entry.height + _GAP
            y += height
            pending = pending[len(taken) :]
            if pending:
                new_page()
                continued = True
    pages.append(body)
    heights.append(y + 4)
    total = len(pages)
    out = []
    for number, (page, height) in enumerate(zip(pages, heights, strict=True), start=1):
        desc = _("Timeline, page %(n)d of %(total)d: years down the page, events beside them.") % {
            "n": number,
            "total": total,
        }
        out.append(document("timeline-page", PAGE_WIDTH, height, title, desc, page))
    return out


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def pages_from_drawing(svg: str) -> list[str] | None:
    """The print pages of a timeline drawing made by `render_timeline`, from the data its
    events carry; None for a drawing made before they carried it (print that as it is)."""
    try:
        root = ET.fromstring(svg)  # noqa: S314 - our own renderer's output
    except ET.ParseError:
        return None
    ns = f"{{{SVG_NS}}}"
    meta = next((g for g in root.iter(f"{ns}g") if g.get("data-kind") == "timeline-data"), None)
    if meta is None or not meta.get("data-born") or not meta.get("data-today"):
        return None
    items = []
    for group in root.iter(f"{ns}g"):
        if group.get("data-kind") != "event" or group.get("data-start") is None:
            continue
        items.append(
            TimelineItem(
                id=int(group.get("id", "").removeprefix("tl-event-") or 0),
                title=group.get("data-title", ""),
                category=group.get("data-category", Category.OTHER),
                start=datetime.date.fromisoformat(group.get("data-start")),
                end=_date(group.get("data-end")),
                precision=group.get("data-precision", Precision.DAY),
                sensitive=group.get("data-sensitive") == "1",
            )
        )
    heading = root.find(f"{ns}title")
    return render_timeline_pages(
        items,
        date_of_birth=datetime.date.fromisoformat(meta.get("data-born")),
        today=datetime.date.fromisoformat(meta.get("data-today")),
        title=heading.text or "" if heading is not None else "",
    )
