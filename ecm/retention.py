"""Retention reviews, legal holds and the two-person erasure workflow (issue 20).

* Each team has a retention rule (`RetentionRule`, set in the admin by the organisation's
  records manager; a team without one uses the conservative default in
  `ecm.retention_models`). A child's record is *due for review* when no episode is open, the
  rule of every team that owned one of the child's episodes is reached (years after the last
  closure, and the minimum age), no legal hold is in force, no erasure is under way and no
  "keep until" decision still runs. `retention_find_due` (beat, daily) lists them as pending
  `RetentionReview` rows, once each; `retention_review_due` tells each manager of the team
  through the reminders (no child's name, only "records due for retention review").
* For each: "keep until DATE because REASON" (`retention_keep`) or "erase"
  (`erasure_propose`, a manager, with a reason). A legal hold blocks erasure until lifted.
* Erasure takes two people: another manager of the team or its data protection officer
  approves (`erasure_approve`), never the proposer. Approval queues `ecm.run_erasure` on
  commit; the worker (`erasure_run`) calls the engine `ecm.erasure.erase_child` with a
  progress callback that writes to the request. A failure is recorded (FAILED, the error's
  kind, the administrators e-mailed) and left for an operator, who runs it again from the
  request's page (`erasure_retry`): an erasure half done is not retried blindly.
* Refused, with a clear message, while any episode of the child is open or a hold is in force:
  at the proposal, at the approval and again when the worker starts.

Every step writes an audit row naming the request's pseudonymous reference, never the child.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import mail_admins
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from . import erasure
from .access import access_for
from .audit import audit_record
from .dates import add_years, nth_birthday
from .models import (
    OPEN_STATUSES,
    AuditEvent,
    Case,
    Child,
    ErasureRequest,
    LegalHold,
    RetentionReview,
    RetentionRule,
    Role,
    User,
)
from .queueing import queue_task
from .retention_models import DEFAULT_MINIMUM_AGE, DEFAULT_YEARS_AFTER_CLOSURE

log = logging.getLogger(__name__)

RUN_ERASURE = "ecm.run_erasure"
REMINDER_KIND = "retention_review"


# --- The rule ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    years_after_closure: int = DEFAULT_YEARS_AFTER_CLOSURE
    minimum_age: int = DEFAULT_MINIMUM_AGE

    def due_on(self, *, date_of_birth: dt.date, last_closed_on: dt.date) -> dt.date:
        """The later of: `years_after_closure` after the last closure, the `minimum_age`th
        birthday."""
        return max(
            add_years(last_closed_on, self.years_after_closure),
            nth_birthday(date_of_birth, self.minimum_age),
        )


def rules_by_team() -> dict[int, Rule]:
    """Each team's rule (one query); a team missing from it uses `Rule()`, the default."""
    return {
        team_id: Rule(years, age)
        for team_id, years, age in RetentionRule.objects.values_list(
            "team_id", "years_after_closure", "minimum_age"
        )
    }


# --- Who is due --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DueChild:
    child_id: int
    team_id: int  # the team of the child's latest episode: its managers review the record
    last_closed_on: dt.date
    due_on: dt.date


def _has_open_episode(path: str = "") -> Exists:
    return Exists(Case.objects.filter(child_id=OuterRef(f"{path}pk"), status__in=OPEN_STATUSES))


def _held(path: str = "pk") -> Exists:
    return Exists(LegalHold.objects.filter(child_id=OuterRef(path), lifted_at__isnull=True))


def _not_to_review(today: dt.date) -> set[int]:
    """Children already listed, kept until a date not yet passed, held, or being erased."""
    reviews = RetentionReview.objects.filter(child__isnull=False)
    out = set(
        reviews.filter(decision=RetentionReview.Decision.PENDING).values_list("child_id", flat=True)
    )
    out |= set(
        reviews.filter(decision=RetentionReview.Decision.KEEP, keep_until__gte=today).values_list(
            "child_id", flat=True
        )
    )
    out |= set(
        LegalHold.objects.filter(lifted_at__isnull=True, child__isnull=False).values_list(
            "child_id", flat=True
        )
    )
    out |= set(
        ErasureRequest.objects.filter(
            status__in=[*ErasureRequest.IN_PROGRESS, ErasureRequest.Status.DONE],
            child__isnull=False,
        ).values_list("child_id", flat=True)
    )
    return out


