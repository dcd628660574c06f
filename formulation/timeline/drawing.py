"""The timeline drawing (the child's life, from the year of birth, or the earliest event if
that is earlier, to today), server-side SVG.

Pure Python: `render_timeline` takes plain dataclasses (built by the caller from its models)
and returns an SVG document as a string, built with the drawing kit (ecm/drawing.py). The
same string is used inline in the browser and in the PDF. Every piece of user text is
escaped, and every fixed user-facing string goes through gettext.

Colour is never the only signal: every category has a text label as well as a colour, dashed
outlines mark approximate dates, a "!" marks sensitive events, and a key explains them.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ecm.dates import age_on, nth_birthday
from ecm.drawing import (
    BORDER,
    FONT_FAMILY,
    INK,
    MARGIN,
    MUTED,
    Legend,
    clean,
    darker,
    document,
    el,
    escape,
    text,
    text_width,
    truncate,
)

from .models import Category, Precision

__all__ = [
    "CATEGORIES",
    "EARLIEST",
    "FONT_FAMILY",
    "PX_PER_EARLY_YEAR",
    "PX_PER_YEAR",
    "PROJECTOR_SCREEN",
    "render_timeline_for_screen",
    "TimelineItem",
    "render_timeline",
    "timeline_start",
]


#: Horizontal scale of the timeline: compact, so that a whole childhood (18 or 19 years,
#: the pregnancy included) is about 1,200 units wide and, fitted to a 1280 px page, its
#: titles are drawn at 11 px or more. Events stack into lanes instead (`_pack`).
PX_PER_YEAR = 60
#: The scale of the years before the year before birth (the parents' history: "Parents
#: together '89 to '01"), narrower so that a family history from decades back does not make
#: the child's own years unreadably small when the drawing is fitted to a page.
PX_PER_EARLY_YEAR = 30
#: The projector's scales to choose from (`render_timeline_for_screen`): wider than the
#: page's, so that the whole life, scaled to a 16:9 screen, is wide rather than tall.
SCREEN_PX_PER_YEAR = (60, 75, 90, 105, 120, 140, 160)
#: The projector's screen (1920 x 1080 less the page's heading).
PROJECTOR_SCREEN = (1920, 1040)
#: No event is earlier (the timeline services refuse it); the drawing clamps to it too.
EARLIEST = datetime.date(1900, 1, 1)

#: The fill of each category: light enough for black text (contrast well above 7:1), with
#: distinct hues; the category's label is always shown too.
CATEGORY_FILLS = {
    Category.FAMILY: "#FDD49E",
    Category.EDUCATION: "#B5D4F4",
    Category.HEALTH: "#BDE5C1",
    Category.SOCIAL_CARE: "#D8C7F0",
    Category.OFFENDING: "#F6B3AE",
    Category.ACCOMMODATION: "#F2E58F",
    Category.RELATIONSHIPS: "#F6C4DF",
    Category.LOSS: "#C9C9C9",
    Category.INTERVENTIONS: "#9EE0D8",
    Category.OTHER: "#E3D5C3",
}
#: Timeline categories: key -> (label, fill), in the key's order.
CATEGORIES: dict[str, tuple[str, str]] = {c: (c.label, CATEGORY_FILLS[c]) for c in Category}


def timeline_start(date_of_birth: datetime.date) -> datetime.date:
    """Where the full scale of a child's timeline starts: 1 January of the year before their
    birth (the pregnancy). The drawing itself starts at the year of birth unless an event is
    earlier (`first_year`)."""
    return datetime.date(date_of_birth.year - 1, 1, 1)


@dataclass(frozen=True)
class TimelineItem:
    id: int
    title: str
    category: str  # one of CATEGORIES (others are drawn as "other")
    start: datetime.date  # already normalised (month precision: day 1; year: 1 January)
    end: datetime.date | None = None  # for spans (elongated boxes)
    precision: str = Precision.DAY
    sensitive: bool = False


_TL_LEFT = 64.0  # room for the row headings
_TL_RIGHT = 16.0
_TL_YEAR_TOP = 48.0
_TL_YEAR_H = 28.0
_TL_AGE_H = 24.0
_FOOT_H = 21.0  # the years again under the lanes
_BOX_H = 32.5  # a box with one line of title and one of category and date
_LINE_STEP = 14.5  # each further line of title makes the box this much taller
_SUB_STEP = 12.5  # the category and the date on two lines: this much taller
_LANE_GAP = 4.0  # between boxes stacked one above the other
_BOX_GAP = 5.0  # between boxes side by side
_REGION_GAP = 14.0  # between the periods' lanes and the events' lanes
_MIN_BOX = 60.0
_MAX_TEXT = 170.0  # a title wider than this goes onto two lines (three if it must)
_MAX_SUB = 120.0  # the category and the date wider than this (and the title): two lines
_ALERT = "#9b1c1c"
_PAD = 6.0
_BAR_H = 10.0  # a period's bar (its text under it)
_TITLE_SIZE = 12.0
_SUB_SIZE = 10.5


def first_year(items: list[TimelineItem], date_of_birth: datetime.date) -> int:
    """The first year drawn: the year of birth, or the earliest event's year if that is
    earlier (the pregnancy, the parents' history), never before `EARLIEST`. No empty years
    before birth."""
    earliest = min(
        (day for item in items for day in (item.start, item.end) if day is not None),
        default=None,
    )
    if earliest is None or earliest.year >= date_of_birth.year:
        return date_of_birth.year
    return max(earliest, EARLIEST).year


def _best_split(widths: list[float], space: float, count: int) -> tuple[float, list[int]]:
    """Where to break a line of words (their `widths`) into `count` lines so that the widest
    line is narrowest: (that width, the index of each line's first word)."""
    prefix = [0.0]
    for width in widths:
        prefix.append(prefix[-1] + width)

    def span(i: int, j: int) -> float:  # words i..j-1 on one line
        return prefix[j] - prefix[i] + space * (j - i - 1)

    def score(starts: list[int]) -> tuple[float, float, list[int]]:
        lines = [span(a, b) for a, b in zip(starts, [*starts[1:], n], strict=True)]
        return (round(max(lines), 1), max(lines) - min(lines), starts)  # then the most even

    n = len(widths)
    if count == 2:
        splits = [[0, i] for i in range(1, n)]
    else:
        splits = [[0, i, j] for i in range(1, n - 1) for j in range(i + 1, n)]
    widest, _spread, starts = min(score(split) for split in splits)
    return widest, starts


def title_lines(title: str, max_width: float = _MAX_TEXT) -> list[str]:
    """An event's title as drawn: one line if it fits `max_width`, else two lines split where
    the wider of them is narrowest, or three when two would still be wider than `max_width`
    (then as even as they can be, wider than `max_width` if they must). Never cut: the box is
    made as wide as its lines."""
    if text_width(title, _TITLE_SIZE, True) <= max_width:
        return [title]
    words = title.split()
    if len(words) < 2:
        return [title]
    widths = [text_width(word, _TITLE_SIZE, True) for word in words]
    space = text_width(" ", _TITLE_SIZE, True)
    widest, starts = _best_split(widths, space, 2)
    if widest > max_width and len(words) >= 3:
        widest, starts = _best_split(widths, space, 3)
    ends = [*starts[1:], len(words)]
    return [" ".join(words[a:b]) for a, b in zip(starts, ends, strict=True)]


def _format_date(day: datetime.date, precision: str) -> str:
    if precision == Precision.YEAR:
        return str(day.year)
    # The locale's formats: "Dec 2026", "1 Dec 2026"; in Welsh "Rhagfyr 2026", "1 Rhagfyr 2026".
    if precision == Precision.MONTH:
        return formats.date_format(day, "YEAR_MONTH_FORMAT")
    if precision == Precision.APPROX:
        if day.month == 1 and day.day == 1:
            shown = str(day.year)
        elif day.day == 1:
            shown = formats.date_format(day, "YEAR_MONTH_FORMAT")
        else:
            shown = formats.date_format(day, "DATE_FORMAT")
        return _("c. %(date)s") % {"date": shown}
    return formats.date_format(day, "DATE_FORMAT")


def _date_text(item: TimelineItem) -> str:
    shown = _format_date(item.start, item.precision)
    if item.end is not None:
        end = _format_date(item.end, item.precision)
        if end != shown:
            shown += " – " + end
    return shown


class _Axis:
    """Years from `first_year` to `last_year`; those before `full_from` (the year before
    birth) at the narrower early scale."""

    def __init__(
        self,
        first_year: int,
        last_year: int,
        full_from: int | None = None,
        px_per_year: float = PX_PER_YEAR,
    ):
        self.px_full = px_per_year
        self.px_early = PX_PER_EARLY_YEAR * px_per_year / PX_PER_YEAR
        self.first_year = first_year
        self.last_year = last_year
        self.full_from = first_year if full_from is None else max(full_from, first_year)
        self.start = datetime.date(first_year, 1, 1)
        self.end = datetime.date(last_year, 12, 31)
        self.left = _TL_LEFT
        self.right = self.year_x(last_year + 1)

    def clamp(self, day: datetime.date) -> datetime.date:
        return min(max(day, self.start), self.end)

    def year_width(self, year: int) -> float:
        return self.px_full if year >= self.full_from else self.px_early

    def x(self, day: datetime.date) -> float:
        day = self.clamp(day)
        year_start = datetime.date(day.year, 1, 1)
        days = (datetime.date(day.year + 1, 1, 1) - year_start).days
        fraction = (day - year_start).days / days
        return self.year_x(day.year) + fraction * self.year_width(day.year)

    def year_x(self, year: int) -> float:
        early = min(year, self.full_from) - self.first_year
        full = max(year - self.full_from, 0)
        return self.left + early * self.px_early + full * self.px_full


@dataclass
class _Event:
    item: TimelineItem
    category: str
    label: str
    colour: str
    date_text: str
    box_x: float
    box_w: float
    text_x: float
    text_w: float
    inside: bool
    strip_x: float | None
    lines: tuple[str, ...] = ()
    align_end: bool = False
    lo: float = 0.0
    hi: float = 0.0
    lane: int = 0
    subs: tuple[str, ...] = ()  # the category and the date: one line, or two
    period: bool = False  # drawn in the periods' lanes
    y: float = 0.0  # from the top of its lanes
    mirror: _Event | None = None  # the other way round (ending at its date, or end)

    @property
    def height(self) -> float:
        return _box_height(self)


def _layout_event(item: TimelineItem, axis: _Axis) -> _Event:
    category = item.category if item.category in CATEGORIES else Category.OTHER
    label, colour = CATEGORIES[category]
    label = str(label)
    title = clean(item.title).strip() or _("(untitled)")
    date_text = _date_text(item)
    sub = f"{label} · {date_text}"
    marker = 18.0 if item.sensitive else 0.0
    sub_w = text_width(sub, _SUB_SIZE)
    lines = title_lines(title)
    title_w = max(text_width(line, _TITLE_SIZE, True) for line in lines)
    # The category and the date on one line when that is no wider than the title (or the
    # `_MAX_SUB`), else on two: the box stays narrow.
    subs = [sub] if sub_w <= max(title_w, _MAX_SUB) else [label, date_text]

    def need(lines: list[str], subs: list[str] = subs) -> float:
        return (
            max(
                max(text_width(line, _TITLE_SIZE, True) for line in lines),
                max(text_width(line, _SUB_SIZE) for line in subs),
            )
            + marker
        )

    text_need = need(lines)
    start = axis.clamp(item.start)
    end = axis.clamp(item.end) if item.end is not None else None
    if end is not None and end < start:
        start, end = end, start
    x0 = axis.x(start)
    x1 = axis.x(end) if end is not None else x0

    def event(box_x, box_w, text_x, text_w, inside, strip, lo, hi, shown=lines) -> _Event:
        made = _Event(
            item,
            category,
            label,
            colour,
            date_text,
            box_x,
            box_w,
            text_x,
            text_w - marker,
            inside,
            strip,
            tuple(shown),
        )
        made.lo, made.hi = lo, hi
        made.subs = (sub,) if need(shown, [sub]) <= text_w + 0.01 else tuple(subs)
        made.period = end is not None and x1 - x0 >= 6
        return made

    if end is None or x1 - x0 < 6:
        # A point event: a box starting at its date (ending at it near the right edge),
        # with a dark strip on the side of the date; as wide as its text (never cut).
        width = max(text_need + 2 * _PAD + 4, _MIN_BOX)
        text_w = width - 2 * _PAD - 4
        # Ending at it, with the strip on the right, is the other way round (`_pack` takes
        # it when it stacks lower).
        left = event(x0 - width, width, x0 - width + _PAD, text_w, True, x0 - 3, x0 - width, x0)
        if x0 + width > axis.right:
            return left
        right = event(x0, width, x0 + _PAD + 4, text_w, True, x0, x0, x0 + width)
        right.mirror = left if x0 - width >= axis.left else None
        return right
    # A period: a bar from its start to its end, the text under it from its start (ending
    # at its end near the right edge), in the periods' own lanes.
    # Or ending at its end, when that stacks higher (`_pack`).
    text_w = text_need
    left = event(x0, x1 - x0, x1 - 2, text_w, False, None, min(x0, x1 - 2 - text_w), x1)
    left.align_end = True
    if x0 + 2 + text_w > axis.right:
        return left
    right = event(x0, x1 - x0, x0 + 2, text_w, False, None, x0, max(x1, x0 + 2 + text_w))
    right.mirror = left if x1 - 2 - text_w >= axis.left and x1 - x0 < text_w else None
    return right


def _pack(events: list[_Event]) -> tuple[list[_Event], float]:
    """Stack boxes (each taking its `lo`..`hi` across and its height down) as high up as they
    fit: each, in date order, goes to the first free place from the top, beside or under the
    boxes already placed, so that no two overlap; a point event's box starts at its date
    (text to the right of its marker) unless ending at it stacks higher. Sets each event's
    `y` (from the top of its lanes) and `lane` (its row among the distinct tops); returns
    the events as placed and the height used."""
    placed: list[tuple[float, float, float, float]] = []  # lo, hi, top, bottom (with gaps)

    def first_free(event: _Event, height: float) -> float:
        lo, hi = event.lo - _BOX_GAP, event.hi + _BOX_GAP
        near = sorted((top, bottom) for a, b, top, bottom in placed if a < hi and lo < b)
        top = 0.0
        for above, below in near:  # the lowest gap from the top that is tall enough
            if top + height + _LANE_GAP <= above:
                break
            top = max(top, below)
        return top

    chosen: list[_Event] = []
    for event in sorted(events, key=lambda e: (e.item.start, e.lo, e.item.id)):
        height = event.height
        choices = [event] if event.mirror is None else [event, event.mirror]
        tops = [first_free(choice, height) for choice in choices]
        best = min(range(len(choices)), key=lambda i: tops[i])  # the first (right) if equal
        event = choices[best]
        event.y = tops[best]
        placed.append((event.lo, event.hi, event.y, event.y + height + _LANE_GAP))
        chosen.append(event)
    tops = sorted({e.y for e in chosen})
    row = {top: i for i, top in enumerate(tops)}
    for event in chosen:
        event.lane = row[event.y]
    return chosen, max((e.y + e.height for e in chosen), default=0.0)


def _box_height(event: _Event) -> float:
    bar = _BAR_H - 2 if event.period else 0.0
    return bar + _BOX_H + _LINE_STEP * (len(event.lines) - 1) + _SUB_STEP * (len(event.subs) - 1)


def _draw_event(event: _Event, y: float) -> str:
    item = event.item
    title = clean(item.title).strip() or _("(untitled)")
    tooltip = [title, event.date_text, event.label]
    if item.sensitive:
        tooltip.append(_("sensitive"))
    dark = darker(event.colour)
    approx = item.precision == Precision.APPROX
    box_h = _box_height(event)
    text_top = y
    if event.period:
        text_top = y + _BAR_H - 2
        box_h = _BAR_H
    parts = [
        el("title", {}, escape("\n".join(tooltip))),
        el(
            "rect",
            {
                "x": event.box_x,
                "y": y,
                "width": event.box_w,
                "height": box_h,
                "rx": 4,
                "fill": event.colour,
                "stroke": dark,
                "stroke-width": 1.6 if approx else 1,
                "stroke-dasharray": "5 3" if approx else None,
                "data-kind": "event-box",
            },
        ),
    ]
    if event.strip_x is not None:
        parts.append(
            el(
                "rect",
                {"x": event.strip_x, "y": y + 3, "width": 3, "height": box_h - 6, "fill": dark},
            )
        )
    anchor = "end" if event.align_end else "start"
    for i, line in enumerate(event.lines):
        parts.append(
            text(
                event.text_x,
                text_top + 14 + i * _LINE_STEP,
                line,
                _TITLE_SIZE,
                anchor=anchor,
                bold=True,
                extra={"data-kind": "event-title"},
            )
        )
    first_sub = text_top + 14 + (len(event.lines) - 1) * _LINE_STEP + 13
    for i, line in enumerate(event.subs):
        parts.append(
            text(
                event.text_x,
                first_sub + i * _SUB_STEP,
                line,
                _SUB_SIZE,
                anchor=anchor,
                extra={"data-kind": "event-sub"},
            )
        )
    if item.sensitive:
        used = max(
            max(text_width(line, _TITLE_SIZE, True) for line in event.lines),
            max(text_width(line, _SUB_SIZE) for line in event.subs),
        )
        if event.inside:
            cx = event.box_x + event.box_w - 11
        elif event.align_end:
            cx = event.text_x - used - 10
        else:
            cx = event.text_x + used + 10
        parts.append(_sensitive_mark(cx, text_top + 10, {"data-kind": "sensitive"}))
    return el(
        "g",
        {
            "id": f"tl-event-{item.id}",
            "data-kind": "event",
            "data-category": event.category,
            "data-lane": event.lane,
            "data-period": "1" if event.period else None,
            # What the print layout (print_layout.py) redraws a frozen copy from.
            "data-title": title,
            "data-start": item.start.isoformat(),
            "data-end": item.end.isoformat() if item.end is not None else None,
            "data-precision": item.precision,
            "data-sensitive": "1" if item.sensitive else None,
        },
        "".join(parts),
    )


def _sensitive_mark(cx: float, cy: float, extra: dict[str, object] | None = None) -> str:
    """The "!" in a circle that marks a sensitive event (`extra` goes on the "!")."""
    circle = el(
        "circle",
        {"cx": cx, "cy": cy, "r": 7, "fill": "#ffffff", "stroke": _ALERT, "stroke-width": 1.4},
    )
    return circle + text(cx, cy + 4, "!", 10, anchor="middle", bold=True, fill=_ALERT, extra=extra)


def _timeline_key(top: float, width: float) -> tuple[str, float]:
    key = Legend(top, width)
    for category, (label, colour) in CATEGORIES.items():
        label = str(label)
        px, py = key.place(22 + text_width(label, 11) + 20)
        key.add(
            el(
                "rect",
                {
                    "x": px,
                    "y": py - 8,
                    "width": 16,
                    "height": 16,
                    "rx": 3,
                    "fill": colour,
                    "stroke": darker(colour),
                    "data-category": category,
                },
            ),
            text(px + 22, py + 4, label, 11),
        )
    extras = [
        ("approx", _("approximate date (c.)")),
        ("span", _("with an end date: a bar from start to end, the text under it")),
        ("sensitive", _("sensitive")),
    ]
    for kind, label in extras:
        px, py = key.place(34 + text_width(label, 11) + 20)
        if kind == "approx":
            key.add(
                el(
                    "rect",
                    {
                        "x": px,
                        "y": py - 8,
                        "width": 28,
                        "height": 16,
                        "rx": 3,
                        "fill": "#ffffff",
                        "stroke": INK,
                        "stroke-dasharray": "5 3",
                        "stroke-width": 1.4,
                    },
                )
            )
        elif kind == "span":
            key.add(
                el(
                    "rect",
                    {
                        "x": px,
                        "y": py - 5,
                        "width": 28,
                        "height": 10,
                        "rx": 3,
                        "fill": "#ffffff",
                        "stroke": INK,
                    },
                )
            )
        else:
            key.add(_sensitive_mark(px + 14, py))
        key.add(text(px + 34, py + 4, label, 11))
    return key.render()


def _draw_year_axis(axis: _Axis, top: float, marker_top: float, bottom: float) -> str:
    """Year bands (shaded alternately down the whole drawing), year labels and lines."""
    grid = []
    for year in range(axis.first_year, axis.last_year + 1):
        x = axis.year_x(year)
        width = axis.year_width(year)
        shade = (year - axis.first_year) % 2 == 1
        if shade:
            grid.append(
                el(
                    "rect",
                    {
                        "x": x,
                        "y": marker_top,
                        "width": width,
                        "height": bottom - 4 - marker_top,
                        "fill": "#f6f7f9",
                    },
                )
            )
        grid.append(
            el(
                "rect",
                {
                    "x": x,
                    "y": top,
                    "width": width,
                    "height": _TL_YEAR_H,
                    "fill": "#dfe6ee" if shade else "#eaeff4",
                },
            )
        )
        grid.append(
            text(
                x + width / 2,
                top + 19,
                str(year),
                13 if width >= axis.px_full else 10,
                anchor="middle",
                bold=True,
                extra={"data-kind": "year"},
            )
        )
    for year in range(axis.first_year, axis.last_year + 2):
        x = axis.year_x(year)
        grid.append(
            el(
                "line",
                {
                    "x1": x,
                    "y1": top,
                    "x2": x,
                    "y2": bottom - 4,
                    "stroke": "#c3cad3",
                    "stroke-width": 1,
                },
            )
        )
    return el("g", {"data-kind": "year-axis"}, "".join(grid))


def _draw_year_foot(axis: _Axis, top: float) -> str:
    """The years again, under the lanes, for a drawing taller than the screen."""
    foot = []
    for year in range(axis.first_year, axis.last_year + 1):
        x = axis.year_x(year)
        width = axis.year_width(year)
        shade = (year - axis.first_year) % 2 == 1
        foot.append(
            el(
                "rect",
                {
                    "x": x,
                    "y": top,
                    "width": width,
                    "height": _FOOT_H,
                    "fill": "#dfe6ee" if shade else "#eaeff4",
                },
            )
        )
        size = 12 if width >= axis.px_full else 10
        foot.append(text(x + width / 2, top + 15, str(year), size, anchor="middle", bold=True))
    return el("g", {"data-kind": "year-foot"}, "".join(foot))


def _draw_age_axis(
    axis: _Axis, top: float, date_of_birth: datetime.date, today: datetime.date
) -> str:
    """The age row: a labelled "before birth" band from the drawing's start to the birth,
    then one band per year of age, from each birthday to the next."""
    ages = []
    current_age = age_on(date_of_birth, today) if today >= date_of_birth else -1
    birth_x = axis.x(date_of_birth)
    if birth_x > axis.left:
        label = _("before birth")
        ages.append(
            el(
                "rect",
                {
                    "x": axis.left,
                    "y": top,
                    "width": birth_x - axis.left,
                    "height": _TL_AGE_H,
                    "fill": "#ffffff",
                    "stroke": "#9aa3ad",
                    "stroke-width": 0.8,
                    "stroke-dasharray": "4 3",
                    "data-kind": "before-birth",
                },
            )
        )
        if birth_x - axis.left >= text_width(label, 10.5) + 6:
            ages.append(
                text(
                    (axis.left + birth_x) / 2,
                    top + 16,
                    label,
                    10.5,
                    anchor="middle",
                    italic=True,
                    fill=MUTED,
                    extra={"data-kind": "before-birth-label"},
                )
            )
    for age in range(current_age + 1):
        band_start = axis.x(nth_birthday(date_of_birth, age))
        band_end = axis.x(nth_birthday(date_of_birth, age + 1))
        if band_start >= axis.right:
            break
        band_end = min(band_end, axis.right)
        ages.append(
            el(
                "rect",
                {
                    "x": band_start,
                    "y": top,
                    "width": max(band_end - band_start, 1.0),
                    "height": _TL_AGE_H,
                    "fill": "#fdf0cf" if age % 2 else "#fbe3a8",
                    "stroke": "#e0c27a",
                    "stroke-width": 0.6,
                },
            )
        )
        label = _("age %(age)d") % {"age": age}
        label_w = text_width(label, 11)
        centre = (band_start + band_end) / 2
        centre = min(max(centre, axis.left + label_w / 2 + 2), axis.right - label_w / 2 - 2)
        ages.append(text(centre, top + 16, label, 11, anchor="middle", extra={"data-kind": "age"}))
    return el("g", {"data-kind": "age-axis"}, "".join(ages))


def _draw_markers(
    axis: _Axis, top: float, bottom: float, date_of_birth: datetime.date, today: datetime.date
) -> list[str]:
    """The dashed lines of the birth and of today, with their labels."""
    body = []
    birth_x = axis.x(date_of_birth)
    today_x = axis.x(today)
    for x, label, anchor, colour in (
        (birth_x, _("birth"), "start", "#2b2b2b"),
        (today_x, _("today"), "end", "#8a1c1c"),
    ):
        body.append(
            el(
                "line",
                {
                    "x1": x,
                    "y1": top,
                    "x2": x,
                    "y2": bottom - 4,
                    "stroke": colour,
                    "stroke-width": 1.4,
                    "stroke-dasharray": "6 4",
                    "data-kind": f"marker-{'birth' if anchor == 'start' else 'today'}",
                },
            )
        )
        body.append(
            text(
                x + (4 if anchor == "start" else -4),
                top + 14,
                label,
                10.5,
                anchor=anchor,
                bold=True,
                fill=colour,
            )
        )
    return body


def _draw_nothing_yet(axis: _Axis, top: float) -> list[str]:
    """Where the events would be, a dashed box that says there are none yet."""
    message = _("Nothing to show yet: no events have been added to the timeline.")
    box = el(
        "rect",
        {
            "x": axis.left + 12,
            "y": top + 2,
            "width": text_width(message, 13) + 32,
            "height": _BOX_H,
            "rx": 6,
            "fill": "#ffffff",
            "stroke": BORDER,
            "stroke-dasharray": "5 4",
        },
    )
    return [
        box,
        text(axis.left + 28, top + 26, message, 13, fill=MUTED, extra={"data-kind": "empty"}),
    ]


def _region_heading(label: str, top: float, bottom: float) -> str:
    """The heading of a group of lanes ("Periods", "Events") in the left margin, with a rule
    from its top to its bottom."""
    return el(
        "g",
        {"data-kind": "lanes-heading"},
        el(
            "line",
            {
                "x1": _TL_LEFT - 4,
                "y1": top,
                "x2": _TL_LEFT - 4,
                "y2": bottom,
                "stroke": "#9aa3ad",
                "stroke-width": 1,
            },
        )
        + text(_TL_LEFT - 8, top + 14, label, 11, anchor="end", bold=True, fill=MUTED),
    )


def render_timeline(
    items: list[TimelineItem],
    *,
    date_of_birth: datetime.date,
    today: datetime.date,
    title: str,
    px_per_year: float = PX_PER_YEAR,
) -> str:
    """Draw the child's timeline as a standalone SVG document string (see `_render`)."""
    return _render(
        items, date_of_birth=date_of_birth, today=today, title=title, px_per_year=px_per_year
    )[0]


def _render(
    items: list[TimelineItem],
    *,
    date_of_birth: datetime.date,
    today: datetime.date,
    title: str,
    px_per_year: float = PX_PER_YEAR,
    measure_only: bool = False,
) -> tuple[str, float, float]:
    """Draw the child's timeline: (the SVG document string, its width, its height); with
    `measure_only`, its width and height only (and "" for the document).

    Years run along the top from the year of birth (or the earliest event's year, if that
    is earlier: the pregnancy, the parents' history; the years before the year before birth
    at a narrower scale) to the current year, `px_per_year` each, with the child's age
    underneath, after a labelled "before birth" band. The scale is compact (a childhood is
    about 1,200 units wide, to read when fitted to a page) and the events stack down
    instead: periods as bars from start to end with their text under them, in lanes of
    their own, then the events at a date as boxes with their text to the right of the
    date's marker (or ending at it), each in the first free place from the top (`_pack`),
    so that none overlap. Titles are never cut: a long one goes onto two lines (three if it
    must) and its box is as wide as it needs.
    """
    title = clean(title)
    last_year = max(today.year, date_of_birth.year)
    full_from = timeline_start(date_of_birth).year
    axis = _Axis(first_year(items, date_of_birth), last_year, full_from, px_per_year)
    width = axis.right + _TL_RIGHT

    events = [_layout_event(item, axis) for item in items]
    # Periods (with an end date) in lanes of their own above the events at a date.
    periods = [e for e in events if e.period]
    points = [e for e in events if not e.period]
    periods, periods_h = _pack(periods)
    points, points_h = _pack(points)
    events = periods + points

    year_top = _TL_YEAR_TOP
    age_top = year_top + _TL_YEAR_H
    marker_top = age_top + _TL_AGE_H
    periods_top = marker_top + 22
    points_top = periods_top + (periods_h + _REGION_GAP if periods else 0.0)
    for event in points:
        event.y += points_top
    for event in periods:
        event.y += periods_top
    events_bottom = points_top + max(points_h, _BOX_H if not events else 0.0) + 8
    foot_top = events_bottom - 4  # the years again under the lanes: a tall drawing scrolls
    key_svg, key_h = _timeline_key(foot_top + _FOOT_H + 10, width)
    height = foot_top + _FOOT_H + 10 + key_h + MARGIN
    if measure_only:
        return "", width, height

    body: list[str] = [
        el(
            "g",
            {
                "data-kind": "timeline-data",
                "data-born": date_of_birth.isoformat(),
                "data-today": today.isoformat(),
            },
        ),
        text(MARGIN, 30, truncate(title, width - 2 * MARGIN, 16, True), 16, bold=True),
        _draw_year_axis(axis, year_top, marker_top, events_bottom),
        _draw_year_foot(axis, foot_top),
        _draw_age_axis(axis, age_top, date_of_birth, today),
        text(axis.left - 8, year_top + 19, _("Year"), 11, anchor="end", bold=True, fill=MUTED),
        text(axis.left - 8, age_top + 16, _("Age"), 11, anchor="end", bold=True, fill=MUTED),
        *_draw_markers(axis, marker_top, events_bottom, date_of_birth, today),
    ]
    if periods:
        body.append(_region_heading(_("Periods"), periods_top, points_top - _REGION_GAP / 2))
    if points:
        body.append(_region_heading(_("Events"), points_top, events_bottom))
    if events:
        body.extend(
            _draw_event(e, e.y)
            for e in sorted(events, key=lambda e: (e.item.start, e.y, e.item.id))
        )
    else:
        body.extend(_draw_nothing_yet(axis, periods_top))

    body.append(key_svg)

    count = len(events)
    desc = ngettext(
        "Timeline with %(count)d event, from %(first)d to %(last)d.",
        "Timeline with %(count)d events, from %(first)d to %(last)d.",
        count,
    ) % {"count": count, "first": axis.first_year, "last": axis.last_year}
    return document("timeline", width, height, title, desc, body), width, height


def render_timeline_for_screen(
    items: list[TimelineItem],
    *,
    date_of_birth: datetime.date,
    today: datetime.date,
    title: str,
    screen: tuple[float, float] = PROJECTOR_SCREEN,
) -> str:
    """The timeline drawn at the year scale that, scaled to fit `screen` (width and height),
    is drawn largest: a wider scale stacks fewer events, so the drawing is wider and lower,
    like the screen."""
    best: tuple[float, float] | None = None  # (scale, px_per_year)
    for px_per_year in SCREEN_PX_PER_YEAR:
        _svg, width, height = _render(
            items,
            date_of_birth=date_of_birth,
            today=today,
            title=title,
            px_per_year=px_per_year,
            measure_only=True,
        )
        scale = min(screen[0] / width, screen[1] / height)
        if best is None or scale > best[0] + 0.005:
            best = (scale, px_per_year)
    assert best is not None
    return render_timeline(
        items, date_of_birth=date_of_birth, today=today, title=title, px_per_year=best[1]
    )
