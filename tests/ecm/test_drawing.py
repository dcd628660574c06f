"""The drawing kit (ecm/drawing.py) the product's SVG drawings are built from: pure functions,
no database."""

import xml.etree.ElementTree as ET

import pytest

from ecm import drawing
from ecm.drawing import (
    FONT_FAMILY,
    MARGIN,
    Legend,
    clean,
    darker,
    diamond,
    document,
    el,
    empty_document,
    escape,
    isotonic_place,
    num,
    points,
    square,
    text,
    text_width,
    truncate,
    wrap,
)

NS = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


@pytest.mark.parametrize(
    "value, written",
    [(12.0, "12"), (12.5, "12.5"), (12.04, "12"), (12.06, "12.1"), (-0.02, "0"), (3, "3")],
)
def test_numbers_have_at_most_one_decimal_and_never_minus_zero(value, written):
    assert num(value) == written


def test_text_is_escaped_and_cleaned_of_what_xml_forbids():
    assert escape('a < b & "c" > d') == "a &lt; b &amp; &quot;c&quot; &gt; d"
    assert clean("bell\x07 and nul\x00 gone") == "bell and nul gone"
    assert clean("tab\tnewline\n kept") == "tab\tnewline\n kept"


def test_elements_leave_out_none_write_floats_short_and_quote_attributes():
    svg = el("rect", {"x": 1.0, "y": 2.25, "fill": None, "data-name": 'O"Neil & <co>'})
    assert svg.startswith('<rect x="1" y="2.2" ')
    assert "fill" not in svg
    assert parse(svg).get("data-name") == 'O"Neil & <co>'
    group = el("g", {"data-kind": "x"}, "<title>t</title>")
    assert group == '<g data-kind="x"><title>t</title></g>'


def test_text_element_carries_size_anchor_weight_and_escaped_content():
    node = parse(text(10, 20.5, "<Tyler & co>", 12, anchor="middle", bold=True, italic=True))
    assert node.text == "<Tyler & co>"
    assert node.get("x") == "10" and node.get("y") == "20.5" and node.get("font-size") == "12"
    assert node.get("text-anchor") == "middle"
    assert node.get("font-weight") == "bold" and node.get("font-style") == "italic"
    plain = parse(text(0, 0, "a", 10, extra={"data-kind": "label"}))
    assert plain.get("text-anchor") is None and plain.get("font-weight") is None
    assert plain.get("fill") == drawing.INK and plain.get("data-kind") == "label"


def test_shapes_are_centred_on_their_point():
    box = parse(square(50, 40, 10, {"fill": "#fff"}))
    assert [box.get(k) for k in ("x", "y", "width", "height")] == ["40", "30", "20", "20"]
    corners = parse(diamond(50, 40, 10, {})).get("points")
    assert corners == "50,30 60,40 50,50 40,40"
    assert points([(0.04, 1.25), (2, 3)]) == "0,1.2 2,3"
    assert darker("#ffffff") == "#8c8c8c"


def test_text_width_grows_with_length_size_and_weight():
    assert text_width("", 12) == 0
    assert text_width("abc", 12) < text_width("abcd", 12)
    assert text_width("abc", 12) < text_width("abc", 14)
    assert text_width("abc", 12) < text_width("abc", 12, bold=True)
    assert text_width("é", 12) == text_width("e", 12)  # accented letters as wide as theirs


def test_truncate_keeps_what_fits_and_marks_the_cut():
    assert truncate("short", 500, 12) == "short"
    cut = truncate("A rather long title for a small box", 80, 12)
    assert cut.endswith("…") and text_width(cut, 12) <= 80
    assert truncate("Anything", 1, 12) == "…"


def test_wrap_breaks_on_words_within_the_width_and_lines():
    lines = wrap("one two three four five six seven eight", 60, 12, False, 2)
    assert len(lines) == 2
    assert all(text_width(line, 12) <= 60 for line in lines)
    assert lines[0] == "one two" and lines[1].endswith("…")
    assert wrap("   ", 60, 12, False, 2) == []


def test_document_with_links_is_a_named_group():
    """axe's nested-interactive: an image holds no links, so a drawing with links is a group."""
    root = parse(document("thing", 10, 10, "Title", "Desc", ['<a href="/x"><text>x</text></a>']))
    assert root.get("role") == "group" and root.get("aria-labelledby")


def test_document_is_a_named_image_with_stable_ids():
    svg = document("thing", 100.4, 50.6, "A <title>", "What it shows", ["<g/>"])
    root = parse(svg)
    assert root.tag == f"{NS}svg" and root.get("role") == "img"
    assert root.get("width") == "100" and root.get("height") == "51"
    assert root.get("viewBox") == "0 0 100 51"
    assert root.get("font-family") == FONT_FAMILY and root.get("data-kind") == "thing"
    title_id, desc_id = root.get("aria-labelledby").split()
    assert root.find(f"{NS}title").get("id") == title_id
    assert root.find(f"{NS}title").text == "A <title>"
    assert root.find(f"{NS}desc").get("id") == desc_id
    assert svg == document("thing", 100.4, 50.6, "A <title>", "What it shows", ["<g/>"])
    other = parse(document("thing", 100, 50, "Other", "x", []))
    assert title_id not in other.get("aria-labelledby")


def test_empty_document_says_why_there_is_nothing():
    root = parse(empty_document("genogram", "Genogram ECM-000001", "Nothing to show yet."))
    [message] = [e for e in root.iter() if e.get("data-kind") == "empty"]
    assert message.text == "Nothing to show yet."
    assert root.find(f"{NS}desc").text == "Nothing to show yet."


def test_legend_places_items_in_rows_and_frames_them():
    key = Legend(100, 400, indent=44, first_row=24, row_height=26, bottom=18)
    places = [key.place(120) for _ in range(5)]
    start = MARGIN + 12 + 44
    # Two items fit on a row of a 400-wide drawing; the next starts a new row.
    assert [p[1] for p in places] == [124, 124, 150, 150, 176]
    assert [p[0] for p in places] == [start, start + 120] * 2 + [start]
    key.add(text(places[0][0], places[0][1], "first", 11))
    svg, height = key.render()
    assert height == 176 + 18 - 100
    group = parse(svg)
    assert group.get("data-kind") == "key"
    frame = group.find("rect")  # a fragment: no namespace
    assert float(frame.get("y")) == 100 and float(frame.get("height")) == height
    assert float(frame.get("width")) == 400 - 2 * MARGIN
    assert [t.text for t in group.iter("text")] == ["Key", "first"]


def test_legend_puts_an_item_wider_than_a_row_on_its_own_row():
    key = Legend(0, 200)
    assert key.place(500)[1] == 24  # the first item of a row always stays on it
    assert key.place(10)[1] == 50


def test_isotonic_place_keeps_order_and_gaps_as_near_as_it_can():
    # Room for everyone: each item sits where it wants.
    assert isotonic_place([(10, 0, 1), (10, 50, 1)], [5]) == [0, 50]
    # Two that want the same place share the shift (weights equal).
    lefts = isotonic_place([(10, 20, 1), (10, 20, 1)], [4])
    assert lefts == [13, 27]
    assert lefts[1] - lefts[0] == 10 + 4
    # A heavier item moves less.
    heavy = isotonic_place([(10, 20, 3), (10, 20, 1)], [0])
    assert heavy[0] > 13 and heavy[1] - heavy[0] == 10
