"""The genogram drawing (family diagram), server-side SVG.

Pure Python: `render_genogram` takes plain dataclasses (built by the caller from its models)
and returns an SVG document as a string, built with the drawing kit (ecm/drawing.py). The
same string is used inline in the browser and in the PDF. Every piece of user text is
escaped, and every fixed user-facing string goes through gettext.

Colour is never the only signal: shapes, outlines, slashes, crosses and text labels carry the
meaning, and a key explains them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ecm.drawing import (
    FONT_FAMILY,
    INK,
    LINE_COLOUR,
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
    num,
    points,
    square,
    text,
    text_width,
    truncate,
    wrap,
)

from .models import Partnership, Sex

Status = Partnership.Status

__all__ = ["FONT_FAMILY", "GenoPerson", "GenoUnion", "render_genogram"]


@dataclass(frozen=True)
class GenoPerson:
    id: int
    name: str  # display name, e.g. "Mum (Kerry)" or "Tyler"
    sex: str  # a Sex ("other" and "unknown" are drawn alike)
    birth_label: str = ""  # e.g. "b. 1986" or "b. 03/2011" (already formatted)
    deceased: bool = False
    is_child: bool = False  # the child the case is about: drawn with a double outline
    lives_with_child: bool = False  # marked with a small house "H" tag plus text
    notes: tuple[str, ...] = ()  # short flags shown as small text lines under the person
    generation: int = 0  # 0 = the child's generation, -1 parents, -2 grandparents, 1 children
    father_id: int | None = None
    mother_id: int | None = None


@dataclass(frozen=True)
class GenoUnion:
    a: int  # person id
    b: int  # person id
    status: str = Status.TOGETHER  # a Partnership.Status
    label: str = ""  # e.g. "m. 2005" or "sep. 2014"


_SYM = 40.0  # symbol size
_HALF = _SYM / 2
_OUTLINE = 5.0  # gap of the index child's second outline
_NAME_W = 172.0  # text column width before wrapping (150 at the old 10.5 px text)
_LINE_H = 16.0
#: Text sizes: never under 12 px on screen, 9 pt in the report (printed at 1:1).
_NAME_SIZE = 13.0
_TEXT_SIZE = 12.0
_PARTNER_GAP = 40.0  # between the text columns of adjacent partners
_PERSON_GAP = 32.0  # between unrelated neighbours in a row
_FAMILY_GAP = 52.0  # between neighbours from different families
_STATUSES = tuple(Status)
_SYMBOL_FILL = "#ffffff"
_CHILD_FILL = "#fff1b8"
_DECEASED_FILL = "#ececec"


@dataclass
class _Node:
    person: GenoPerson
    index: int
    lines: list[tuple[str, float, bool, bool, str]] = field(default_factory=list)
    width: float = 0.0
    row: int = 0
    x: float = 0.0
    y: float = 0.0
    cluster: _Cluster | None = None


@dataclass
class _Union:
    a: int
    b: int
    status: str
    label: str
    implicit: bool = False
    same_row: bool = False
    level: int = 0
    text_lines: list[str] = field(default_factory=list)
    gap: tuple[int, int, float] | None = None  # where a bracket's children line comes down


@dataclass
class _Family:
    parents: tuple[int, ...]
    union: _Union | None
    children: list[int] = field(default_factory=list)
    lane: int = 0


@dataclass
class _Cluster:
    members: list[int]
    offsets: list[float] = field(default_factory=list)
    width: float = 0.0
    left: float = 0.0


def _person_lines(person: GenoPerson) -> list[tuple[str, float, bool, bool, str]]:
    """Text lines under a symbol: (text, size, bold, italic, colour)."""
    lines: list[tuple[str, float, bool, bool, str]] = []
    name = clean(person.name).strip() or _("(no name)")
    for part in wrap(name, _NAME_W, _NAME_SIZE, True, 2):
        lines.append((part, _NAME_SIZE, True, False, INK))
    birth = clean(person.birth_label).strip()
    if birth:
        lines.append((truncate(birth, _NAME_W, _TEXT_SIZE), _TEXT_SIZE, False, False, INK))
    if person.deceased:
        lines.append((_("deceased"), _TEXT_SIZE, False, True, INK))
    if person.lives_with_child and not person.is_child:
        lines.append((_("lives with the child"), _TEXT_SIZE, False, True, MUTED))
    for note in person.notes:
        note_text = clean(note).strip()
        for part in wrap(note_text, _NAME_W, _TEXT_SIZE, False, 2):
            lines.append((part, _TEXT_SIZE, False, False, MUTED))
    return lines


def _arrange_cluster(members: list[int], adj: dict[int, list[int]], nodes: dict) -> list[int]:
    """Order a cluster of partners so that partners sit next to each other: the person with
    most partners in the middle, their partners either side, and each partner's own other
    partners further out on the same side. A couple puts the man on the left (the usual
    convention) unless the ordering sweeps later turn it round."""
    if len(members) == 1:
        return members
    inside = set(members)

    def by_index(pid: int) -> int:
        return nodes[pid].index

    links = {m: sorted((n for n in adj.get(m, []) if n in inside), key=by_index) for m in members}
    hub = min(
        members,
        key=lambda m: (-len(links[m]), nodes[m].person.sex != Sex.MALE, nodes[m].index),
    )
    seen = {hub}

    def outward(pid: int) -> list[int]:
        """pid, then their other partners depth first (without recursion: chains of
        partners can be long)."""
        sequence = []
        stack = [pid]
        while stack:
            current = stack.pop()
            sequence.append(current)
            following = [other for other in links[current] if other not in seen]
            seen.update(following)
            stack.extend(reversed(following))
        return sequence

    partners = list(links[hub])
    seen.update(partners)
    half = len(partners) // 2
    left: list[int] = []
    for partner in partners[:half]:
        left = list(reversed(outward(partner))) + left
    right: list[int] = []
    for partner in partners[half:]:
        right.extend(outward(partner))
    order = left + [hub] + right
    order.extend(m for m in sorted(members, key=by_index) if m not in set(order))
    return order


def _cross(x: float, y: float, r: float) -> str:
    """The path of the cross over a deceased person's symbol."""
    return (
        f"M{num(x - r)},{num(y - r)}L{num(x + r)},{num(y + r)}"
        f"M{num(x + r)},{num(y - r)}L{num(x - r)},{num(y + r)}"
    )


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


