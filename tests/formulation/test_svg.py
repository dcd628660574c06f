"""The genogram and timeline drawings (formulation/genogram/drawing.py and
formulation/timeline/drawing.py): pure functions, no database."""

import datetime
import random
import re
import time
import xml.etree.ElementTree as ET

import pytest

from ecm.drawing import FONT_FAMILY, text_width
from formulation.genogram.drawing import GenoPerson, GenoUnion, render_genogram
from formulation.timeline.drawing import (
    _MAX_TEXT as MAX_TEXT,
)
from formulation.timeline.drawing import (
    _TITLE_SIZE as TITLE_SIZE,
)
from formulation.timeline.drawing import (
    CATEGORIES,
    PX_PER_EARLY_YEAR,
    PX_PER_YEAR,
    TimelineItem,
    render_timeline,
    render_timeline_for_screen,
    title_lines,
)

NS = "{http://www.w3.org/2000/svg}"
DOB = datetime.date(2008, 5, 17)
TODAY = datetime.date(2025, 9, 1)  # the child is 17


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


def assert_self_contained(svg: str) -> None:
    for forbidden in ("<script", "href", "class=", "url(", "<image", "<foreignObject", "@import"):
        assert forbidden not in svg


def overlaps(a: ET.Element, b: ET.Element) -> bool:
    ax, ay, aw, ah = (number(a, k) for k in ("x", "y", "width", "height"))
    bx, by, bw, bh = (number(b, k) for k in ("x", "y", "width", "height"))
    return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah


# --------------------------------------------------------------------------------------
# Genogram
# --------------------------------------------------------------------------------------


def family() -> tuple[list[GenoPerson], list[GenoUnion]]:
    P = GenoPerson
    people = [
        P(1, "Grandad (Ron)", "male", "b. 1950", deceased=True, generation=-2),
        P(2, "Nan (Sheila)", "female", "b. 1952", generation=-2, notes=("mental health",)),
        P(3, "Mum (Kerry)", "female", "b. 1986", generation=-1, father_id=1, mother_id=2,
          lives_with_child=True, notes=("domestic abuse", "substance misuse")),
        P(4, "Dad (Dean)", "male", "b. 1984", generation=-1, notes=("imprisonment",)),
        P(5, "Steve", "male", "b. 1980", generation=-1, lives_with_child=True),
        P(6, "Tyler", "male", "b. 03/2011", is_child=True, father_id=4, mother_id=3),
        P(7, "Chloe", "female", "b. 2008", father_id=4, mother_id=3),
        P(8, "Alfie", "male", "b. 2017", father_id=5, mother_id=3, lives_with_child=True),
        P(9, "Uncle Jay", "male", "b. 1989", generation=-1, father_id=1, mother_id=2),
        P(10, "Baby", "unknown", "b. 2024", generation=1, mother_id=7),
        P(11, "Auntie Lou", "female", "b. 1990", generation=-1),
        P(12, "Cousin Mia", "other", "b. 2012", father_id=9, mother_id=11),
    ]  # fmt: skip
    unions = [
        GenoUnion(1, 2, "ended_by_death", "m. 1975"),
        GenoUnion(3, 4, "divorced", "m. 2005"),
        GenoUnion(3, 5, "together", "2015"),
        GenoUnion(9, 11, "separated", "sep. 2014"),
    ]
    return people, unions


def person_group(root: ET.Element, pid: int) -> ET.Element:
    [group] = [g for g in of_kind(root, "person") if g.get("data-person-id") == str(pid)]
    return group


def union_group(root: ET.Element, status: str) -> ET.Element:
    [group] = [g for g in of_kind(root, "partnership") if g.get("data-status") == status]
    return group


def test_genogram_is_a_self_contained_accessible_svg():
    people, unions = family()
    svg = render_genogram(people, unions, title="Tyler's genogram")
    root = parse(svg)
    assert_document(root, "Tyler's genogram")
    assert_self_contained(svg)
    assert "Tyler" in root.find(f"{NS}desc").text
    assert "Tyler's genogram" in visible_texts(root)


def test_genogram_shows_every_persons_name_with_a_hover_title():
    people, unions = family()
    root = parse(render_genogram(people, unions, title="Genogram"))
    texts = visible_texts(root)
    for person in people:
        assert person.name in texts
        group = person_group(root, person.id)
        assert title_of(group).startswith(person.name)
        assert person.birth_label in [text_of(t) for t in group.iter(f"{NS}text")]
    # Notes are shown as small text under the person.
    mum = [text_of(t) for t in person_group(root, 3).iter(f"{NS}text")]
    assert "domestic abuse" in mum
    assert "substance misuse" in mum


def test_genogram_symbols_follow_the_usual_conventions():
    people, unions = family()
    root = parse(render_genogram(people, unions, title="Genogram"))
    tags = {"male": f"{NS}rect", "female": f"{NS}circle", "other": f"{NS}polygon"}
    for person in people:
        [symbol] = of_kind(person_group(root, person.id), "symbol")
        expected = person.sex if person.sex in ("male", "female") else "other"
        assert symbol.get("data-sex") == expected
        assert symbol.tag == tags[expected]


def test_deceased_person_has_a_cross_and_the_word_deceased():
    people, unions = family()
    root = parse(render_genogram(people, unions, title="Genogram"))
    grandad = person_group(root, 1)
    assert len(of_kind(grandad, "deceased-cross")) == 1
    assert "deceased" in [text_of(t) for t in grandad.iter(f"{NS}text")]
    assert "deceased" in title_of(grandad)
    for living in (2, 3, 6):
        group = person_group(root, living)
        assert of_kind(group, "deceased-cross") == []
        assert "deceased" not in [text_of(t) for t in group.iter(f"{NS}text")]
    assert len(of_kind(root, "deceased-cross")) == 1