def children_due(today: dt.date | None = None) -> list[DueChild]:
    """The children whose records are due for a retention review today (see the module's
    docstring). A constant number of queries."""
    today = today or timezone.localdate()
    rules = rules_by_team()
    episodes = (
        Case.objects.annotate(child_open=_has_open_episode("child__"))
        .filter(child_open=False)
        .order_by("child_id", "opened_on", "pk")
        .values_list(
            "child_id", "team_id", "closed_on", "status_changed_at", "child__date_of_birth"
        )
    )
    skip = _not_to_review(today)
    by_child: dict[int, list[tuple[int, dt.date, dt.date]]] = {}
    for child_id, team_id, closed_on, changed_at, dob in episodes:
        if child_id not in skip:
            # An episode not accepted may have no closing date: it ended when its status did.
            ended_on = closed_on or timezone.localdate(changed_at)
            by_child.setdefault(child_id, []).append((team_id, ended_on, dob))
    due: list[DueChild] = []
    for child_id, rows in by_child.items():
        last_closed_on = max(closed for _team, closed, _dob in rows)
        # Every team that owned an episode keeps the record as long as its rule says.
        due_on = max(
            rules.get(team_id, Rule()).due_on(date_of_birth=dob, last_closed_on=last_closed_on)
            for team_id, _closed, dob in rows
        )
        if due_on <= today:
            due.append(DueChild(child_id, rows[-1][0], last_closed_on, due_on))
    return due


def retention_find_due(today: dt.date | None = None) -> int:
    """List each child due for review as a pending review (once: a unique constraint), and
    take off the list any child no longer due (an episode re-opened, a hold placed). The beat
    task; safe to run twice. Returns how many children were newly listed."""
    today = today or timezone.localdate()
    due = children_due(today)
    with transaction.atomic():
        pending = RetentionReview.objects.filter(decision=RetentionReview.Decision.PENDING)
        pending.filter(_has_open_episode("child__") | _held("child_id")).delete()
        created = RetentionReview.objects.bulk_create(
            [
                RetentionReview(
                    child_id=d.child_id,
                    team_id=d.team_id,
                    due_on=d.due_on,
                    last_closed_on=d.last_closed_on,
                    found_on=today,
                )
                for d in due
            ],
            ignore_conflicts=True,
        )
    return len(created)


def retention_review_due(today: dt.date):
    """The reminders' source: one reminder to each manager of a team with records waiting
    for review, again only when more are listed (the occurrence is the latest listing day).
    No child's name, no count: the page says the rest."""
    from .reminders import Due, Words
    from .selectors import members_by_team

    latest: dict[int, dt.date] = {}
    for team_id, found_on in _visible_pending().values_list("team_id", "found_on"):
        latest[team_id] = max(found_on, latest.get(team_id, found_on))
    if not latest:
        return
    managers = members_by_team({Role.MANAGER}, latest)
    for team_id, found_on in latest.items():
        if managers.get(team_id):
            yield Due(
                kind=REMINDER_KIND,
                object_type="ecm.team",
                object_id=team_id,
                occurrence=found_on,
                title=Words(gettext_lazy("Records due for retention review")),
                link=reverse("retention_due"),
                team_id=team_id,
                users=tuple(managers[team_id]),
            )


APPROVAL_KIND = "erasure_approval"


def erasure_approval_due(today: dt.date):
    """The reminders' source: each proposed erasure, to the people who may approve it (the
    team's other managers and its data protection officers), once. The reference only."""
    from .reminders import Due, Words
    from .selectors import members_by_team

    waiting = list(
        ErasureRequest.objects.filter(status=ErasureRequest.Status.PROPOSED).values_list(
            "pk", "reference", "team_id", "proposed_by_id", "proposed_at"
        )
    )
    if not waiting:
        return
    approvers = members_by_team({Role.MANAGER, Role.DPO}, {row[2] for row in waiting})
    for pk, reference, team_id, proposed_by_id, proposed_at in waiting:
        users = tuple(u for u in approvers.get(team_id, []) if u != proposed_by_id)
        if users:
            yield Due(
                kind=APPROVAL_KIND,
                object_type="ecm.erasurerequest",
                object_id=pk,
                occurrence=timezone.localdate(proposed_at),
                title=Words(gettext_lazy("Erasure %(ref)s waits for your decision"), ref=reference),
                link=reverse("erasure_request", args=[pk]),
                team_id=team_id,
                users=users,
            )


