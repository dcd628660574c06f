"""The page of a re-opened episode's decision on the formulation."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ecm.access import access_for
from ecm.audit import audit_record
from ecm.dates import display_date
from ecm.editing import StaleEditError, form_with_saved_version
from ecm.forms import add_service_errors
from ecm.models import AuditEvent, CaseStatus
from ecm.selectors import case_get_for

from . import services
from .forms import FormulationDecisionForm


@require_http_methods(["GET", "POST"])
def formulation_decision(request, pk: int):
    """Another formulation meeting, or the formulation carried forward: for the psychologist
    or the case manager of a re-opened episode preparing for formulation."""
    case = case_get_for(request.user, pk)
    if not access_for(request.user).can_decide_formulation_need(case):
        raise PermissionDenied
    if case.status != CaseStatus.PREPARATION:
        messages.info(
            request,
            _("Whether another formulation meeting is needed is decided while preparing for it."),
        )
        return redirect(reverse("case_detail", args=[case.pk]))
    initial = {"version": case.version, "decision": case.formulation_decision or None}
    if case.formulation_decision_note:
        initial["note"] = case.formulation_decision_note
    form = FormulationDecisionForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "GET":  # the page names the child
        audit_record(
            actor=request.user,
            action=AuditEvent.Action.VIEW,
            obj=case,
            detail="formulation decision",
        )
    elif form.is_valid():
        data = form.cleaned_data
        try:
            case = services.reopened_formulation_decide(
                actor=request.user,
                case=case,
                decision=data["decision"],
                note=data["note"],
                first_review_on=data["first_review_on"],
                expected_version=data["version"],
            )
        except StaleEditError as exc:
            form = form_with_saved_version(FormulationDecisionForm, request.POST, case, exc)
            status = 409
        except ValidationError as exc:
            add_service_errors(form, exc)
            status = 400
        else:
            if case.status == CaseStatus.ACTIVE:
                messages.success(
                    request,
                    _(
                        "Formulation carried forward: %(ref)s is active. Arrange the first "
                        "review of this episode (due by %(d)s)."
                    )
                    % {"ref": case.reference, "d": display_date(case.first_review_on)},
                )
            else:
                messages.success(
                    request,
                    _("Recorded: another formulation meeting is needed. Prepare for it as usual."),
                )
            return redirect(reverse("case_detail", args=[case.pk]))
    else:
        status = 400
    return render(
        request,
        "formulation/decision.html",
        {
            "case": case,
            "child": case.child,
            "form": form,
            "cannot_carry": services.can_carry_forward(case),
        },
        status=status,
    )
