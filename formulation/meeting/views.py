"""The formulation meeting pages: the workspace, scheduling, the meeting page and its forms,
the directory of partner professionals. Thin: parse with a form, call a service, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ecm.access import CASE_ROLES, PRACTITIONER_ROLES, access_for
from ecm.audit import audit_case_record, audit_record
from ecm.editing import StaleEditError, form_with_saved_version
from ecm.forms import add_service_errors
from ecm.models import AuditEvent, Role
from ecm.selectors import case_get_for, case_team_members
from referrals.services import consent_status

from ..trm import selectors as trm_selectors
from . import selectors, services
from .forms import (
    AttendeeForm,
    ChecklistTickForm,
    DevelopmentalMapForm,
    HeldForm,
    InvitationStatusForm,
    InviteForm,
    MinutesForm,
    ProfessionalForm,
    RecommendationForm,
    ReportAgenciesForm,
    ScheduleForm,
    TRMPlacementForm,
    WrittenInformationForm,
)
from .models import Invitation, Meeting

# --- Workspace and scheduling ---------------------------------------------------------------


@require_GET
def workspace(request, pk: int):
    case = case_get_for(request.user, pk)
    audit_record(
        actor=request.user, action=AuditEvent.Action.VIEW, obj=case, detail="formulation workspace"
    )
    return render(
        request,
        "formulation/workspace.html",
        {
            "case": case,
            "child": case.child,
            "meetings": list(selectors.meetings_for_case(case)),
            "can_schedule": access_for(request.user).can_schedule_meeting(case),
            "consent": consent_status(case),
        },
    )


def _schedule(request, case, kind: str):
    """The schedule form of either kind of meeting: the same form and service."""
    review = kind == Meeting.Kind.REVIEW
    if review:
        chairs = case_team_members(case, PRACTITIONER_ROLES)
        initial = selectors.review_meeting_defaults(case, request.user)
    else:
        chairs = case_team_members(case, [Role.SENIOR_PRACTITIONER])
        initial = {"chair": request.user.pk if chairs.filter(pk=request.user.pk).exists() else None}
    form = ScheduleForm(
        request.POST or None,
        chairs=chairs,
        psychologists=case_team_members(case, [Role.PSYCHOLOGIST]),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.meeting_schedule(
                actor=request.user, case=case, kind=kind, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if meeting.recorded_afterwards:
                messages.success(
                    request,
                    _("Meeting entered. Now record who attended, then record it as held.")
                    if not review
                    else _("Review meeting entered. Record who attended, then the review."),
                )
            else:
                messages.success(
                    request,
                    _("Meeting scheduled. Now invite the professionals.")
                    if not review
                    else _("Review meeting arranged. Now invite the professionals."),
                )
            return redirect("formulation:meeting", pk=meeting.pk)
    context = {
        "case": case,
        "child": case.child,
        "form": form,
        "consent": consent_status(case),
        "review": review,
    }
    return render(
        request, "formulation/schedule.html", context, status=400 if form.is_bound else 200
    )


@require_http_methods(["GET", "POST"])
def schedule(request, pk: int):
    case = case_get_for(request.user, pk)
    if not access_for(request.user).can_schedule_meeting(case):
        raise PermissionDenied
    return _schedule(request, case, Meeting.Kind.FORMULATION)


@require_http_methods(["GET", "POST"])
def arrange_review(request, pk: int):
    """Arrange the next review meeting (reached from the reviews page and panel)."""
    case = case_get_for(request.user, pk)
    if not access_for(request.user).can_arrange_review(case):
        raise PermissionDenied
    return _schedule(request, case, Meeting.Kind.REVIEW)


# --- Meeting page -------------------------------------------------------------------------


def _meeting_context(request, meeting: Meeting, **forms):
    """The meeting page: attendance, checklist, minutes, developmental map, TRM placement and
    recommendations, each with its form for those who may change it. `forms` replace the
    blank ones (a form sent back with its errors)."""
    case = meeting.case
    access = access_for(request.user)
    framework = trm_selectors.active_framework(case)
    stages = trm_selectors.stages_of(framework)
    placement = getattr(meeting, "trm_placement", None)  # None when not recorded yet
    dmap = getattr(meeting, "developmental_map", None)
    report = getattr(case, "report", None)  # the report, once started
    invitations = list(meeting.invitations.select_related("professional"))
    for invitation in invitations:
        invitation.status_form = InvitationStatusForm(invitation=invitation)
        invitation.written_form = WrittenInformationForm(invitation=invitation)
    checklist = [] if meeting.is_review else selectors.checklist(meeting, invitations=invitations)
    recommendations = list(meeting.recommendations.select_related("owner_user", "trm_stage"))
    placed = placement and {
        "stage": placement.stage_id,
        "presentation": placement.presentation,
        "underlying_need": placement.underlying_need,
        "intervention_recommendation": placement.intervention_recommendation,
    }
    review = meeting.is_review
    held_missing = (
        selectors.held_missing(meeting)
        if not review and meeting.status == Meeting.Status.SCHEDULED
        else []
    )
    ctx = {
        "meeting": meeting,
        "case": case,
        "child": case.child,
        "review": review,
        "checklist": [] if review else checklist,
        "held_missing": held_missing,
        "held_form": HeldForm(),
        "report_agencies_form": ReportAgenciesForm(
            choices=selectors.report_agency_choices(meeting, invitations),
            initial={"agencies": meeting.report_agencies},
        ),
        "can_record_held": access.can_record_meeting(case) and not review,
        "can_record_review": review and access.can_record_review(case),
        "review_id": getattr(getattr(meeting, "review", None), "pk", None) if review else None,
        "invitations": invitations,
        "recommendations": recommendations,
        "placement": placement,
        "dmap": dmap,
        "can_prepare": access.can_prepare_formulation(case),
        "can_record": access.can_record_meeting(case),
        "can_place": access.can_place_on_trm(case),
        "report_started": report is not None,
        "can_change_recs": access.can_change_recommendations(case, report)
        and not (report is not None and report.status == report.Status.FINAL),
        # The folded task forms are written into the page only when their section opens by
        # itself (or with a form sent back with its errors, in `forms`); otherwise opening
        # the section fetches it (`meeting_form`).
        "invite_form": _invite_form(request, meeting) if not invitations else None,
        "attendee_form": None,
        "minutes_form": MinutesForm(instance=meeting),
        "saved_minutes": MinutesForm(instance=meeting),
        "dmap_form": DevelopmentalMapForm(initial=dmap.__dict__ if dmap else None),
        "trm_form": TRMPlacementForm(stages=stages, initial=placed),
        "recommendation_form": _recommendation_form(meeting, stages, len(recommendations))
        if meeting.has_started and not recommendations
        else None,
        "framework": framework,
        # A retired framework (or none) takes no new placements: say so instead of a form
        # that could only answer "Select a valid choice".
        "placement_refusal": trm_selectors.framework_retired_message(framework)
        if framework is not None and not framework.is_active
        else None,
    }
    ctx.update(forms)
    return ctx


def _invite_form(request, meeting: Meeting) -> InviteForm:
    case = meeting.case
    return InviteForm(
        directory=selectors.directory_for(request.user, case),
        colleagues=case_team_members(case, CASE_ROLES),
    )


def _recommendation_form(meeting: Meeting, stages, n_recommendations: int) -> RecommendationForm:
    return RecommendationForm(
        stages=stages,
        people=case_team_members(meeting.case),
        initial={"sequence": n_recommendations + 1},
    )


#: The meeting page's folded task forms (`meeting_form`): heading and template of each.
FOLDED_FORMS = {
    "invite": (gettext_lazy("Invite a professional"), "formulation/_invite_form.html"),
    "attendee": (
        gettext_lazy("Add someone who attended without an invitation"),
        "formulation/_attendee_form.html",
    ),
    "recommendation": (
        gettext_lazy("Add a recommendation"),
        "formulation/_recommendation_form.html",
    ),
}


@require_GET
def meeting_form(request, pk: int, name: str):
    """One folded task form of the meeting page, blank: the part its section shows once
    opened (htmx), or, without JavaScript, a page of its own. It posts to the form's own
    address, which shows the meeting page again with what was typed on an error."""
    if name not in FOLDED_FORMS:
        raise Http404
    meeting = selectors.meeting_get_for(request.user, pk)
    case = meeting.case
    access = access_for(request.user)
    context = {"meeting": meeting, "case": case, "child": case.child}
    if name == "invite" and access.can_prepare_formulation(case):
        context["invite_form"] = _invite_form(request, meeting)
        if meeting.has_started:
            context["heading"] = _("Add someone who attended")
    elif name == "attendee" and access.can_prepare_formulation(case) and not meeting.has_started:
        context["attendee_form"] = AttendeeForm()
    elif name == "recommendation" and _can_add_recommendation(access, case):
        stages = trm_selectors.stages_of(trm_selectors.active_framework(case))
        n = meeting.recommendations.count()
        context["recommendation_form"] = _recommendation_form(meeting, stages, n)
    else:
        raise Http404
    heading, template = FOLDED_FORMS[name]
    context.setdefault("heading", heading)
    context["form_template"] = template
    if request.htmx:
        return render(request, template, context)
    audit_case_record(request.user, AuditEvent.Action.VIEW, meeting, case)
    return render(request, "formulation/meeting_form.html", context)


def _can_add_recommendation(access, case) -> bool:
    """What the meeting page asks before it offers the recommendation form."""
    report = getattr(case, "report", None)  # once started, they are changed in the report
    return report is None and access.can_change_recommendations(case, None)


@require_GET
def meeting_detail(request, pk: int):
    meeting = selectors.meeting_page_get_for(request.user, pk)
    audit_case_record(request.user, AuditEvent.Action.VIEW, meeting, meeting.case)
    return render(request, "formulation/meeting.html", _meeting_context(request, meeting))


def back_to_section(meeting: Meeting, anchor: str):
    return redirect(reverse("formulation:meeting", args=[meeting.pk]) + f"#{anchor}")


def meeting_form_post(request, pk, form_name, build_form, act, success):
    """The flow of the meeting page's forms: validate, call the service, go back to the
    form's section; on error show the page with what was typed and the reason (a stale
    edit carries the saved version, shown beside it)."""
    meeting = selectors.meeting_get_for(request.user, pk)
    form = build_form(meeting)
    if form.is_valid():
        try:
            act(meeting, form)
        except StaleEditError as exc:
            form = form_with_saved_version(
                type(form), request.POST, meeting, exc, instance=form.instance
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, success)
            return back_to_section(meeting, form_name.removesuffix("_form"))
    context = _meeting_context(request, meeting, **{form_name: form})
    return render(request, "formulation/meeting.html", context)


@require_POST
def invite(request, pk: int):
    def build(meeting):
        directory = selectors.directory_for(request.user, meeting.case)
        colleagues = case_team_members(meeting.case, CASE_ROLES)
        return InviteForm(request.POST, directory=directory, colleagues=colleagues)

    def act(meeting, form):
        invitation = services.invitation_add(
            actor=request.user, meeting=meeting, **form.cleaned_data
        )
        if invitation.delivery == Invitation.Delivery.NO_EMAIL:
            messages.warning(request, invitation.delivery_error)

    return meeting_form_post(request, pk, "invite_form", build, act, _("Invitation added."))


@require_POST
def add_attendee(request, pk: int):
    def act(meeting, form):
        services.invitation_add(
            actor=request.user, meeting=meeting, attended_only=True, **form.cleaned_data
        )

    def build(meeting):
        return AttendeeForm(request.POST)

    return meeting_form_post(request, pk, "attendee_form", build, act, _("Attendee added."))


@require_POST
def invitation_update(request, pk: int, invitation_id: int):
    """The status of an invitation, or the written information sent (its own form)."""
    meeting = selectors.meeting_get_for(request.user, pk)
    invitation = get_object_or_404(meeting.invitations, pk=invitation_id)
    form_class = InvitationStatusForm if "status" in request.POST else WrittenInformationForm
    form = form_class(request.POST, invitation=invitation)
    try:
        if not form.is_valid():
            raise ValidationError([e for errors in form.errors.values() for e in errors])
        services.invitation_update(actor=request.user, invitation=invitation, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Saved for %(n)s.") % {"n": invitation.name})
    return back_to_section(meeting, "invitations")


@require_POST
def checklist_tick(request, pk: int):
    meeting = selectors.meeting_get_for(request.user, pk)
    form = ChecklistTickForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("That item ticks itself from the case record."))
        services.checklist_tick(actor=request.user, meeting=meeting, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return back_to_section(meeting, "checklist")


@require_POST
def minutes(request, pk: int):
    def build(meeting):
        return MinutesForm(request.POST, instance=Meeting.objects.get(pk=meeting.pk))

    def act(meeting, form):
        services.meeting_record_save(
            actor=request.user,
            meeting=meeting,
            data=form.model_data(),
            expected_version=form.cleaned_data["version"],
        )

    return meeting_form_post(request, pk, "minutes_form", build, act, _("Minutes saved."))


@require_POST
def developmental_map(request, pk: int):
    def act(meeting, form):
        services.developmental_map_save(actor=request.user, meeting=meeting, data=form.cleaned_data)

    def build(meeting):
        return DevelopmentalMapForm(request.POST)

    return meeting_form_post(request, pk, "dmap_form", build, act, _("Developmental map saved."))


@require_POST
def trm_placement(request, pk: int):
    def build(meeting):
        return TRMPlacementForm(request.POST, stages=trm_selectors.stages_for(meeting.case))

    def act(meeting, form):
        services.trm_placement_save(actor=request.user, meeting=meeting, **form.cleaned_data)

    meeting = selectors.meeting_get_for(request.user, pk)
    if not access_for(request.user).can_place_on_trm(meeting.case):
        raise PermissionDenied
    return meeting_form_post(request, pk, "trm_form", build, act, _("TRM placement saved."))


@require_POST
def mark_held(request, pk: int):
    meeting = selectors.meeting_get_for(request.user, pk)
    form = HeldForm(request.POST)
    form.is_valid()  # one optional text field: always valid
    try:
        services.meeting_mark_held(
            actor=request.user,
            meeting=meeting,
            incomplete_reason=form.cleaned_data.get("incomplete_reason", ""),
        )
    except services.IncompleteMeetingError as exc:
        form.add_error("incomplete_reason", exc.messages)
        context = _meeting_context(request, meeting, held_form=form)
        return render(request, "formulation/meeting.html", context, status=400)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Meeting recorded as held; the case is active."))
    return redirect("formulation:meeting", pk=meeting.pk)


@require_POST
def report_agencies(request, pk: int):
    meeting = selectors.meeting_get_for(request.user, pk)
    invitations = list(meeting.invitations.all())
    form = ReportAgenciesForm(
        request.POST, choices=selectors.report_agency_choices(meeting, invitations)
    )
    try:
        if not form.is_valid():
            raise ValidationError(_("Choose agencies from the list."))
        services.meeting_report_agencies_save(
            actor=request.user, meeting=meeting, agencies=form.cleaned_data["agencies"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Agencies that will receive the report saved."))
    return back_to_section(meeting, "checklist")


# --- Directory ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def directory(request):
    teams = selectors.directory_teams_for(request.user)
    if not teams:
        raise PermissionDenied
    form = ProfessionalForm(request.POST or None, teams=teams)
    if request.method == "POST" and form.is_valid():
        try:
            services.professional_save(
                actor=request.user, team_id=form.chosen_team().pk, data=form.model_data()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Added to the directory."))
            return redirect("formulation:directory")
    professionals = selectors.directory_for(request.user)
    return render(
        request, "formulation/directory.html", {"form": form, "professionals": professionals}
    )