def test_separation_has_one_slash_divorce_two_and_others_none():
    people, unions = family()
    root = parse(render_genogram(people, unions, title="Genogram"))
    assert len(of_kind(union_group(root, "separated"), "separation-slash")) == 1
    assert len(of_kind(union_group(root, "divorced"), "separation-slash")) == 2
    assert of_kind(union_group(root, "together"), "separation-slash") == []
    ended = union_group(root, "ended_by_death")
    assert of_kind(ended, "separation-slash") == []
    assert "ended by death" in [text_of(t) for t in ended.iter(f"{NS}text")]
    assert "m. 1975" in [text_of(t) for t in ended.iter(f"{NS}text")]
    # The key shows the slashes too, but is not counted as partnerships.
    assert len(of_kind(root, "separation-slash")) == 3
    assert "divorced" in title_of(union_group(root, "divorced"))


def test_index_child_has_a_double_outline():
    people, unions = family()
    root = parse(render_genogram(people, unions, title="Genogram"))
    [outline] = of_kind(root, "index-child")
    tyler = person_group(root, 6)
    assert outline in list(tyler.iter())
    [symbol] = of_kind(tyler, "symbol")
    assert number(outline, "width") > number(symbol, "width")
    assert "the child" in title_of(tyler)


def test_household_members_are_marked_with_text_as_well():
    people, unions = family()
    root = parse(render_genogram(people, unions, title="Genogram"))
    for pid in (3, 5, 8):
        group = person_group(root, pid)
        assert len(of_kind(group, "household")) == 1
        assert "lives with the child" in [text_of(t) for t in group.iter(f"{NS}text")]
    assert of_kind(person_group(root, 4), "household") == []


def test_children_hang_below_their_parents_union():
    people, unions = family()
    root = parse(render_genogram(people, unions, title="Genogram"))
    descents = {title_of(g): g for g in of_kind(root, "descent")}
    # Full siblings share a line; the half-sibling hangs from his own parents' union; a
    # child with one known parent hangs from that parent alone.
    assert set(descents) == {
        "Children: Mum (Kerry), Uncle Jay",
        "Children: Tyler, Chloe",
        "Children: Alfie",
        "Children: Baby",
        "Children: Cousin Mia",
    }

    def centre(pid: int) -> tuple[float, float]:
        group = person_group(root, pid)
        return number(group, "data-x"), number(group, "data-y")

    for child in people:
        for parent in (child.father_id, child.mother_id):
            if parent is not None:
                assert centre(child.id)[1] > centre(parent)[1]
    # Partners sit next to each other in their row.
    row = sorted((centre(p.id)[0], p.id) for p in people if p.generation == -1)
    order = [pid for _x, pid in row]
    assert abs(order.index(3) - order.index(4)) == 1
    assert abs(order.index(3) - order.index(5)) == 1
    assert abs(order.index(9) - order.index(11)) == 1
    # Tyler and Chloe are under Mum and Dad, not under Uncle Jay and Auntie Lou.
    mum_dad = (centre(3)[0] + centre(4)[0]) / 2
    jay_lou = (centre(9)[0] + centre(11)[0]) / 2
    for child in (6, 7):
        assert abs(centre(child)[0] - mum_dad) < abs(centre(child)[0] - jay_lou)


def test_genogram_key_explains_the_symbols():
    people, unions = family()
    root = parse(render_genogram(people, unions, title="Genogram"))
    [key] = of_kind(root, "key")
    texts = [text_of(t) for t in key.iter(f"{NS}text")]
    for label in (
        "Key",
        "male",
        "female",
        "other or unknown",
        "deceased",
        "separated",
        "divorced",
        "the child",
        "lives with the child",
    ):
        assert label in texts
    # Nothing in the key is counted as part of the family.
    assert not [el for el in key.iter() if el.get("data-kind") not in (None, "key")]


def test_genogram_escapes_xml_special_characters():
    P = GenoPerson
    people = [
        P(1, 'Mum & "Dad" <Kerry>', "female", "b. <1986> & co", generation=-1,
          notes=("<script>alert(1)</script>",)),
        P(2, "Tyler's <b>dad</b>", "male", generation=-1),
        P(3, "T & T", "male", is_child=True, father_id=2, mother_id=1),
    ]  # fmt: skip
    unions = [GenoUnion(1, 2, "divorced", 'm. "2005" & <div.>')]
    svg = render_genogram(people, unions, title='A & B <"genogram">')
    root = parse(svg)
    assert "<script>" not in svg
    assert "&amp;" in svg and "&lt;" in svg and "&quot;" in svg
    texts = visible_texts(root)
    # A long name wraps onto two lines under the symbol; the hover title has it whole.
    mum = person_group(root, 1)
    assert title_of(mum).startswith('Mum & "Dad" <Kerry>')
    shown = " ".join(text_of(t) for t in mum.iter(f"{NS}text"))
    assert 'Mum & "Dad" <Kerry>' in shown
    assert "T & T" in texts
    assert "<script>alert(1)</script>" in texts
    assert 'm. "2005" & <div.>' in texts
    assert root.find(f"{NS}title").text == 'A & B <"genogram">'


