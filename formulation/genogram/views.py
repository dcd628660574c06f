"""The genogram page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ecm.access import access_for
from ecm.audit import audit_record
from ecm.forms import add_service_errors
from ecm.models import AuditEvent
from ecm.selectors import case_get_for

from . import selectors, services
from .forms import FamilyMemberForm, PartnershipForm
from .models import FamilyMember


@require_http_methods(["GET", "POST"])
def genogram(request, pk: int):
    case = case_get_for(request.user, pk)
    can_prepare = access_for(request.user).can_prepare_formulation(case)
    if can_prepare:
        services.ensure_index_member(case)
    members = FamilyMember.objects.filter(child=case.child)
    edit = None
    if request.GET.get("edit", "").isdigit():
        edit = members.filter(pk=int(request.GET["edit"])).first()
    form = FamilyMemberForm(
        request.POST if "member" in request.POST else None,
        instance=edit,
        members=members.exclude(pk=edit.pk) if edit else members,
    )
    partnership_form = PartnershipForm(
        request.POST if "partnership" in request.POST else None, members=members
    )
    if request.method == "POST":
        if not can_prepare:
            raise PermissionDenied
        if "member" in request.POST and form.is_valid():
            data = {k: form.cleaned_data[k] for k in FamilyMemberForm.Meta.fields}
            try:
                services.family_member_save(
                    actor=request.user,
                    case=case,
                    data=data,
                    member=edit,
                    expected_version=form.cleaned_data.get("version"),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Family member saved."))
                return redirect("formulation:genogram", pk=case.pk)
        if "partnership" in request.POST and partnership_form.is_valid():
            data = partnership_form.cleaned_data
            try:
                services.partnership_save(
                    actor=request.user,
                    case=case,
                    a=data["a"],
                    b=data["b"],
                    status=data["status"],
                    start_year=data["start_year"],
                    end_year=data["end_year"],
                )
            except ValidationError as exc:
                add_service_errors(partnership_form, exc)
            else:
                messages.success(request, _("Partnership saved."))
                return redirect("formulation:genogram", pk=case.pk)
        if "delete" in request.POST:
            member = members.filter(pk=request.POST.get("delete")).first()
            if member is None:
                raise Http404
            services.family_member_delete(actor=request.user, case=case, member=member)
            messages.success(request, _("Removed from the genogram."))
            return redirect("formulation:genogram", pk=case.pk)
    audit_record(actor=request.user, action=AuditEvent.Action.VIEW, obj=case, detail="genogram")
    return render(
        request,
        "formulation/genogram.html",
        {
            "case": case,
            "child": case.child,
            "members": list(members.select_related("mother", "father")),
            "partnerships": list(case.child.partnerships.select_related("a", "b")),
            "svg": selectors.genogram_svg(case),
            "form": form,
            "edit": edit,
            "partnership_form": partnership_form,
            "can_prepare": can_prepare,
        },
    )
