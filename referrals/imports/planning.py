"""What an import would do to a team's records: the preview shows it, the import writes it.

Both call `plan_import`, so the preview is what the import does (the import re-plans under
the team's lock, and refuses if the records changed since the preview).

Matching: a child is the team's child with the same YOT reference (a child with a case,
of any status, owned by the team); an offence is already recorded when the child has one
on any of the team's cases with the same date and type (type compared ignoring case and
spacing). A child not yet known gets a potential case, unallocated, which holds its
offences; a known child's offences go on its open case in the team, or on its latest
(ended) case, as `offence_record` does for offending after ECM.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from ecm.models import OPEN_STATUSES, Case, Child, Team

from ..models import Offence
from .parsing import COLUMN_LABELS, ParsedFile, Row

#: The child's details an import sets, in the order of the correction history.
DETAILS = ("first_name", "last_name", "date_of_birth", "gender", "ethnicity", "pnc_number")
#: Values that never replace what ECM holds: an export that leaves them out changes nothing.
UNKNOWN = {"pnc_number": "", "ethnicity": "not_stated", "gender": "not_known"}


def offence_key(day: dt.date, offence_type: str) -> tuple[dt.date, str]:
    return day, " ".join(offence_type.split()).casefold()


@dataclass
class ChildPlan:
    row: Row  # the first valid row of the child: its details
    child: Child | None = None  # the team's child, when known
    case_id: int | None = None  # the case receiving the offences (known children)
    changed: list[str] = field(default_factory=list)
    offences: list[Row] = field(default_factory=list)
    # Known, with details that differ, but every episode in the team has ended.
    not_updated: bool = False


@dataclass
class Plan:
    rows: int
    errors: list[str]
    error_rows: int
    creates: list[ChildPlan]
    updates: list[ChildPlan]
    unchanged: list[ChildPlan]
    duplicates: int
    notices: list[str] = field(default_factory=list)

    @property
    def new_offences(self) -> int:
        return sum(len(p.offences) for p in self.creates + self.updates + self.unchanged)

    def counts(self) -> dict[str, int]:
        """What the import would write: the figures the preview shows and the audit row keeps."""
        return {
            "rows": self.rows,
            "rows_with_errors": self.error_rows,
            "children_created": len(self.creates),
            "children_updated": len(self.updates),
            "children_unchanged": len(self.unchanged),
            "children_not_updated_case_ended": sum(1 for p in self.unchanged if p.not_updated),
            "offences_added": self.new_offences,
            "offences_already_recorded": self.duplicates,
        }


def _details(row: Row) -> dict:
    return {name: getattr(row, name) for name in DETAILS}


def _differs(first: Row, row: Row) -> list[str]:
    differ = []
    for name in DETAILS:
        a, b = getattr(first, name), getattr(row, name)
        if a != b and UNKNOWN.get(name) not in (a, b):
            differ.append(str(COLUMN_LABELS[name]))
    return differ


def _changes(child: Child, row: Row) -> list[str]:
    return [
        name
        for name in DETAILS
        if getattr(row, name) != getattr(child, name) and getattr(row, name) != UNKNOWN.get(name)
    ]


def plan_import(*, team: Team, parsed: ParsedFile, lock: bool = False) -> Plan:
    """Compare the file's rows with the team's records (a constant number of queries);
    `lock`: the import's own plan, with the known children locked until it commits."""
    by_ref: dict[str, ChildPlan] = {}
    valid: list[Row] = []
    for row in parsed.rows:
        if not row.errors and row.yot_reference in by_ref:
            first = by_ref[row.yot_reference].row
            differ = _differs(first, row)
            if differ:
                row.error(
                    _(
                        "%(fields)s not the same as on row %(first)s for the same YOT "
                        "reference '%(ref)s'"
                    )
                    % {"fields": ", ".join(differ), "first": first.number, "ref": row.yot_reference}
                )
        if row.errors:
            continue
        by_ref.setdefault(row.yot_reference, ChildPlan(row=row))
        valid.append(row)

    known = _known_children(team, list(by_ref), lock=lock)
    cases = _receiving_cases(team, [c.pk for group in known.values() for c in group])
    recorded = {
        (child_id, *offence_key(day, kind))
        for child_id, day, kind in Offence.objects.filter(
            case__team=team, case__child_id__in=list(cases)
        ).values_list("case__child_id", "date", "offence_type")
    }
    ambiguous: set[str] = set()
    for ref, plan in by_ref.items():
        matches = known.get(ref, [])
        if len(matches) > 1:
            ambiguous.add(ref)
        elif matches:
            plan.child = matches[0]
            is_open, plan.case_id = cases[plan.child.pk]
            if is_open:
                plan.changed = _changes(plan.child, plan.row)
            else:
                # Every episode has ended: read-only, as for a correction (`child_correct`).
                plan.not_updated = bool(_changes(plan.child, plan.row))

    duplicates = 0
    seen: set[tuple] = set()
    for row in valid:
        if row.yot_reference in ambiguous:
            row.error(
                _(
                    "the YOT reference '%(ref)s' matches more than one child of the team: "
                    "correct their references in ECM first"
                )
                % {"ref": row.yot_reference}
            )
            continue
        if not row.has_offence:
            continue
        plan = by_ref[row.yot_reference]
        key = (row.yot_reference, *offence_key(row.offence_date, row.offence_type))
        child_key = plan.child and (plan.child.pk, *offence_key(row.offence_date, row.offence_type))
        if key in seen or child_key in recorded:
            duplicates += 1
            continue
        seen.add(key)
        plan.offences.append(row)

    plans = [p for ref, p in by_ref.items() if ref not in ambiguous]
    return Plan(
        rows=len(parsed.rows),
        errors=[message for row in parsed.rows for message in row.errors],
        error_rows=sum(1 for row in parsed.rows if row.errors),
        creates=[p for p in plans if p.child is None],
        updates=[p for p in plans if p.child is not None and p.changed],
        unchanged=[p for p in plans if p.child is not None and not p.changed],
        duplicates=duplicates,
        notices=list(parsed.notices),
    )


def _known_children(team: Team, refs: list[str], *, lock: bool) -> dict[str, list[Child]]:
    known: dict[str, list[Child]] = {}
    team_children = Case.objects.filter(team=team).values("child_id")
    children = Child.objects.filter(pk__in=team_children, yot_reference__in=refs)
    if lock:
        children = children.select_for_update()
    for child in children.order_by("pk"):
        known.setdefault(child.yot_reference, []).append(child)
    return known


def _receiving_cases(team: Team, child_ids: list[int]) -> dict[int, tuple[bool, int]]:
    """For each child, the team's case its offences go on: the open one, else the latest."""
    chosen: dict[int, tuple[bool, int]] = {}
    rows = (
        Case.objects.filter(team=team, child_id__in=child_ids)
        .order_by("child_id", "-opened_on", "-pk")
        .values_list("child_id", "pk", "status")
    )
    for child_id, pk, status in rows:
        is_open = status in OPEN_STATUSES
        if child_id not in chosen or (is_open and not chosen[child_id][0]):
            chosen[child_id] = (is_open, pk)
    return chosen
