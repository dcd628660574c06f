"""Small server-side SVG bar charts for the dashboard: horizontal bars with the value written
beside each (suppressed values are drawn as an empty bar with "<5"). A table sits beside
every chart, so the chart is never the only way to read the figures."""

from __future__ import annotations

from xml.sax.saxutils import escape

from . import figures

BAR_H, GAP, LABEL_W, BAR_W, VALUE_W = 18, 6, 260, 320, 70


def _value(row) -> int:
    if row.columns:
        return sum(v or 0 for v in row.columns.values())
    return row.value if isinstance(row.value, int) else 0


def bar_chart(table, *, title: str) -> str:
    rows = table.rows
    top = 28
    height = top + len(rows) * (BAR_H + GAP) + 10
    width = LABEL_W + BAR_W + VALUE_W
    biggest = max([_value(r) for r in rows if not figures.suppressed(_value(r))] + [1])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="c-{table.key}" '
        f'viewBox="0 0 {width} {height}" width="100%" style="max-width:{width}px" '
        f'font-family="DejaVu Sans, Arial, sans-serif" font-size="12">',
        f'<title id="c-{table.key}">{escape(title)}</title>',
    ]
    for i, row in enumerate(rows):
        y = top + i * (BAR_H + GAP)
        value = _value(row)
        hidden = figures.suppressed(value) or row.hidden
        length = 0 if hidden else round(BAR_W * value / biggest)
        label = row.label if len(row.label) <= 40 else row.label[:39] + "…"
        parts.append(
            f'<text x="{LABEL_W - 6}" y="{y + 13}" text-anchor="end">{escape(label)}</text>'
        )
        if row.columns:
            x = LABEL_W
            fills = {"improved": "#2b7a4b", "no_change": "#9aa5b1", "worse": "#b3412c"}
            for key, colour in fills.items():
                part = row.columns.get(key) or 0
                w = 0 if hidden or figures.suppressed(part) else round(BAR_W * part / biggest)
                if w:
                    parts.append(
                        f'<rect x="{x}" y="{y}" width="{w}" height="{BAR_H}" fill="{colour}">'
                        f"<title>{escape(key)}: {figures.shown(part)}</title></rect>"
                    )
                x += w
            text = " / ".join(figures.shown(row.columns.get(k) or 0) for k in fills)
        else:
            if length:
                parts.append(
                    f'<rect x="{LABEL_W}" y="{y}" width="{length}" height="{BAR_H}" '
                    'fill="#1b5e8c"/>'
                )
            text = figures.shown_row(row)
        text_x = LABEL_W + BAR_W + 6 if row.columns else LABEL_W + length + 6
        parts.append(f'<text x="{text_x}" y="{y + 13}">{escape(text)}</text>')
    parts.append("</svg>")
    return "".join(parts)
