"""Writes of the bulk import: keep the uploaded file for the preview, run the import in one
transaction (by a worker for large files), abandon it. The file is deleted as soon as the
import is done, failed or abandoned.

`import_apply` is the one writer; the page (through `import_run`) and the `import_children`
command both call it. It locks the team, re-plans under the lock, writes the children, their
potential cases, the corrections of known children, the offences and the audit rows with
bulk inserts, all in one transaction: a failure anywhere leaves nothing behind.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from ecm.access import access_for
from ecm.audit import audit_chain_seal, audit_record
from ecm.language import IMPORT_CORRECTION_REASON
from ecm.models import AuditEvent, Case, CaseStatus, Child, ChildCorrection, Team, User
from ecm.queueing import queue_task

from ..models import ChildImport, Offence
from .parsing import FileError, ParsedFile, parse
from .planning import DETAILS, Plan, plan_import

log = logging.getLogger(__name__)

RUN_IMPORT = "referrals.run_child_import"
#: Files of at most this many rows are imported in the request; larger ones by a worker.
INLINE_ROWS = getattr(settings, "IMPORT_INLINE_ROWS", 500)
#: A preview not confirmed within this many hours is abandoned (its file deleted).
KEEP_HOURS = getattr(settings, "IMPORT_KEEP_HOURS", 24)
BATCH = 2000
#: What the correction history says of a child updated by an import.
CORRECTION_REASON = IMPORT_CORRECTION_REASON  # shown in the reader's language


class ImportRefused(ValidationError):
    """The import was not made: nothing was written."""


def _check_access(actor: User | None, team: Team) -> None:
    # No actor: the command line (`manage.py import_children`), run by an operator.
    if actor is not None and not access_for(actor).can_import_children(team):
        raise PermissionDenied


def _read(data: bytes) -> ParsedFile:
    try:
        return parse(data, today=timezone.localdate())
    except FileError as exc:
        raise ImportRefused(str(exc), code="file") from None


def import_plan(*, team: Team, data: bytes) -> Plan:
    """The preview: what importing `data` into `team` would do now (reads only)."""
    return plan_import(team=team, parsed=_read(data))


@transaction.atomic
def import_upload(*, actor: User, team: Team, upload: UploadedFile) -> tuple[ChildImport, Plan]:
    """Keep the uploaded file (private storage) for its preview. A file that cannot be read
    at all (encoding, header, missing column, broken quoting) is refused and not kept."""
    _check_access(actor, team)
    data = upload.read()
    plan = import_plan(team=team, data=data)
    job = ChildImport(team=team, created_by=actor, size=len(data), expected=plan.counts())
    job.encoding = "windows-1252" if plan.notices else "utf-8"
    job.file.save("upload.csv", ContentFile(data), save=False)
    job.save()
    return job, plan


def _job_data(job: ChildImport) -> bytes:
    try:
        if not job.file:
            raise FileNotFoundError
        with job.file.open("rb") as handle:
            return handle.read()
    except FileNotFoundError:
        raise ImportRefused(
            _("The uploaded file is no longer kept, so nothing was imported: upload it again."),
            code="gone",
        ) from None


def job_plan(job: ChildImport) -> Plan:
    return import_plan(team=job.team, data=_job_data(job))


def _finish(job_id, **fields) -> None:
    """Record how an import ended and delete its file (after the commit)."""
    job = ChildImport.objects.get(pk=job_id)
    name, storage = job.file.name, job.file.storage
    ChildImport.objects.filter(pk=job_id).update(file="", finished_at=timezone.now(), **fields)
    if name:
        transaction.on_commit(lambda: storage.delete(name))


def counts_token(counts: dict[str, int]) -> str:
    """The preview's counts as the confirmation form carries them back."""
    return ";".join(f"{name}={value}" for name, value in counts.items())


@transaction.atomic
def import_confirm(
    *, actor: User, job: ChildImport, skip_invalid: bool = False, seen: str | None = None
) -> ChildImport:
    """The user's "Import": refused while rows have errors unless they chose to import the
    valid rows only, and refused when the preview they saw (`seen`, its `counts_token`) is no
    longer what the import would do. Small files are imported at once; large ones are queued
    for a worker."""
    job = ChildImport.objects.select_for_update().select_related("team").get(pk=job.pk)
    _check_access(actor, job.team)
    if job.status != ChildImport.Status.PREVIEW:
        raise ImportRefused(_("This import has already been started or abandoned."), code="state")
    plan = job_plan(job)
    if seen is not None and seen != counts_token(plan.counts()):
        raise ImportRefused(
            _(
                "The team's records changed since you saw the preview, so nothing was imported: "
                "check the preview below and confirm again."
            ),
            code="changed",
        )
    if plan.errors and not skip_invalid:
        raise ImportRefused(_rows_refused(plan), code="errors")
    job.expected = plan.counts()
    job.skip_invalid = skip_invalid
    job.status = ChildImport.Status.QUEUED
    job.stage = gettext_noop("Waiting for a worker")
    job.progress = 5
    job.save()
    if plan.rows <= INLINE_ROWS:
        transaction.on_commit(lambda: import_run(job.pk))
    else:
        transaction.on_commit(lambda: queue_task(RUN_IMPORT, str(job.pk)))
    return job


