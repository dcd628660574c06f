"""The TRM trajectory drawing (reviews/trajectory.py): a pure function, no database."""

import datetime
import re
import xml.etree.ElementTree as ET

import pytest

from ecm.drawing import FONT_FAMILY
from reviews.trajectory import TrajectoryEvent, TrajectoryPoint, render_trajectory

NS = "{http://www.w3.org/2000/svg}"
D = datetime.date
TODAY = D(2026, 6, 1)
STAGES = [
    (1, "Get used to structure, boundaries and a routine"),
    (2, "Build a positive and trusting relationship"),
    (3, "Talk together about difficult issues"),
    (4, "Form insight and awareness"),
    (5, "Plan for change"),
    (6, "Move on"),
]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output, not untrusted input


def of_kind(root: ET.Element, kind: str) -> list[ET.Element]:
    return [el for el in root.iter() if el.get("data-kind") == kind]


def text_of(el: ET.Element) -> str:
    return "".join(el.itertext())


def visible_texts(root: ET.Element) -> list[str]:
    return [text_of(el) for el in root.iter(f"{NS}text")]


def title_of(el: ET.Element) -> str:
    title = el.find(f"{NS}title")
    assert title is not None
    return title.text or ""


def desc_of(root: ET.Element) -> str:
    return root.find(f"{NS}desc").text or ""


def number(el: ET.Element, name: str) -> float:
    return float(el.get(name))


def assert_document(root: ET.Element, title: str) -> None:
    """Root <svg> with role, accessible name and description, and a sized viewBox."""
    assert root.tag == f"{NS}svg"
    assert root.get("role") == ("group" if root.find(f".//{NS}a") is not None else "img")
    ids = root.get("aria-labelledby").split()
    found = {el.get("id"): el for el in root.iter() if el.get("id") in ids}
    assert set(found) == set(ids)
    assert found[ids[0]].tag == f"{NS}title"
    assert found[ids[0]].text == title
    assert found[ids[1]].tag == f"{NS}desc"
    assert found[ids[1]].text
    width, height = number(root, "width"), number(root, "height")
    assert root.get("viewBox") == f"0 0 {width:g} {height:g}"
    assert root.get("font-family") == FONT_FAMILY


def assert_self_contained(svg: str, allowed_hrefs: set[str] = frozenset()) -> None:
    for forbidden in ("<script", "class=", "url(", "<image", "<foreignObject", "@import", "style="):
        assert forbidden not in svg
    hrefs = set(re.findall(r'href="([^"]*)"', svg))
    assert hrefs <= set(allowed_hrefs)
    assert "xlink" not in svg


def points_of(root: ET.Element) -> list[ET.Element]:
    return of_kind(root, "point")


def segments(root: ET.Element, direction: str | None = None) -> list[ET.Element]:
    found = of_kind(root, "segment")
    if direction is None:
        return found
    return [el for el in found if el.get("data-direction") == direction]


def story() -> tuple[list[TrajectoryPoint], list[TrajectoryEvent]]:
    P = TrajectoryPoint
    points = [
        P(D(2026, 3, 3), 2, "Formulation", "/cases/7/formulation/", "Initial view", "formulation"),
        P(D(2026, 4, 7), 3, "Review 1", "/cases/7/reviews/1/", "Trusts her case manager"),
        P(D(2026, 5, 5), 1, "Review 2", "/cases/7/reviews/2/", "placement broke down"),
        P(D(2026, 5, 26), 3, "Review 3", "", "Settled in the new placement"),
    ]
    events = [
        TrajectoryEvent(D(2026, 3, 20), "Started at a new school", "/cases/7/timeline/#e1"),
        TrajectoryEvent(D(2026, 4, 28), "Placement breakdown", "/cases/7/timeline/#e2"),
        TrajectoryEvent(D(2026, 5, 12), "Moved to long-term foster care"),
    ]
    return points, events


def render(points=None, events=None, **kwargs) -> str:
    if points is None:
        points, default_events = story()
        events = default_events if events is None else events
    kwargs.setdefault("stages", STAGES)
    kwargs.setdefault("title", "Tyler's TRM stage")
    kwargs.setdefault("today", TODAY)
    return render_trajectory(points, events=events or [], **kwargs)


# --------------------------------------------------------------------------------------
# The document
# --------------------------------------------------------------------------------------


