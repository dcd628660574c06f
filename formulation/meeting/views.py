"""The formulation meeting pages: workspace, scheduling, the meeting page and its forms,
the directory of partner professionals."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ecm.access import access_for
from ecm.audit import audit_case_record, audit_record
from ecm.forms import add_service_errors
from ecm.models import AuditEvent, Role
from ecm.selectors import case_get_for
from referrals.services import consent_status

from ..report import selectors as report_selectors
from ..trm import selectors as trm_selectors
from ..trm.forms import TRMPlacementForm
from . import selectors, services
from .forms import (
    AttendeeForm,
    DevelopmentalMapForm,
    InviteForm,
    MinutesForm,
    ProfessionalForm,
    RecommendationForm,
    ScheduleForm,
)
from .models import Invitation, Meeting


@require_GET
def workspace(request, pk: int):
    case = case_get_for(request.user, pk)
    meetings = list(selectors.meetings_for_case(case))
    audit_record(
        actor=request.user, action=AuditEvent.Action.VIEW, obj=case, detail="formulation workspace"
    )
    return render(
        request,
        "formulation/workspace.html",
        {
            "case": case,
            "child": case.child,
            "meetings": meetings,
            "can_schedule": access_for(request.user).can_schedule_meeting(case),
            "consent": consent_status(case),
        },
    )


@require_http_methods(["GET", "POST"])
def schedule(request, pk: int):
    case = case_get_for(request.user, pk)
    if not access_for(request.user).can_schedule_meeting(case):
        raise PermissionDenied
    chairs = selectors.case_staff(case, [Role.SENIOR_PRACTITIONER])
    psychologists = selectors.case_staff(case, [Role.PSYCHOLOGIST])
    form = ScheduleForm(
        request.POST or None,
        chairs=chairs,
        psychologists=psychologists,
        initial={"chair": request.user.pk if chairs.filter(pk=request.user.pk).exists() else None},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meeting = services.meeting_schedule(
                actor=request.user,
                case=case,
                starts_at=data["starts_at"],
                chair=data["chair"],
                psychologist=data["psychologist"],
                location=data["location"],
                online_link=data["online_link"],
                duration_minutes=data["duration_minutes"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Meeting scheduled. Now invite the professionals."))
            return redirect("formulation:meeting", pk=meeting.pk)
    return render(
        request,
        "formulation/schedule.html",
        {
            "case": case,
            "child": case.child,
            "form": form,
            "consent": consent_status(case),
        },
    )


def _meeting_context(request, meeting: Meeting, **forms):
    case = meeting.case
    user = request.user
    stages = trm_selectors.stages_for(case)
    people = selectors.case_staff(case)
    placement = getattr(meeting, "trm_placement", None)  # None when not recorded yet
    dmap = getattr(meeting, "developmental_map", None)
    report = report_selectors.report_for_case(case)
    report_started = report is not None
    report_final = report_started and report.status == "final"
    ctx = {
        "meeting": meeting,
        "case": case,
        "child": case.child,
        "checklist": selectors.checklist(meeting),
        "invitations": list(meeting.invitations.select_related("professional")),
        "statuses": Invitation.Status.choices,
        "recommendations": list(meeting.recommendations.select_related("owner_user", "trm_stage")),
        "placement": placement,
        "dmap": dmap,
        "can_prepare": access_for(user).can_prepare_formulation(case),
        "can_record": access_for(user).can_record_meeting(case),
        "can_place": access_for(user).can_place_on_trm(case),
        "report_started": report_started,
        "can_change_recs": access_for(user).can_change_recommendations(case, report)
        and not report_final,
        "invite_form": InviteForm(directory=selectors.directory_for(user, case)),
        "attendee_form": AttendeeForm(),
        "minutes_form": MinutesForm(instance=meeting),
        "dmap_form": DevelopmentalMapForm(initial=dmap.__dict__ if dmap else None),
        "trm_form": TRMPlacementForm(
            stages=stages,
            initial={
                "stage": placement.stage_id,
                "presentation": placement.presentation,
                "underlying_need": placement.underlying_need,
                "intervention_recommendation": placement.intervention_recommendation,
            }
            if placement
            else None,
        ),
        "recommendation_form": RecommendationForm(
            stages=stages,
            people=people,
            initial={"sequence": len(meeting.recommendations.all()) + 1},
        ),
        "framework": trm_selectors.active_framework(case),
    }
    ctx.update(forms)
    return ctx


@require_GET
def meeting_detail(request, pk: int):
    meeting = selectors.meeting_get_for(request.user, pk)
    audit_case_record(request.user, AuditEvent.Action.VIEW, meeting, meeting.case)
    return render(request, "formulation/meeting.html", _meeting_context(request, meeting))


def _meeting_post(request, pk, form_name, build_form, act, success):
    """Shared flow for the meeting page's forms: validate, call the service, redirect; on
    error re-render the page with the user's input and the reason."""
    meeting = selectors.meeting_get_for(request.user, pk)
    form = build_form(meeting)
    if form.is_valid():
        try:
            act(meeting, form)
        except PermissionDenied:
            raise
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, success)
            return redirect(
                reverse("formulation:meeting", args=[meeting.pk])
                + "#"
                + form_name.replace("_form", "")
            )
    return render(
        request, "formulation/meeting.html", _meeting_context(request, meeting, **{form_name: form})
    )