@transaction.atomic
def import_cancel(*, actor: User, job: ChildImport) -> ChildImport:
    job = ChildImport.objects.select_for_update().select_related("team").get(pk=job.pk)
    _check_access(actor, job.team)
    if job.status != ChildImport.Status.PREVIEW:
        raise ImportRefused(_("This import has already been started or abandoned."), code="state")
    _finish(job.pk, status=ChildImport.Status.CANCELLED, stage=gettext_noop("Abandoned"))
    job.refresh_from_db()
    return job


def import_run(job_id) -> str:
    """Run a confirmed import (the worker's task, or the request for a small file). Claimed
    by a conditional update, so a task delivered twice imports once."""
    claimed = ChildImport.objects.filter(pk=job_id, status=ChildImport.Status.QUEUED).update(
        status=ChildImport.Status.RUNNING,
        progress=20,
        stage=gettext_noop("Checking and writing the rows (in one transaction)"),
    )
    if not claimed:
        return "skipped"
    job = ChildImport.objects.select_related("team", "created_by").get(pk=job_id)
    try:
        with transaction.atomic():
            counts = import_apply(
                actor=job.created_by,
                team=job.team,
                data=_job_data(job),
                skip_invalid=job.skip_invalid,
                expected=job.expected,
                job=job,
            )
            _finish(
                job_id,
                status=ChildImport.Status.DONE,
                result=counts,
                progress=100,
                stage=gettext_noop("Imported"),
            )
    except (ValidationError, PermissionDenied) as exc:
        message = " ".join(exc.messages) if isinstance(exc, ValidationError) else ""
        with transaction.atomic():
            _finish(
                job_id,
                status=ChildImport.Status.FAILED,
                error=(message or _("You may no longer import into this team."))[:500],
                stage=gettext_noop("Not imported"),
            )
        return "refused"
    except Exception:
        log.exception("import %s failed", job_id)
        with transaction.atomic():
            _finish(
                job_id,
                status=ChildImport.Status.FAILED,
                error=gettext_noop("The import failed and nothing was written. Try again."),
                stage=gettext_noop("Not imported"),
            )
        return "failed"
    return "done"


def imports_tidy() -> int:
    """Abandon previews nobody confirmed within KEEP_HOURS, and fail imports no worker
    finished in that time: their files are deleted either way."""
    cutoff = timezone.now() - timezone.timedelta(hours=KEEP_HOURS)
    stale = ChildImport.objects.filter(
        created_at__lt=cutoff,
        status__in=[
            ChildImport.Status.PREVIEW,
            ChildImport.Status.QUEUED,
            ChildImport.Status.RUNNING,
        ],
    )
    count = 0
    for job_id, status in stale.values_list("pk", "status"):
        with transaction.atomic():
            if status == ChildImport.Status.PREVIEW:
                _finish(job_id, status=ChildImport.Status.CANCELLED, stage="Abandoned")
            else:
                _finish(
                    job_id,
                    status=ChildImport.Status.FAILED,
                    error=gettext_noop("No worker finished the import: nothing was written."),
                )
        count += 1
    return count


def _rows_refused(plan: Plan, shown: int = 5) -> str:
    message = ngettext(
        "%(count)s row has errors, so nothing was imported: correct the file and upload it "
        "again, or choose to import the valid rows only.",
        "%(count)s rows have errors, so nothing was imported: correct the file and upload it "
        "again, or choose to import the valid rows only.",
        plan.error_rows,
    ) % {"count": plan.error_rows}
    first = " ".join(plan.errors[:shown])
    more = len(plan.errors) - shown
    if more > 0:
        first += " " + _("(and %(count)s more)") % {"count": more}
    return f"{message} {first}"


# --- The writer ---------------------------------------------------------------------------


