"""Clinical supervision pages. Content pages exist only for the session's psychologist and
supervisees (404 for everyone else); oversight pages show that sessions happened."""

from __future__ import annotations

import csv
import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ecm.access import access_for
from ecm.audit import audit_record
from ecm.dates import add_months
from ecm.editing import StaleEditError, form_with_saved_version
from ecm.forms import add_service_errors
from ecm.models import AuditEvent
from ecm.selectors import case_list_for

from . import selectors, services
from .forms import (
    DecisionSummaryForm,
    EscalationForm,
    OfferForm,
    PeriodForm,
    ReflectionForm,
    SessionForm,
)

PERIODS = (1, 2, 3, 6, 12)


def _supervised_cases(user):
    return (
        case_list_for(user)
        .open()
        .filter(team_id__in=access_for(user).supervised_team_ids)
        .select_related("child")
        .order_by("child__last_name")
    )


def _period(request) -> tuple[int, dt.date, dt.date]:
    try:
        months = int(request.GET.get("months", 2))
    except ValueError:
        months = 2
    months = months if months in PERIODS else 2
    end = timezone.localdate()
    return months, add_months(end, -months), end


@require_GET
def index(request):
    user = request.user
    access = access_for(user)
    is_psychologist = access.can_record_supervision()
    own = list(selectors.sessions_with_content_for(user)[:200])
    oversight_teams = access.supervision_metadata_team_ids()
    managed = access.monitoring_team_ids
    months, start, end = _period(request)
    cadence = []
    if is_psychologist:
        cadence = selectors.cadence_for(access.supervised_team_ids)
    my_cadence = selectors.cadence_of(user)
    own_ids = {s.pk for s in own}
    metadata = []
    if oversight_teams is None or oversight_teams:
        metadata = [
            row
            for row in selectors.session_metadata_for(user, start=start, end=end)
            if row["pk"] not in own_ids
        ]
    return render(
        request,
        "supervision/index.html",
        {
            "is_psychologist": is_psychologist,
            "own": own,
            "cadence": cadence,
            "my_cadence": my_cadence,
            "metadata": metadata,
            "coverage": selectors.coverage(managed, start, end) if managed else None,
            "months": months,
            "period_form": PeriodForm(initial={"months": months}, periods=PERIODS),
            "offer_form": OfferForm(psychologist=user, initial={"offered_on": timezone.localdate()})
            if is_psychologist
            else None,
            "can_export": bool(oversight_teams) or user.is_superuser,
        },
    )


@require_http_methods(["GET", "POST"])
def session_new(request):
    if not access_for(request.user).can_record_supervision():
        raise Http404
    return _session_form(request, None)


@require_http_methods(["GET", "POST"])
def session_edit(request, pk: int):
    session = selectors.session_get_for(request.user, pk)
    if session.psychologist_id != request.user.pk:
        raise Http404  # another psychologist's session, or a supervisee: not theirs to edit
    return _session_form(request, session)


def _session_form(request, session):
    user = request.user
    now = timezone.localtime().replace(second=0, microsecond=0)
    initial = None
    if session is None:
        initial = {"starts_at": now - dt.timedelta(hours=1), "ends_at": now}
    form = SessionForm(
        request.POST or None,
        instance=session,
        initial=initial,
        psychologist=user,
        cases=_supervised_cases(user),
    )
    if session is not None and request.method == "GET":
        _audit_read(request, session, "edit")
    status = 400 if form.is_bound else 200
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.session_save(
                actor=user,
                data=form.model_data(),
                supervisees=list(form.cleaned_data["supervisees"]),
                cases=list(form.cleaned_data["cases"]),
                session=session,
                expected_version=form.cleaned_data.get("version"),
            )
        except StaleEditError as exc:
            form = form_with_saved_version(
                SessionForm,
                request.POST,
                session,
                exc,
                instance=session,
                psychologist=user,
                cases=_supervised_cases(user),
            )
            status = 409
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Supervision session saved."))
            return redirect("supervision:session", pk=saved.pk)
    return render(
        request,
        "supervision/session_form.html",
        {"form": form, "session": session},
        status=status,
    )


def _audit_read(request, session, detail=""):
    audit_record(
        actor=request.user,
        action=AuditEvent.Action.VIEW,
        obj=session,
        team_id=session.team_id,
        detail=detail,
    )


