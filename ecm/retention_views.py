"""The managers' retention pages: records due for review, one review (keep, erase, hold),
lifting a hold, and an erasure request (approve or refuse, then its progress)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from . import retention
from .access import access_for
from .audit import audit_record
from .forms import add_service_errors
from .models import AuditEvent, ErasureRequest
from .retention_forms import (
    HoldForm,
    KeepForm,
    LiftHoldForm,
    ProposeErasureForm,
    RefuseErasureForm,
)

RECENT_ERASURES = 20


def _require_retention(request):
    access = access_for(request.user)
    if not access.retention_team_ids():
        raise Http404
    return access


def _name_rows(access, rows) -> None:
    """Each row's `shown_name`: the child's name for those who may open the team's cases,
    the child's number otherwise (a data protection officer)."""
    for row in rows:
        child = row.child
        if child is None or getattr(row, "status", None) == ErasureRequest.Status.DONE:
            row.shown_name = ""
        elif access.sees_child_names_of(row.team_id):
            row.shown_name = child.full_name
        else:
            row.shown_name = _("Child #%(pk)s") % {"pk": child.pk}


@require_GET
def retention_due(request):
    access = _require_retention(request)
    reviews = list(retention.due_reviews_for(request.user))
    open_erasures = list(
        retention.erasures_for(request.user)
        .filter(status__in=ErasureRequest.IN_PROGRESS)
        .order_by("proposed_at", "pk")
    )
    finished = list(
        retention.erasures_for(request.user)
        .exclude(status__in=ErasureRequest.IN_PROGRESS)
        .order_by("-proposed_at", "-pk")[:RECENT_ERASURES]
    )
    holds = list(retention.holds_for(request.user))
    for rows in (reviews, open_erasures, finished, holds):
        _name_rows(access, rows)
    for row in open_erasures:
        row.can_decide = row.status == row.Status.PROPOSED and access.can_approve_erasure(row)
    children = sorted({r.child_id for r in reviews + open_erasures + holds if r.child_id})
    if children:
        audit_record(
            actor=request.user,
            action=AuditEvent.Action.VIEW,
            detail="retention review list",
            listed={"children": children},
        )
    return render(
        request,
        "ecm/retention_due.html",
        {"reviews": reviews, "open_erasures": open_erasures, "finished": finished, "holds": holds},
    )


_REVIEW_FORMS = {"keep": KeepForm, "erase": ProposeErasureForm, "hold": HoldForm}


