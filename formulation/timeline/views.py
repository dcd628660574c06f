"""The case information summary, and the live timeline (htmx) with its projector view."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget, trigger_client_event

from ecm.access import access_for
from ecm.audit import audit_record
from ecm.editing import StaleEditError, form_with_saved_version
from ecm.forms import add_service_errors
from ecm.models import AuditEvent
from ecm.selectors import case_get_for

from ..forms import RemoveForm
from . import selectors, services
from .forms import SummaryItemForm, TimelineEventForm
from .models import SummaryItem, TimelineEvent


@require_http_methods(["GET", "POST"])
def summary(request, pk: int):
    """The entries by kind, the offences from the referral, a form to add an entry and a
    Remove button on each ("delete")."""
    case = case_get_for(request.user, pk)
    can_prepare = access_for(request.user).can_prepare_formulation(case)
    if request.method == "POST" and not can_prepare:
        raise PermissionDenied
    form = SummaryItemForm(request.POST if "add" in request.POST else None)
    if "delete" in request.POST:
        remove = RemoveForm(request.POST, queryset=SummaryItem.objects.filter(child=case.child))
        if not remove.is_valid():
            raise Http404
        services.summary_item_delete(
            actor=request.user, case=case, item=remove.cleaned_data["delete"]
        )
        return redirect("formulation:summary", pk=case.pk)
    if form.is_bound and form.is_valid():
        try:
            services.summary_item_save(actor=request.user, case=case, data=form.model_data())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Entry added to the case summary."))
            return redirect("formulation:summary", pk=case.pk)
    audit_record(actor=request.user, action=AuditEvent.Action.VIEW, obj=case, detail="case summary")
    return render(
        request,
        "formulation/summary.html",
        {
            "case": case,
            "child": case.child,
            "groups": selectors.summary_groups(case),
            "form": form,
            "offences": list(selectors.offences_for(request.user, case)),
            "can_prepare": can_prepare,
        },
    )


@require_http_methods(["GET", "POST"])
def summary_item_edit(request, pk: int, item_id: int):
    """Change a case-summary entry: its words, dates, and the category its timeline event is
    drawn in (a significant event entered as family can become a loss)."""
    case = case_get_for(request.user, pk)
    if not access_for(request.user).can_prepare_formulation(case):
        raise PermissionDenied
    item = SummaryItem.objects.filter(child_id=case.child_id, pk=item_id).first()
    if item is None:
        raise Http404
    form = SummaryItemForm(request.POST or None, instance=SummaryItem.objects.get(pk=item.pk))
    if request.method == "GET":
        form.initial["category"] = item.timeline_category
    status = 200
    if form.is_bound:
        if form.is_valid():
            try:
                services.summary_item_save(
                    actor=request.user, case=case, item=item, data=form.model_data()
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Case summary entry saved."))
                return redirect("formulation:summary", pk=case.pk)
        status = 400
    return render(
        request,
        "formulation/summary_item_edit.html",
        {"case": case, "child": case.child, "item": item, "form": form},
        status=status,
    )


def _timeline_context(request, case, *, form=None, edit_form=None):
    events = list(selectors.timeline_events(case))
    return {
        "case": case,
        "child": case.child,
        "events": events,
        "svg": selectors.timeline_svg(request.user, case, events=events),
        "form": form or TimelineEventForm(),
        "edit_form": edit_form,
        "can_prepare": access_for(request.user).can_prepare_formulation(case),
    }


def _timeline_response(request, case, **forms):
    """The updated workspace for htmx; the page again when a form has errors; else back."""
    if request.htmx:
        return HttpResponse(
            render_to_string(
                "formulation/_timeline_workspace.html",
                _timeline_context(request, case, **forms),
                request=request,
            )
        )
    if any(form is not None for form in forms.values()):
        return render(
            request, "formulation/timeline.html", _timeline_context(request, case, **forms)
        )
    return redirect("formulation:timeline", pk=case.pk)


@require_GET
def timeline(request, pk: int):
    case = case_get_for(request.user, pk)
    audit_record(actor=request.user, action=AuditEvent.Action.VIEW, obj=case, detail="timeline")
    return render(request, "formulation/timeline.html", _timeline_context(request, case))


@require_GET
def timeline_present(request, pk: int):
    """Full-screen view for the projector; refreshes itself while the chair edits."""
    case = case_get_for(request.user, pk)
    if request.htmx:
        return HttpResponse(selectors.timeline_svg(request.user, case, screen=True))
    audit_record(
        actor=request.user, action=AuditEvent.Action.VIEW, obj=case, detail="timeline (full screen)"
    )
    return render(
        request,
        "formulation/timeline_present.html",
        {
            "case": case,
            "child": case.child,
            "svg": selectors.timeline_svg(request.user, case, screen=True),
        },
    )


def _timeline_added(request, case):
    """What an added event changes (htmx): the events table (the response's target) and the
    drawing with its count (out of band). The add form is not sent again: the page empties
    it on the "ecm-form-saved" event, as a new form would be."""
    events = list(selectors.timeline_events(case))
    context = {
        "case": case,
        "events": events,
        "svg": selectors.timeline_svg(request.user, case, events=events),
        "can_prepare": access_for(request.user).can_prepare_formulation(case),
    }
    response = HttpResponse(
        render_to_string("formulation/_timeline_added.html", context, request=request)
    )
    retarget(response, "#timeline-events")
    reswap(response, "outerHTML")
    return trigger_client_event(response, "ecm-form-saved")


@require_POST
def timeline_event_add(request, pk: int):
    case = case_get_for(request.user, pk)
    form = TimelineEventForm(request.POST)
    if form.is_valid():
        try:
            services.timeline_event_save(actor=request.user, case=case, data=form.model_data())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if request.htmx:
                return _timeline_added(request, case)
            return _timeline_response(request, case)
    return _timeline_response(request, case, form=form)


@require_http_methods(["GET", "POST"])
def timeline_event_edit(request, pk: int, event_id: int):
    """GET: the row's edit form (htmx). POST: save it, or delete the event ("delete")."""
    case = case_get_for(request.user, pk)
    event = selectors.timeline_events(case).filter(pk=event_id).first()
    if event is None:
        raise Http404
    if request.method == "GET":
        return render(
            request,
            "formulation/_timeline_edit.html",
            {"case": case, "event": event, "edit_form": TimelineEventForm(instance=event)},
        )
    if "delete" in request.POST:
        try:
            services.timeline_event_delete(actor=request.user, case=case, event=event)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return _timeline_response(request, case)
    # The form validates a copy, so `event` stays as saved for the row's heading.
    form = TimelineEventForm(request.POST, instance=TimelineEvent.objects.get(pk=event.pk))
    if form.is_valid():
        try:
            services.timeline_event_save(
                actor=request.user,
                case=case,
                event=event,
                data=form.model_data(),
                expected_version=form.cleaned_data["version"],
            )
        except StaleEditError as exc:
            form = form_with_saved_version(
                TimelineEventForm, request.POST, event, exc, instance=form.instance
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return _timeline_response(request, case)
    form.editing = event
    return _timeline_response(request, case, edit_form=form)