def test_trajectory_is_a_self_contained_accessible_svg():
    svg = render()
    root = parse(svg)
    assert_document(root, "Tyler's TRM stage")
    assert_self_contained(
        svg,
        {
            "/cases/7/formulation/",
            "/cases/7/reviews/1/",
            "/cases/7/reviews/2/",
            "/cases/7/timeline/#e1",
            "/cases/7/timeline/#e2",
        },
    )
    assert root.get("data-kind") == "trajectory"
    assert number(root, "width") == pytest.approx(900, abs=30)
    assert "Tyler's TRM stage" in visible_texts(root)


def test_desc_tells_the_story_in_plain_language():
    desc = desc_of(parse(render()))
    assert desc.startswith("Stage 2 at formulation on 3 March 2026 (Initial view)")
    assert "rose to stage 3 at Review 1 on 7 April 2026 (Trusts her case manager)" in desc
    assert "dropped to stage 1 at Review 2 on 5 May 2026 (placement broke down)" in desc
    assert "rose to stage 3 at Review 3 on 26 May 2026" in desc
    assert (
        desc.index("rose to stage 3 at Review 1") < desc.index("dropped") < desc.index("Review 3")
    )
    assert "Most recent: stage 3, “Talk together about difficult issues”." in desc
    assert "3 events are marked" in desc


def test_stage_axis_shows_every_stage_number_and_name_lowest_at_the_bottom():
    root = parse(render())
    labels = of_kind(root, "stage-label")
    assert [int(el.get("data-stage")) for el in labels] == [1, 2, 3, 4, 5, 6]
    ys = {int(el.get("data-stage")): number(el.find(f"{NS}rect"), "y") for el in labels}
    assert ys[1] > ys[2] > ys[3] > ys[4] > ys[5] > ys[6]  # SVG y grows downwards
    for (stage, name), el in zip(STAGES, labels, strict=True):
        texts = [text_of(t) for t in el.iter(f"{NS}text")]
        assert texts[0] == str(stage)
        # Long names wrap onto two lines; the whole name is in the tooltip.
        assert " ".join(texts[1:]) == name
        assert title_of(el) == f"Stage {stage}: {name}"
    assert "TRM stage" in visible_texts(root)


def test_very_long_stage_names_are_truncated_with_the_full_name_in_the_tooltip():
    name = "Consequential thinking, empathy and restorative work with victims and the community"
    root = parse(render(stages=[(1, "Foundation"), (2, name)]))
    [label] = [el for el in of_kind(root, "stage-label") if el.get("data-stage") == "2"]
    shown = [text_of(t) for t in of_kind(label, "stage-name")]
    assert len(shown) == 2
    assert shown[-1].endswith("…")
    assert title_of(label) == f"Stage 2: {name}"


def test_height_grows_with_the_number_of_stages_and_width_is_fixed():
    points = [TrajectoryPoint(D(2026, 3, 3), 1, "Formulation", kind="formulation")]
    small = parse(render(points, stages=STAGES[:3]))
    large = parse(render(points, stages=STAGES + [(7, "Seven"), (8, "Eight")]))
    assert number(small, "width") == number(large, "width")
    assert number(large, "height") - number(small, "height") == pytest.approx(5 * 46, abs=2)


# --------------------------------------------------------------------------------------
# Points and segments
# --------------------------------------------------------------------------------------


def test_every_point_is_drawn_in_date_order_with_a_tooltip_and_link():
    points, events = story()
    root = parse(render(list(reversed(points)), events))
    drawn = points_of(root)
    assert [el.get("data-day") for el in drawn] == [p.day.isoformat() for p in points]
    assert [el.get("data-stage") for el in drawn] == ["2", "3", "1", "3"]
    assert title_of(drawn[2]) == (
        "Review 2 · 5 May 2026 · Stage 1: Get used to structure, boundaries and a routine"
        " · placement broke down"
    )
    # Linked points are <a href> around the marker; the last one has no link.
    assert [el.tag for el in drawn] == [f"{NS}a"] * 3 + [f"{NS}g"]
    assert [el.get("href") for el in drawn[:3]] == [
        "/cases/7/formulation/",
        "/cases/7/reviews/1/",
        "/cases/7/reviews/2/",
    ]
    # Each point sits on its stage's row, later points further right.
    rows = {
        el.get("data-stage"): number(el.find(f"{NS}rect"), "y") + 10
        for el in of_kind(root, "stage-label")
    }
    xs = []
    for el in drawn:
        marker = el.find(f"{NS}circle")
        if marker is None:
            marker = el.find(f"{NS}rect")
        if marker.tag == f"{NS}circle":
            x, y = number(marker, "cx"), number(marker, "cy")
        else:
            x = number(marker, "x") + number(marker, "width") / 2
            y = number(marker, "y") + number(marker, "height") / 2
        assert y == pytest.approx(rows[el.get("data-stage")], abs=0.6)
        xs.append(x)
    assert xs == sorted(xs) and len(set(xs)) == 4