def test_genogram_with_nobody_says_there_is_nothing_to_show_yet():
    svg = render_genogram([], [GenoUnion(1, 2)], title="Genogram")
    root = parse(svg)
    assert_document(root, "Genogram")
    [message] = of_kind(root, "empty")
    assert "Nothing to show yet" in text_of(message)
    assert of_kind(root, "person") == []


def test_genogram_tolerates_inconsistent_input():
    P = GenoPerson
    people = [
        P(1, "Mum", "female", generation=-1, mother_id=404, father_id=1),  # self, unknown
        P(2, "Dad", "male", generation=-1),
        P(3, "Child", "male", is_child=True, father_id=2, mother_id=1),
        P(3, "Duplicate of child", "female"),  # duplicate id: first one wins
        P(4, "Same-row parent", "female", father_id=3),  # parent in the same generation
        P(5, "Upside down", "other", generation=-3, mother_id=3),  # above their parent
        P(6, "", "weird"),  # no name, unknown sex value
        P(7, "Older partner", "male", generation=-2),
        P(8, "Cross-generation child", "female", generation=0, father_id=7, mother_id=1),
    ]
    unions = [
        GenoUnion(1, 2, "separated"),
        GenoUnion(2, 1, "divorced"),  # the same pair again: ignored
        GenoUnion(1, 1),  # with oneself: ignored
        GenoUnion(2, 999),  # unknown person: ignored
        GenoUnion(1, 7, "no such status"),  # across generations
        GenoUnion(1, 6),
        GenoUnion(1, 5),
    ]
    root = parse(render_genogram(people, unions, title="Odd"))
    assert len(of_kind(root, "person")) == 8
    assert "Duplicate of child" not in visible_texts(root)
    assert len(of_kind(root, "separation-slash")) == 1  # only the one separated union


@pytest.mark.parametrize("seed", range(8))
def test_large_random_families_lay_out_without_overlapping_people(seed):
    rng = random.Random(seed)
    people: list[GenoPerson] = []
    unions: list[GenoUnion] = []
    by_generation: dict[int, list[int]] = {}
    for pid in range(1, 41):
        generation = rng.choice([-3, -2, -2, -1, -1, -1, 0, 0, 0, 0, 1])
        elders = by_generation.get(generation - 1, [])
        father = rng.choice(elders) if elders and rng.random() < 0.7 else None
        mother = rng.choice(elders) if elders and rng.random() < 0.7 else None
        if rng.random() < 0.1:
            mother = rng.randint(100, 200)  # not in the list
        people.append(
            GenoPerson(
                pid,
                f"Person {pid} " + "x" * rng.randint(0, 30),
                rng.choice(["male", "female", "other", "unknown"]),
                deceased=rng.random() < 0.15,
                is_child=pid == 20,
                lives_with_child=rng.random() < 0.2,
                notes=tuple(rng.sample(["mental health", "substance misuse", "imprisonment"], 2)),
                generation=generation,
                father_id=father,
                mother_id=mother,
            )
        )
        by_generation.setdefault(generation, []).append(pid)
    for _ in range(25):
        a, b = rng.randint(1, 45), rng.randint(1, 45)
        unions.append(GenoUnion(a, b, rng.choice(["together", "separated", "divorced", "x"])))
    svg = render_genogram(people, unions, title=f"Seed {seed}")
    root = parse(svg)
    groups = of_kind(root, "person")
    assert len(groups) == 40
    rows: dict[float, list[float]] = {}
    for group in groups:
        rows.setdefault(number(group, "data-y"), []).append(number(group, "data-x"))
    width = number(root, "width")
    for xs in rows.values():
        xs.sort()
        assert all(b - a >= 60 for a, b in zip(xs, xs[1:], strict=False))
        assert xs[0] > 0 and xs[-1] < width


def test_genogram_is_fast_enough_for_a_big_family():
    people = [GenoPerson(i, f"P{i}", "male" if i % 2 else "female", generation=i % 4 - 2,
                         father_id=i - 4 if i > 4 else None) for i in range(1, 61)]  # fmt: skip
    unions = [GenoUnion(i, i + 1) for i in range(1, 60, 2)]
    started = time.perf_counter()
    parse(render_genogram(people, unions, title="Big"))
    assert time.perf_counter() - started < 1.0


# --------------------------------------------------------------------------------------
# Timeline
# --------------------------------------------------------------------------------------


def events() -> list[TimelineItem]:
    T = TimelineItem
    return [
        T(1, "Born at 34 weeks", "health", DOB),
        T(2, "Parents separated", "family", datetime.date(2014, 3, 1), precision="month"),
        T(3, "Lived with Nan", "accommodation", datetime.date(2015, 1, 1),
          end=datetime.date(2018, 1, 1), precision="year"),
        T(4, "Dad imprisoned", "family", datetime.date(2016, 6, 1), precision="approx",
          sensitive=True),
        T(5, "Permanently excluded from Oakfield Academy after repeated incidents", "education",
          datetime.date(2022, 11, 14)),
        T(6, "Referral Order", "offending", datetime.date(2024, 2, 5),
          end=datetime.date(2025, 2, 4)),
        T(7, "Grandad died", "loss", datetime.date(2019, 8, 30)),
        T(8, "Something uncategorised", "no-such-category", datetime.date(2020, 5, 5)),
    ]  # fmt: skip


def timeline(items=None, **kwargs) -> ET.Element:
    kwargs.setdefault("date_of_birth", DOB)
    kwargs.setdefault("today", TODAY)
    kwargs.setdefault("title", "Tyler's timeline")
    return parse(render_timeline(events() if items is None else items, **kwargs))