@require_http_methods(["GET", "POST"])
def retention_review(request, pk: int):
    """One child due for review: the episodes, the rule; keep until a date, propose erasure,
    or place a legal hold (each its own form; POST `action` says which)."""
    access = _require_retention(request)
    review = retention.review_get_for(request.user, pk)
    forms = {name: form_class() for name, form_class in _REVIEW_FORMS.items()}
    if request.method == "POST":
        action = request.POST.get("action")
        if action not in _REVIEW_FORMS:
            raise Http404
        allowed = (
            access.can_hold(review.team_id)
            if action == "hold"
            else access.can_decide_retention(review.team_id)
        )
        if not allowed:
            raise PermissionDenied
        form = forms[action] = _REVIEW_FORMS[action](request.POST)
        if form.is_valid():
            try:
                done = _review_action(request, action, review, form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return done
    else:
        audit_record(
            actor=request.user,
            action=AuditEvent.Action.VIEW,
            obj=review,
            child=review.child,
            team_id=review.team_id,
            detail="retention review",
        )
    _name_rows(access, [review])
    context = {
        "review": review,
        "episodes": retention.child_episodes(review.child_id),
        "rule": retention.rules_by_team().get(review.team_id, retention.Rule()),
        "blocked": retention.erasure_blocked(review.child_id),
        "can_decide": access.can_decide_retention(review.team_id),
        "can_hold": access.can_hold(review.team_id),
        "sees_cases": access.sees_child_names_of(review.team_id),
        "today": timezone.localdate(),
        **{f"{name}_form": form for name, form in forms.items()},
    }
    return render(request, "ecm/retention_review.html", context)


def _review_action(request, action: str, review, data):
    user = request.user
    if action == "keep":
        retention.retention_keep(
            actor=user, review=review, keep_until=data["keep_until"], reason=data["reason"]
        )
        messages.success(request, _("Decision recorded: the record is kept until that date."))
        return redirect("retention_due")
    if action == "erase":
        erasure = retention.erasure_propose(actor=user, review=review, reason=data["reason"])
        messages.success(
            request,
            _(
                "Erasure proposed. Another manager of the team, or its data protection officer, "
                "now approves or refuses it."
            ),
        )
        return redirect("erasure_request", erasure.pk)
    retention.legal_hold_place(actor=user, review=review, reason=data["reason"])
    messages.success(
        request, _("Legal hold placed: the record cannot be erased until it is lifted.")
    )
    return redirect("retention_due")


@require_http_methods(["GET", "POST"])
def retention_hold_lift(request, pk: int):
    access = _require_retention(request)
    hold = retention.hold_get_for(request.user, pk)
    if not access.can_hold(hold.team_id):
        raise PermissionDenied
    form = LiftHoldForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            retention.legal_hold_lift(
                actor=request.user, hold=hold, reason=form.cleaned_data["lift_reason"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Legal hold lifted."))
            return redirect("retention_due")
    _name_rows(access, [hold])
    return render(request, "ecm/retention_hold_lift.html", {"hold": hold, "form": form})


@require_http_methods(["GET", "POST"])
def erasure_request(request, pk: int):
    """An erasure request: approve or refuse it (another manager or the DPO), run it again
    after a failure; its progress while the worker erases (htmx polls this URL)."""
    access = _require_retention(request)
    erasure = retention.erasure_get_for(request.user, pk)
    refuse_form = RefuseErasureForm()
    if request.method == "POST":
        action = request.POST.get("action")
        if action not in ("approve", "refuse", "retry"):
            raise Http404
        if not access.can_approve_erasure(erasure):
            raise PermissionDenied
        try:
            if action == "approve":
                retention.erasure_approve(actor=request.user, request=erasure)
                messages.success(request, _("Erasure approved: a worker is erasing the record."))
                return redirect("erasure_request", erasure.pk)
            if action == "retry":
                retention.erasure_retry(actor=request.user, request=erasure)
                messages.success(request, _("The erasure runs again."))
                return redirect("erasure_request", erasure.pk)
            refuse_form = RefuseErasureForm(request.POST)
            if refuse_form.is_valid():
                retention.erasure_refuse(
                    actor=request.user,
                    request=erasure,
                    reason=refuse_form.cleaned_data["refusal_reason"],
                )
                messages.success(request, _("Erasure refused: nothing was erased."))
                return redirect("retention_due")
        except ValidationError as exc:
            if action == "refuse":
                add_service_errors(refuse_form, exc)
            else:
                messages.error(request, " ".join(exc.messages))
                return redirect("erasure_request", erasure.pk)
    context = {
        "erasure": erasure,
        "refuse_form": refuse_form,
        # The step in words, put into the reader's language by the template.
        "step_label": retention.ERASURE_STEPS.get(erasure.progress_step, erasure.progress_step),
    }
    if request.headers.get("HX-Request"):
        return HttpResponse(
            render_to_string("ecm/retention_erasure_progress.html", context, request)
        )
    _name_rows(access, [erasure])
    if erasure.child_id and request.method == "GET":
        audit_record(
            actor=request.user,
            action=AuditEvent.Action.VIEW,
            obj=erasure,
            child=erasure.child,
            team_id=erasure.team_id,
            detail=f"erasure {erasure.reference}",
        )
    context.update(
        {
            "can_decide": erasure.status == ErasureRequest.Status.PROPOSED
            and access.can_approve_erasure(erasure),
            "is_proposer": erasure.proposed_by_id == request.user.pk,
            "can_retry": (erasure.status == ErasureRequest.Status.FAILED or erasure.is_stale())
            and access.can_approve_erasure(erasure),
            "blocked": retention.erasure_blocked(erasure.child_id)
            if erasure.status == ErasureRequest.Status.PROPOSED
            else "",
        }
    )
    return render(request, "ecm/retention_erasure.html", context)
