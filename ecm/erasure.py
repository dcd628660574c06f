"""Erasing a child's personal data from every app, keeping the anonymous facts that past
monitoring figures count (issue 20, "Erasure").

`ecm` knows no other app, so each app registers an *eraser* here from its
AppConfig.ready() (`register_eraser`). An eraser is a function `(child, cases) -> {kind:
count}`: it deletes or blanks that app's personal data about the child and says how many
rows of each kind it removed or blanked. Erasers run in `order` (lowest first), each in its
own transaction with the child's row locked; `ecm`'s own step (reminders, notifications,
corrections, the admin log, the case's free text, and the child's identity replaced by an
anonymous stub) runs last, so that an eraser can still read the child's names (supervision
removes them from its free text).

Every step can run again: a failed erasure is completed by running it again.

What stays: the rows and fields the monitoring figures read (dates, statuses, decisions,
offences' dates and gravity, TRM stages, risk and outcome ratings, the referral's grids,
disposal and order, gender, ethnicity), with every free text blanked; see
docs/notes-erasure.md. Audit events are not changed here (they are pseudonymised by the
audit log's own procedure).

The workflow (proposal, approval, legal hold, the worker task) calls `erase_child`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import secrets
from collections.abc import Callable, Iterable

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .audit import audit_pseudonymise_child
from .models import Case, Child, ChildCorrection, Notification, Reminder, case_reference

Eraser = Callable[[Child, list[Case]], dict[str, int]]
Progress = Callable[[int, int, str], None]

#: The names the stub child carries, and the start of its pseudonymous YOT reference.
ERASED_NAME = "Erased"
ERASED_REFERENCE_PREFIX = "ERASED-"

_erasers: list[tuple[int, str, Eraser]] = []


def register_eraser(name: str, func: Eraser, order: int = 50) -> None:
    """Register an app's eraser (again under the same name replaces it)."""
    global _erasers
    _erasers = [e for e in _erasers if e[1] != name]
    _erasers.append((order, name, func))
    _erasers.sort(key=lambda e: (e[0], e[1]))


def registered_erasers() -> list[str]:
    return [name for _order, name, _func in _erasers]


def is_erased(child: Child) -> bool:
    return child.yot_reference.startswith(ERASED_REFERENCE_PREFIX)


def open_episodes(child_id: int) -> list[Case]:
    return list(Case.objects.filter(child_id=child_id).open().order_by("pk"))


def _refuse_if_open(child_id: int) -> None:
    open_cases = open_episodes(child_id)
    if open_cases:
        raise ValidationError(
            _(
                "This child's record cannot be erased while an episode is open (%(cases)s). "
                "Close or end every episode first."
            )
            % {"cases": ", ".join(c.reference for c in open_cases)},
            code="open_episode",
        )


def erase_child(child_id: int, *, progress: Progress | None = None) -> dict:
    """Erase the child's personal data from every app. Refused (ValidationError) while any
    of the child's episodes is open. Returns {kind: rows removed or blanked} (counts only).
    `progress(done, total, step)` is called before the first step (done 0) and after each
    one, `done` increasing to `total`."""
    if not Child.objects.filter(pk=child_id).exists():
        raise ValidationError(_("There is no such child."), code="no_child")
    _refuse_if_open(child_id)
    steps: list[tuple[str, Eraser]] = [(name, func) for _o, name, func in _erasers]
    steps.append(("ecm", _erase_core))
    total = len(steps)
    summary: dict[str, int] = {}
    if progress:
        progress(0, total, "start")
    for done, (name, func) in enumerate(steps, start=1):
        with transaction.atomic():
            child = Child.objects.select_for_update().get(pk=child_id)
            _refuse_if_open(child_id)  # nothing re-opened it since the last step
            cases = list(Case.objects.filter(child=child).order_by("pk"))
            for kind, count in (func(child, cases) or {}).items():
                summary[kind] = summary.get(kind, 0) + count
        if progress:
            progress(done, total, name)
    return summary


# --- Helpers for the erasers ----------------------------------------------------------------


def blank(queryset: models.QuerySet, **values) -> int:
    """Set `values` on every row of `queryset` (one UPDATE); the number of rows."""
    return queryset.update(**values) if values else 0


def blank_text(queryset: models.QuerySet, fields: Iterable[str], **extra) -> int:
    """Empty the text fields named (and set `extra`) on every row of `queryset`."""
    return blank(queryset, **dict.fromkeys(fields, ""), **extra)


def delete_file_on_commit(field_file) -> bool:
    """Remove a stored file once the transaction commits (a rolled back erasure keeps it,
    and the row that points to it). False when there was no file."""
    if not field_file:
        return False
    storage, name = field_file.storage, field_file.name
    transaction.on_commit(lambda: storage.delete(name))
    return True


#: The forms a date of birth is written in, searched for in free text.
DATE_FORMATS = (
    "%Y-%m-%d",
    "%d/%m/%Y",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%d %B %Y",
    "%d %b %Y",
    "%B %d, %Y",
    "%b %d, %Y",
)


def identifiers_of(child: Child, *, single_names: bool = True) -> list[str]:
    """What identifies the child in free text that is not about them (e.g. supervision
    notes): the full name, PNC number, YOT reference and date of birth as written; with
    `single_names` also each name alone. Longest first; empty for an erased child."""
    if is_erased(child):
        return []
    dob = child.date_of_birth
    parts = {child.full_name, child.pnc_number, child.yot_reference}
    parts |= {dob.strftime(f) for f in DATE_FORMATS}
    parts.add(f"{dob.day}/{dob.month}/{dob.year}")
    parts |= {f"{dob.day} {dob:%B %Y}", f"{dob.day} {dob:%b %Y}"}
    with translation.override("cy"):  # "1 Rhagfyr 2008", "1 Rhag 2008"
        parts |= {date_format(dob, "j F Y"), date_format(dob, "j M Y")}
    if single_names:
        parts |= {child.first_name, child.last_name, child.preferred_name}
    return sorted((p for p in parts if p and len(p) > 1), key=len, reverse=True)