def event_group(root: ET.Element, event_id: int) -> ET.Element:
    [group] = [el for el in root.iter() if el.get("id") == f"tl-event-{event_id}"]
    return group


def event_box(root: ET.Element, event_id: int) -> ET.Element:
    [box] = of_kind(event_group(root, event_id), "event-box")
    return box


def x_of(root: ET.Element, day: datetime.date) -> float:
    """Where a date is on the axis, from the drawn year ticks (one year = PX_PER_YEAR)."""
    years = {text_of(t): t for t in of_kind(root, "year")}
    centre = number(years[str(day.year)], "x")
    days = (datetime.date(day.year + 1, 1, 1) - datetime.date(day.year, 1, 1)).days
    fraction = (day - datetime.date(day.year, 1, 1)).days / days
    return centre - PX_PER_YEAR / 2 + fraction * PX_PER_YEAR


def year_band(root: ET.Element, year: int) -> tuple[float, float]:
    """Where a year's band is (left, width), from its shaded band in the year row."""
    label = next(t for t in of_kind(root, "year") if text_of(t) == str(year))
    [band] = [
        r
        for r in of_kind(root, "year-axis")[0].iter(f"{NS}rect")
        if number(r, "x") < number(label, "x") < number(r, "x") + number(r, "width")
        and number(r, "y") < number(label, "y") < number(r, "y") + number(r, "height")
    ]
    return number(band, "x"), number(band, "width")


def axis_left(root: ET.Element) -> float:
    first = text_of(of_kind(root, "year")[0])
    return year_band(root, int(first))[0]


def random_items(count: int, seed: int, year: int | None = None) -> list[TimelineItem]:
    rng = random.Random(seed)
    words = ["School", "CAMHS", "Police", "Moved", "Nan", "Court", "Exclusion", "Care", "Dad"]
    items = []
    for i in range(count):
        if year is None:
            start = DOB + datetime.timedelta(days=rng.randint(-400, 6400))
        else:
            start = datetime.date(year, 1, 1) + datetime.timedelta(days=rng.randint(0, 364))
        end = None
        if rng.random() < 0.3:
            end = start + datetime.timedelta(days=rng.randint(1, 400 if year else 1500))
        items.append(
            TimelineItem(
                i + 1,
                " ".join(rng.choices(words, k=rng.randint(1, 8))),
                rng.choice([*CATEGORIES, "bogus"]),
                start,
                end,
                rng.choice(["day", "month", "year", "approx"]),
                rng.random() < 0.1,
            )
        )
    return items


def test_timeline_is_a_self_contained_accessible_svg():
    svg = render_timeline(events(), date_of_birth=DOB, today=TODAY, title="Tyler's timeline")
    root = parse(svg)
    assert_document(root, "Tyler's timeline")
    assert_self_contained(svg)


def test_year_axis_runs_from_the_year_of_birth_to_this_year():
    # No empty years before birth: the drawing starts at the year of birth when no event is
    # earlier (the pregnancy extends it back: test_history_before_birth... below).
    root = timeline()
    years = [text_of(t) for t in of_kind(root, "year")]
    assert years == [str(y) for y in range(2008, 2026)]
    # A fixed scale: a 17-year-old's timeline is about 2200 pixels wide.
    width = number(root, "width")
    assert 18 * PX_PER_YEAR <= width <= 18 * PX_PER_YEAR + 200
    ticks = [number(t, "x") for t in of_kind(root, "year")]
    assert all(b - a == PX_PER_YEAR for a, b in zip(ticks, ticks[1:], strict=False))


def test_age_row_labels_every_year_of_age_up_to_today():
    root = timeline()
    ages = of_kind(root, "age")
    assert [text_of(t) for t in ages] == [f"age {n}" for n in range(18)]
    # Each age label sits between the birthdays that bound that year of age.
    for n, label in enumerate(ages[:-1]):
        start = x_of(root, DOB.replace(year=DOB.year + n))
        end = x_of(root, DOB.replace(year=DOB.year + n + 1))
        assert start < number(label, "x") < end
    years = [number(t, "y") for t in of_kind(root, "year")]
    assert all(number(label, "y") > max(years) for label in ages)  # a row under the years


def test_every_event_has_a_box_with_its_id_title_and_date():
    root = timeline()
    texts = visible_texts(root)
    for item in events():
        group = event_group(root, item.id)
        tooltip = title_of(group)
        assert tooltip.startswith(item.title)
        shown = " ".join(text_of(t) for t in of_kind(group, "event-title"))
        assert shown == item.title  # whole, on one line or two: never cut
        assert len(of_kind(group, "event-box")) == 1
    assert "Born at 34 weeks" in " ".join(texts)
    assert "17 May 2008" in title_of(event_group(root, 1))
    assert "Mar 2014" in title_of(event_group(root, 2))
    assert "2015 – 2018" in title_of(event_group(root, 3))
    assert "5 Feb 2024 – 4 Feb 2025" in title_of(event_group(root, 6))


def test_long_titles_wrap_onto_two_or_three_lines_in_a_box_as_wide_as_they_need():
    root = timeline()
    group = event_group(root, 5)
    title = "Permanently excluded from Oakfield Academy after repeated incidents"
    assert title_of(group).split("\n")[0] == title
    lines = [text_of(t) for t in of_kind(group, "event-title")]
    # Two lines would each be wider than the compact maximum: three, whole.
    assert lines == ["Permanently excluded", "from Oakfield Academy", "after repeated incidents"]
    assert not any("…" in text_of(t) for t in group.iter(f"{NS}text"))
    box = event_box(root, 5)
    for line in lines:
        assert text_width(line, TITLE_SIZE, True) < number(box, "width") - 10
    assert number(box, "height") > number(event_box(root, 1), "height") + 2 * 14  # taller
    # The example is whole too, on two lines.
    cut = TimelineItem(9, "Parents separate after DV incident; Dad leaves", "family", DOB)
    shown = [text_of(t) for t in of_kind(event_group(timeline([cut]), 9), "event-title")]
    assert " ".join(shown) == cut.title and len(shown) == 2


