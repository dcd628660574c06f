"""The drawing kit: what every server-side SVG drawing of the product is built from (the
genogram, the timeline, the TRM trajectory, the dashboard's bar charts).

A drawing is a string of SVG elements made with `el` and `text`, wrapped by `document` in a
root <svg> that names it for assistive technology (<title>, <desc>). The result is
self-contained, so the same string serves the page and the PDF (WeasyPrint): no JavaScript,
no external resources, no CSS classes, only presentation attributes and `FONT_FAMILY`.

* Every piece of text goes through `escape` (text) or the attribute quoting of `el`, after
  `clean` has removed the characters XML does not allow at all.
* Numbers are written with at most one decimal (`num`), so drawings are small and stable.
* Text is measured with the advance widths of DejaVu Sans (`text_width`), so boxes are sized
  on the server; `truncate` and `wrap` fit text into a width.
* `Legend` is the framed "Key" under a drawing; `isotonic_place` spreads items along a line
  in order, as close as possible to where each wants to be.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
import zlib
from collections.abc import Iterable
from itertools import accumulate
from xml.sax.saxutils import escape as _xml_escape
from xml.sax.saxutils import quoteattr

from django.utils.translation import gettext as _

__all__ = [
    "BORDER",
    "FONT_FAMILY",
    "INK",
    "LINE_COLOUR",
    "MARGIN",
    "MUTED",
    "SVG_NS",
    "Legend",
    "clean",
    "darker",
    "diamond",
    "document",
    "document_width",
    "el",
    "empty_document",
    "escape",
    "isotonic_place",
    "num",
    "points",
    "square",
    "text",
    "text_width",
    "truncate",
    "wrap",
]

FONT_FAMILY = "DejaVu Sans, Arial, sans-serif"
SVG_NS = "http://www.w3.org/2000/svg"

#: Colours shared by the drawings: text, secondary text, lines and frames.
INK = "#1a1a1a"
MUTED = "#4d4d4d"
LINE_COLOUR = "#3a3a3a"
BORDER = "#b8b8b8"

#: Space around a drawing (and its key) inside the document.
MARGIN = 28.0

# Characters that may not appear in an XML 1.0 document at all, even escaped.
_INVALID_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


# --- Text and numbers --------------------------------------------------------------------------


def clean(value: object) -> str:
    """`value` as text without the characters XML 1.0 forbids."""
    return _INVALID_XML.sub("", str(value))


def escape(value: object) -> str:
    """Text content, cleaned and escaped (& < > and ")."""
    return _xml_escape(clean(value), {'"': "&quot;"})


def num(value: float) -> str:
    """A coordinate or length with at most one decimal: 12, 12.5, never -0."""
    written = f"{value:.1f}"
    if written.endswith(".0"):
        written = written[:-2]
    return "0" if written == "-0" else written


# --- Elements ------------------------------------------------------------------------------------


def _attributes(attrs: dict[str, object]) -> str:
    out = []
    for key, value in attrs.items():
        if value is None:
            continue
        if isinstance(value, float):
            out.append(f' {key}="{num(value)}"')  # digits, a point, a sign: nothing to escape
        elif isinstance(value, int) and not isinstance(value, bool):
            out.append(f' {key}="{value}"')
        else:
            out.append(f" {key}={quoteattr(clean(value))}")
    return "".join(out)


def el(tag: str, attrs: dict[str, object], content: str | None = None) -> str:
    """One SVG element. Attributes that are None are left out; floats go through `num`.
    `content` is markup (escape any text in it); None makes an empty element."""
    if content is None:
        return f"<{tag}{_attributes(attrs)}/>"
    return f"<{tag}{_attributes(attrs)}>{content}</{tag}>"


def text(
    x: float,
    y: float,
    content: str,
    size: float,
    *,
    anchor: str = "start",
    bold: bool = False,
    italic: bool = False,
    fill: str = INK,
    extra: dict[str, object] | None = None,
) -> str:
    """A <text> element with `content` escaped; (x, y) is the baseline at `anchor`."""
    attrs: dict[str, object] = {
        "x": float(x),
        "y": float(y),
        "font-size": float(size),
        "fill": fill,
        "text-anchor": None if anchor == "start" else anchor,
        "font-weight": "bold" if bold else None,
        "font-style": "italic" if italic else None,
    }
    if extra:
        attrs.update(extra)
    return el("text", attrs, escape(content))


def points(coords: Iterable[tuple[float, float]]) -> str:
    """The `points` attribute of a polyline or polygon."""
    return " ".join(f"{num(x)},{num(y)}" for x, y in coords)


def square(x: float, y: float, half: float, attrs: dict[str, object]) -> str:
    """A square centred on (x, y), `half` its half side."""
    return el(
        "rect", {"x": x - half, "y": y - half, "width": 2 * half, "height": 2 * half, **attrs}
    )


def diamond(x: float, y: float, half: float, attrs: dict[str, object]) -> str:
    """A diamond centred on (x, y), `half` from the centre to each corner."""
    corners = ((x, y - half), (x + half, y), (x, y + half), (x - half, y))
    return el("polygon", {"points": points(corners), **attrs})


def darker(colour: str, factor: float = 0.55) -> str:
    """A darker shade of "#rrggbb" (for the outline of a light fill)."""
    value = colour.lstrip("#")
    r, g, b = (int(value[i : i + 2], 16) for i in (0, 2, 4))
    return "#{:02x}{:02x}{:02x}".format(*(int(c * factor) for c in (r, g, b)))


# --- Measuring text ------------------------------------------------------------------------------

# Advance widths of DejaVu Sans (regular, bold) for printable ASCII, in thousandths of an em,
# taken from the font files. Arial, the fallback, is narrower, so boxes sized with these
# never spill. Other characters are estimated (see _other_width).
_REGULAR_W = (
    318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337, 636, 636,
    636, 636, 636, 636, 636, 636, 636, 636, 337, 337, 838, 838, 838, 531, 1000, 684, 686, 698,
    770, 632, 575, 775, 752, 295, 295, 656, 557, 863, 748, 787, 603, 787, 695, 635, 611, 732,
    684, 989, 685, 611, 685, 390, 337, 390, 838, 500, 500, 613, 635, 550, 635, 615, 352, 635,
    634, 278, 278, 579, 278, 974, 634, 612, 635, 635, 411, 521, 392, 634, 592, 818, 592, 592,
    525, 636, 337, 636, 838,
)  # fmt: skip
_BOLD_W = (
    348, 456, 521, 838, 696, 1002, 872, 306, 457, 457, 523, 838, 380, 415, 380, 365, 696, 696,
    696, 696, 696, 696, 696, 696, 696, 696, 400, 400, 838, 838, 838, 580, 1000, 774, 762, 734,
    830, 683, 683, 821, 837, 372, 372, 775, 637, 995, 837, 850, 733, 850, 770, 720, 682, 812,
    774, 1103, 771, 724, 725, 457, 365, 457, 838, 500, 500, 675, 716, 593, 716, 678, 435, 716,
    712, 343, 343, 665, 343, 1042, 712, 687, 716, 716, 493, 595, 478, 712, 652, 924, 645, 652,
    582, 712, 365, 712, 838,
)  # fmt: skip
_PUNCTUATION_W = {"–": 500, "—": 1000, "…": 1000, "·": 318, "’": 318, "‘": 318, "“": 518, "”": 518}


@functools.lru_cache(maxsize=4096)
def _other_width(char: str, bold: bool) -> float:
    if char in _PUNCTUATION_W:
        return _PUNCTUATION_W[char] * (1.15 if bold else 1.0)
    base = unicodedata.normalize("NFD", char)[:1]
    if base and 32 <= ord(base) < 127:  # accented Latin letters: as wide as the letter
        return (_BOLD_W if bold else _REGULAR_W)[ord(base) - 32]
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return 1000.0
    if unicodedata.combining(char):
        return 0.0
    return 760.0 if bold else 700.0


def _char_widths(content: str, size: float, bold: bool) -> list[float]:
    table = _BOLD_W if bold else _REGULAR_W
    scale = size / 1000 * 1.03  # a little slack for rendering differences
    out = []
    for char in content:
        code = ord(char)
        width = table[code - 32] if 32 <= code < 127 else _other_width(char, bold)
        out.append(width * scale)
    return out


def text_width(content: str, size: float, bold: bool = False) -> float:
    """How wide `content` is drawn at font `size` (a slight overestimate)."""
    return sum(_char_widths(content, size, bold))


def truncate(content: str, max_width: float, size: float, bold: bool = False) -> str:
    """The longest prefix of `content` that fits in `max_width`, with an ellipsis if cut."""
    widths = _char_widths(content, size, bold)
    if sum(widths) <= max_width:
        return content
    ellipsis = text_width("…", size, bold)
    cumulative = list(accumulate(widths))
    cut = bisect.bisect_right(cumulative, max_width - ellipsis)
    return content[:cut].rstrip() + "…" if cut > 0 else "…"


def wrap(content: str, max_width: float, size: float, bold: bool, max_lines: int) -> list[str]:
    """Greedy word wrap into at most `max_lines` lines; the last line is truncated if needed."""
    words = content.split()
    if not words:
        return []
    lines: list[str] = []
    current = ""
    for index, word in enumerate(words):
        candidate = f"{current} {word}" if current else word
        if text_width(candidate, size, bold) <= max_width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = word
        if len(lines) == max_lines - 1:
            current = " ".join(words[index:])
            break
    lines.append(current)
    return [truncate(line, max_width, size, bold) for line in lines[:max_lines]]


# --- Documents -----------------------------------------------------------------------------------


def document(kind: str, width: float, height: float, title: str, desc: str, body: list[str]) -> str:
    """Wrap the drawing in the root <svg>: role img, named by its <title> and <desc> (ids
    stable for the same drawing), a white background, `data-kind` for tests and styles.
    A drawing with links in it is a named group instead (an image holds no controls)."""
    content = "".join(body)
    uid = f"{kind}-{zlib.crc32((title + desc + content).encode('utf-8')):08x}"
    width = float(max(1, round(width)))
    height = float(max(1, round(height)))
    head = el(
        "svg",
        {
            "xmlns": SVG_NS,
            "role": "group" if "<a " in content else "img",
            "aria-labelledby": f"{uid}-title {uid}-desc",
            "width": width,
            "height": height,
            "viewBox": f"0 0 {num(width)} {num(height)}",
            "font-family": FONT_FAMILY,
            "data-kind": kind,
        },
        "",
    )[: -len("</svg>")]
    return (
        head
        + el("title", {"id": f"{uid}-title"}, escape(title))
        + el("desc", {"id": f"{uid}-desc"}, escape(desc))
        + el("rect", {"x": 0, "y": 0, "width": width, "height": height, "fill": "#ffffff"})
        + content
        + "</svg>"
    )


def document_width(svg: str) -> float:
    """The width of a drawing made by `document` (its root's width attribute), 0 if none."""
    found = re.match(r'<svg[^>]*? width="([0-9.]+)"', svg)
    return float(found.group(1)) if found else 0.0


def empty_document(kind: str, title: str, message: str) -> str:
    """A drawing with nothing to draw yet: its title and `message` in a dashed box."""
    width = max(420.0, text_width(title, 16, True) + 48, text_width(message, 13) + 96)
    body = [
        text(24, 34, title, 16, bold=True),
        el(
            "rect",
            {
                "x": 24,
                "y": 52,
                "width": width - 48,
                "height": 56,
                "rx": 6,
                "fill": "#f7f7f7",
                "stroke": BORDER,
                "stroke-dasharray": "5 4",
            },
        ),
        text(width / 2, 85, message, 13, anchor="middle", fill=MUTED, extra={"data-kind": "empty"}),
    ]
    return document(kind, width, 132, title, message, body)


# --- Layout --------------------------------------------------------------------------------------


class Legend:
    """The key under a drawing: a light frame across the drawing's width, "Key" at its left,
    then the items left to right, each starting a new row when it would not fit.

    Ask `place(width)` where the next item goes, `add` its symbol and label there, then
    `render()` for the SVG and the height it takes. `indent` is where the items start after
    "Key"; `first_row` and `row_height` where their rows' middles are; `bottom` the room
    under the last row."""

    def __init__(
        self,
        top: float,
        width: float,
        *,
        indent: float = 44.0,
        first_row: float = 24.0,
        row_height: float = 26.0,
        bottom: float = 18.0,
    ):
        self.top, self.width = top, width
        self.row_height, self.bottom = row_height, bottom
        left = MARGIN + 12
        self.start_x = left + indent
        self.x, self.y = self.start_x, top + first_row
        self.parts = [text(left, self.y + 4, _("Key"), 12, bold=True)]

    def place(self, item_width: float) -> tuple[float, float]:
        """The left and the row middle of the next item, `item_width` wide."""
        if self.x + item_width > self.width - MARGIN - 8 and self.x > self.start_x:
            self.x = self.start_x
            self.y += self.row_height
        at = (self.x, self.y)
        self.x += item_width
        return at

    def add(self, *svg: str) -> None:
        self.parts.extend(svg)

    def render(self) -> tuple[str, float]:
        height = self.y + self.bottom - self.top
        frame = el(
            "rect",
            {
                "x": MARGIN,
                "y": self.top,
                "width": self.width - 2 * MARGIN,
                "height": height,
                "rx": 6,
                "fill": "#fafafa",
                "stroke": BORDER,
            },
        )
        return el("g", {"data-kind": "key"}, frame + "".join(self.parts)), height


def isotonic_place(items: list[tuple[float, float, float]], gaps: list[float]) -> list[float]:
    """Place items (width, desired left, weight) left to right, keeping their order and the
    gaps between them, as close as possible to their desired positions (least squares, by
    pool-adjacent-violators). Returns each item's left."""
    shifts = []
    total = 0.0
    for i, (width, _desired, _weight) in enumerate(items):
        shifts.append(total)
        total += width + (gaps[i] if i < len(gaps) else 0.0)
    blocks: list[list[float]] = []  # [weighted sum, weight, count]
    for i, (_width, desired, weight) in enumerate(items):
        blocks.append([weight * (desired - shifts[i]), weight, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            s, w, c = blocks.pop()
            blocks[-1][0] += s
            blocks[-1][1] += w
            blocks[-1][2] += c
    lefts = []
    i = 0
    for s, w, c in blocks:
        for _k in range(int(c)):
            lefts.append(s / w + shifts[i])
            i += 1
    return lefts
