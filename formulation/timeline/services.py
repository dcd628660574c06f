"""Writes of the timeline and the case information summary. Each checks Access, validates
and writes its audit row in the same transaction."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ecm.access import access_for
from ecm.audit import audit_case_record as _audit
from ecm.editing import check_version, model_update
from ecm.models import AuditEvent, Case, User

from .models import SummaryItem, TimelineEvent, suggest_category
from .selectors import earliest_timeline_date


def _require_preparer(actor: User, case: Case) -> None:
    if not access_for(actor).can_prepare_formulation(case):
        raise PermissionDenied


def _validate_dates(case: Case, start: dt.date | None, end: dt.date | None) -> None:
    errors = {}
    earliest = earliest_timeline_date(case)
    if start and start < earliest:
        errors["start_date"] = _(
            "The timeline goes back to %(y)s at the earliest: this date is earlier."
        ) % {"y": earliest.year}
    if start and start > timezone.localdate():
        errors["start_date"] = _("The timeline runs up to today: this date is in the future.")
    if end and start and end < start:
        errors["end_date"] = _("The end is before the start.")
    if end and not start:
        errors["start_date"] = _("Give the start of the period.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def timeline_event_save(
    *,
    actor: User,
    case: Case,
    data: dict,
    event: TimelineEvent | None = None,
    expected_version: int | None = None,
) -> TimelineEvent:
    """Add an event to the child's timeline, or change one (`event`, as loaded at
    `expected_version`). Events made from summary entries are changed there."""
    _require_preparer(actor, case)
    _validate_dates(case, data.get("start_date"), data.get("end_date"))
    if event is not None:
        event = TimelineEvent.objects.select_for_update().get(pk=event.pk, child=case.child)
        if event.source_item_id:
            raise ValidationError(_("This event comes from the case summary: edit it there."))
        check_version(event, expected_version, what=_("event"))
        event.version += 1
        action = AuditEvent.Action.UPDATE
    else:
        event = TimelineEvent(child=case.child, created_by=actor)
        action = AuditEvent.Action.CREATE
    changed = model_update(event, data)
    event.full_clean(exclude=["child", "source_item"])
    event.save()
    _audit(actor, action, event, case, changed)
    return event


@transaction.atomic
def timeline_event_delete(*, actor: User, case: Case, event: TimelineEvent) -> None:
    _require_preparer(actor, case)
    if event.child_id != case.child_id:
        raise PermissionDenied
    if event.source_item_id:
        raise ValidationError(_("This event comes from the case summary: remove it there."))
    _audit(actor, AuditEvent.Action.DELETE, event, case)
    event.delete()


@transaction.atomic
def summary_item_save(
    *, actor: User, case: Case, data: dict, item: SummaryItem | None = None
) -> SummaryItem:
    """Save a case-summary entry; a dated entry is also a timeline event (kept in step), of
    the entry's category: the one chosen, or (left blank) the one `suggest_category` finds
    in its kind and words (a bereavement is a loss, becoming looked after social care)."""
    _require_preparer(actor, case)
    _validate_dates(case, data.get("start_date"), data.get("end_date"))
    item = item or SummaryItem(child=case.child, created_by=actor)
    if item.child_id != case.child_id:
        raise PermissionDenied
    action = AuditEvent.Action.UPDATE if item.pk else AuditEvent.Action.CREATE
    data = dict(data)
    if "category" in data or not item.pk:
        data["category"] = data.get("category") or suggest_category(
            data.get("kind", item.kind), data.get("title", item.title), data.get("detail", "")
        )
    changed = model_update(item, data)
    item.full_clean(exclude=["child"])
    item.save()
    linked = TimelineEvent.objects.filter(source_item=item).first()
    if item.start_date:
        linked = linked or TimelineEvent(child=case.child, source_item=item, created_by=actor)
        model_update(
            linked,
            {
                "title": f"{item.get_kind_display()}: {item.title}"[:200],
                "category": item.timeline_category,
                "start_date": item.start_date,
                "end_date": item.end_date,
                "precision": item.precision,
            },
        )
        linked.save()
    elif linked is not None:
        linked.delete()
    _audit(actor, action, item, case, changed)
    return item


@transaction.atomic
def summary_item_delete(*, actor: User, case: Case, item: SummaryItem) -> None:
    _require_preparer(actor, case)
    if item.child_id != case.child_id:
        raise PermissionDenied
    _audit(actor, AuditEvent.Action.DELETE, item, case)
    item.delete()
