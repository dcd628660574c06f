"""Small server-side SVG bar charts for the dashboard: horizontal bars with the value written
beside each (suppressed values are drawn as an empty bar with "<5"). A table sits beside
every chart, so the chart is never the only way to read the figures. Built with the drawing
kit (ecm/drawing.py).

Legible at any width: each label sits on its own line above its bar (no truncation), in a
narrow drawing (WIDTH) that is never scaled up, so that on a 390 px phone, where it shrinks
to the width of the card, its 14-unit text is still drawn at 12 px or more."""

from __future__ import annotations

import textwrap

from ecm.drawing import FONT_FAMILY, SVG_NS, el, escape
from reviews.models import OutcomeRating

from . import figures

FONT, BAR_H, LABEL_H, GAP, BAR_W, VALUE_W = 14, 16, 18, 10, 250, 90
WIDTH = BAR_W + VALUE_W
LABEL_CHARS = 42  # a label longer than this wraps onto a second line
#: The parts of an outcome bar, left to right, and their colours.
Change = OutcomeRating.Change
CHANGE_FILLS = {Change.IMPROVED: "#2b7a4b", Change.NO_CHANGE: "#9aa5b1", Change.WORSE: "#b3412c"}


def _value(row) -> int:
    if row.columns:
        return sum(v or 0 for v in row.columns.values())
    return row.value if isinstance(row.value, int) else 0


def _label(x: int, y: int, content: str, **attrs) -> str:
    return el("text", {"x": x, "y": y, **attrs}, escape(content))


def bar_chart(table, *, title: str, exact: bool = False) -> str:
    """The table's rows as bars. `exact`: the reader may see every count (their own teams'
    cases), so nothing is suppressed; otherwise small cells get no bar and read "<5"."""

    def small(value) -> bool:
        return not exact and figures.suppressed(value)

    def text(value) -> str:
        if exact:
            return "—" if value is None else str(value)
        return figures.shown(value)

    rows = table.rows
    labels = [textwrap.wrap(r.label, LABEL_CHARS) or [""] for r in rows]
    height = sum(len(lines) * LABEL_H + BAR_H + GAP for lines in labels) + 4
    biggest = max([_value(r) for r in rows if not small(_value(r))] + [1])
    parts = [el("title", {"id": f"c-{table.key}"}, escape(title))]
    top = 0
    for row, lines in zip(rows, labels, strict=True):
        for n, line in enumerate(lines):
            parts.append(_label(0, top + FONT + n * LABEL_H, line))
        bar_y = top + len(lines) * LABEL_H + 2
        top = bar_y + BAR_H + GAP - 2
        value = _value(row)
        hidden = small(value) or (row.hidden and not exact)
        length = 0 if hidden else round(BAR_W * value / biggest)
        if row.columns:
            x = 0
            for key, colour in CHANGE_FILLS.items():
                part = row.columns.get(key) or 0
                w = 0 if hidden or small(part) else round(BAR_W * part / biggest)
                if w:
                    tooltip = el("title", {}, escape(f"{key}: {text(part)}"))
                    attrs = {"x": x, "y": bar_y, "width": w, "height": BAR_H, "fill": colour}
                    parts.append(el("rect", attrs, tooltip))
                x += w
            shown = " / ".join(text(row.columns.get(k) or 0) for k in CHANGE_FILLS)
        else:
            if length:
                attrs = {"x": 0, "y": bar_y, "width": length, "height": BAR_H, "fill": "#1b5e8c"}
                parts.append(el("rect", attrs))
            shown = text(row.value) if exact else figures.shown_row(row)
        text_x = BAR_W + 6 if row.columns else length + 6
        parts.append(_label(text_x, bar_y + BAR_H - 3, shown))
    root = {
        "xmlns": SVG_NS,
        "role": "img",
        "aria-labelledby": f"c-{table.key}",
        "viewBox": f"0 0 {WIDTH} {height}",
        # At most WIDTH wide, narrower on a small screen (ecm.css: no style attribute, the
        # CSP refuses inline styles).
        "width": WIDTH,
        "font-family": FONT_FAMILY,
        "font-size": str(FONT),
        "class": "monitoring-chart",
    }
    return el("svg", root, "".join(parts))
