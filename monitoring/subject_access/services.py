"""Subject access: record the request (the third-party information in the record is flagged
at once), decide on each flagged item, release, and build the bundle in a worker.

Every step checks `Access.can_handle_subject_access` (a manager of the team that owns the
episode asked through), writes its audit row in the same transaction and queues the worker
after commit (`ecm.queueing.queue_task`).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from ecm.access import access_for
from ecm.audit import audit_record
from ecm.editing import check_version
from ecm.models import AuditEvent, Case, User
from ecm.queueing import queue_task

from . import bundle, collect
from .models import RedactionItem, SubjectAccessRequest

log = logging.getLogger(__name__)

#: The Celery task that builds one bundle (monitoring/tasks.py).
BUILD_BUNDLE = "monitoring.build_subject_access_bundle"

Status = SubjectAccessRequest.Status
Decision = RedactionItem.Decision


def _check(actor: User, case: Case) -> None:
    if not access_for(actor).can_handle_subject_access(case):
        raise PermissionDenied(_("Only a manager of the child's team handles subject access."))


def _add_flags(sar: SubjectAccessRequest) -> int:
    """Items for the third-party information now in the record (those already listed
    stay as decided). Returns how many were new."""
    flags = collect.flag_third_party(sar.child)
    before = sar.items.count()
    RedactionItem.objects.bulk_create(
        [
            RedactionItem(
                request=sar,
                kind=f.kind,
                object_id=f.object_id,
                where=f.where[:120],
                label=f.label[:255],
                why_flagged=f.why[:255],
            )
            for f in flags
        ],
        ignore_conflicts=True,
    )
    return sar.items.count() - before


@transaction.atomic
def subject_access_request(
    *, actor: User, case: Case, requester: str, received_on: dt.date
) -> SubjectAccessRequest:
    """Record a subject access request for the child of `case`; flag the third-party
    information in the record for review."""
    _check(actor, case)
    requester = requester.strip()
    if not requester:
        raise ValidationError({"requester": _("Say who asked (the child, or on their behalf).")})
    if received_on > timezone.localdate():
        raise ValidationError({"received_on": _("The date received cannot be in the future.")})
    sar = SubjectAccessRequest.objects.create(
        child=case.child,
        team_id=case.team_id,
        case=case,
        requester=requester,
        received_on=received_on,
        requested_by=actor,
    )
    _add_flags(sar)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=sar,
        child=case.child,
        team_id=case.team_id,
        detail="subject access request",
    )
    return sar


@transaction.atomic
def subject_access_decide(
    *, actor: User, sar: SubjectAccessRequest, decisions: dict[int, tuple[str, str]]
) -> list[str]:
    """Record the manager's decision on flagged items: {item pk: (decision, reason)}. A
    withheld item needs its reason. Only while the request is under review."""
    sar = SubjectAccessRequest.objects.select_for_update().select_related("case").get(pk=sar.pk)
    _check(actor, sar.case)
    if sar.status != Status.REVIEW:
        raise ValidationError(_("This request has been released; its decisions are final."))
    items = {i.pk: i for i in sar.items.all()}
    errors = {}
    changed = []
    now = timezone.now()
    for pk, (decision, reason) in decisions.items():
        item = items.get(pk)
        if item is None:
            continue
        reason = reason.strip()
        if decision == Decision.WITHHOLD and not reason:
            errors[f"reason_{pk}"] = _("Give the reason for withholding this.")
            continue
        if decision == Decision.RELEASE:
            reason = ""
        if (item.decision, item.reason) == (decision, reason):
            continue
        item.decision, item.reason = decision, reason
        item.decided_by, item.decided_at = actor, now
        changed.append(item)
    if errors:
        raise ValidationError(errors)
    RedactionItem.objects.bulk_update(changed, ["decision", "reason", "decided_by", "decided_at"])
    if changed:
        audit_record(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            obj=sar,
            child=sar.child,
            team_id=sar.team_id,
            changed_fields=["decision", "reason"],
            detail=f"third-party decisions: {len(changed)} item(s)",
        )
    return [str(i.pk) for i in changed]


@transaction.atomic
def subject_access_release(
    *, actor: User, sar: SubjectAccessRequest, version: int | None
) -> SubjectAccessRequest:
    """Release: every flagged item decided, then a worker builds the bundle without what is
    withheld. Refused on a stale page or while anything is undecided."""
    sar = SubjectAccessRequest.objects.select_for_update().select_related("case").get(pk=sar.pk)
    _check(actor, sar.case)
    check_version(sar, version, what=_("subject access request"), typed=False)
    if sar.status not in (Status.REVIEW, Status.FAILED) and not sar.is_stuck:
        raise ValidationError(_("This request has already been released."))
    if sar.items.filter(decision=Decision.PENDING).exists():
        raise ValidationError(_("Decide on every flagged item (release or withhold) first."))
    sar.status = Status.QUEUED
    sar.released_by, sar.released_at = actor, timezone.now()
    sar.progress_done, sar.progress_total = 0, collect.step_count(sar.child) + 1
    sar.progress_step = gettext_noop("Waiting for a worker")
    sar.language = translation.get_language() or settings.LANGUAGE_CODE
    sar.error = ""
    sar.version += 1
    sar.save()
    audit_record(
        actor=actor,
        action=AuditEvent.Action.TRANSITION,
        obj=sar,
        child=sar.child,
        team_id=sar.team_id,
        changed_fields=["status", "released_by", "released_at"],
        detail="subject access released for building",
    )
    pk = sar.pk
    transaction.on_commit(lambda: queue_task(BUILD_BUNDLE, pk))
    return sar


def subject_access_build(sar_id: int) -> str:
    """Build a released request's bundle (the worker's task). Claimed by a conditional update,
    so a task delivered twice builds once; progress is written as each step starts. If new
    third-party information entered the record since the review, nothing is built: the
    request goes back to review with the new items to decide."""
    claimed = SubjectAccessRequest.objects.filter(pk=sar_id, status=Status.QUEUED).update(
        status=Status.RUNNING, progress_step=gettext_noop("Starting")
    )
    if not claimed:
        return "skipped"
    sar = SubjectAccessRequest.objects.select_related(
        "child", "case", "team", "requested_by", "released_by"
    ).get(pk=sar_id)
    with transaction.atomic():
        if _add_flags(sar):
            SubjectAccessRequest.objects.filter(pk=sar_id).update(
                status=Status.REVIEW,
                progress_step=gettext_noop("New third-party information to review"),
                version=sar.version + 1,
            )
            return "review"
    done = 0

    def progress(step: str) -> None:
        nonlocal done
        done += 1
        SubjectAccessRequest.objects.filter(pk=sar_id).update(
            progress_done=done, progress_step=step
        )

    try:
        with translation.override(sar.language):
            gathered = collect.gather(sar.child, sar.items.all(), progress)
            progress(gettext_noop("Writing the bundle"))
            data = bundle.write_zip(gathered, bundle.meta_for(sar))
        old = sar.bundle.name
        sar.bundle.save(
            f"{sar.pk}-{timezone.now():%Y%m%d%H%M%S}.zip", ContentFile(data), save=False
        )
    except Exception:
        log.exception("subject access bundle %s failed", sar_id)
        SubjectAccessRequest.objects.filter(pk=sar_id).update(
            status=Status.FAILED,
            error=gettext_noop("The bundle could not be made. Nothing was released; try again."),
            finished_at=timezone.now(),
        )
        return "failed"
    with transaction.atomic():
        SubjectAccessRequest.objects.filter(pk=sar_id).update(
            status=Status.DONE,
            progress_done=done,
            progress_total=done,
            progress_step=gettext_noop("Ready"),
            bundle=sar.bundle.name,
            bundle_size=len(data),
            finished_at=timezone.now(),
            version=sar.version + 1,
        )
        audit_record(
            actor=sar.released_by,
            action=AuditEvent.Action.EXPORT,
            obj=sar,
            child=sar.child,
            team_id=sar.team_id,
            detail=f"subject access bundle built ({len(gathered.withheld)} withheld)",
        )
    if old and old != sar.bundle.name:
        sar.bundle.storage.delete(old)
    return "done"


@transaction.atomic
def subject_access_download(*, actor: User, sar: SubjectAccessRequest) -> bytes:
    """The bundle's bytes for its download, audited as an export of the child's record."""
    _check(actor, sar.case)
    if sar.status != Status.DONE or not sar.bundle:
        raise ValidationError(_("The bundle is not ready."))
    with sar.bundle.open("rb") as fh:
        data = fh.read()
    audit_record(
        actor=actor,
        action=AuditEvent.Action.EXPORT,
        obj=sar,
        child=sar.child,
        team_id=sar.team_id,
        detail="subject access bundle downloaded",
    )
    return data
