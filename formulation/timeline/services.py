"""Writes of the timeline and the case information summary."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ecm import services as core
from ecm.access import access_for
from ecm.audit import audit_case_record as _audit
from ecm.audit import changed_field_names, snapshot
from ecm.models import AuditEvent, Case, User

from .models import SummaryItem, TimelineEvent


def _stale(label: str) -> core.StaleEditError:
    return core.StaleEditError(
        _(
            "Someone else changed this %(what)s while you were editing it. Your version has not "
            "been saved and is still in the form: compare it with theirs, then save again."
        )
        % {"what": label},
        code="stale",
    )


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def earliest_timeline_date(case: Case) -> dt.date:
    return dt.date(case.child.date_of_birth.year - 1, 1, 1)


def _validate_dates(case: Case, start, end, *, start_field="start_date", end_field="end_date"):
    errors = {}
    earliest = earliest_timeline_date(case)
    if start and start < earliest:
        errors[start_field] = _(
            "The timeline starts in the year before the child's birth "
            "(%(y)s): this date is earlier."
        ) % {"y": earliest.year}
    if start and start > timezone.localdate():
        errors[start_field] = _("The timeline runs up to today: this date is in the future.")
    if end and start and end < start:
        errors[end_field] = _("The end is before the start.")
    if end and not start:
        errors[start_field] = _("Give the start of the period.")
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
    _require(access_for(actor).can_prepare_formulation(case))
    _validate_dates(case, data.get("start_date"), data.get("end_date"))
    if event is not None:
        event = TimelineEvent.objects.select_for_update().get(pk=event.pk, child=case.child)
        if event.source_item_id:
            raise ValidationError(_("This event comes from the case summary: edit it there."))
        if expected_version is not None and expected_version != event.version:
            raise _stale(_("event"))
        event.version += 1
        action = AuditEvent.Action.UPDATE
    else:
        event = TimelineEvent(child=case.child, created_by=actor)
        action = AuditEvent.Action.CREATE
    before = snapshot(event)
    for key, value in data.items():
        setattr(event, key, value)
    event.full_clean(exclude=["child", "source_item"])
    event.save()
    _audit(actor, action, event, case, changed_field_names(event, before))
    return event


@transaction.atomic
def timeline_event_delete(*, actor: User, case: Case, event: TimelineEvent) -> None:
    _require(access_for(actor).can_prepare_formulation(case))
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
    """Save a case-summary entry; a dated entry is also a timeline event (kept in step)."""
    _require(access_for(actor).can_prepare_formulation(case))
    _validate_dates(case, data.get("start_date"), data.get("end_date"))
    item = item or SummaryItem(child=case.child, created_by=actor)
    if item.child_id != case.child_id:
        raise PermissionDenied
    for key, value in data.items():
        setattr(item, key, value)
    item.full_clean(exclude=["child"])
    item.save()
    linked = TimelineEvent.objects.filter(source_item=item).first()
    if item.start_date:
        linked = linked or TimelineEvent(child=case.child, source_item=item, created_by=actor)
        linked.title = f"{item.get_kind_display()}: {item.title}"[:200]
        linked.category = SummaryItem.TIMELINE_CATEGORY[item.kind]
        linked.start_date = item.start_date
        linked.end_date = item.end_date
        linked.precision = item.precision
        linked.save()
    elif linked is not None:
        linked.delete()
    _audit(actor, AuditEvent.Action.UPDATE, item, case, ["summary"])
    return item


@transaction.atomic
def summary_item_delete(*, actor: User, case: Case, item: SummaryItem) -> None:
    _require(access_for(actor).can_prepare_formulation(case))
    if item.child_id != case.child_id:
        raise PermissionDenied
    _audit(actor, AuditEvent.Action.DELETE, item, case)
    item.delete()