def test_title_lines_split_where_the_wider_line_is_narrowest():
    assert title_lines("Short") == ["Short"]
    two = title_lines("Parents separate after DV incident; Dad leaves")
    assert len(two) == 2 and all(text_width(t, TITLE_SIZE, True) <= MAX_TEXT for t in two)
    title = "Parents separate after DV incident; Dad leaves the family home"
    lines = title_lines(title)
    assert len(lines) == 3 and " ".join(lines) == title
    widths = [text_width(line, TITLE_SIZE, True) for line in lines]
    assert max(widths) <= MAX_TEXT and max(widths) - min(widths) < 60
    # Longer than three lines' worth: still three lines, wider, never cut.
    rambling = " ".join(["Assessment by the youth justice service health worker"] * 3)
    lines = title_lines(rambling)
    assert len(lines) == 3 and " ".join(lines) == rambling
    assert title_lines("Supercalifragilisticexpialidocious" * 3) == [
        "Supercalifragilisticexpialidocious" * 3
    ]  # one word: one line, the box grows instead


def test_boxes_show_the_category_label_and_colour():
    root = timeline()
    for item in events():
        category = item.category if item.category in CATEGORIES else "other"
        label, colour = CATEGORIES[category]
        group = event_group(root, item.id)
        assert group.get("data-category") == category
        assert event_box(root, item.id).get("fill") == colour
        shown = " ".join(text_of(t) for t in group.iter(f"{NS}text"))
        assert str(label) in shown
        assert str(label) in title_of(group)


def test_point_events_start_at_their_date_and_spans_run_from_start_to_end():
    root = timeline()
    born = event_box(root, 1)
    assert number(born, "x") == pytest.approx(x_of(root, DOB), abs=0.2)
    lived = event_box(root, 3)  # 2015 to 2018: three years long
    assert number(lived, "x") == pytest.approx(x_of(root, datetime.date(2015, 1, 1)), abs=0.2)
    assert number(lived, "width") == pytest.approx(3 * PX_PER_YEAR, abs=0.5)
    order = event_box(root, 6)
    assert number(order, "width") == pytest.approx(PX_PER_YEAR, abs=1)


def test_approximate_dates_are_dashed_and_marked_c():
    root = timeline()
    dad = event_group(root, 4)
    assert event_box(root, 4).get("stroke-dasharray")
    assert "c. Jun 2016" in title_of(dad)
    assert any("c. Jun 2016" in text_of(t) for t in dad.iter(f"{NS}text"))
    assert event_box(root, 1).get("stroke-dasharray") is None


def test_sensitive_events_carry_a_marker_and_say_so_in_the_tooltip():
    root = timeline()
    dad = event_group(root, 4)
    assert "sensitive" in title_of(dad)
    assert [text_of(t) for t in of_kind(dad, "sensitive")] == ["!"]
    assert of_kind(event_group(root, 1), "sensitive") == []
    assert "sensitive" not in title_of(event_group(root, 1))


def test_legend_lists_every_category_with_its_colour_and_label():
    root = timeline()
    [key] = of_kind(root, "key")
    texts = [text_of(t) for t in key.iter(f"{NS}text")]
    swatches = {el.get("data-category"): el.get("fill") for el in key.iter(f"{NS}rect")}
    for category, (label, colour) in CATEGORIES.items():
        assert str(label) in texts
        assert swatches[category] == colour
    assert "Loss and bereavement" in texts


def test_categories_have_light_distinct_colours_readable_with_black_text():
    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    assert set(CATEGORIES) == {
        "family",
        "education",
        "health",
        "social_care",
        "offending",
        "accommodation",
        "relationships",
        "loss",
        "interventions",
        "other",
    }
    colours = [colour for _label, colour in CATEGORIES.values()]
    assert len(set(colours)) == len(colours)
    for colour in colours:
        assert re.fullmatch(r"#[0-9A-Fa-f]{6}", colour)
        assert (luminance(colour) + 0.05) / 0.05 >= 7  # WCAG AAA against black text
    labels = [str(label) for label, _colour in CATEGORIES.values()]
    assert len(set(labels)) == len(labels)


def test_crowded_year_stacks_boxes_into_lanes_without_overlap():
    items = random_items(40, seed=3, year=2016)
    root = timeline(items)
    boxes = of_kind(root, "event-box")
    assert len(boxes) == 40
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not overlaps(a, b)
    lanes = {g.get("data-lane") for g in of_kind(root, "event")}
    assert len(lanes) > 5
    # The drawing grows to hold the lanes.
    lowest = max(number(b, "y") + number(b, "height") for b in boxes)
    assert lowest < number(root, "height")
    assert number(root, "height") > number(timeline([]), "height") + 5 * 38