# --- Reads -------------------------------------------------------------------------------------


def _visible_pending() -> QuerySet[RetentionReview]:
    """Pending reviews still due now (checked at read time too, between the task's runs)."""
    return RetentionReview.objects.filter(
        decision=RetentionReview.Decision.PENDING, child__isnull=False
    ).exclude(_has_open_episode("child__") | _held("child_id"))


def due_reviews_for(user: User) -> QuerySet[RetentionReview]:
    team_ids = access_for(user).retention_team_ids()
    return (
        _visible_pending()
        .filter(team_id__in=team_ids)
        .select_related("child", "team")
        .order_by("due_on", "pk")
    )


def review_get_for(user: User, pk: int) -> RetentionReview:
    """One review of a team whose retention the user looks after; anything else is a 404."""
    team_ids = access_for(user).retention_team_ids()
    return get_object_or_404(
        RetentionReview.objects.filter(team_id__in=team_ids, child__isnull=False).select_related(
            "child", "team"
        ),
        pk=pk,
    )


def holds_for(user: User) -> QuerySet[LegalHold]:
    team_ids = access_for(user).retention_team_ids()
    return (
        LegalHold.objects.filter(team_id__in=team_ids, lifted_at__isnull=True)
        .select_related("child", "team", "placed_by")
        .order_by("-placed_at", "-pk")
    )


def hold_get_for(user: User, pk: int) -> LegalHold:
    return get_object_or_404(holds_for(user), pk=pk)


def erasures_for(user: User) -> QuerySet[ErasureRequest]:
    """Erasure requests of the user's teams: the open ones first, then the latest."""
    team_ids = access_for(user).retention_team_ids()
    return ErasureRequest.objects.filter(team_id__in=team_ids).select_related(
        "child", "team", "proposed_by", "approved_by"
    )


def erasure_get_for(user: User, pk: int) -> ErasureRequest:
    return get_object_or_404(erasures_for(user), pk=pk)


def child_episodes(child_id: int) -> list[Case]:
    return list(
        Case.objects.filter(child_id=child_id).select_related("team").order_by("opened_on", "pk")
    )


# --- Refusals ----------------------------------------------------------------------------------


def erasure_blocked(child_id: int | None) -> str:
    """Why this child's record cannot be erased now ("" if it can): an open episode or a
    legal hold in force."""
    if child_id is None:
        return _("The child's record is no longer held.")
    if Case.objects.filter(child_id=child_id, status__in=OPEN_STATUSES).exists():
        return _(
            "The child has an open episode: a record cannot be erased while any episode is "
            "open. Close the episode first, or keep the record."
        )
    if LegalHold.objects.filter(child_id=child_id, lifted_at__isnull=True).exists():
        return _(
            "A legal hold is in force on this record: it cannot be erased until the hold is lifted."
        )
    return ""


def _refuse_if_blocked(child_id: int | None) -> None:
    message = erasure_blocked(child_id)
    if message:
        raise ValidationError(message, code="erasure_blocked")


def _lock_child(child_id: int | None) -> None:
    """Serialise decisions about one child (a hold placed while an approval runs...)."""
    if child_id is not None:
        list(Child.objects.select_for_update().filter(pk=child_id).values_list("pk", flat=True))


def _reason(text: str, field: str = "reason") -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({field: _("Give the reason.")})
    return text


def _locked_pending(review: RetentionReview) -> RetentionReview:
    locked = RetentionReview.objects.select_for_update().filter(pk=review.pk).first()
    if locked is None:
        raise ValidationError(_("This record is no longer due for review."))
    if locked.decision != RetentionReview.Decision.PENDING:
        raise ValidationError(_("This review has already been decided."))
    return locked


# --- Review decisions and holds ----------------------------------------------------------------


