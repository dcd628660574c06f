"""The genogram page: the drawing, the family members and partnerships, and their forms."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ecm.access import access_for
from ecm.audit import audit_record
from ecm.editing import StaleEditError, form_with_saved_version
from ecm.forms import add_service_errors
from ecm.models import AuditEvent
from ecm.selectors import case_get_for

from ..forms import RemoveForm
from . import selectors, services
from .forms import FamilyMemberForm, PartnershipForm
from .models import FamilyMember

SELF = FamilyMember.Relationship.SELF

#: `?edit=` for the child before their own row exists (they are drawn from their record).
CHILD_FROM_RECORD = "child"


@require_http_methods(["GET", "POST"])
def genogram(request, pk: int):
    """One page, three forms, told apart by the button that sent them: "member" (add or
    change someone, ?edit=<pk>), "partnership" and "delete"."""
    case = case_get_for(request.user, pk)
    can_prepare = access_for(request.user).can_prepare_formulation(case)
    if request.method == "POST" and not can_prepare:
        raise PermissionDenied
    members = selectors.family_members(case)
    edit = next(
        (m for m in members if str(m.pk or CHILD_FROM_RECORD) == request.GET.get("edit")), None
    )
    saved = selectors.saved_family_members(case)
    choices = saved.exclude(pk=edit.pk) if edit and edit.pk else saved
    post = request.POST if request.method == "POST" else None
    form = FamilyMemberForm(
        post if "member" in request.POST else None, instance=edit, members=choices
    )
    partnership_form = PartnershipForm(
        post if "partnership" in request.POST else None, members=saved
    )
    if post is not None:
        try:
            done = _save(request, case, edit, form, partnership_form, saved)
        except StaleEditError as exc:
            form = form_with_saved_version(
                FamilyMemberForm, request.POST, edit, exc, instance=edit, members=choices
            )
        else:
            if done:
                messages.success(request, done)
                return redirect("formulation:genogram", pk=case.pk)
    audit_record(actor=request.user, action=AuditEvent.Action.VIEW, obj=case, detail="genogram")
    return render(
        request,
        "formulation/genogram.html",
        {
            "case": case,
            "child": case.child,
            "members": members,
            "partnerships": list(case.child.partnerships.select_related("a", "b")),
            "svg": selectors.genogram_svg(case),
            "form": form,
            "edit": edit,
            "partnership_form": partnership_form,
            "can_prepare": can_prepare,
        },
    )


def _save(request, case, edit, form, partnership_form, saved) -> str:
    """Save what was posted; the message to show, or "" when a form has errors to show."""
    actor = request.user
    if "member" in request.POST and form.is_valid():
        try:
            services.family_member_save(
                actor=actor,
                case=case,
                data=form.model_data(),
                member=edit if edit and edit.pk else None,
                expected_version=form.cleaned_data["version"],
            )
        except StaleEditError:
            raise
        except ValidationError as exc:
            add_service_errors(form, exc)
            return ""
        return _("Family member saved.")
    if "partnership" in request.POST and partnership_form.is_valid():
        try:
            services.partnership_save(actor=actor, case=case, **partnership_form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(partnership_form, exc)
            return ""
        return _("Partnership saved.")
    if "delete" in request.POST:
        remove = RemoveForm(request.POST, queryset=saved.exclude(relationship=SELF))
        if not remove.is_valid():
            raise Http404
        services.family_member_delete(actor=actor, case=case, member=remove.cleaned_data["delete"])
        return _("Removed from the genogram.")
    return ""
