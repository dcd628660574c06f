"""Subject access pages: the child's requests and a new one (from the case page), the review
of third-party information, the build's progress (polled by htmx), and the download."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ecm.access import access_for
from ecm.audit import audit_record
from ecm.editing import StaleEditError
from ecm.forms import add_service_errors
from ecm.models import AuditEvent
from ecm.selectors import case_get_for

from . import selectors, services
from .forms import DecisionsForm, RequestForm
from .models import SubjectAccessRequest


def _case_for_manager(request, pk: int):
    case = case_get_for(request.user, pk)  # 404 when the case is not visible at all
    if not access_for(request.user).can_handle_subject_access(case):
        raise PermissionDenied
    return case


@require_http_methods(["GET", "POST"])
def child_requests(request, pk: int):
    """The subject access requests about the child of case `pk`, and a form for a new one."""
    case = _case_for_manager(request, pk)
    form = RequestForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            sar = services.subject_access_request(
                actor=request.user, case=case, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            status = 400
        else:
            messages.success(request, _("Request recorded. Review the third-party information."))
            return redirect("monitoring:subject_access", sar_id=sar.pk)
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "monitoring/subject_access/child.html",
        {"case": case, "form": form, "requests": selectors.child_requests_for(request.user, case)},
        status=status,
    )


def _detail(request, sar: SubjectAccessRequest, form=None, status=200):
    items = list(sar.items.select_related("decided_by"))
    if form is None and sar.status == SubjectAccessRequest.Status.REVIEW:
        form = DecisionsForm(items=items)
    return render(
        request,
        "monitoring/subject_access/detail.html",
        {
            "sar": sar,
            "case": sar.case,
            "items": items,
            "form": form,
            "pending": sum(1 for i in items if i.decision == i.Decision.PENDING),
            "withheld": [i for i in items if i.withheld],
        },
        status=status,
    )


@require_GET
def detail(request, sar_id: int):
    """The review of third-party information, then the build's progress and the download.
    An htmx poll gets the progress block alone (and is not audited as a view)."""
    sar = selectors.subject_access_get_for(request.user, sar_id)
    if request.headers.get("HX-Request"):
        html = render_to_string("monitoring/subject_access/_progress.html", {"sar": sar}, request)
        return HttpResponse(html)
    audit_record(
        actor=request.user,
        action=AuditEvent.Action.VIEW,
        obj=sar,
        child=sar.child,
        team_id=sar.team_id,
        detail="subject access request",
    )
    return _detail(request, sar)


@require_POST
def decide(request, sar_id: int):
    sar = selectors.subject_access_get_for(request.user, sar_id)
    items = list(sar.items.all())
    form = DecisionsForm(request.POST, items=items)
    if form.is_valid():
        try:
            services.subject_access_decide(actor=request.user, sar=sar, decisions=form.decisions())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Decisions saved."))
            return redirect("monitoring:subject_access", sar_id=sar.pk)
    return _detail(request, sar, form=form, status=400)


@require_POST
def release(request, sar_id: int):
    sar = selectors.subject_access_get_for(request.user, sar_id)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = -1
    try:
        services.subject_access_release(actor=request.user, sar=sar, version=version)
    except StaleEditError as exc:
        messages.error(request, " ".join(exc.messages))
        return _detail(request, sar, status=409)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _detail(request, sar, status=400)
    return redirect("monitoring:subject_access", sar_id=sar.pk)


@require_GET
def download(request, sar_id: int):
    """The bundle, from private storage, to a manager of the request's team: audited."""
    sar = selectors.subject_access_get_for(request.user, sar_id)
    try:
        data = services.subject_access_download(actor=request.user, sar=sar)
    except ValidationError:
        raise Http404 from None
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{sar.filename}"'
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def case_panel(request, case) -> str:
    """On the case page, for a manager of the owning team: the child's requests (one query)."""
    if not access_for(request.user).can_handle_subject_access(case):
        return ""
    latest = selectors.subject_access_requests_for(request.user).filter(child_id=case.child_id)
    return render_to_string(
        "monitoring/subject_access/case_panel.html",
        {"case": case, "latest": latest.first()},
        request=request,
    )