def test_three_hundred_events_render_quickly_and_all_appear():
    items = random_items(300, seed=11)
    started = time.perf_counter()
    svg = render_timeline(items, date_of_birth=DOB, today=TODAY, title="Busy")
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0
    root = parse(svg)
    ids = [el.get("id") for el in root.iter() if (el.get("id") or "").startswith("tl-event-")]
    assert len(ids) == 300
    assert set(ids) == {f"tl-event-{i}" for i in range(1, 301)}
    boxes = of_kind(root, "event-box")
    by_row: dict[float, list[ET.Element]] = {}
    for box in boxes:
        by_row.setdefault(number(box, "y"), []).append(box)
    for row in by_row.values():
        row.sort(key=lambda b: number(b, "x"))
        for a, b in zip(row, row[1:], strict=False):
            assert not overlaps(a, b)


def test_events_outside_the_axis_are_clamped_to_its_edges():
    # The axis starts at the earliest event (test below), never before 1900: the right edge
    # is today's year, and nothing is drawn outside the axis.
    items = [
        TimelineItem(1, "Before 1900", "family", datetime.date(1850, 1, 1)),
        TimelineItem(2, "Far future", "other", datetime.date(2040, 1, 1)),
        TimelineItem(
            3, "Backwards span", "health", datetime.date(2020, 1, 1), end=datetime.date(2019, 1, 1)
        ),  # fmt: skip
        TimelineItem(
            4, "Runs on", "education", datetime.date(2024, 9, 1), end=datetime.date(2031, 7, 1)
        ),  # fmt: skip
    ]
    root = timeline(items)
    years = [text_of(t) for t in of_kind(root, "year")]
    assert years[0] == "1900" and years[-1] == "2025"
    first = axis_left(root)
    last = x_of(root, datetime.date(2025, 12, 31)) + 1
    for item in items:
        box = event_box(root, item.id)
        assert first - 0.5 <= number(box, "x")
        assert number(box, "x") + number(box, "width") <= last + 0.5
    assert number(event_box(root, 1), "x") == pytest.approx(first, abs=0.5)
    assert number(event_box(root, 3), "width") == pytest.approx(PX_PER_YEAR, abs=1)
    assert "Far future" in title_of(event_group(root, 2))


def test_timeline_escapes_xml_special_characters():
    items = [
        TimelineItem(
            1, 'Fight at "Jack & Jill\'s" <party>', "offending", datetime.date(2020, 1, 2)
        ),
        TimelineItem(2, "<script>alert(1)</script>", "other", datetime.date(2021, 1, 2)),
        TimelineItem(3, "Control \x00\x08 chars\ufffe", "other", datetime.date(2021, 6, 2)),
    ]
    svg = render_timeline(items, date_of_birth=DOB, today=TODAY, title="Q&A <timeline>")
    root = parse(svg)
    assert "<script>" not in svg
    texts = visible_texts(root)
    assert "<script>alert(1)</script>" in texts
    assert 'Fight at "Jack & Jill\'s" <party>' in title_of(event_group(root, 1))
    assert "Control  chars" in texts
    assert root.find(f"{NS}title").text == "Q&A <timeline>"


def test_timeline_without_events_says_there_is_nothing_to_show_yet():
    root = timeline([])
    assert_document(root, "Tyler's timeline")
    [message] = of_kind(root, "empty")
    assert "Nothing to show yet" in text_of(message)
    assert of_kind(root, "event") == []
    assert [text_of(t) for t in of_kind(root, "year")][0] == "2008"


def test_timeline_copes_with_a_newborn_and_odd_dates():
    # Born this year, on 29 February; today before the date of birth must not crash either.
    leap = datetime.date(2024, 2, 29)
    root = timeline([], date_of_birth=leap, today=datetime.date(2025, 3, 1))
    assert [text_of(t) for t in of_kind(root, "age")] == ["age 0", "age 1"]
    root = timeline([], date_of_birth=datetime.date(2025, 8, 1), today=datetime.date(2025, 8, 2))
    assert [text_of(t) for t in of_kind(root, "age")] == ["age 0"]
    root = timeline(events(), date_of_birth=datetime.date(2026, 1, 1), today=TODAY)
    assert of_kind(root, "age") == []


def test_parents_without_a_recorded_partnership_are_still_joined_for_their_children():
    people = [
        GenoPerson(1, "Mum", "female", generation=-1),
        GenoPerson(2, "Dad", "male", generation=-1),
        GenoPerson(3, "Child", "male", is_child=True, father_id=2, mother_id=1),
    ]
    root = parse(render_genogram(people, [], title="Genogram"))
    [line] = of_kind(root, "partnership-unrecorded")
    assert of_kind(line, "separation-slash") == []
    [descent] = of_kind(root, "descent")
    assert title_of(descent) == "Children: Child"