def test_formulation_is_a_labelled_square_and_reviews_are_circles():
    root = parse(render())
    first, *rest = points_of(root)
    assert first.get("data-point-kind") == "formulation"
    assert of_kind(first, "marker-formulation")[0].tag == f"{NS}rect"
    assert [text_of(t) for t in of_kind(first, "point-label")] == ["Formulation"]
    for el in rest:
        assert el.get("data-point-kind") == "review"
        assert of_kind(el, "marker-review")[0].tag == f"{NS}circle"


def test_a_drop_is_dashed_with_a_down_marker_and_said_in_words():
    root = parse(render())
    [drop] = segments(root, "drop")
    [line] = of_kind(drop, "segment-line")
    assert line.get("stroke-dasharray")
    assert [text_of(t) for t in of_kind(drop, "drop-glyph")] == ["▼"]
    assert of_kind(drop, "rise-glyph") == []
    assert title_of(drop).startswith("Dropped from stage 3 to stage 1 at Review 2 on 5 May 2026")
    assert "placement broke down" in title_of(drop)
    assert "dropped" in desc_of(root)


def test_a_rise_is_solid_with_an_up_marker_in_another_colour():
    root = parse(render())
    rises = segments(root, "rise")
    assert len(rises) == 2
    [drop] = segments(root, "drop")
    drop_line = of_kind(drop, "segment-line")[0]
    for rise in rises:
        [line] = of_kind(rise, "segment-line")
        assert line.get("stroke-dasharray") is None
        assert line.get("stroke") != drop_line.get("stroke")
        assert [text_of(t) for t in of_kind(rise, "rise-glyph")] == ["▲"]
    assert title_of(rises[0]).startswith("Rose from stage 2 to stage 3 at Review 1")


def test_no_change_is_a_thin_dotted_line_without_an_arrow():
    points = [
        TrajectoryPoint(D(2026, 1, 5), 2, "Formulation", kind="formulation"),
        TrajectoryPoint(D(2026, 3, 5), 2, "Review 1", explanation="Still settling in"),
    ]
    root = parse(render(points))
    [same] = segments(root)
    assert same.get("data-direction") == "same"
    [line] = of_kind(same, "segment-line")
    assert line.get("stroke-dasharray")
    assert float(line.get("stroke-width")) < 2
    assert of_kind(same, "rise-glyph") == of_kind(same, "drop-glyph") == []
    assert "stayed at stage 2 at Review 1 on 5 March 2026 (Still settling in)" in desc_of(root)


def test_same_day_points_are_both_drawn_side_by_side_in_their_given_order():
    points = [
        TrajectoryPoint(D(2026, 4, 1), 2, "Formulation", kind="formulation"),
        TrajectoryPoint(D(2026, 4, 1), 3, "Review 1"),
        TrajectoryPoint(D(2026, 4, 1), 3, "Review 2"),
    ]
    root = parse(render(points))
    drawn = points_of(root)
    assert [title_of(el).split(" · ")[0] for el in drawn] == ["Formulation", "Review 1", "Review 2"]
    review_xs = [number(el.find(f"{NS}circle"), "cx") for el in drawn[1:]]
    square = drawn[0].find(f"{NS}rect")
    square_x = number(square, "x") + number(square, "width") / 2
    assert square_x < review_xs[0] < review_xs[1]
    assert review_xs[1] - review_xs[0] >= 12  # markers (radius 6) do not overlap
    assert [s.get("data-direction") for s in segments(root)] == ["rise", "same"]


