"""Small server-side SVG bar charts for the dashboard: horizontal bars with the value written
beside each (suppressed values are drawn as an empty bar with "<5"). A table sits beside
every chart, so the chart is never the only way to read the figures. Built with the drawing
kit (ecm/drawing.py); the chart scales down to narrow screens (width 100%)."""

from __future__ import annotations

from ecm.drawing import FONT_FAMILY, SVG_NS, el, escape
from reviews.models import OutcomeRating

from . import figures

BAR_H, GAP, LABEL_W, BAR_W, VALUE_W = 18, 6, 260, 320, 70
#: The parts of an outcome bar, left to right, and their colours.
Change = OutcomeRating.Change
CHANGE_FILLS = {Change.IMPROVED: "#2b7a4b", Change.NO_CHANGE: "#9aa5b1", Change.WORSE: "#b3412c"}


def _value(row) -> int:
    if row.columns:
        return sum(v or 0 for v in row.columns.values())
    return row.value if isinstance(row.value, int) else 0


def _label(x: int, y: int, content: str, **attrs) -> str:
    return el("text", {"x": x, "y": y, **attrs}, escape(content))


def bar_chart(table, *, title: str) -> str:
    rows = table.rows
    top = 28
    height = top + len(rows) * (BAR_H + GAP) + 10
    width = LABEL_W + BAR_W + VALUE_W
    biggest = max([_value(r) for r in rows if not figures.suppressed(_value(r))] + [1])
    parts = [el("title", {"id": f"c-{table.key}"}, escape(title))]
    for i, row in enumerate(rows):
        y = top + i * (BAR_H + GAP)
        value = _value(row)
        hidden = figures.suppressed(value) or row.hidden
        length = 0 if hidden else round(BAR_W * value / biggest)
        label = row.label if len(row.label) <= 40 else row.label[:39] + "…"
        parts.append(_label(LABEL_W - 6, y + 13, label, **{"text-anchor": "end"}))
        if row.columns:
            x = LABEL_W
            for key, colour in CHANGE_FILLS.items():
                part = row.columns.get(key) or 0
                w = 0 if hidden or figures.suppressed(part) else round(BAR_W * part / biggest)
                if w:
                    tooltip = el("title", {}, escape(f"{key}: {figures.shown(part)}"))
                    attrs = {"x": x, "y": y, "width": w, "height": BAR_H, "fill": colour}
                    parts.append(el("rect", attrs, tooltip))
                x += w
            shown = " / ".join(figures.shown(row.columns.get(k) or 0) for k in CHANGE_FILLS)
        else:
            if length:
                attrs = {"x": LABEL_W, "y": y, "width": length, "height": BAR_H, "fill": "#1b5e8c"}
                parts.append(el("rect", attrs))
            shown = figures.shown_row(row)
        text_x = LABEL_W + BAR_W + 6 if row.columns else LABEL_W + length + 6
        parts.append(_label(text_x, y + 13, shown))
    root = {
        "xmlns": SVG_NS,
        "role": "img",
        "aria-labelledby": f"c-{table.key}",
        "viewBox": f"0 0 {width} {height}",
        "width": "100%",
        "style": f"max-width:{width}px",
        "font-family": FONT_FAMILY,
        "font-size": "12",
    }
    return el("svg", root, "".join(parts))