def scrub_names(text: str, names: Iterable[str], replacement: str = "[erased]") -> str:
    """`text` with every occurrence of each name (any case) replaced."""
    for name in names:
        text = re.sub(re.escape(name), replacement, text, flags=re.IGNORECASE)
    return text


def scrub_rows(queryset: models.QuerySet, fields: Iterable[str], names: list[str]) -> int:
    """Remove the names from the text fields of each row that holds one; rows changed."""
    if not names:
        return 0
    fields = list(fields)
    condition = models.Q()
    for field in fields:
        for name in names:
            condition |= models.Q(**{f"{field}__icontains": name})
    changed = 0
    for row in queryset.filter(condition):
        for field in fields:
            setattr(row, field, scrub_names(getattr(row, field), names))
        row.save(update_fields=fields)
        changed += 1
    return changed


def stub_date_of_birth(date_of_birth: dt.date, keep_sides_of: Iterable[dt.date]) -> dt.date:
    """A date of birth that is not the child's but gives the same age on the days the
    monitoring figures judge age on: the same year and month, another day of the month.

    Age in whole years changes only on the birthday, so any day of the same month gives the
    same age on every day outside the birth month and on its last day (the end of every
    month, quarter and year). The day is chosen on the same side of each date in
    `keep_sides_of` that falls in the birth month (the dates of referral: the profile's
    "age at referral"), so those ages stay too, unless no other day can (a referral on a
    1st-of-the-month birthday, or the day before a birthday on the month's last day).
    February never gets a 29th; someone born on 29 February gets 1 March, the day they
    turn a year older in a common year (`ecm.dates.age_on`), so only the last day of
    February in a leap year sees them a year younger."""
    if (date_of_birth.month, date_of_birth.day) == (2, 29):
        return date_of_birth.replace(month=3, day=1)
    last = calendar.monthrange(date_of_birth.year, date_of_birth.month)[1]
    if date_of_birth.month == 2:
        last = 28
    same_month = {d.day for d in keep_sides_of if d and d.month == date_of_birth.month}
    real = date_of_birth.day

    def keeps(day: int) -> bool:
        return all((d >= day) == (d >= real) for d in same_month)

    candidates = [d for d in range(1, last + 1) if d != real]
    chosen = next((d for d in candidates if keeps(d)), candidates[0])
    return date_of_birth.replace(day=chosen)


# --- ecm's own step ------------------------------------------------------------------------


def _erase_core(child: Child, cases: list[Case]) -> dict[str, int]:
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    references = [case_reference(c.pk) for c in cases]
    counts: dict[str, int] = {}
    # Reminders about the child's cases (their titles and links name the case) and their
    # notifications (deleted with them), with any e-mail still queued for them.
    reminders = Reminder.objects.filter(case_reference__in=references)
    counts["reminders"] = reminders.count()
    counts["notifications"] = Notification.objects.filter(reminder__in=reminders).count()
    reminders.delete()
    links = models.Q()
    for case in cases:
        links |= models.Q(link__startswith=f"/cases/{case.pk}/")
    if cases:
        deleted, _ignored = Notification.objects.filter(links).delete()
        counts["notifications"] += deleted
    # The history of corrections holds the earlier names and dates of birth.
    counts["child_corrections"], _ignored = ChildCorrection.objects.filter(child=child).delete()
    # The admin's change history names the objects it changed.
    child_type = ContentType.objects.get_for_model(Child)
    case_type = ContentType.objects.get_for_model(Case)
    admin_log = LogEntry.objects.filter(
        models.Q(content_type=child_type, object_id=str(child.pk))
        | models.Q(content_type=case_type, object_id__in=[str(c.pk) for c in cases])
    )
    counts["admin_log_entries"], _ignored = admin_log.delete()
    # The episodes stay (monitoring counts them) without their words.
    counts["case_texts"] = blank_text(
        Case.objects.filter(child=child),
        ["ending_detail", "reopen_detail", "formulation_decision_note"],
    )
    # The child: an anonymous stub that keeps what the figures read (gender, ethnicity, and
    # a date of birth that gives the same ages: `stub_date_of_birth`).
    counts["children"] = _stub_child(child, cases)
    # Its audit rows stay, the child replaced by the stub's pseudonymous reference.
    counts["audit_events"] = audit_pseudonymise_child(
        child_id=child.pk, reference=child.yot_reference
    )
    return counts


def _referral_dates(cases: list[Case]) -> list[dt.date]:
    """The dates of referral of the child's episodes, read without importing referrals (the
    profile's "age at referral" counts from them)."""
    rows = Case.objects.filter(pk__in=[c.pk for c in cases]).values_list(
        "referral__referral_date", flat=True
    )
    return [day for day in rows if day]


def _stub_child(child: Child, cases: list[Case]) -> int:
    if is_erased(child):
        return 0
    child.first_name = ERASED_NAME
    child.last_name = ERASED_NAME
    child.preferred_name = ""
    child.pnc_number = ""
    child.yot_reference = f"{ERASED_REFERENCE_PREFIX}{secrets.token_hex(6).upper()}"
    child.date_of_birth = stub_date_of_birth(child.date_of_birth, _referral_dates(cases))
    child.date_of_birth_corrected_at = None
    child.version += 1
    child.save()
    return 1