def test_one_point_is_drawn_alone():
    points = [TrajectoryPoint(D(2026, 5, 20), 2, "Formulation", "/f/", kind="formulation")]
    root = parse(render(points, title="One"))
    assert_document(root, "One")
    assert len(points_of(root)) == 1
    assert segments(root) == []
    assert desc_of(root) == (
        "Stage 2 at formulation on 20 May 2026. "
        "Stage 2 is “Build a positive and trusting relationship”."
    )


def test_a_stage_missing_from_the_framework_still_gets_a_row():
    points = [
        TrajectoryPoint(D(2026, 1, 5), 2, "Formulation", kind="formulation"),
        TrajectoryPoint(D(2026, 3, 5), 9, "Review 1"),
    ]
    root = parse(render(points, stages=STAGES[:3]))
    assert [el.get("data-stage") for el in of_kind(root, "stage-label")] == ["1", "2", "3", "9"]
    assert "Stage 9" in title_of(points_of(root)[1])
    assert "Most recent: stage 9." in desc_of(root)


# --------------------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------------------


def test_events_are_diamonds_under_the_axis_with_tooltips_and_links():
    root = parse(render())
    events = of_kind(root, "event")
    assert len(events) == 3
    assert [el.tag for el in events] == [f"{NS}a", f"{NS}a", f"{NS}g"]
    assert [el.get("href") for el in events[:2]] == [
        "/cases/7/timeline/#e1",
        "/cases/7/timeline/#e2",
    ]
    assert title_of(events[1]) == "28 April 2026 · Placement breakdown"
    axis_bottom = max(
        number(line, "y2") for tick in of_kind(root, "tick") for line in tick.iter(f"{NS}line")
    )
    for el in events:
        [diamond] = of_kind(el, "diamond")
        assert diamond.tag == f"{NS}polygon"
        ys = [float(pair.split(",")[1]) for pair in diamond.get("points").split()]
        assert min(ys) > axis_bottom
    texts = [text_of(t) for t in of_kind(root, "event-label")]
    assert "Started at a new school" in texts


def test_crowded_events_keep_their_full_title_in_the_tooltip():
    day = D(2026, 4, 1)
    events = [
        TrajectoryEvent(day + datetime.timedelta(days=i), f"A rather long event title number {i}")
        for i in range(12)
    ]
    root = parse(render(events=events))
    drawn = of_kind(root, "event")
    assert len(drawn) == 12
    for i, el in enumerate(drawn):
        assert title_of(el).endswith(f"A rather long event title number {i}")
        for label in of_kind(el, "event-label"):
            assert text_of(label) == f"A rather long event title number {i}" or text_of(
                label
            ).endswith("…")
    xs = [float(of_kind(el, "diamond")[0].get("points").split()[0].split(",")[0]) for el in drawn]
    assert all(b - a >= 12 for a, b in zip(xs, xs[1:], strict=False))


def test_the_time_axis_runs_from_the_first_point_or_event_to_today():
    points, events = story()
    early = TrajectoryEvent(D(2025, 12, 1), "Arrested")
    root = parse(render(points, [early, *events]))
    ticks = [el.get("data-day") for el in of_kind(root, "tick")]
    assert ticks[0] == "2025-12-01" and ticks[-1] == "2026-06-01"
    [today] = of_kind(root, "today")
    assert "today" in [text_of(t) for t in today.iter(f"{NS}text")]


@pytest.mark.parametrize(
    ("days", "lowest", "highest"),
    [(20, 3, 6), (90, 3, 14), (400, 3, 15), (3 * 365, 3, 15), (9 * 365, 3, 15)],
)
def test_ticks_are_sensible_from_a_few_weeks_to_several_years(days, lowest, highest):
    start = D(2019, 3, 17)
    points = [
        TrajectoryPoint(start, 1, "Formulation", kind="formulation"),
        TrajectoryPoint(start + datetime.timedelta(days=days), 2, "Review 1"),
    ]
    root = parse(render(points, today=start + datetime.timedelta(days=days)))
    ticks = of_kind(root, "tick")
    assert lowest <= len(ticks) <= highest
    xs = [number(t.find(f"{NS}line"), "x1") for t in ticks]
    assert all(b - a >= 36 for a, b in zip(xs, xs[1:], strict=False))
    # The year is shown at least once.
    assert any(re.fullmatch(r"\d{4}", text) for t in ticks for text in map(text_of, t))