class _Genogram:
    def __init__(self, people: list[GenoPerson], unions: list[GenoUnion], title: str):
        self.title = title
        self.nodes: dict[int, _Node] = {}
        for person in people:
            if person.id not in self.nodes:
                self.nodes[person.id] = _Node(person, len(self.nodes))
        for node in self.nodes.values():
            node.lines = _person_lines(node.person)
            widest = max((text_width(t, s, b) for t, s, b, _i, _c in node.lines), default=0)
            node.width = max(_SYM + 28, widest + 6)
        self._collect_unions(unions)
        self._collect_families()
        self._build_rows()

    # -- structure --------------------------------------------------------------------

    def _collect_unions(self, unions: list[GenoUnion]) -> None:
        self.unions: list[_Union] = []
        self.pair_union: dict[frozenset[int], _Union] = {}
        for union in unions:
            if union.a == union.b or union.a not in self.nodes or union.b not in self.nodes:
                continue
            key = frozenset((union.a, union.b))
            if key in self.pair_union:
                continue
            status = union.status if union.status in _STATUSES else Status.TOGETHER
            info = _Union(union.a, union.b, status, clean(union.label).strip())
            self.pair_union[key] = info
            self.unions.append(info)

    def _collect_families(self) -> None:
        self.families: dict[tuple[int, ...], _Family] = {}
        self.family_of: dict[int, _Family] = {}
        self.children_of: dict[int, list[int]] = {pid: [] for pid in self.nodes}
        for node in self.nodes.values():
            person = node.person
            parents: list[int] = []
            for pid in (person.father_id, person.mother_id):
                if (
                    pid is not None
                    and pid != person.id
                    and pid in self.nodes
                    and pid not in parents
                ):
                    parents.append(pid)
            if not parents:
                continue
            key = tuple(sorted(parents))
            family = self.families.get(key)
            if family is None:
                union = None
                if len(parents) == 2:
                    pair = frozenset(parents)
                    union = self.pair_union.get(pair)
                    if union is None:
                        union = _Union(parents[0], parents[1], Status.TOGETHER, "", implicit=True)
                        self.pair_union[pair] = union
                        self.unions.append(union)
                family = _Family(key, union)
                self.families[key] = family
            family.children.append(person.id)
            self.family_of[person.id] = family
            for pid in parents:
                self.children_of[pid].append(person.id)

    def _build_rows(self) -> None:
        generations = sorted({node.person.generation for node in self.nodes.values()})
        row_index = {g: i for i, g in enumerate(generations)}
        for node in self.nodes.values():
            node.row = row_index[node.person.generation]
        self.row_count = len(generations)
        adj: dict[int, list[int]] = {}
        for union in self.unions:
            union.same_row = self.nodes[union.a].row == self.nodes[union.b].row
            if union.same_row:
                adj.setdefault(union.a, []).append(union.b)
                adj.setdefault(union.b, []).append(union.a)
        self.rows: list[list[_Cluster]] = [[] for _ in generations]
        for node in self.nodes.values():
            if node.cluster is not None:
                continue
            members = [node.person.id]
            seen = {node.person.id}
            queue = [node.person.id]
            while queue:
                current = queue.pop(0)
                for other in adj.get(current, []):
                    if other not in seen:
                        seen.add(other)
                        members.append(other)
                        queue.append(other)
            cluster = _Cluster(_arrange_cluster(members, adj, self.nodes))
            for m in members:
                self.nodes[m].cluster = cluster
            self.rows[node.row].append(cluster)

    # -- ordering within rows (barycentre sweeps) ---------------------------------------

    def _positions(self) -> dict[int, float]:
        pos: dict[int, float] = {}
        for row in self.rows:
            flat = [m for cluster in row for m in cluster.members]
            for i, m in enumerate(flat):
                pos[m] = (i + 0.5) / len(flat)
        return pos

    def _member_key(self, pid: int, pos: dict[int, float], downward: bool) -> float | None:
        node = self.nodes[pid]
        if downward:
            family = self.family_of.get(pid)
            if family is None:
                return None
            values = [pos[p] for p in family.parents if self.nodes[p].row != node.row]
        else:
            values = [pos[c] for c in self.children_of[pid] if self.nodes[c].row != node.row]
        return _mean(values)

    def _order_rows(self) -> None:
        pos = self._positions()
        sweeps = [True, False, True, False, True]
        for downward in sweeps:
            rows = range(self.row_count) if downward else range(self.row_count - 1, -1, -1)
            for r in rows:
                row = self.rows[r]
                keyed = []
                for i, cluster in enumerate(row):
                    keys = [self._member_key(m, pos, downward) for m in cluster.members]
                    known = [k for k in keys if k is not None]
                    current = _mean([pos[m] for m in cluster.members]) or 0.0
                    key = _mean(known)
                    keyed.append((key if key is not None else current, current, i, cluster))
                    # Turn a cluster round if its members' relatives are the other way round.
                    first, last = keys[0], keys[-1]
                    if len(keys) > 1 and first is not None and last is not None and first > last:
                        cluster.members.reverse()
                keyed.sort(key=lambda item: (item[0], item[1], item[2]))
                self.rows[r] = [item[3] for item in keyed]
                flat = [m for cluster in self.rows[r] for m in cluster.members]
                for i, m in enumerate(flat):
                    pos[m] = (i + 0.5) / len(flat)

    # -- geometry -----------------------------------------------------------------------

    def _cluster_geometry(self) -> None:
        """Fix each cluster's internal layout: partnership levels, offsets and width, and
        where brackets come down. Runs once the order of people is final."""
        self.slot: dict[int, int] = {}  # position of each person within their cluster
        inside: dict[int, list[_Union]] = {}
        for row in self.rows:
            for cluster in row:
                for i, m in enumerate(cluster.members):
                    self.slot[m] = i
        for union in self.unions:
            union.text_lines = self._union_text(union)
            if union.same_row:
                inside.setdefault(id(self.nodes[union.a].cluster), []).append(union)
        for row in self.rows:
            for cluster in row:
                self._levels(inside.get(id(cluster), []))
                self._offsets(cluster)
        self.degree = dict.fromkeys(self.nodes, 0)
        for union in self.unions:
            if union.same_row:
                self.degree[union.a] += 1
                self.degree[union.b] += 1
        self.bracket_pairs: set[frozenset[int]] = set()
        for family in self.families.values():
            union = family.union
            if union is not None and union.same_row and union.level > 0:
                union.gap = self._bracket_gap(union)
                self.bracket_pairs.add(frozenset(union.gap[:2]))

    def _levels(self, unions: list[_Union]) -> None:
        """Adjacent partners are joined by a straight line (level 0); partners further apart
        by a bracket over the top, stacked (levels 1 to 3) so brackets rarely overlap."""
        slot = self.slot
        taken: dict[int, list[tuple[int, int]]] = {}
        for union in sorted(unions, key=lambda u: (abs(slot[u.a] - slot[u.b]), slot[u.a])):
            lo, hi = sorted((slot[union.a], slot[union.b]))
            if hi - lo == 1:
                union.level = 0
                continue
            level = 1
            while level < 3 and any(max(lo, a) < min(hi, b) for a, b in taken.get(level, [])):
                level += 1
            union.level = level
            taken.setdefault(level, []).append((lo, hi))

    def _offsets(self, cluster: _Cluster) -> None:
        members = cluster.members
        offsets = []
        centre = 0.0
        for i, m in enumerate(members):
            node = self.nodes[m]
            if i == 0:
                centre = node.width / 2
            else:
                prev = self.nodes[members[i - 1]]
                union = self.pair_union.get(frozenset((prev.person.id, m)))
                partnered = union is not None and union.same_row and union.level == 0
                gap = _PARTNER_GAP if partnered else _PERSON_GAP
                distance = prev.width / 2 + gap + node.width / 2
                if partnered and union is not None:
                    label_w = max((text_width(t, _TEXT_SIZE) for t in union.text_lines), default=0)
                    distance = max(distance, _SYM + label_w + 24)
                centre += distance
            offsets.append(centre)
        cluster.offsets = offsets
        cluster.width = offsets[-1] + self.nodes[members[-1]].width / 2

    def _union_text(self, union: _Union) -> list[str]:
        lines = []
        if union.label:
            lines.append(truncate(union.label, 140, _TEXT_SIZE))
        if union.status == Status.ENDED_BY_DEATH:
            lines.append(_("ended by death"))
        return lines

    def _column(self, pid: int) -> tuple[float, float]:
        node = self.nodes[pid]
        return node.x - node.width / 2, node.x + node.width / 2

    def _sync_x(self, cluster: _Cluster) -> None:
        for m, offset in zip(cluster.members, cluster.offsets, strict=True):
            self.nodes[m].x = cluster.left + offset

    def _neighbour(self, pid: int, step: int) -> int | None:
        cluster = self.nodes[pid].cluster
        assert cluster is not None
        i = self.slot[pid] + step
        return cluster.members[i] if 0 <= i < len(cluster.members) else None

    def _busy_side(self, pid: int, step: int) -> bool:
        other = self._neighbour(pid, step)
        if other is None:
            return False
        union = self.pair_union.get(frozenset((pid, other)))
        return union is not None and union.same_row and union.level == 0

    def _drop(self, family: _Family) -> tuple[float, float]:
        """Where the line down to a family's children starts."""
        union = family.union
        if union is None:
            pid = family.parents[0]
            node = self.nodes[pid]
            left, right = self._column(pid)
            if self._side_free(pid, 1):
                return right + 14, node.y
            if self._side_free(pid, -1):
                return left - 14, node.y
            return right + 28, node.y
        a, b = self.nodes[union.a], self.nodes[union.b]
        if a.x > b.x:
            a, b = b, a
        if not union.same_row:
            return (a.x + b.x) / 2, (a.y + b.y) / 2
        if union.level == 0:
            return (a.x + a.width / 2 + b.x - b.width / 2) / 2, a.y
        return self._bracket_gap_x(union), self._bracket_y(union)

    def _bracket_gap(self, union: _Union) -> tuple[int, int, float]:
        """A bracket over the top comes down between two people it spans: in a gap that no
        straight partnership line uses, as near as possible to the partner with fewer
        partners (so that several brackets from one person use different gaps). Returns the
        people either side of the gap and a nudge for when no gap is free."""
        cluster = self.nodes[union.a].cluster
        assert cluster is not None
        members = cluster.members
        i, j = sorted((self.slot[union.a], self.slot[union.b]))
        gaps = list(range(i, j))
        if self.degree[members[j]] <= self.degree[members[i]]:
            gaps.reverse()
        free = [g for g in gaps if not self._busy_side(members[g], 1)]
        gap, nudge = (free[0], 0.0) if free else (gaps[0], 10.0)
        return members[gap], members[gap + 1], nudge

    def _bracket_gap_x(self, union: _Union) -> float:
        left, right, nudge = union.gap or self._bracket_gap(union)
        return (self._column(left)[1] + self._column(right)[0]) / 2 + nudge

    def _side_free(self, pid: int, step: int) -> bool:
        """Whether a single parent's line down can use the gap on that side."""
        other = self._neighbour(pid, step)
        if other is None:
            return True
        if self._busy_side(pid, step):
            return False
        return frozenset((pid, other)) not in self.bracket_pairs

    def _bracket_y(self, union: _Union) -> float:
        top = min(self._symbol_top(union.a), self._symbol_top(union.b))
        return top - 8 - 6 * (union.level - 1)

    def _symbol_top(self, pid: int) -> float:
        node = self.nodes[pid]
        return (
            node.y
            - _HALF
            - (_OUTLINE if node.person.is_child else 0)
            - (2 if node.person.sex not in (Sex.MALE, Sex.FEMALE) else 0)
        )

    def _children_span(self, family: _Family) -> tuple[float, float]:
        xs = [self.nodes[c].x for c in family.children]
        return min(xs), max(xs)

    def _place(self) -> None:
        # Start packed, then alternate sweeps pulling children under their parents' line
        # and parents over their children.
        for row in self.rows:
            left = 0.0
            for cluster in row:
                cluster.left = left
                self._sync_x(cluster)
                left += cluster.width + _PERSON_GAP
        for downward in (True, False, True, False, True):
            rows = range(self.row_count) if downward else range(self.row_count - 1, -1, -1)
            for r in rows:
                row = self.rows[r]
                items: list[tuple[float, float, float]] = []
                for i, cluster in enumerate(row):
                    from_parents = self._parent_desire(cluster)
                    from_children = self._child_desire(cluster)
                    first, second = (
                        (from_parents, from_children) if downward else (from_children, from_parents)
                    )
                    if first is not None:
                        items.append((cluster.width, first, 1.0))
                    elif second is not None:
                        items.append((cluster.width, second, 0.5))
                    elif i == 0:
                        items.append((cluster.width, cluster.left, 0.05))
                    else:
                        # Unrelated to anyone in the rows above or below: sit beside the
                        # left-hand neighbour.
                        width, desired, _weight = items[-1]
                        packed = desired + width + self._gap(row[i - 1], cluster)
                        items.append((cluster.width, packed, 0.05))
                gaps = [self._gap(row[i], row[i + 1]) for i in range(len(row) - 1)]
                for cluster, left in zip(row, isotonic_place(items, gaps), strict=True):
                    cluster.left = left
                    self._sync_x(cluster)
        lowest = min(
            min(self._column(m)[0] for m in cluster.members) for row in self.rows for cluster in row
        )
        for row in self.rows:
            for cluster in row:
                cluster.left += MARGIN + 16 - lowest
                self._sync_x(cluster)

    def _gap(self, left: _Cluster, right: _Cluster) -> float:
        fam_left = {id(self.family_of.get(m)) for m in left.members if m in self.family_of}
        fam_right = {id(self.family_of.get(m)) for m in right.members if m in self.family_of}
        if fam_left and fam_right and not (fam_left & fam_right):
            return _FAMILY_GAP
        return _PERSON_GAP

    def _parent_desire(self, cluster: _Cluster) -> float | None:
        values = []
        for m, offset in zip(cluster.members, cluster.offsets, strict=True):
            family = self.family_of.get(m)
            if family is None:
                continue
            if any(self.nodes[p].row == self.nodes[m].row for p in family.parents):
                continue
            values.append(self._drop(family)[0] - offset)
        return _mean(values)

    def _child_desire(self, cluster: _Cluster) -> float | None:
        members = set(cluster.members)
        values = []
        for family in self.families.values():
            if not set(family.parents) <= members:
                continue
            if family.union is not None and not family.union.same_row:
                continue
            row = self.nodes[family.parents[0]].row
            if any(self.nodes[c].row == row for c in family.children):
                continue
            lo, hi = self._children_span(family)
            values.append(cluster.left + (lo + hi) / 2 - self._drop(family)[0])
        return _mean(values)

    def _vertical(self) -> float:
        """Assign y to rows and bar lanes to families; returns the bottom of the drawing."""
        # Families whose children start in each row, with lanes for their sibling bars.
        by_row: dict[int, list[tuple[float, float, _Family]]] = {}
        for family in self.families.values():
            child_row = min(self.nodes[c].row for c in family.children)
            lo, hi = self._children_span(family)
            dx = self._drop(family)[0]
            by_row.setdefault(child_row, []).append((min(lo, dx), max(hi, dx), family))
        lanes_in_row: dict[int, int] = {}
        for r, entries in by_row.items():
            ends: list[float] = []
            for lo, hi, family in sorted(entries, key=lambda e: (e[0], e[1])):
                for lane, end in enumerate(ends):
                    if end + 10 < lo:
                        family.lane = lane
                        ends[lane] = hi
                        break
                else:
                    family.lane = len(ends)
                    ends.append(hi)
            lanes_in_row[r] = len(ends)
        self.bar_base: dict[int, float] = {}
        y = 56.0
        for r in range(self.row_count):
            members = [n for n in self.nodes.values() if n.row == r]
            spans = [
                u for u in self.unions if u.same_row and u.level > 0 and self.nodes[u.a].row == r
            ]
            bracket_room = (6 * max(u.level for u in spans) + 4) if spans else 0
            label_room = 14 * max((len(u.text_lines) for u in spans), default=0)
            lanes = lanes_in_row.get(r, 0)
            base = 18 + bracket_room + label_room
            self.bar_base[r] = base
            top_space = base + 10 * max(lanes - 1, 0) + (12 if lanes else 0)
            has_child = any(n.person.is_child for n in members)
            centre = y + top_space + _HALF + (_OUTLINE if has_child else 0) + 4
            for n in members:
                n.y = centre
            text_h = max(len(n.lines) for n in members) * _LINE_H
            y = centre + _HALF + (_OUTLINE if has_child else 0) + 8 + text_h + 10
        return y

    # -- drawing ------------------------------------------------------------------------

    def render(self) -> str:
        self._order_rows()
        self._cluster_geometry()
        self._place()
        bottom = self._vertical()
        right = max(self._column(pid)[1] for pid in self.nodes) + MARGIN + 16
        lines_svg = self._draw_descent()
        unions_svg = self._draw_unions()
        people_svg = [self._draw_person(node) for node in self.nodes.values()]
        width = max(right, text_width(self.title, 16, True) + 2 * MARGIN, 560.0)
        key_svg, key_h = self._draw_key(bottom + 8, width)
        height = bottom + 8 + key_h + MARGIN
        body = [
            text(MARGIN, 32, self.title, 16, bold=True),
            '<g data-kind="lines" fill="none" stroke-linecap="round">',
            *lines_svg,
            *unions_svg,
            "</g>",
            *people_svg,
            key_svg,
        ]
        return document("genogram", width, height, self.title, self._description(), body)

    def _description(self) -> str:
        count = len(self.nodes)
        description = ngettext(
            "Genogram (family diagram) of %(count)d person over %(generations)d generation.",
            "Genogram (family diagram) of %(count)d people over %(generations)d generations.",
            count,
        ) % {"count": count, "generations": self.row_count}
        children = [clean(n.person.name) for n in self.nodes.values() if n.person.is_child]
        if children:
            description += " " + _("The child: %(names)s.") % {"names": ", ".join(children)}
        return description

    def _draw_descent(self) -> list[str]:
        out = []
        for family in self.families.values():
            dx, dy = self._drop(family)
            child_row = min(self.nodes[c].row for c in family.children)
            first_child_y = min(
                self.nodes[c].y for c in family.children if self.nodes[c].row == child_row
            )
            bar_y = first_child_y - _HALF - _OUTLINE - self.bar_base[child_row] - 10 * family.lane
            parts = []
            if family.union is None:
                node = self.nodes[family.parents[0]]
                points = [(node.x, node.y), (dx, dy), (dx, bar_y)]
            else:
                points = [(dx, dy), (dx, bar_y)]
            parts.append(self._polyline(points))
            lo, hi = self._children_span(family)
            parts.append(self._polyline([(min(lo, dx), bar_y), (max(hi, dx), bar_y)]))
            for c in family.children:
                child = self.nodes[c]
                parts.append(self._polyline([(child.x, bar_y), (child.x, self._symbol_top(c))]))
            names = ", ".join(clean(self.nodes[c].person.name) for c in family.children)
            out.append(
                el(
                    "g",
                    {"data-kind": "descent", "stroke": LINE_COLOUR, "stroke-width": 1.6},
                    el("title", {}, escape(_("Children: %(names)s") % {"names": names}))
                    + "".join(parts),
                )
            )
        return out

    @staticmethod
    def _polyline(coords: list[tuple[float, float]]) -> str:
        return el("polyline", {"points": points(coords)})

    def _draw_unions(self) -> list[str]:
        out = []
        status_text = {
            Status.TOGETHER: _("together"),
            Status.SEPARATED: _("separated"),
            Status.DIVORCED: _("divorced"),
            Status.ENDED_BY_DEATH: _("ended by death"),
        }
        with_children = {id(f.union) for f in self.families.values() if f.union is not None}
        for union in self.unions:
            a, b = self.nodes[union.a], self.nodes[union.b]
            if a.x > b.x or (a.x == b.x and a.y > b.y):
                a, b = b, a
            has_children = id(union) in with_children
            parts = []
            if not union.same_row:
                parts.append(self._polyline([(a.x, a.y), (b.x, b.y)]))
                mx, my = (a.x + b.x) / 2, (a.y + b.y) / 2
                text_x, text_y = mx + 8, my - 6
                anchor = "start"
            elif union.level == 0:
                parts.append(self._polyline([(a.x, a.y), (b.x, b.y)]))
                mx = (a.x + a.width / 2 + b.x - b.width / 2) / 2
                my = a.y
                text_x, text_y, anchor = mx, my - 11, "middle"
                if has_children:
                    mx = max(a.x + _HALF + 8, mx - 14)
            else:
                yb = self._bracket_y(union)
                parts.append(
                    self._polyline(
                        [
                            (a.x, self._symbol_top(a.person.id)),
                            (a.x, yb),
                            (b.x, yb),
                            (b.x, self._symbol_top(b.person.id)),
                        ]
                    )
                )
                mx, my = (a.x + b.x) / 2, yb
                text_x, text_y, anchor = mx, yb - 5, "middle"
            slashes = {Status.SEPARATED: 1, Status.DIVORCED: 2}.get(union.status, 0)
            for i in range(slashes):
                sx = mx + (i - (slashes - 1) / 2) * 8
                parts.append(
                    el(
                        "line",
                        {
                            "x1": sx - 4.5,
                            "y1": my + 7,
                            "x2": sx + 4.5,
                            "y2": my - 7,
                            "stroke-width": 2,
                            "data-kind": "separation-slash",
                        },
                    )
                )
            for i, line in enumerate(reversed(union.text_lines)):
                parts.append(
                    text(
                        text_x,
                        text_y - 14 * i,
                        line,
                        _TEXT_SIZE,
                        anchor=anchor,
                        fill=MUTED,
                        extra={"stroke": "none"},
                    )
                )
            names = _("%(a)s and %(b)s") % {
                "a": clean(a.person.name),
                "b": clean(b.person.name),
            }
            described = [names, status_text[union.status]]
            if union.label:
                described.append(union.label)
            kind = "partnership-unrecorded" if union.implicit else "partnership"
            out.append(
                el(
                    "g",
                    {
                        "data-kind": kind,
                        "data-status": union.status,
                        "stroke": LINE_COLOUR,
                        "stroke-width": 1.8,
                    },
                    el("title", {}, escape(": ".join([described[0], ", ".join(described[1:])])))
                    + "".join(parts),
                )
            )
        return out

    @staticmethod
    def _shape(sex: str, x: float, y: float, half: float, attrs: dict[str, object]) -> str:
        if sex == Sex.MALE:
            return square(x, y, half, attrs)
        if sex == Sex.FEMALE:
            return el("circle", {"cx": x, "cy": y, "r": half, **attrs})
        return diamond(x, y, half + 2, attrs)  # a diamond looks smaller than a square

    def _draw_person(self, node: _Node) -> str:
        person = node.person
        sex = person.sex if person.sex in (Sex.MALE, Sex.FEMALE) else Sex.OTHER
        x, y = node.x, node.y
        parts = []
        details = [clean(person.name)]
        if person.birth_label:
            details.append(clean(person.birth_label))
        if person.is_child:
            details.append(_("the child"))
        if person.deceased:
            details.append(_("deceased"))
        if person.lives_with_child and not person.is_child:
            details.append(_("lives with the child"))
        details.extend(clean(n) for n in person.notes if clean(n).strip())
        parts.append(el("title", {}, escape(", ".join(details))))
        if person.is_child:
            parts.append(
                self._shape(
                    sex,
                    x,
                    y,
                    _HALF + _OUTLINE,
                    {
                        "fill": "#ffffff",
                        "stroke": INK,
                        "stroke-width": 2,
                        "data-kind": "index-child",
                    },
                )
            )
        fill = (
            _CHILD_FILL if person.is_child else _DECEASED_FILL if person.deceased else _SYMBOL_FILL
        )
        parts.append(
            self._shape(
                sex,
                x,
                y,
                _HALF,
                {
                    "fill": fill,
                    "stroke": INK,
                    "stroke-width": 2,
                    "data-kind": "symbol",
                    "data-sex": sex,
                },
            )
        )
        if person.deceased:
            r = _HALF + 3
            parts.append(
                el(
                    "path",
                    {
                        "d": _cross(x, y, r),
                        "stroke": INK,
                        "stroke-width": 2,
                        "fill": "none",
                        "data-kind": "deceased-cross",
                    },
                )
            )
        if person.lives_with_child and not person.is_child:
            parts.append(self._house(x + _HALF + 4, y + _HALF, {"data-kind": "household"}))
        ty = y + _HALF + (_OUTLINE if person.is_child else 0) + 4
        for line, size, bold, italic, colour in node.lines:
            ty += _LINE_H
            parts.append(
                text(x, ty - 3, line, size, anchor="middle", bold=bold, italic=italic, fill=colour)
            )
        return el(
            "g",
            {"data-kind": "person", "data-person-id": person.id, "data-x": x, "data-y": y},
            "".join(parts),
        )

    @staticmethod
    def _house(x: float, y: float, extra: dict[str, object] | None = None) -> str:
        """A small house with an H in it; (x, y) is the bottom-left corner."""
        w, h = 18.0, 19.0
        outline = points(
            [(x, y), (x, y - h * 0.58), (x + w / 2, y - h), (x + w, y - h * 0.58), (x + w, y)]
        )
        return el(
            "g",
            extra or {},
            el(
                "polygon",
                {"points": outline, "fill": "#ffffff", "stroke": INK, "stroke-width": 1.3},
            )
            + text(x + w / 2, y - 2.5, "H", _TEXT_SIZE, anchor="middle", bold=True),
        )

    def _draw_key(self, top: float, width: float) -> tuple[str, float]:
        s = 8.0  # half size of key symbols

        def sym(kind: str, x: float, y: float) -> str:
            base = {"fill": "#ffffff", "stroke": INK, "stroke-width": 1.6}
            if kind in (Sex.MALE, Sex.FEMALE, Sex.OTHER):
                return self._shape(kind, x, y, s, base)
            if kind == "deceased":
                r = s + 2
                return self._shape(Sex.MALE, x, y, s, {**base, "fill": _DECEASED_FILL}) + el(
                    "path",
                    {
                        "d": _cross(x, y, r),
                        "stroke": INK,
                        "stroke-width": 1.6,
                    },
                )
            if kind in (Status.SEPARATED, Status.DIVORCED, "partners"):
                count = {Status.SEPARATED: 1, Status.DIVORCED: 2, "partners": 0}[kind]
                out = el(
                    "line",
                    {
                        "x1": x - 14,
                        "y1": y,
                        "x2": x + 14,
                        "y2": y,
                        "stroke": INK,
                        "stroke-width": 1.6,
                    },
                )
                for i in range(count):
                    sx = x + (i - (count - 1) / 2) * 7
                    out += el(
                        "line",
                        {
                            "x1": sx - 3.5,
                            "y1": y + 6,
                            "x2": sx + 3.5,
                            "y2": y - 6,
                            "stroke": INK,
                            "stroke-width": 1.6,
                        },
                    )
                return out
            if kind == "child":
                return self._shape(Sex.MALE, x, y, s + 4, base) + self._shape(
                    Sex.MALE, x, y, s, {**base, "fill": _CHILD_FILL}
                )
            return self._house(x - 9, y + 9.5)

        items = [
            (Sex.MALE, _("male")),
            (Sex.FEMALE, _("female")),
            (Sex.OTHER, _("other or unknown")),
            ("deceased", _("deceased")),
            ("partners", _("partners")),
            (Status.SEPARATED, _("separated")),
            (Status.DIVORCED, _("divorced")),
            ("child", _("the child")),
            ("house", _("lives with the child")),
        ]
        key = Legend(top, width, row_height=30, bottom=20)  # room for the larger symbols
        for kind, label in items:
            x, y = key.place(30 + 6 + text_width(label, _TEXT_SIZE) + 22)
            key.add(sym(kind, x + 15, y), text(x + 36, y + 4, label, _TEXT_SIZE))
        return key.render()


def render_genogram(people: list[GenoPerson], unions: list[GenoUnion], *, title: str) -> str:
    """Draw a genogram (family diagram) as a standalone SVG document string."""
    title = clean(title)
    if not people:
        return empty_document(
            "genogram", title, _("Nothing to show yet: no family members have been added.")
        )
    return _Genogram(list(people), list(unions), title).render()
