"""Server-side SVG drawing of a child's Trauma Recovery Model (TRM) trajectory.

The TRM stage recorded at formulation and at every review, plotted over time: stages up the
side (stage 1, the most basic need, at the bottom), dates along the bottom, one marker per
recorded stage, joined by segments that show rises and drops. Events that explain a move sit
as small diamonds in a band under the dates.

Pure Python, built with the drawing kit (ecm/drawing.py): the function takes plain
dataclasses and returns a self-contained SVG document string for the page and the PDF: no
JavaScript, no external resources, no CSS classes, only presentation attributes. Every piece
of user text is XML-escaped and every fixed user-facing string goes through gettext.

Colour is never the only signal: a rise is a solid line with "▲", a drop a dashed line with
"▼" (and the word "dropped" in the description), no change a thin dotted line; formulation is
a square and reviews circles, events diamonds; a key explains them all.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.utils import dateformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ecm.dates import add_months
from ecm.drawing import (
    INK,
    MARGIN,
    MUTED,
    Legend,
    clean,
    diamond,
    document,
    el,
    empty_document,
    escape,
    isotonic_place,
    square,
    text,
    text_width,
    truncate,
    wrap,
)

__all__ = ["TrajectoryEvent", "TrajectoryPoint", "render_trajectory"]


@dataclass(frozen=True)
class TrajectoryPoint:
    day: datetime.date
    stage: int  # stage number, 1 = lowest (most basic need)
    label: str  # e.g. "Formulation" or "Review 3"
    href: str = ""  # link to the meeting/review where it was recorded
    explanation: str = ""  # why the stage moved (shown in the tooltip <title> and the <desc>)
    kind: str = "review"  # "formulation" | "review"


@dataclass(frozen=True)
class TrajectoryEvent:
    day: datetime.date
    title: str
    href: str = ""


# --------------------------------------------------------------------------------------
# Geometry and colours
# --------------------------------------------------------------------------------------

_WIDTH = 900.0
_STAGE_COL = 224.0  # the stage labels on the left
_PLOT_LEFT = MARGIN + _STAGE_COL + 12
_PLOT_RIGHT = _WIDTH - MARGIN - 6
_PLOT_PAD = 22.0  # inside the plot, so that markers at the ends are not cut by the axes
_PLOT_TOP = 72.0
_ROW_H = 46.0
_MIN_SPAN_DAYS = 28
_POINT_GAP = 13.0  # minimum horizontal distance between two markers (same-day points)
_EVENT_GAP = 14.0
_EVENT_LANE_H = 22.0
_EVENT_LANES = 3
_EVENT_LABEL_MAX = 220.0
_EVENT_LABEL_MIN = 56.0
_POINT_LABEL_MAX = 120.0

_RISE = "#0b6e4f"  # bluish green
_DROP = "#b8430f"  # vermilion
_SAME = "#6b6b6b"
_MARKER = "#1f3550"
_EVENT = "#5a4a8a"
_TODAY = "#555555"
_GRID = "#e1e5ea"
_GUIDE = "#b4bcc6"
_BAND = "#f5f7f9"

_RISE_GLYPH = "▲"
_DROP_GLYPH = "▼"
_DROP_DASH = "7 5"
_SAME_DASH = "1.5 4"

# A URL scheme at the start of an href ("javascript:", "data:" ...); only these are kept.
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_SAFE_SCHEMES = {"http", "https", "mailto"}


# --------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------


def _long_date(day: datetime.date) -> str:
    return dateformat.format(day, "j F Y")


def _safe_href(href: str) -> str:
    """The link, or "" if it would run script or embed data (javascript:, data:, ...)."""
    value = re.sub(r"[\x00-\x20\x7f]", "", clean(href or ""))
    match = _SCHEME.match(value)
    if match and match.group(1).lower() not in _SAFE_SCHEMES:
        return ""
    return clean(href or "").strip()


def _stage_text(number: int, name: str) -> str:
    if name:
        return _("Stage %(number)d: %(name)s") % {"number": number, "name": name}
    return _("Stage %(number)d") % {"number": number}


def _where(point: TrajectoryPoint) -> str:
    if point.kind == "formulation":
        return _("formulation")
    return clean(point.label).strip() or _("a review")


def _link_or_group(href: str, attrs: dict[str, object], content: str) -> str:
    """An <a> when there is a (safe) link, otherwise a plain <g>; the <title> inside names
    it for assistive technology either way."""
    href = _safe_href(href)
    if href:
        return el("a", {"href": href, **attrs}, content)
    return el("g", attrs, content)


def _badge(x: float, y: float, glyph: str, colour: str) -> str:
    """A small white disc with ▲ or ▼ in it, on a segment."""
    return el(
        "circle",
        {"cx": x, "cy": y, "r": 8.5, "fill": "#ffffff", "stroke": colour, "stroke-width": 1.4},
    ) + text(
        x,
        y + 3.6,
        glyph,
        9.5,
        anchor="middle",
        fill=colour,
        extra={"data-kind": "rise-glyph" if glyph == _RISE_GLYPH else "drop-glyph"},
    )


def _segment_line(x1: float, y1: float, x2: float, y2: float, direction: str) -> str:
    attrs: dict[str, object] = {"x1": x1, "y1": y1, "x2": x2, "y2": y2, "fill": "none"}
    if direction == "rise":
        attrs.update({"stroke": _RISE, "stroke-width": 2.6, "stroke-linecap": "round"})
    elif direction == "drop":
        attrs.update({"stroke": _DROP, "stroke-width": 2.6, "stroke-dasharray": _DROP_DASH})
    else:
        attrs.update(
            {
                "stroke": _SAME,
                "stroke-width": 1.6,
                "stroke-dasharray": _SAME_DASH,
                "stroke-linecap": "round",
            }
        )
    attrs["data-kind"] = "segment-line"
    return el("line", attrs)


# --------------------------------------------------------------------------------------
# The time axis
# --------------------------------------------------------------------------------------


class _TimeAxis:
    def __init__(self, start: datetime.date, end: datetime.date):
        span = (end - start).days
        if span < _MIN_SPAN_DAYS:
            start = end - datetime.timedelta(days=_MIN_SPAN_DAYS)
        self.start = start
        self.end = end
        self.days = (end - start).days
        self.left = _PLOT_LEFT + _PLOT_PAD
        self.right = _PLOT_RIGHT - _PLOT_PAD
        self.px_per_day = (self.right - self.left) / self.days

    def x(self, day: datetime.date) -> float:
        day = min(max(day, self.start), self.end)
        return self.left + (day - self.start).days * self.px_per_day

    def ticks(self) -> list[tuple[datetime.date, str, str]]:
        """(date, label, second line) for each tick: weeks for a few weeks, then months,
        quarters, half years and years as the span grows. The year is given under the
        first tick and wherever it changes."""
        steps = (
            ("week", 1, 7, 50.0),
            ("week", 2, 14, 70.0),
            ("month", 1, 30.44, 38.0),
            ("month", 2, 60.9, 38.0),
            ("month", 3, 91.3, 40.0),
            ("month", 6, 182.6, 40.0),
            ("year", 1, 365.25, 44.0),
            ("year", 2, 730.5, 44.0),
            ("year", 5, 1826.25, 44.0),
            ("year", 10, 3652.5, 44.0),
            ("year", 25, 9131.25, 44.0),
        )
        unit, step = "year", 50
        for candidate_unit, candidate_step, days, min_px in steps:
            if days * self.px_per_day >= min_px:
                unit, step = candidate_unit, candidate_step
                break
        dates: list[datetime.date] = []
        if unit == "week":
            day = self.start + datetime.timedelta(days=(7 - self.start.weekday()) % 7)
            while day <= self.end:
                dates.append(day)
                day += datetime.timedelta(days=7 * step)
        elif unit == "month":
            day = self.start.replace(day=1)
            if self.start.day != 1:
                day = add_months(day, 1)
            while day <= self.end:
                if (day.month - 1) % step == 0:
                    dates.append(day)
                day = add_months(day, 1)
        else:
            year = self.start.year + (self.start != datetime.date(self.start.year, 1, 1))
            year += -year % step
            while year <= self.end.year:
                dates.append(datetime.date(year, 1, 1))
                year += step
        ticks = []
        previous_year = None
        for day in dates:
            if unit == "week":
                label = dateformat.format(day, "j M")
            elif unit == "month":
                label = dateformat.format(day, "M")
            else:
                label = str(day.year)
            second = str(day.year) if unit != "year" and day.year != previous_year else ""
            previous_year = day.year
            ticks.append((day, label, second))
        return ticks


# --------------------------------------------------------------------------------------
# The drawing
# --------------------------------------------------------------------------------------


def _description(
    points: list[TrajectoryPoint], names: dict[int, str], events: list[TrajectoryEvent]
) -> str:
    phrases = []
    for index, point in enumerate(points):
        values = {"number": point.stage, "where": _where(point), "date": _long_date(point.day)}
        if index == 0:
            phrase = _("Stage %(number)d at %(where)s on %(date)s") % values
        elif point.stage > points[index - 1].stage:
            phrase = _("rose to stage %(number)d at %(where)s on %(date)s") % values
        elif point.stage < points[index - 1].stage:
            phrase = _("dropped to stage %(number)d at %(where)s on %(date)s") % values
        else:
            phrase = _("stayed at stage %(number)d at %(where)s on %(date)s") % values
        explanation = clean(point.explanation).strip()
        if explanation:
            phrase += f" ({explanation})"
        phrases.append(phrase)
    description = "; ".join(phrases) + "."
    last = points[-1]
    name = names.get(last.stage, "")
    if len(points) > 1:
        if name:
            latest = _("Most recent: stage %(number)d, “%(name)s”.")
        else:
            latest = _("Most recent: stage %(number)d.")
    else:
        latest = _("Stage %(number)d is “%(name)s”.") if name else ""
    if latest:
        description += " " + latest % {"number": last.stage, "name": name}
    if events:
        description += " " + ngettext(
            "%(count)d event is marked under the dates.",
            "%(count)d events are marked under the dates.",
            len(events),
        ) % {"count": len(events)}
    return description


def _draw_stage_axis(
    stage_rows: list[tuple[int, str]], row_y: dict[int, float], plot_bottom: float
) -> str:
    parts = [
        text(MARGIN, _PLOT_TOP - 14, _("TRM stage"), 11.5, bold=True, fill=MUTED),
    ]
    for index, (number, name) in enumerate(stage_rows):
        y = row_y[number]
        if index % 2 == 0:
            parts.append(
                el(
                    "rect",
                    {
                        "x": _PLOT_LEFT,
                        "y": y - _ROW_H / 2,
                        "width": _PLOT_RIGHT - _PLOT_LEFT,
                        "height": _ROW_H,
                        "fill": _BAND,
                    },
                )
            )
        parts.append(
            el(
                "line",
                {
                    "x1": _PLOT_LEFT,
                    "y1": y,
                    "x2": _PLOT_RIGHT,
                    "y2": y,
                    "stroke": "#d3d9e0",
                    "stroke-width": 1,
                    "stroke-dasharray": "2 4",
                },
            )
        )
        # Long names wrap onto a second line; what still does not fit is truncated (the
        # full name is in the tooltip).
        shown = wrap(name, _STAGE_COL - 30, 11.5, False, 2) if name else []
        label = [
            el("title", {}, escape(_stage_text(number, name))),
            el(
                "rect",
                {
                    "x": MARGIN,
                    "y": y - 10,
                    "width": 20,
                    "height": 20,
                    "rx": 4,
                    "fill": "#ffffff",
                    "stroke": INK,
                    "stroke-width": 1,
                },
            ),
            text(MARGIN + 10, y + 4.5, str(number), 12, anchor="middle", bold=True),
        ]
        for line_no, line in enumerate(shown):
            baseline = y + 4 if len(shown) == 1 else y - 2.5 + 13.5 * line_no
            label.append(text(MARGIN + 28, baseline, line, 11.5, extra={"data-kind": "stage-name"}))
        label.append(
            el(
                "line",
                {
                    "x1": _PLOT_LEFT - 5,
                    "y1": y,
                    "x2": _PLOT_LEFT,
                    "y2": y,
                    "stroke": INK,
                    "stroke-width": 1,
                },
            )
        )
        parts.append(
            el(
                "g",
                {"data-kind": "stage-label", "data-stage": number},
                "".join(label),
            )
        )
    parts.append(
        el(
            "line",
            {
                "x1": _PLOT_LEFT,
                "y1": _PLOT_TOP,
                "x2": _PLOT_LEFT,
                "y2": plot_bottom,
                "stroke": INK,
                "stroke-width": 1.2,
            },
        )
    )
    return el("g", {"data-kind": "stage-axis"}, "".join(parts))


def _draw_time_axis(axis: _TimeAxis, plot_bottom: float, today: datetime.date) -> str:
    parts = []
    for day, label, second in axis.ticks():
        x = axis.x(day)
        parts.append(
            el(
                "line",
                {
                    "x1": x,
                    "y1": _PLOT_TOP,
                    "x2": x,
                    "y2": plot_bottom,
                    "stroke": _GRID,
                    "stroke-width": 1,
                },
            )
        )
        tick = [
            el(
                "line",
                {
                    "x1": x,
                    "y1": plot_bottom,
                    "x2": x,
                    "y2": plot_bottom + 5,
                    "stroke": INK,
                    "stroke-width": 1,
                },
            ),
            text(x, plot_bottom + 18, label, 10.5, anchor="middle"),
        ]
        if second:
            tick.append(
                text(x, plot_bottom + 31, second, 10, anchor="middle", bold=True, fill=MUTED)
            )
        parts.append(el("g", {"data-kind": "tick", "data-day": day.isoformat()}, "".join(tick)))
    parts.append(
        el(
            "line",
            {
                "x1": _PLOT_LEFT,
                "y1": plot_bottom,
                "x2": _PLOT_RIGHT,
                "y2": plot_bottom,
                "stroke": INK,
                "stroke-width": 1.2,
            },
        )
    )
    if axis.start <= today <= axis.end:
        x = axis.x(today)
        parts.append(
            el(
                "g",
                {"data-kind": "today"},
                el(
                    "line",
                    {
                        "x1": x,
                        "y1": _PLOT_TOP - 8,
                        "x2": x,
                        "y2": plot_bottom,
                        "stroke": _TODAY,
                        "stroke-width": 1.2,
                        "stroke-dasharray": "4 3",
                    },
                )
                + text(x, _PLOT_TOP - 12, _("today"), 10.5, anchor="middle", bold=True,
                        fill=_TODAY),
            )
        )  # fmt: skip
    return el("g", {"data-kind": "time-axis"}, "".join(parts))


def _draw_segments(
    points: list[TrajectoryPoint], xs: list[float], row_y: dict[int, float]
) -> list[str]:
    out = []
    for index in range(1, len(points)):
        before, after = points[index - 1], points[index]
        x1, y1 = xs[index - 1], row_y[before.stage]
        x2, y2 = xs[index], row_y[after.stage]
        values = {
            "from": before.stage,
            "to": after.stage,
            "where": _where(after),
            "date": _long_date(after.day),
        }
        if after.stage > before.stage:
            direction = "rise"
            tooltip = _("Rose from stage %(from)d to stage %(to)d at %(where)s on %(date)s")
        elif after.stage < before.stage:
            direction = "drop"
            tooltip = _("Dropped from stage %(from)d to stage %(to)d at %(where)s on %(date)s")
        else:
            direction = "same"
            tooltip = _("Stayed at stage %(to)d at %(where)s on %(date)s")
        tooltip %= values
        explanation = clean(after.explanation).strip()
        if explanation:
            tooltip += f": {explanation}"
        parts = [el("title", {}, escape(tooltip)), _segment_line(x1, y1, x2, y2, direction)]
        if direction != "same":
            parts.append(
                _badge(
                    (x1 + x2) / 2,
                    (y1 + y2) / 2,
                    _RISE_GLYPH if direction == "rise" else _DROP_GLYPH,
                    _RISE if direction == "rise" else _DROP,
                )
            )
        out.append(
            el(
                "g",
                {"data-kind": "segment", "data-direction": direction},
                "".join(parts),
            )
        )
    return out


Box = tuple[float, float, float, float]  # x0, y0, x1, y1


def _boxes_meet(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _line_meets_box(line: Box, box: Box) -> bool:
    """Whether the segment (x1, y1, x2, y2) passes through the box (Liang-Barsky)."""
    x1, y1, x2, y2 = line
    dx, dy = x2 - x1, y2 - y1
    low, high = 0.0, 1.0
    for p, q in (
        (-dx, x1 - box[0]),
        (dx, box[2] - x1),
        (-dy, y1 - box[1]),
        (dy, box[3] - y1),
    ):
        if p == 0:
            if q < 0:
                return False
            continue
        t = q / p
        if p < 0:
            low = max(low, t)
        else:
            high = min(high, t)
        if low > high:
            return False
    return True


def _draw_points(
    points: list[TrajectoryPoint],
    xs: list[float],
    row_y: dict[int, float],
    names: dict[int, str],
    plot_bottom: float,
) -> list[str]:
    # What a point's label must not cover: markers, ▲/▼ badges, segments, other labels.
    boxes: list[Box] = []
    for x, point in zip(xs, points, strict=True):
        y = row_y[point.stage]
        boxes.append((x - 8, y - 8, x + 8, y + 8))
    lines: list[Box] = []
    for index in range(1, len(points)):
        line = (
            xs[index - 1],
            row_y[points[index - 1].stage],
            xs[index],
            row_y[points[index].stage],
        )
        lines.append(line)
        if points[index].stage != points[index - 1].stage:
            cx, cy = (line[0] + line[2]) / 2, (line[1] + line[3]) / 2
            boxes.append((cx - 9, cy - 9, cx + 9, cy + 9))

    def collisions(box: Box) -> int:
        if box[0] < _PLOT_LEFT + 2 or box[2] > _PLOT_RIGHT - 2:
            return 1000
        if box[1] < _PLOT_TOP + 1 or box[3] > plot_bottom - 1:
            return 1000
        return 10 * sum(_boxes_meet(box, other) for other in boxes) + sum(
            _line_meets_box(line, box) for line in lines
        )

    out = []
    for x, point in zip(xs, points, strict=True):
        y = row_y[point.stage]
        formulation = point.kind == "formulation"
        label = clean(point.label).strip()
        tooltip = [
            label or _where(point),
            _long_date(point.day),
            _stage_text(point.stage, names.get(point.stage, "")),
        ]
        explanation = clean(point.explanation).strip()
        if explanation:
            tooltip.append(explanation)
        marker_attrs = {"fill": _MARKER, "stroke": "#ffffff", "stroke-width": 1.5}
        if formulation:
            marker = square(x, y, 6.5, {**marker_attrs, "data-kind": "marker-formulation"})
        else:
            marker = el(
                "circle",
                {"cx": x, "cy": y, "r": 6, **marker_attrs, "data-kind": "marker-review"},
            )
        parts = [el("title", {}, escape(" · ".join(tooltip))), marker]
        if label:
            size = 10.5 if formulation else 10
            shown = truncate(label, _POINT_LABEL_MAX, size, formulation)
            width = text_width(shown, size, formulation)
            centre = min(max(x, _PLOT_LEFT + width / 2 + 4), _PLOT_RIGHT - width / 2 - 4)
            left, right = centre - width / 2, centre + width / 2
            candidates = [  # (text x, baseline, anchor, box): above, below, right, left
                (centre, y - 11, "middle", (left, y - 11 - size, right, y - 8)),
                (centre, y + 19, "middle", (left, y + 19 - size, right, y + 22)),
                (x + 10, y + 4, "start", (x + 9, y + 4 - size, x + 11 + width, y + 7)),
                (x - 10, y + 4, "end", (x - 11 - width, y + 4 - size, x - 9, y + 7)),
            ]
            scored = sorted(
                (collisions(box), order, tx, ty, anchor, box)
                for order, (tx, ty, anchor, box) in enumerate(candidates)
            )
            score, _order, tx, ty, anchor, box = scored[0]
            if score == 0 or (formulation and score < 1000):
                boxes.append(box)
                parts.append(
                    text(
                        tx,
                        ty,
                        shown,
                        size,
                        anchor=anchor,
                        bold=formulation,
                        fill=INK if formulation else MUTED,
                        extra={"data-kind": "point-label"},
                    )
                )
        out.append(
            _link_or_group(
                point.href,
                {
                    "data-kind": "point",
                    "data-point-kind": "formulation" if formulation else "review",
                    "data-stage": point.stage,
                    "data-day": point.day.isoformat(),
                },
                "".join(parts),
            )
        )
    return out


def _draw_events(events: list[TrajectoryEvent], axis: _TimeAxis, top: float) -> tuple[str, float]:
    """Diamonds in lanes under the dates, each with its (truncated) title beside it where
    there is room; returns the SVG and the height used."""
    wanted = [axis.x(event.day) for event in events]
    lefts = isotonic_place([(0.0, x, 1.0) for x in wanted], [_EVENT_GAP] * len(events))
    xs = [min(max(x, _PLOT_LEFT + 8), _PLOT_RIGHT - 8) for x in lefts]

    titles = [clean(event.title).strip() or _("(untitled)") for event in events]
    lane_end = [-1e9] * _EVENT_LANES
    lane_last: list[int | None] = [None] * _EVENT_LANES
    lanes: list[int] = []
    label_w: list[float] = []
    for index, x in enumerate(xs):
        need = min(text_width(titles[index], 10.5), _EVENT_LABEL_MAX)
        lane = next((k for k in range(_EVENT_LANES) if lane_end[k] + 6 <= x - 7), None)
        if lane is None:
            # Every lane is busy here: take the one that frees up first and shorten the
            # previous label in it (the full title stays in its tooltip).
            lane = min(range(_EVENT_LANES), key=lambda k: lane_end[k])
            previous = lane_last[lane]
            if previous is not None:
                room = x - 7 - 6 - (xs[previous] + 11)
                label_w[previous] = room if room >= _EVENT_LABEL_MIN else 0.0
        width = min(need, _WIDTH - MARGIN - (x + 11))
        if width < min(need, _EVENT_LABEL_MIN):
            width = 0.0
        lanes.append(lane)
        label_w.append(width)
        lane_last[lane] = index
        lane_end[lane] = x + 11 + width if width else x + 7
    used = max(lanes) + 1 if lanes else 1

    parts = [
        text(MARGIN, top + 14, _("Events"), 11.5, bold=True, fill=MUTED),
    ]
    for index, event in enumerate(events):
        x = xs[index]
        y = top + 10 + lanes[index] * _EVENT_LANE_H
        guide = el(
            "line",
            {
                "x1": x,
                "y1": _PLOT_TOP,
                "x2": x,
                "y2": y - 7,
                "stroke": _GUIDE,
                "stroke-width": 1,
                "stroke-dasharray": "1 3",
                "data-kind": "event-guide",
            },
        )
        tooltip = f"{_long_date(event.day)} · {titles[index]}"
        content = [
            el("title", {}, escape(tooltip)),
            diamond(
                x,
                y,
                6.5,
                {"fill": _EVENT, "stroke": "#ffffff", "stroke-width": 1.2, "data-kind": "diamond"},
            ),
        ]
        if label_w[index] > 0:
            shown = truncate(titles[index], label_w[index], 10.5)
            content.append(text(x + 11, y + 4, shown, 10.5, extra={"data-kind": "event-label"}))
        parts.append(guide)
        parts.append(
            _link_or_group(
                event.href,
                {
                    "data-kind": "event",
                    "data-day": event.day.isoformat(),
                    "data-lane": lanes[index],
                },
                "".join(content),
            )
        )
    height = used * _EVENT_LANE_H + 4
    return el("g", {"data-kind": "events"}, "".join(parts)), height


def _draw_key(top: float, with_events: bool, with_today: bool) -> tuple[str, float]:
    key = Legend(top, _WIDTH, indent=40, first_row=22)
    items = [
        ("rise", _("rise: moved up a stage")),
        ("drop", _("drop: moved down a stage")),
        ("same", _("no change")),
        ("formulation", _("stage at formulation")),
        ("review", _("stage at a review")),
    ]
    if with_events:
        items.append(("event", _("event")))
    if with_today:
        items.append(("today", _("today")))
    for kind, label in items:
        symbol_w = 40.0 if kind in ("rise", "drop", "same") else 16.0
        px, py = key.place(symbol_w + 8 + text_width(label, 11) + 22)
        if kind in ("rise", "drop", "same"):
            key.add(_segment_line(px, py, px + symbol_w, py, kind))
            if kind != "same":
                glyph = _RISE_GLYPH if kind == "rise" else _DROP_GLYPH
                key.add(_badge(px + symbol_w / 2, py, glyph, _RISE if kind == "rise" else _DROP))
        elif kind == "formulation":
            key.add(square(px + 8, py, 6.5, {"fill": _MARKER}))
        elif kind == "review":
            key.add(el("circle", {"cx": px + 8, "cy": py, "r": 6, "fill": _MARKER}))
        elif kind == "event":
            key.add(diamond(px + 8, py, 6.5, {"fill": _EVENT}))
        else:
            key.add(
                el(
                    "line",
                    {
                        "x1": px + 8,
                        "y1": py - 9,
                        "x2": px + 8,
                        "y2": py + 9,
                        "stroke": _TODAY,
                        "stroke-width": 1.2,
                        "stroke-dasharray": "4 3",
                    },
                )
            )
        key.add(text(px + symbol_w + 8, py + 4, label, 11, extra={"data-key": kind}))
    return key.render()


def render_trajectory(
    points: list[TrajectoryPoint],
    *,
    stages: list[tuple[int, str]],
    events: list[TrajectoryEvent] = (),
    title: str,
    today: datetime.date,
) -> str:
    """Draw the child's TRM stage over time as a standalone SVG document string.

    `stages` is the framework's (number, name) list; stages recorded on a point but missing
    from it still get a row. Points are drawn in date order (points on the same day keep
    their given order, side by side); events sit in a band under the dates.
    """
    title = clean(title)
    if not points:
        return empty_document("trajectory", title, _("No TRM stage recorded yet."))

    points = sorted(points, key=lambda p: p.day)  # stable: same-day points keep their order
    events = sorted(events, key=lambda e: e.day)

    names: dict[int, str] = {}
    for number, name in stages:
        names.setdefault(int(number), clean(name).strip())
    for point in points:
        names.setdefault(point.stage, "")
    stage_rows = sorted(names.items())
    plot_bottom = _PLOT_TOP + len(stage_rows) * _ROW_H
    row_y = {
        number: plot_bottom - (index + 0.5) * _ROW_H
        for index, (number, _name) in enumerate(stage_rows)
    }

    days = [p.day for p in points] + [e.day for e in events]
    axis = _TimeAxis(min(days), max([*days, today]))

    wanted = [axis.x(point.day) for point in points]
    placed = isotonic_place([(0.0, x, 1.0) for x in wanted], [_POINT_GAP] * len(points))
    xs = [min(max(x, _PLOT_LEFT + 8), _PLOT_RIGHT - 8) for x in placed]

    body = [
        text(MARGIN, 30, truncate(title, _WIDTH - 2 * MARGIN, 16, True), 16, bold=True),
        _draw_stage_axis(stage_rows, row_y, plot_bottom),
        _draw_time_axis(axis, plot_bottom, today),
    ]

    below = plot_bottom + 44
    if events:
        events_svg, events_h = _draw_events(events, axis, below)
        body.append(events_svg)
        below += events_h + 6

    body.append(el("g", {"data-kind": "segments"}, "".join(_draw_segments(points, xs, row_y))))
    body.append(
        el(
            "g",
            {"data-kind": "points"},
            "".join(_draw_points(points, xs, row_y, names, plot_bottom)),
        )
    )

    key_svg, key_h = _draw_key(below, bool(events), axis.start <= today <= axis.end)
    body.append(key_svg)
    height = below + key_h + MARGIN

    return document("trajectory", _WIDTH, height, title, _description(points, names, events), body)