def test_key_explains_every_shape_and_line():
    root = parse(render())
    [key] = of_kind(root, "key")
    texts = [text_of(t) for t in key.iter(f"{NS}text")]
    for label in (
        "Key",
        "rise: moved up a stage",
        "drop: moved down a stage",
        "no change",
        "stage at formulation",
        "stage at a review",
        "event",
        "today",
    ):
        assert label in texts
    assert "▲" in texts and "▼" in texts


# --------------------------------------------------------------------------------------
# Escaping and odd input
# --------------------------------------------------------------------------------------


def test_user_text_is_escaped():
    points = [
        TrajectoryPoint(
            D(2026, 3, 3),
            2,
            "<script> & co",
            "/r/?a=1&b=<2>",
            'He said "no" & <left>',
        ),
        TrajectoryPoint(D(2026, 4, 3), 1, "Review \x00\x08 two", "", "Control \x00 chars\ufffe"),
    ]
    events = [TrajectoryEvent(D(2026, 3, 20), "Fight at <Jack & Jill's>", '/e/"x"')]
    svg = render(points, events, stages=[(1, "One & <only>"), (2, "Two")], title="Q&A <chart>")
    root = parse(svg)
    assert "<script>" not in svg
    assert "&amp;" in svg and "&lt;" in svg and "&quot;" in svg
    assert root.find(f"{NS}title").text == "Q&A <chart>"
    first = points_of(root)[0]
    assert first.get("href") == "/r/?a=1&b=<2>"
    assert title_of(first).startswith("<script> & co · 3 March 2026")
    assert 'He said "no" & <left>' in desc_of(root)
    assert "<script> & co" in visible_texts(root)
    assert "Review  two" in title_of(points_of(root)[1])
    [event] = of_kind(root, "event")
    assert title_of(event) == "20 March 2026 · Fight at <Jack & Jill's>"
    assert event.get("href") == '/e/"x"'
    assert "One & <only>" in visible_texts(root)


def test_script_links_are_dropped():
    points = [
        TrajectoryPoint(D(2026, 3, 3), 2, "Formulation", "javascript:alert(1)", kind="formulation"),
        TrajectoryPoint(D(2026, 4, 3), 1, "Review 1", " JaVa\tScRiPt:alert(1)"),
        TrajectoryPoint(D(2026, 5, 3), 1, "Review 2", "data:text/html,<b>hi</b>"),
        TrajectoryPoint(D(2026, 5, 20), 3, "Review 3", "https://example.org/review/3"),
    ]
    svg = render(points, [])
    assert_self_contained(svg, {"https://example.org/review/3"})
    assert [el.tag for el in points_of(parse(svg))] == [f"{NS}g"] * 3 + [f"{NS}a"]


def test_no_points_says_nothing_is_recorded_yet():
    events = [TrajectoryEvent(D(2026, 3, 20), "Something")]
    svg = render([], events, title="Tyler's TRM stage")
    root = parse(svg)
    assert_document(root, "Tyler's TRM stage")
    assert_self_contained(svg)
    [message] = of_kind(root, "empty")
    assert text_of(message) == "No TRM stage recorded yet."
    assert desc_of(root) == "No TRM stage recorded yet."
    assert points_of(root) == []


def test_points_in_the_future_and_without_stages_do_not_break_the_drawing():
    points = [
        TrajectoryPoint(D(2027, 1, 1), 1, "", kind="formulation"),
        TrajectoryPoint(D(2027, 1, 1), 1, ""),
    ]
    root = parse(render(points, stages=[], today=D(2026, 1, 1)))
    assert len(points_of(root)) == 2
    assert of_kind(root, "today") == []
    assert desc_of(root).startswith("Stage 1 at formulation on 1 January 2027; stayed at stage 1")


def test_many_reviews_over_years_render_quickly():
    import time

    start = D(2018, 1, 1)
    points = [
        TrajectoryPoint(start + datetime.timedelta(days=30 * i), 1 + (i * 7) % 6, f"Review {i}")
        for i in range(120)
    ]
    events = [TrajectoryEvent(start + datetime.timedelta(days=17 * i), f"E{i}") for i in range(200)]
    began = time.perf_counter()
    root = parse(render(points, events))
    assert time.perf_counter() - began < 2
    assert len(points_of(root)) == 120
    assert len(of_kind(root, "event")) == 200