@require_POST
def invite(request, pk: int):
    def build(meeting):
        return InviteForm(
            request.POST, directory=selectors.directory_for(request.user, meeting.case)
        )

    def act(meeting, form):
        data = form.cleaned_data
        professional = data["professional"]
        if professional is None and data["save_to_directory"]:
            professional = services.professional_save(
                actor=request.user,
                team_id=meeting.case.team_id,
                data={
                    "name": data["name"],
                    "role": data["role"] or "-",
                    "agency": data["agency"],
                    "email": data["email"],
                },
            )
        invitation = services.invitation_add(
            actor=request.user,
            meeting=meeting,
            professional=professional,
            name=data["name"],
            role=data["role"],
            agency=data["agency"],
            email=data["email"],
            involvement=data["involvement"],
        )
        if invitation.delivery == Invitation.Delivery.NO_EMAIL:
            messages.warning(request, invitation.delivery_error)

    return _meeting_post(request, pk, "invite_form", build, act, _("Invitation added."))


@require_POST
def add_attendee(request, pk: int):
    def act(meeting, form):
        services.invitation_add(
            actor=request.user, meeting=meeting, attended_only=True, **form.cleaned_data
        )

    return _meeting_post(
        request,
        pk,
        "attendee_form",
        lambda m: AttendeeForm(request.POST),
        act,
        _("Attendee added."),
    )


@require_POST
def invitation_update(request, pk: int, invitation_id: int):
    meeting = selectors.meeting_get_for(request.user, pk)
    invitation = meeting.invitations.filter(pk=invitation_id).first()
    if invitation is None:
        raise Http404
    kwargs = {}
    if "status" in request.POST:
        kwargs["status"] = request.POST["status"]
    if "written_information" in request.POST:
        kwargs["written_information"] = request.POST["written_information"]
    if "involvement" in request.POST:
        kwargs["involvement"] = request.POST["involvement"]
    try:
        services.invitation_update(actor=request.user, invitation=invitation, **kwargs)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Saved for %(n)s.") % {"n": invitation.name})
    return redirect(reverse("formulation:meeting", args=[meeting.pk]) + "#invitations")


@require_POST
def checklist_tick(request, pk: int):
    meeting = selectors.meeting_get_for(request.user, pk)
    try:
        services.checklist_tick(
            actor=request.user,
            meeting=meeting,
            key=request.POST.get("key", ""),
            done=request.POST.get("done") == "1",
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(reverse("formulation:meeting", args=[meeting.pk]) + "#checklist")


@require_POST
def minutes(request, pk: int):
    def act(meeting, form):
        services.meeting_record_save(
            actor=request.user,
            meeting=meeting,
            data=form.model_data(),
            expected_version=form.cleaned_data["version"],
        )

    return _meeting_post(
        request,
        pk,
        "minutes_form",
        lambda m: MinutesForm(request.POST, instance=Meeting.objects.get(pk=m.pk)),
        act,
        _("Minutes saved."),
    )


@require_POST
def developmental_map(request, pk: int):
    def act(meeting, form):
        services.developmental_map_save(actor=request.user, meeting=meeting, data=form.cleaned_data)

    return _meeting_post(
        request,
        pk,
        "dmap_form",
        lambda m: DevelopmentalMapForm(request.POST),
        act,
        _("Developmental map saved."),
    )


@require_POST
def recommendation_add(request, pk: int):
    def build(meeting):
        return RecommendationForm(
            request.POST,
            stages=trm_selectors.stages_for(meeting.case),
            people=selectors.case_staff(meeting.case),
        )

    def act(meeting, form):
        services.recommendation_add(actor=request.user, meeting=meeting, data=form.model_data())

    return _meeting_post(request, pk, "recommendation_form", build, act, _("Recommendation added."))


@require_POST
def recommendation_delete(request, pk: int, rec_id: int):
    meeting = selectors.meeting_get_for(request.user, pk)
    recommendation = meeting.recommendations.filter(pk=rec_id).first()
    if recommendation is None:
        raise Http404
    services.recommendation_delete(actor=request.user, recommendation=recommendation)
    return redirect(reverse("formulation:meeting", args=[meeting.pk]) + "#recommendations")


@require_POST
def mark_held(request, pk: int):
    meeting = selectors.meeting_get_for(request.user, pk)
    try:
        services.meeting_mark_held(actor=request.user, meeting=meeting)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Meeting recorded as held; the case is active."))
    return redirect("formulation:meeting", pk=meeting.pk)


@require_http_methods(["GET", "POST"])
def directory(request):
    teams = access_for(request.user).formulation_team_ids()
    if not teams:
        raise PermissionDenied
    form = ProfessionalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        chosen = request.POST.get("team", "")
        team_id = int(chosen) if chosen.isdigit() else min(teams)
        try:
            services.professional_save(actor=request.user, team_id=team_id, data=form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Added to the directory."))
            return redirect("formulation:directory")
    from ecm.models import Team

    return render(
        request,
        "formulation/directory.html",
        {
            "form": form,
            "professionals": selectors.directory_for(request.user),
            "teams": Team.objects.filter(pk__in=teams),
        },
    )