@transaction.atomic
def retention_keep(
    *, actor: User, review: RetentionReview, keep_until: dt.date, reason: str
) -> RetentionReview:
    """Keep the record until a later date, for a reason; it is due again after that date."""
    if not access_for(actor).can_decide_retention(review.team_id):
        raise PermissionDenied
    reason = _reason(reason)
    if keep_until is None or keep_until <= timezone.localdate():
        raise ValidationError({"keep_until": _("Choose a date after today.")})
    review = _locked_pending(review)
    review.decision = RetentionReview.Decision.KEEP
    review.keep_until = keep_until
    review.reason = reason
    review.decided_by = actor
    review.decided_at = timezone.now()
    review.save(update_fields=["decision", "keep_until", "reason", "decided_by", "decided_at"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        obj=review,
        child=review.child,
        team_id=review.team_id,
        changed_fields=["decision", "keep_until", "reason"],
        detail="retention: keep",
    )
    return review


@transaction.atomic
def legal_hold_place(*, actor: User, review: RetentionReview, reason: str) -> LegalHold:
    """Place a legal hold on the child of `review`: the record leaves the review list and
    cannot be erased until the hold is lifted. Also refuses any erasure still waiting."""
    if not access_for(actor).can_hold(review.team_id):
        raise PermissionDenied
    reason = _reason(reason)
    _lock_child(review.child_id)
    hold = LegalHold.objects.create(
        child_id=review.child_id, team_id=review.team_id, reason=reason, placed_by=actor
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=hold,
        child=review.child,
        team_id=review.team_id,
        changed_fields=["reason"],
        detail="legal hold placed",
    )
    waiting = ErasureRequest.objects.select_for_update().filter(
        child_id=review.child_id,
        status__in=[ErasureRequest.Status.PROPOSED, ErasureRequest.Status.APPROVED],
    )
    for request in waiting:
        _refuse(request, actor=actor, reason=str(_("A legal hold was placed.")))
    return hold


@transaction.atomic
def legal_hold_lift(*, actor: User, hold: LegalHold, reason: str) -> LegalHold:
    if not access_for(actor).can_hold(hold.team_id):
        raise PermissionDenied
    reason = _reason(reason, "lift_reason")
    hold = LegalHold.objects.select_for_update().get(pk=hold.pk)
    if hold.lifted_at is not None:
        raise ValidationError(_("This hold has already been lifted."))
    hold.lifted_by = actor
    hold.lifted_at = timezone.now()
    hold.lift_reason = reason
    hold.save(update_fields=["lifted_by", "lifted_at", "lift_reason"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        obj=hold,
        child=hold.child,
        team_id=hold.team_id,
        changed_fields=["lifted_at", "lift_reason"],
        detail="legal hold lifted",
    )
    return hold


# --- Erasure: propose, approve or refuse, run ---------------------------------------------------


def _audit_erasure(actor: User | None, request: ErasureRequest, what: str, fields=()) -> None:
    audit_record(
        actor=actor,
        action=AuditEvent.Action.TRANSITION,
        obj=request,
        child=request.child if request.child_id else None,
        team_id=request.team_id,
        changed_fields=fields,
        detail=f"erasure {request.reference}: {what}",
        actor_username=None if actor is not None else "worker",
    )


@transaction.atomic
def erasure_propose(*, actor: User, review: RetentionReview, reason: str) -> ErasureRequest:
    """A manager proposes erasing the record of a child due for review, with a reason. It
    waits for a second person; nothing is erased yet."""
    if not access_for(actor).can_decide_retention(review.team_id):
        raise PermissionDenied
    reason = _reason(reason)
    _lock_child(review.child_id)
    review = _locked_pending(review)
    _refuse_if_blocked(review.child_id)
    if ErasureRequest.objects.filter(
        child_id=review.child_id, status__in=ErasureRequest.IN_PROGRESS
    ).exists():
        raise ValidationError(_("An erasure of this record is already under way."))
    request = ErasureRequest.objects.create(
        child_id=review.child_id,
        team_id=review.team_id,
        review=review,
        reason=reason,
        proposed_by=actor,
    )
    review.decision = RetentionReview.Decision.ERASE
    review.reason = reason
    review.decided_by = actor
    review.decided_at = timezone.now()
    review.save(update_fields=["decision", "reason", "decided_by", "decided_at"])
    _audit_erasure(actor, request, "proposed", ["status", "reason"])
    # Tell the people who may approve it now rather than at the next half-hourly sweep.
    transaction.on_commit(lambda: queue_task("ecm.sweep_reminders"))
    return request


def _require_approver(actor: User, request: ErasureRequest) -> None:
    if not access_for(actor).can_approve_erasure(request):
        raise PermissionDenied(
            _(
                "Another manager of the team, or its data protection officer, "
                "decides on an erasure: never the manager who proposed it."
            )
        )


@transaction.atomic
def erasure_approve(*, actor: User, request: ErasureRequest) -> ErasureRequest:
    """The second person approves: the worker job is queued once this commits."""
    _require_approver(actor, request)
    _lock_child(request.child_id)
    request = ErasureRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != ErasureRequest.Status.PROPOSED:
        raise ValidationError(_("This erasure is no longer waiting for approval."))
    _refuse_if_blocked(request.child_id)
    request.status = ErasureRequest.Status.APPROVED
    request.approved_by = actor
    request.approved_at = timezone.now()
    request.save(update_fields=["status", "approved_by", "approved_at"])
    _audit_erasure(actor, request, "approved", ["status"])
    transaction.on_commit(lambda: queue_task(RUN_ERASURE, request.pk))
    return request


def _refuse(request: ErasureRequest, *, actor: User | None, reason: str) -> None:
    request.status = ErasureRequest.Status.REFUSED
    request.refused_by = actor
    request.refused_at = timezone.now()
    request.refusal_reason = reason[:500]
    request.save(update_fields=["status", "refused_by", "refused_at", "refusal_reason"])
    # The record goes back on the review list (unless it is no longer due: held, re-opened).
    if request.review_id:
        RetentionReview.objects.filter(
            pk=request.review_id, decision=RetentionReview.Decision.ERASE
        ).update(decision=RetentionReview.Decision.PENDING, decided_by=None, decided_at=None)
    _audit_erasure(actor, request, "refused", ["status", "refusal_reason"])


@transaction.atomic
def erasure_refuse(*, actor: User, request: ErasureRequest, reason: str) -> ErasureRequest:
    """The second person refuses (with a reason): nothing is erased and the record is due
    for review again."""
    _require_approver(actor, request)
    reason = _reason(reason, "refusal_reason")
    request = ErasureRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != ErasureRequest.Status.PROPOSED:
        raise ValidationError(_("This erasure is no longer waiting for approval."))
    _refuse(request, actor=actor, reason=reason)
    return request


@transaction.atomic
def erasure_retry(*, actor: User, request: ErasureRequest) -> ErasureRequest:
    """An operator's decision after a failure (or a worker that stopped): run it again. The
    same people as an approval (never the proposer); the checks are made again."""
    _require_approver(actor, request)
    request = ErasureRequest.objects.select_for_update().get(pk=request.pk)
    if not (request.status == ErasureRequest.Status.FAILED or request.is_stale()):
        raise ValidationError(_("Only a failed or stopped erasure can be run again."))
    _refuse_if_blocked(request.child_id)
    request.status = ErasureRequest.Status.APPROVED
    request.error = ""
    request.save(update_fields=["status", "error"])
    _audit_erasure(actor, request, "run again", ["status"])
    transaction.on_commit(lambda: queue_task(RUN_ERASURE, request.pk))
    return request


# The erasure's steps as the progress page names them (put into the reader's language there).
ERASURE_STEPS = {
    "start": gettext_noop("Starting"),
    "referrals": gettext_noop("Referral, consent and uploads"),
    "referrals.imports": gettext_noop("Imported rows"),
    "formulation": gettext_noop("Formulation, timeline, genogram and reports"),
    "reviews": gettext_noop("Reviews, actions and contacts"),
    "supervision": gettext_noop("Supervision notes"),
    "subject_access": gettext_noop("Subject access bundles"),
    "retention": gettext_noop("Retention records"),
    "ecm": gettext_noop("The child's record"),
}


def _progress_writer(request_id: int):
    def progress(done: int, total: int, step: str) -> None:
        ErasureRequest.objects.filter(pk=request_id).update(
            progress_done=max(0, int(done)),
            progress_total=max(0, int(total)),
            progress_step=str(step)[:200],
            progress_at=timezone.now(),
        )

    return progress


def _safe_result(result) -> dict:
    """Keep only counts from the engine's report: numbers by name (no personal data)."""
    if not isinstance(result, dict):
        return {}
    return {str(k)[:100]: v for k, v in result.items() if isinstance(v, int | float | bool)}


def erasure_run(request_id: int) -> str:
    """The worker's job: claim an approved request (a task delivered twice runs once), check
    again that nothing blocks it, call the engine with a progress callback, record the
    outcome. A failure is left for an operator (see the module's docstring)."""
    with transaction.atomic():
        request = (
            ErasureRequest.objects.select_for_update()
            .filter(pk=request_id, status=ErasureRequest.Status.APPROVED)
            .first()
        )
        if request is None:
            return "skipped"
        _lock_child(request.child_id)
        blocked = erasure_blocked(request.child_id)
        if blocked:
            _refuse(request, actor=None, reason=blocked)
            return "refused"
        request.status = ErasureRequest.Status.RUNNING
        request.started_at = timezone.now()
        request.progress_done = request.progress_total = 0
        request.progress_step = ""
        request.progress_at = request.started_at
        request.attempts += 1
        request.save(
            update_fields=[
                "status",
                "started_at",
                "progress_done",
                "progress_total",
                "progress_step",
                "progress_at",
                "attempts",
            ]
        )
        _audit_erasure(None, request, "started", ["status"])
    child_id = request.child_id
    # Not inside a transaction of ours: the engine commits step by step, and each progress
    # update is seen by the progress page as it is written.
    try:
        result = erasure.erase_child(child_id, progress=_progress_writer(request.pk))
    except Exception as exc:
        log.exception("erasure %s failed", request.reference)
        _erasure_failed(request, exc)
        return "failed"
    with transaction.atomic():
        request = ErasureRequest.objects.select_for_update().get(pk=request.pk)
        request.status = ErasureRequest.Status.DONE
        request.finished_at = timezone.now()
        request.progress_done = max(request.progress_done, request.progress_total)
        request.progress_step = ""
        request.result = _safe_result(result)
        request.error = ""
        request.save(
            update_fields=[
                "status",
                "finished_at",
                "progress_done",
                "progress_step",
                "result",
                "error",
            ]
        )
        # The retention records stay, under the request's reference: if the engine deletes
        # the child, their link is cut (SET_NULL); if it keeps an anonymised row, the link
        # points at nothing personal, and a DONE erasure keeps the child off the list.
        _audit_erasure(None, request, "done", ["status"])
    return "done"


def _erasure_failed(request: ErasureRequest, exc: Exception) -> None:
    step = (
        ErasureRequest.objects.filter(pk=request.pk).values_list("progress_step", flat=True).first()
    )
    # The exception's kind and the step only: its message could quote a child's details.
    error = type(exc).__name__ + (f" ({step})" if step else "")
    with transaction.atomic():
        ErasureRequest.objects.filter(pk=request.pk).update(
            status=ErasureRequest.Status.FAILED, error=error[:255], finished_at=timezone.now()
        )
        request.refresh_from_db()
        _audit_erasure(None, request, "failed", ["status", "error"])
    try:
        mail_admins(
            _("ECM: erasure %(ref)s failed") % {"ref": request.reference},
            _(
                "The erasure %(ref)s stopped with %(error)s. Nothing more is done until someone "
                "looks: see the worker's log, then run it again from the erasure's page."
            )
            % {"ref": request.reference, "error": error},
        )
    except Exception:  # noqa: BLE001 - the log line already reports it
        log.warning("could not e-mail the administrators", exc_info=True)


def erasures_requeue(minutes: int = 5) -> int:
    """Queue again the approved erasures still waiting after `minutes` (beat)."""
    cutoff = timezone.now() - dt.timedelta(minutes=minutes)
    ids = list(
        ErasureRequest.objects.filter(
            status=ErasureRequest.Status.APPROVED, approved_at__lt=cutoff
        ).values_list("pk", flat=True)
    )
    for pk in ids:
        queue_task(RUN_ERASURE, pk)
    return len(ids)


def erasures_waiting_for(user: User) -> Iterable[ErasureRequest]:
    """Proposed erasures this user may approve (another manager's, in their teams)."""
    access = access_for(user)
    rows = erasures_for(user).filter(status=ErasureRequest.Status.PROPOSED)
    return [r for r in rows if access.can_approve_erasure(r)]


def erase_retention_reasons(child, cases) -> dict[str, int]:
    """The erasure engine's step for the retention records themselves: they stay (under the
    request's reference) but their reasons, typed freely, lose anything naming the child."""
    from .erasure import identifiers_of, scrub_rows

    names = identifiers_of(child)
    scrubbed = (
        scrub_rows(RetentionReview.objects.filter(child=child), ["reason"], names)
        + scrub_rows(LegalHold.objects.filter(child=child), ["reason", "lift_reason"], names)
        + scrub_rows(
            ErasureRequest.objects.filter(child=child), ["reason", "refusal_reason"], names
        )
    )
    return {"retention reasons": scrubbed}