@transaction.atomic
def import_apply(
    *,
    actor: User | None,
    team: Team,
    data: bytes,
    skip_invalid: bool = False,
    expected: dict | None = None,
    job: ChildImport | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Import the file into `team` in one transaction and return what was written (the
    plan's counts). Refused (nothing written) when the file cannot be read, when rows have
    errors and `skip_invalid` is not set, or when `expected` (the preview's counts) no
    longer matches: the team's records changed since the preview."""
    _check_access(actor, team)
    team = Team.objects.select_for_update().get(pk=team.pk)  # one import of a team at a time
    parsed = _read(data)
    plan = plan_import(team=team, parsed=parsed, lock=True)
    if plan.errors and not skip_invalid:
        raise ImportRefused(_rows_refused(plan), code="errors")
    counts = plan.counts()
    if expected and counts != expected:
        raise ImportRefused(
            _(
                "The team's records changed since the preview, so nothing was imported: "
                "upload the file again to see what it would do now."
            ),
            code="changed",
        )
    summary = ", ".join(f"{name} {value}" for name, value in counts.items())
    head = audit_record(
        actor=actor,
        actor_username=None if actor else "manage.py import_children",
        action=AuditEvent.Action.CREATE,
        obj=job,
        team_id=team.pk,
        detail=f"bulk import: {summary}"[:255],
    )
    _Writer(actor, team, head.ip_address).write(plan)
    return counts


class _Writer:
    def __init__(self, actor: User | None, team: Team, ip: str | None):
        self.actor = actor if actor is not None and actor.is_authenticated else None
        self.username = actor.get_username() if self.actor else "manage.py import_children"
        self.team = team
        self.ip = ip
        self.now = timezone.now()
        self.events: list[AuditEvent] = []

    def _audit(self, action: str, obj, child_id: int, fields, label: str) -> None:
        self.events.append(
            AuditEvent(
                at=self.now,
                actor=self.actor,
                actor_username=self.username,
                action=action,
                object_type=obj._meta.label_lower,
                object_id=str(obj.pk),
                object_label=label,
                child_id=child_id,
                team_id=self.team.pk,
                changed_fields=sorted(set(fields)),
                detail="bulk import",
                ip_address=self.ip,
            )
        )

    def write(self, plan: Plan) -> None:
        today = timezone.localdate()
        children = [
            Child(yot_reference=p.row.yot_reference, **{n: getattr(p.row, n) for n in DETAILS})
            for p in plan.creates
        ]
        Child.objects.bulk_create(children, batch_size=BATCH)
        cases = [
            Case(
                child=child,
                team=self.team,
                status=CaseStatus.POTENTIAL,
                status_changed_at=self.now,
                opened_on=today,
            )
            for child in children
        ]
        Case.objects.bulk_create(cases, batch_size=BATCH)
        for child, case, p in zip(children, cases, plan.creates, strict=True):
            p.child, p.case_id = child, case.pk
            fields = [n for n in ("yot_reference", *DETAILS) if getattr(child, n) not in ("", None)]
            self._audit(AuditEvent.Action.CREATE, child, child.pk, fields, f"Child #{child.pk}")
            self._audit(
                AuditEvent.Action.CREATE,
                case,
                child.pk,
                ["child", "team", "case_manager", "status", "opened_on"],
                case.reference,
            )
        self._update(plan)
        offences = []
        for p in plan.creates + plan.updates + plan.unchanged:
            for row in p.offences:
                offence = Offence(
                    case_id=p.case_id,
                    date=row.offence_date,
                    offence_type=row.offence_type,
                    disposal=row.disposal,
                    gravity=row.gravity,
                )
                offence._child_id = p.child.pk
                offences.append(offence)
        Offence.objects.bulk_create(offences, batch_size=BATCH)
        for offence in offences:
            fields = ["date", "offence_type", "gravity", "disposal"]
            self._audit(
                AuditEvent.Action.CREATE,
                offence,
                offence._child_id,
                fields,
                f"offence #{offence.pk}",
            )
        audit_chain_seal(self.events)
        AuditEvent.objects.bulk_create(self.events, batch_size=BATCH)

    def _update(self, plan: Plan) -> None:
        """Known children whose details differ: updated as a correction would (history row,
        version bumped so an open edit form is refused as stale, audit row of field names)."""
        if not plan.updates:
            return
        changed_children = []
        corrections = []
        for p in plan.updates:
            child = p.child
            changes = []
            for name in p.changed:
                old, new = getattr(child, name), getattr(p.row, name)
                changes.append({"field": name, "old": _stored(old), "new": _stored(new)})
                setattr(child, name, new)
            child.version += 1
            child.updated_at = self.now
            if "date_of_birth" in p.changed:
                child.date_of_birth_corrected_at = self.now
            changed_children.append(child)
            corrections.append(
                ChildCorrection(
                    child=child,
                    case_id=p.case_id,
                    corrected_by=self.actor,
                    corrected_by_name=str(self.actor) if self.actor else self.username,
                    at=self.now,
                    reason=CORRECTION_REASON,
                    changes=changes,
                )
            )
            self._audit(AuditEvent.Action.UPDATE, child, child.pk, p.changed, f"Child #{child.pk}")
        Child.objects.bulk_update(
            changed_children,
            [*DETAILS, "version", "updated_at", "date_of_birth_corrected_at"],
            batch_size=500,
        )
        ChildCorrection.objects.bulk_create(corrections, batch_size=BATCH)


def _stored(value) -> object:
    return value.isoformat() if hasattr(value, "isoformat") else value
