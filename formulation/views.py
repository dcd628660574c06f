"""Formulation workspace pages. Thin: parse with a form, call a service, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ecm.access import access_for
from ecm.audit import audit_case_record, audit_record
from ecm.forms import add_service_errors
from ecm.models import AuditEvent, Role
from ecm.selectors import case_get_for, case_list_for
from referrals.services import consent_status

from . import selectors, services
from .forms import (
    AttendeeForm,
    DevelopmentalMapForm,
    FamilyMemberForm,
    InviteForm,
    MinutesForm,
    PartnershipForm,
    ProfessionalForm,
    RecommendationForm,
    ScheduleForm,
    SummaryItemForm,
    TimelineEventForm,
    TRMPlacementForm,
    team_people,
    team_people_with_role,
)
from .models import (
    FamilyMember,
    Invitation,
    Meeting,
    SummaryItem,
    TimelineEvent,
)

# --- Workspace and scheduling ---------------------------------------------------------------


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
    chairs = team_people_with_role(case, Role.SENIOR_PRACTITIONER)
    psychologists = team_people_with_role(case, Role.PSYCHOLOGIST)
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


# --- Meeting page -------------------------------------------------------------------------


def _meeting_context(request, meeting: Meeting, **forms):
    case = meeting.case
    user = request.user
    stages = selectors.stages_for(case)
    people = team_people(case)
    placement = getattr(meeting, "trm_placement", None)  # None when not recorded yet
    dmap = getattr(meeting, "developmental_map", None)
    report = selectors.report_for_case(case)
    report_started = report is not None
    report_final = report_started and report.status == "final"
    ctx = {
        "meeting": meeting,
        "case": case,
        "child": case.child,
        "checklist": services.checklist(meeting),
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
        "framework": selectors.active_framework(case),
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
def trm_placement(request, pk: int):
    def build(meeting):
        return TRMPlacementForm(request.POST, stages=selectors.stages_for(meeting.case))

    def act(meeting, form):
        services.trm_placement_save(actor=request.user, meeting=meeting, **form.cleaned_data)

    meeting = selectors.meeting_get_for(request.user, pk)
    if not access_for(request.user).can_place_on_trm(meeting.case):
        raise PermissionDenied
    return _meeting_post(request, pk, "trm_form", build, act, _("TRM placement saved."))


@require_POST
def recommendation_add(request, pk: int):
    def build(meeting):
        return RecommendationForm(
            request.POST,
            stages=selectors.stages_for(meeting.case),
            people=team_people(meeting.case),
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


# --- Directory ------------------------------------------------------------------------------


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


# --- Genogram -------------------------------------------------------------------------------


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


# --- Case information summary ---------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def summary(request, pk: int):
    case = case_get_for(request.user, pk)
    can_prepare = access_for(request.user).can_prepare_formulation(case)
    form = SummaryItemForm(request.POST if "add" in request.POST else None)
    if request.method == "POST":
        if not can_prepare:
            raise PermissionDenied
        if "delete" in request.POST:
            item = SummaryItem.objects.filter(
                child=case.child, pk=request.POST.get("delete")
            ).first()
            if item is None:
                raise Http404
            services.summary_item_delete(actor=request.user, case=case, item=item)
            return redirect("formulation:summary", pk=case.pk)
        if form.is_valid():
            try:
                services.summary_item_save(actor=request.user, case=case, data=form.model_data())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Entry added to the case summary."))
                return redirect("formulation:summary", pk=case.pk)
    items = list(SummaryItem.objects.filter(child=case.child))
    groups = [
        (label, [i for i in items if i.kind == kind]) for kind, label in SummaryItem.Kind.choices
    ]
    from referrals.models import Offence

    offences = Offence.objects.filter(
        case__child=case.child, case__in=case_list_for(request.user).values("pk")
    )
    audit_record(actor=request.user, action=AuditEvent.Action.VIEW, obj=case, detail="case summary")
    return render(
        request,
        "formulation/summary.html",
        {
            "case": case,
            "child": case.child,
            "groups": groups,
            "form": form,
            "offences": list(offences),
            "can_prepare": can_prepare,
        },
    )


# --- Timeline (live) ------------------------------------------------------------------------


def _timeline_context(request, case, *, form=None, edit_form=None):
    events = list(TimelineEvent.objects.filter(child=case.child).order_by("start_date", "pk"))
    return {
        "case": case,
        "child": case.child,
        "events": events,
        "svg": selectors.timeline_svg(request.user, case),
        "form": form or TimelineEventForm(),
        "edit_form": edit_form,
        "can_prepare": access_for(request.user).can_prepare_formulation(case),
    }


def _timeline_response(request, case, **kwargs):
    if request.htmx:
        return HttpResponse(
            render_to_string(
                "formulation/_timeline_workspace.html",
                _timeline_context(request, case, **kwargs),
                request=request,
            )
        )
    if kwargs.get("form") is not None or kwargs.get("edit_form") is not None:
        return render(
            request, "formulation/timeline.html", _timeline_context(request, case, **kwargs)
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
        return HttpResponse(selectors.timeline_svg(request.user, case))
    audit_record(
        actor=request.user, action=AuditEvent.Action.VIEW, obj=case, detail="timeline (full screen)"
    )
    return render(
        request,
        "formulation/timeline_present.html",
        {"case": case, "child": case.child, "svg": selectors.timeline_svg(request.user, case)},
    )


@require_POST
def timeline_event_add(request, pk: int):
    case = case_get_for(request.user, pk)
    form = TimelineEventForm(request.POST)
    if form.is_valid():
        try:
            services.timeline_event_save(actor=request.user, case=case, data=form.model_data())
        except ValidationError as exc:
            add_service_errors(form, exc)
            return _timeline_response(request, case, form=form)
        return _timeline_response(request, case)
    return _timeline_response(request, case, form=form)


@require_http_methods(["GET", "POST"])
def timeline_event_edit(request, pk: int, event_id: int):
    case = case_get_for(request.user, pk)
    event = TimelineEvent.objects.filter(child=case.child, pk=event_id).first()
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
    form = TimelineEventForm(request.POST, instance=TimelineEvent.objects.get(pk=event.pk))
    form.instance.pk = event.pk
    if form.is_valid():
        try:
            services.timeline_event_save(
                actor=request.user,
                case=case,
                event=event,
                data=form.model_data(),
                expected_version=form.cleaned_data.get("version"),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return _timeline_response(request, case)
    form.editing = event
    return _timeline_response(request, case, edit_form=form)


def formulation_panel(request, case) -> str:
    from .report_services import held_meeting, report_due_on
    from .report_views import due_label

    meetings, report = selectors.case_panel_reads(case)
    due = None
    if report is not None:
        if not report.has_final:
            due = {"on": report.due_on, **due_label(report.due_on)}
    else:
        held = next((m for m in meetings if m.status == Meeting.Status.HELD), None) or (
            held_meeting(case) if meetings else None
        )
        if held is not None:
            due_on = report_due_on(held)
            due = {"on": due_on, **due_label(due_on)}
    return render_to_string(
        "formulation/panel.html",
        {
            "case": case,
            "meetings": meetings,
            "report": report,
            "due": due,
            "can_schedule": access_for(request.user).can_schedule_meeting(case),
        },
        request=request,
    )


def reports_home_panel(request) -> str:
    """On the home page: the reports this psychologist owes (days left or overdue) and the
    drafts waiting for this user's accuracy check. Two queries."""
    from .report_services import report_due_on
    from .report_views import due_label

    owed = []
    for meeting in selectors.reports_due_for(request.user)[:50]:
        report = getattr(meeting.case, "report", None)
        due_on = report.due_on if report else report_due_on(meeting)
        owed.append({"meeting": meeting, "report": report, "due_on": due_on, **due_label(due_on)})
    to_check = list(selectors.reports_to_check_for(request.user)[:50])
    if not owed and not to_check:
        return ""
    return render_to_string(
        "formulation/home_reports.html", {"owed": owed, "to_check": to_check}, request=request
    )