def test_history_before_birth_extends_the_drawing_back_with_a_labelled_band():
    """Appendix 3's own example: "Parents together '89 to '01" and "Dad violent to Mum since
    1991" for a child born in 2008. The drawing starts at 1989; the years before the year
    before birth are narrower; a "before birth" band (a word, not only a colour) runs up to
    the birth; the age row starts at birth."""
    items = [
        *events(),
        TimelineItem(20, "Parents together", "relationships", datetime.date(1989, 1, 1),
                     end=datetime.date(2001, 1, 1), precision="year"),
        TimelineItem(21, "Dad violent to Mum", "family", datetime.date(1991, 1, 1),
                     precision="year", sensitive=True),
    ]  # fmt: skip
    root = timeline(items)
    years = [text_of(t) for t in of_kind(root, "year")]
    assert years == [str(y) for y in range(1989, 2026)]
    early = [year_band(root, y)[1] for y in range(1989, 2007)]
    full = [year_band(root, y)[1] for y in range(2007, 2026)]
    assert set(early) == {PX_PER_EARLY_YEAR} and set(full) == {PX_PER_YEAR}  # 2007 full
    # Bands touch: each year starts where the one before ends.
    for a, b in zip(range(1989, 2025), range(1990, 2026), strict=False):
        left, width = year_band(root, a)
        assert year_band(root, b)[0] == pytest.approx(left + width)
    # The events sit in their years, the span runs 1989 to 2001.
    start = event_box(root, 20)
    assert number(start, "x") == pytest.approx(year_band(root, 1989)[0], abs=0.5)
    end_x = number(start, "x") + number(start, "width")
    assert end_x == pytest.approx(year_band(root, 2001)[0], abs=0.5)
    assert number(event_box(root, 21), "x") == pytest.approx(year_band(root, 1991)[0], abs=0.5)
    assert "1989 – 2001" in title_of(event_group(root, 20))
    # The "before birth" band: from the drawing's start to the birth marker, with its word.
    [band] = of_kind(root, "before-birth")
    [label] = of_kind(root, "before-birth-label")
    assert text_of(label) == "before birth"
    [birth] = of_kind(root, "marker-birth")
    assert number(band, "x") == pytest.approx(year_band(root, 1989)[0])
    assert number(band, "x") + number(band, "width") == pytest.approx(number(birth, "x1"))
    assert number(band, "x") < number(label, "x") < number(birth, "x1")
    # The age row starts at birth: age 0 after the birth marker, and all ages still there.
    ages = of_kind(root, "age")
    assert [text_of(t) for t in ages] == [f"age {n}" for n in range(18)]
    assert number(ages[0], "x") > number(birth, "x1")
    # The same child without the history starts at the year of birth, 2008, and is narrower
    # by the early years and the year before birth.
    plain = timeline()
    assert [text_of(t) for t in of_kind(plain, "year")][0] == "2008"
    assert number(root, "width") - number(plain, "width") == pytest.approx(
        18 * PX_PER_EARLY_YEAR + PX_PER_YEAR
    )


def test_the_before_birth_band_is_there_without_early_events_too():
    root = timeline()
    [band] = of_kind(root, "before-birth")
    [birth] = of_kind(root, "marker-birth")
    assert number(band, "x") == pytest.approx(axis_left(root))
    assert number(band, "x") + number(band, "width") == pytest.approx(number(birth, "x1"))
    # From 1 January of the year of birth: too narrow for its word, the birth marker says it.
    assert number(band, "width") < PX_PER_YEAR / 2
    pregnancy = TimelineItem(9, "Pregnancy", "health", datetime.date(2007, 10, 1))
    labels = of_kind(timeline([pregnancy]), "before-birth-label")
    assert [text_of(t) for t in labels] == ["before birth"]


def test_the_present_is_drawn_inside_the_last_year_for_the_page_to_scroll_to():
    # drawings.js opens the drawing scrolled to the "today" marker: it is in the current
    # year's band, inside the drawing, and the events drawn at today end inside it too.
    now = TimelineItem(30, "Boxing club: first positive activity", "relationships", TODAY)
    root = timeline([*events(), now])
    [today] = of_kind(root, "marker-today")
    left, width = year_band(root, TODAY.year)
    assert left < number(today, "x1") < left + width
    assert number(today, "x1") <= number(root, "width")
    box = event_box(root, 30)
    assert number(box, "x") + number(box, "width") <= number(root, "width")
    assert "Boxing club" in " ".join(
        text_of(t) for t in of_kind(event_group(root, 30), "event-title")
    )


# --------------------------------------------------------------------------------------
# The compact layout: a whole childhood fits a 1280 px page, events stacked into lanes
# --------------------------------------------------------------------------------------

SEVENTEEN_DOB = datetime.date(2008, 3, 14)  # 17 on TODAY