def _detail_context(request, session, **forms):
    user = request.user
    is_author = session.psychologist_id == user.pk
    attendance = list(session.attendance.select_related("user"))
    me = next((a for a in attendance if a.user_id == user.pk), None)
    links = list(session.cases_discussed.select_related("case__child"))
    # A child's name only for cases this reader may see; otherwise the reference.
    visible = set(
        case_list_for(user)
        .filter(pk__in=[link.case_id for link in links])
        .values_list("pk", flat=True)
    )
    for link in links:
        link.can_see = link.case_id in visible
    escalations = list(session.escalations.select_related("supervisee", "case"))
    if not is_author:
        # In a group, each supervisee sees their own reflections and escalations only.
        escalations = [e for e in escalations if e.supervisee_id == user.pk]
    reflections = [a for a in attendance if a.reflections and (is_author or a.user_id == user.pk)]
    return {
        "reflections": reflections,
        "session": session,
        "is_author": is_author,
        "attendance": attendance,
        "me": me,
        "links": links,
        "escalations": escalations,
        "reflection_form": forms.get("reflection_form")
        or (ReflectionForm(initial={"reflections": me.reflections}) if me else None),
        "summary_form": forms.get("summary_form")
        or (DecisionSummaryForm(cases=session.cases_discussed_cases()) if is_author else None),
        "escalation_form": forms.get("escalation_form")
        or (EscalationForm(session=session) if is_author else None),
    }


@require_GET
def session_detail(request, pk: int):
    session = selectors.session_get_for(request.user, pk)
    _audit_read(request, session)
    return render(request, "supervision/session.html", _detail_context(request, session))


@require_POST
def reflection(request, pk: int):
    session = selectors.session_get_for(request.user, pk)
    form = ReflectionForm(request.POST)
    form.is_valid()
    try:
        services.reflection_save(
            actor=request.user, session=session, text=form.cleaned_data.get("reflections", "")
        )
    except PermissionDenied:
        raise Http404 from None
    messages.success(request, _("Your reflections are saved."))
    return redirect("supervision:session", pk=session.pk)


@require_POST
def decision_summary(request, pk: int):
    session = selectors.session_get_for(request.user, pk)
    if session.psychologist_id != request.user.pk:
        raise Http404
    form = DecisionSummaryForm(request.POST, cases=session.cases_discussed_cases())
    if form.is_valid():
        try:
            services.decision_summary_save(
                actor=request.user,
                session=session,
                case=form.cleaned_data["case"],
                text=form.cleaned_data["text"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Decision summary added to the case."))
            return redirect("supervision:session", pk=session.pk)
    _audit_read(request, session)
    return render(
        request,
        "supervision/session.html",
        _detail_context(request, session, summary_form=form),
        status=400,
    )


@require_POST
def escalation(request, pk: int):
    session = selectors.session_get_for(request.user, pk)
    if session.psychologist_id != request.user.pk:
        raise Http404
    form = EscalationForm(request.POST, session=session)
    if form.is_valid():
        try:
            services.escalation_add(actor=request.user, session=session, data=form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Escalation recorded."))
            return redirect("supervision:session", pk=session.pk)
    _audit_read(request, session)
    return render(
        request,
        "supervision/session.html",
        _detail_context(request, session, escalation_form=form),
        status=400,
    )


@require_POST
def offer(request):
    if not access_for(request.user).can_record_supervision():
        raise Http404
    form = OfferForm(request.POST, psychologist=request.user)
    if form.is_valid():
        try:
            services.offer_record(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Offer recorded."))
            return redirect("supervision:index")
    messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("supervision:index")


@require_GET
def export(request):
    """Sessions that happened (no content), as CSV, for oversight. Audited."""
    user = request.user
    teams = access_for(user).supervision_metadata_team_ids()
    if teams is not None and not teams:
        raise Http404
    months, start, end = _period(request)
    rows = selectors.session_metadata_for(user, start=start, end=end)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="supervision-sessions-{end}.csv"'
    response["Cache-Control"] = "no-store, private"
    writer = csv.writer(response)
    writer.writerow(
        [
            _("Date"),
            _("Minutes"),
            _("Format"),
            _("Kind"),
            _("Mode"),
            _("Team"),
            _("Psychologist"),
            _("Supervisees"),
        ]
    )
    for r in rows:
        writer.writerow(
            [
                timezone.localtime(r["starts_at"]).strftime("%Y-%m-%d %H:%M"),
                r["minutes"],
                r["format"],
                r["kind"],
                r["mode"],
                r["team"],
                r["psychologist"],
                "; ".join(r["supervisees"]),
            ]
        )
    audit_record(
        actor=user,
        action=AuditEvent.Action.EXPORT,
        detail=f"supervision sessions {start}..{end} ({len(rows)} rows, no content)",
    )
    return response


# --- Panels ---


def supervision_case_panel(request, case) -> str:
    summaries = list(selectors.decision_summaries_for_case(case))
    if not summaries:
        return ""
    return render_to_string(
        "supervision/case_panel.html", {"summaries": summaries}, request=request
    )


def supervision_home_panel(request) -> str:
    user = request.user
    rows = []
    access = access_for(user)
    if access.can_record_supervision():
        rows = [c for c in selectors.cadence_for(access.supervised_team_ids) if c.days <= 14]
    mine = selectors.cadence_of(user)
    if not rows and (mine is None or mine.days > 14):
        return ""
    return render_to_string(
        "supervision/home_panel.html",
        {"rows": rows, "mine": mine if mine and mine.days <= 14 else None},
        request=request,
    )
