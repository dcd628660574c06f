"""What a page shows, read from its HTML as a user (or a screen reader) meets it: the text
with whitespace as the browser collapses it, the rows of its tables, its form controls and
their labels. Tests assert on these rather than on how the markup happens to be laid out."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
SKIPPED = {"script", "style", "template", "title"}
CONTROLS = {"input", "select", "textarea"}
NOT_LABELLED = {"hidden", "submit", "button", "reset", "image"}


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@dataclass
class Element:
    tag: str
    attrs: dict
    parent: Element | None
    children: list = field(default_factory=list)  # Elements and strings

    def text(self) -> str:
        return _squash("".join(c if isinstance(c, str) else c.text() for c in self.children))

    def iter(self, *tags):
        for child in self.children:
            if isinstance(child, Element):
                if not tags or child.tag in tags:
                    yield child
                yield from child.iter(*tags)

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


class _Tree(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("#root", {}, None)
        self.node = self.root
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {k: (v or "") for k, v in attrs}, self.node)
        self.node.children.append(element)
        if tag in SKIPPED:
            self.skip += 1
        if tag not in VOID:
            self.node = element

    def handle_startendtag(self, tag, attrs):
        self.node.children.append(Element(tag, {k: (v or "") for k, v in attrs}, self.node))

    def handle_endtag(self, tag):
        if tag in SKIPPED:
            self.skip -= 1
        node = self.node
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.node = node.parent

    def handle_data(self, data):
        if not self.skip:
            self.node.children.append(data)


def parse(html: str) -> Element:
    tree = _Tree()
    tree.feed(html)
    return tree.root


def text(html: str) -> str:
    """The page's text, whitespace collapsed as a browser shows it."""
    return parse(html).text()


def headings(html: str) -> list[str]:
    return [h.text() for h in parse(html).iter("h1", "h2", "h3", "h4", "h5", "h6")]


def table_rows(html: str, caption: str | None = None) -> list[list[str]]:
    """The body rows of the page's tables (or of the one with this caption), each a list of
    its cells' text."""
    rows = []
    for table in parse(html).iter("table"):
        captions = [c.text() for c in table.iter("caption")]
        if caption is not None and caption not in captions:
            continue
        for body in table.iter("tbody"):
            for row in body.iter("tr"):
                rows.append([cell.text() for cell in row.iter("td", "th")])
    return rows


def controls(html: str) -> list[Element]:
    """The form controls a user fills in (not hidden fields or buttons)."""
    return [
        c
        for c in parse(html).iter(*CONTROLS)
        if c.tag != "input" or c.attrs.get("type", "text") not in NOT_LABELLED
    ]


def label_of(root: Element, control: Element) -> str:
    """A control's accessible name from its label(s) or aria-label (empty when it has none)."""
    if control.attrs.get("aria-label"):
        return control.attrs["aria-label"]
    names = []
    control_id = control.attrs.get("id")
    if control_id:
        names += [lab.text() for lab in root.iter("label") if lab.attrs.get("for") == control_id]
    names += [a.text() for a in control.ancestors() if a.tag == "label"]
    return " ".join(n for n in names if n)


def unlabelled_controls(html: str) -> list[str]:
    root = parse(html)
    return [
        c.attrs.get("name", c.tag)
        for c in controls(html)
        if not label_of(root, c) and not c.attrs.get("aria-labelledby")
    ]


def duplicate_ids(html: str) -> list[str]:
    counts = Counter(e.attrs["id"] for e in parse(html).iter() if e.attrs.get("id"))
    return sorted(i for i, n in counts.items() if n > 1)


def invalid_controls(html: str) -> dict[str, str]:
    """Each control marked invalid, by name, with the text of the elements its
    aria-describedby points to (where its error is said)."""
    root = parse(html)
    by_id = {e.attrs["id"]: e for e in root.iter() if e.attrs.get("id")}
    described = {}
    for control in root.iter(*CONTROLS):
        if control.attrs.get("aria-invalid") != "true":
            continue
        ids = control.attrs.get("aria-describedby", "").split()
        described[control.attrs.get("name", "")] = " ".join(
            by_id[i].text() for i in ids if i in by_id
        )
    return described


def assert_accessible_form_page(html: str) -> None:
    """Every control labelled, and no id used twice (a label would find the wrong control)."""
    problems = {"unlabelled": unlabelled_controls(html), "ids used twice": duplicate_ids(html)}
    assert problems == {"unlabelled": [], "ids used twice": []}, problems