def life_of_sixty_events(seed: int = 7) -> list[TimelineItem]:
    """60 events spread over a 17-year-old's life, from the pregnancy to today: a quarter of
    them periods, some long titles, some sensitive."""
    rng = random.Random(seed)
    words = [
        "School",
        "CAMHS",
        "Police",
        "moved",
        "Nan",
        "court",
        "exclusion",
        "foster",
        "placement",
        "referral",
        "assessment",
        "bereavement",
        "Dad",
        "Mum",
        "home",
    ]
    start = SEVENTEEN_DOB - datetime.timedelta(days=200)
    days = (TODAY - start).days
    items = []
    for i in range(60):
        day = start + datetime.timedelta(days=days * i // 60 + rng.randint(0, 50))
        end = None
        if rng.random() < 0.25:
            end = min(day + datetime.timedelta(days=rng.randint(40, 900)), TODAY)
        title = " ".join(rng.choices(words, k=rng.randint(2, 10))).capitalize()
        items.append(
            TimelineItem(i + 1, title, rng.choice(list(CATEGORIES)), day, end,
                         rng.choice(["day", "day", "month", "approx"]), rng.random() < 0.15)
        )  # fmt: skip
    return items


def drawn_boxes(group: ET.Element) -> list[tuple[float, float, float, float]]:
    """Every box an event draws in: its rectangles, its "!" circle and each of its texts
    (their width as drawn, from baseline's ascent to descent): (left, top, right, bottom)."""
    boxes = []
    for el in group.iter():
        tag = el.tag.removeprefix(NS)
        if tag == "rect":
            x, y, w, h = (number(el, k) for k in ("x", "y", "width", "height"))
            boxes.append((x, y, x + w, y + h))
        elif tag == "circle":
            cx, cy, r = (number(el, k) for k in ("cx", "cy", "r"))
            boxes.append((cx - r, cy - r, cx + r, cy + r))
        elif tag == "text":
            size = number(el, "font-size")
            width = text_width(text_of(el), size, el.get("font-weight") == "bold")
            x, y = number(el, "x"), number(el, "y")
            left = {"end": x - width, "middle": x - width / 2}.get(el.get("text-anchor"), x)
            boxes.append((left, y - 0.8 * size, left + width, y + 0.25 * size))
    return boxes


def hull(boxes):
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def test_sixty_events_over_a_whole_life_pack_into_lanes_with_no_two_labels_overlapping():
    items = life_of_sixty_events()
    root = timeline(items, date_of_birth=SEVENTEEN_DOB)
    groups = of_kind(root, "event")
    assert len(groups) == 60
    # Each event's label (its box and every text of it, as wide as drawn) overlaps no other's.
    hulls = {g.get("id"): hull(drawn_boxes(g)) for g in groups}
    ids = sorted(hulls)
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            (al, at, ar, ab), (bl, bt, br, bb) = hulls[a], hulls[b]
            assert not (al < br and bl < ar and at < bb and bt < ab), (a, b)
    # All inside the drawing, after the row headings, above the key.
    width = number(root, "width")
    [key] = of_kind(root, "key")
    key_top = min(number(r, "y") for r in key.iter(f"{NS}rect"))
    for left, _top, right, bottom in hulls.values():
        assert axis_left(root) - 0.5 <= left and right <= width + 0.5
        assert bottom < key_top
    # Stacked: many lanes, periods (bars from start to end) in lanes of their own above.
    assert len({g.get("data-lane") for g in groups}) >= 6
    periods = [g for g in groups if g.get("data-period")]
    points = [g for g in groups if not g.get("data-period")]
    assert periods and points
    lowest_period = max(hull(drawn_boxes(g))[3] for g in periods)
    assert all(hull(drawn_boxes(g))[1] > lowest_period for g in points)
    for group in periods:
        [bar] = of_kind(group, "event-box")
        item = items[int(group.get("id").removeprefix("tl-event-")) - 1]
        assert number(bar, "x") == pytest.approx(x_of(root, item.start), abs=0.5)
        assert number(bar, "x") + number(bar, "width") == pytest.approx(
            x_of(root, item.end), abs=0.5
        )
    # Every title whole, on at most three lines.
    for group in groups:
        item = items[int(group.get("id").removeprefix("tl-event-")) - 1]
        lines = [text_of(t) for t in of_kind(group, "event-title")]
        assert " ".join(lines) == item.title and len(lines) <= 3


def test_a_whole_childhood_is_compact_enough_to_read_fitted_to_a_1280_px_page():
    # 1280 px less the page's margins and the frame leave about 1,200 px: fitted to it, a
    # 17-year-old's life from the pregnancy (the year before birth) to today is drawn at
    # 0.92 of its size or more, so the 12-unit titles are 11 px or more.
    pregnancy = TimelineItem(99, "Pregnancy", "health", datetime.date(2007, 9, 1))
    root = timeline([*life_of_sixty_events(), pregnancy], date_of_birth=SEVENTEEN_DOB)
    years = [text_of(t) for t in of_kind(root, "year")]
    assert years == [str(y) for y in range(2007, 2026)]
    width = number(root, "width")
    assert width * 0.92 <= 1200
    sizes = {number(t, "font-size") for g in of_kind(root, "event") for t in g.iter(f"{NS}text")}
    assert min(sizes) >= 10
    assert {number(t, "font-size") for t in of_kind(root, "event-title")} == {TITLE_SIZE}
    assert TITLE_SIZE * min(1, 1200 / width) >= 11


def test_point_labels_sit_right_of_their_marker_unless_ending_there_stacks_higher():
    # Two events a week apart: the second goes under the first (to the right of its date);
    # a third just before today ends at its date (no room to the right).
    items = [
        TimelineItem(1, "Moves to Nan's", "accommodation", datetime.date(2016, 3, 1)),
        TimelineItem(2, "Starts at a new school", "education", datetime.date(2016, 3, 8)),
        TimelineItem(3, "Boxing club", "relationships", TODAY - datetime.timedelta(days=3)),
    ]
    root = timeline(items)
    first, second, last = (event_box(root, n) for n in (1, 2, 3))
    assert number(first, "x") == pytest.approx(x_of(root, datetime.date(2016, 3, 1)), abs=0.2)
    assert number(second, "x") == pytest.approx(x_of(root, datetime.date(2016, 3, 8)), abs=0.2)
    assert number(second, "y") > number(first, "y")  # the next free lane
    end = number(last, "x") + number(last, "width")
    assert end == pytest.approx(x_of(root, TODAY - datetime.timedelta(days=3)), abs=0.2)


def test_the_projector_drawing_is_wider_and_lower_to_fill_a_16_9_screen():
    items = life_of_sixty_events()
    page = parse(render_timeline(items, date_of_birth=SEVENTEEN_DOB, today=TODAY, title="T"))
    screen = parse(
        render_timeline_for_screen(items, date_of_birth=SEVENTEEN_DOB, today=TODAY, title="T")
    )

    def fitted(root):
        return min(1920 / number(root, "width"), 1040 / number(root, "height"))

    assert number(screen, "width") > number(page, "width")
    assert number(screen, "height") < number(page, "height")
    assert fitted(screen) > fitted(page) * 1.15
    assert len(of_kind(screen, "event")) == 60
