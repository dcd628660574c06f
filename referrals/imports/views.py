"""The import pages: upload, preview (nothing written yet), confirm or abandon, progress.

Only a YOT's senior practitioners and managers import (`Access.can_import_children`): for
anyone else every import page is a 403; an import of a team the user may not import into is
a 404. Views are thin: the services parse, plan and write."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ecm.access import access_for
from ecm.audit import audit_record
from ecm.models import AuditEvent, Team

from ..models import ChildImport
from . import services
from .forms import ImportConfirmForm, ImportUploadForm
from .parsing import COLUMN_LABELS, COLUMNS
from .planning import DETAILS

#: How many errors and children the preview lists (the counts cover them all).
SHOWN = 200


def _import_teams(request):
    team_ids = access_for(request.user).import_team_ids()
    if not team_ids:
        raise PermissionDenied
    return Team.objects.filter(pk__in=team_ids, is_active=True).order_by("name")


def _job(request, pk) -> ChildImport:
    teams = _import_teams(request)
    try:
        return ChildImport.objects.select_related("team").get(pk=pk, team__in=teams)
    except ChildImport.DoesNotExist:
        raise Http404 from None


@require_http_methods(["GET", "POST"])
def import_start(request):
    teams = _import_teams(request)
    form = ImportUploadForm(request.POST or None, request.FILES or None, teams=teams)
    status = 200
    if request.method == "POST":
        status = 400
        if getattr(request, "upload_too_large", False):
            form.is_valid()
            limit = filesizeformat(settings.ASSETPLUS_MAX_BYTES)
            form.add_error(
                "file",
                _("The file is larger than %(limit)s: split it into smaller files.")
                % {"limit": limit},
            )
            status = 413
        elif form.is_valid():
            try:
                job, _plan = services.import_upload(
                    actor=request.user,
                    team=form.cleaned_data["team"],
                    upload=form.cleaned_data["file"],
                )
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error("file", message)
            else:
                return redirect("referrals:import_detail", pk=job.pk)
    recent = ChildImport.objects.filter(team__in=teams).select_related("team", "created_by")[:10]
    columns = [(name, COLUMN_LABELS[name], required) for name, required in COLUMNS.items()]
    return render(
        request,
        "referrals/import_start.html",
        {"form": form, "recent": recent, "columns": columns},
        status=status,
    )


def _preview_context(job: ChildImport) -> dict:
    plan = services.job_plan(job)
    labels = {name: COLUMN_LABELS[name] for name in DETAILS}
    updates = [
        {"plan": p, "changed": [labels[name] for name in p.changed]} for p in plan.updates[:SHOWN]
    ]
    return {
        "plan": plan,
        "counts": plan.counts(),
        "errors": plan.errors[:SHOWN],
        "more_errors": max(len(plan.errors) - SHOWN, 0),
        "creates": plan.creates[:SHOWN],
        "more_creates": max(len(plan.creates) - SHOWN, 0),
        "updates": updates,
        "more_updates": max(len(plan.updates) - SHOWN, 0),
        "unchanged_with_offences": sum(1 for p in plan.unchanged if p.offences),
        "shown_children": [p.child.pk for p in plan.updates[:SHOWN]],
    }


@require_GET
def import_detail(request, pk):
    """The preview while the import waits for confirmation; its progress, then its outcome."""
    job = _job(request, pk)
    ctx = {"job": job}
    if job.status != ChildImport.Status.PREVIEW:
        if request.headers.get("HX-Request"):
            return HttpResponse(render_to_string("referrals/_import_progress.html", ctx, request))
        return render(request, "referrals/import_progress.html", ctx)
    try:
        ctx.update(_preview_context(job))
    except ValidationError as exc:  # the file is kept only if it could be read
        ctx["file_error"] = " ".join(exc.messages)
    else:
        audit_record(
            actor=request.user,
            action=AuditEvent.Action.VIEW,
            obj=job,
            team_id=job.team_id,
            detail="import preview",
            listed={"children": ctx["shown_children"]},
        )
    seen = services.counts_token(ctx["counts"]) if "counts" in ctx else ""
    ctx["confirm_form"] = ImportConfirmForm(initial={"seen": seen})
    return render(request, "referrals/import_preview.html", ctx)


@require_POST
def import_confirm(request, pk):
    job = _job(request, pk)
    form = ImportConfirmForm(request.POST)
    form.is_valid()
    try:
        services.import_confirm(
            actor=request.user,
            job=job,
            skip_invalid=form.cleaned_data.get("skip_invalid", False),
            seen=form.cleaned_data.get("seen") or None,
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect("referrals:import_detail", pk=job.pk)


@require_POST
def import_cancel(request, pk):
    job = _job(request, pk)
    try:
        services.import_cancel(actor=request.user, job=job)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("referrals:import_detail", pk=job.pk)
    messages.info(request, _("Import abandoned: nothing was written, and the file is deleted."))
    return redirect("referrals:import_start")
