"""Review, action, contact and closure pages. Thin: parse with a form, call a service,
render."""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ecm.access import CASE_ROLES, access_for
from ecm.audit import audit_case_record
from ecm.dates import display_date
from ecm.editing import StaleEditError, form_with_saved_version
from ecm.forms import add_service_errors
from ecm.models import ACTIVE_CLOSURE_REASONS, ON_ECM_STATUSES, AuditEvent, CaseStatus, Role
from ecm.selectors import case_get_for, case_team_members
from formulation.meeting.selectors import (
    episode_formulation_meeting,
    next_review_meeting,
    review_meetings_for_case,
)
from formulation.models import ReportSection
from formulation.report.selectors import due_label
from formulation.trm.selectors import stages_for

from . import selectors, services
from .forms import (
    ROWS_MAX,
    ActionForm,
    ActionStatusForm,
    BaselineForm,
    ClosureForm,
    ContactForm,
    MissedDecisionForm,
    NewRecommendationFormSet,
    OffenceRowFormSet,
    ReviewForm,
    RiskForm,
    TRMStageForm,
    VoluntaryEndForm,
    arranged_meetings,
    default_next_review,
    initial_from_meeting,
)
from .models import Action, OutcomeSurvey, Review, RiskRating


def _psychologists(case):
    return case_team_members(case, {Role.PSYCHOLOGIST})


# --- Overview ---


def _risk_initial(rating) -> dict:
    """The correction form starts from the ratings it corrects (the referral's, or the last
    correction)."""
    if rating is None:
        return {}
    return {k: getattr(rating, k) for k in ("reoffending", "serious_harm", "vulnerability")}


def _overview_context(request, case, **forms):
    user = request.user
    reviews = list(selectors.reviews_for_case(case))
    actions = list(selectors.actions_for_case(case))
    today = timezone.localdate()
    ratings = list(case.risk_ratings.all())
    risk = {r.point: r for r in ratings}
    risk_start = selectors.start_risk(case, ratings)
    next_due = selectors.next_review_due(case)
    closure = getattr(case, "closure", None) if not case.is_open else None
    labels = dict(ReportSection.choices)
    can_actions = access_for(user).can_manage_actions(case)
    if can_actions:
        for action in actions:
            action.status_form = ActionStatusForm(
                initial={"status": action.status}, action=action, auto_id=f"action-{action.pk}-%s"
            )
    return {
        "case": case,
        "child": case.child,
        "reviews": reviews,
        "actions": actions,
        "overdue": [a for a in actions if a.status == Action.Status.OPEN and a.due_on < today],
        "proposals_waiting": list(selectors.proposals_waiting(case)[:20]) if case.is_open else [],
        "history": selectors.stage_history(user, case),
        "trajectory": selectors.trajectory_svg(user, case),
        "risk_start": risk_start,
        "risk_closure": risk.get(RiskRating.Point.CLOSURE),
        "next_due": next_due,
        "next_due_label": due_label(next_due) if next_due and case.is_open else None,
        "closure": closure,
        "closure_transitions": [
            (t.get_destination_display(), [labels.get(k, k) for k in t.sections])
            for t in (closure.transitions.all() if closure else [])
        ],
        "can_record": access_for(user).can_record_review(case),
        "can_arrange": access_for(user).can_arrange_review(case),
        "review_meetings": review_meetings_for_case(case),
        "can_actions": can_actions,
        "can_rate": access_for(user).can_rate(case),
        "can_close": access_for(user).can_close_case(case),
        "action_form": forms.get("action_form") or ActionForm(case=case),
        "risk_form": forms.get("risk_form") or RiskForm(initial=_risk_initial(risk_start)),
    }


@require_GET
def overview(request, pk: int):
    case = case_get_for(request.user, pk)
    audit_case_record(request.user, AuditEvent.Action.VIEW, case, case, detail="reviews")
    return render(request, "reviews/overview.html", _overview_context(request, case))


@require_POST
def action_add(request, pk: int):
    case = case_get_for(request.user, pk)
    form = ActionForm(request.POST, case=case)
    if form.is_valid():
        try:
            services.action_add(actor=request.user, case=case, data=form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Action added."))
            return redirect(reverse("reviews:overview", args=[case.pk]) + "#actions")
    return render(
        request,
        "reviews/overview.html",
        _overview_context(request, case, action_form=form),
        status=400,
    )


@require_POST
def action_status(request, action_id: int):
    action = selectors.action_get_for(request.user, action_id)
    try:
        services.action_set_status(
            actor=request.user, action=action, status=request.POST.get("status", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Action updated."))
    return redirect(reverse("reviews:overview", args=[action.case_id]) + "#actions")


@require_POST
def risk_start(request, pk: int):
    case = case_get_for(request.user, pk)
    form = RiskForm(request.POST)
    if form.is_valid():
        try:
            services.risk_record(
                actor=request.user, case=case, point=RiskRating.Point.START, data=form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Risk ratings at the start recorded."))
            return redirect(reverse("reviews:overview", args=[case.pk]) + "#risk")
    return render(
        request,
        "reviews/overview.html",
        _overview_context(request, case, risk_form=form),
        status=400,
    )


# --- Reviews ---


def _review_trm(request, case, review=None) -> dict:
    """The TRM stage part of the review form: at formulation (read-only, from the meeting's
    TRM placement) and now (the psychologist's fields; others read it)."""
    meeting = episode_formulation_meeting(case)
    placement = getattr(meeting, "trm_placement", None) if meeting else None
    can_set = access_for(request.user).can_place_on_trm(case)
    return {
        "at_formulation": placement.stage if placement else None,
        "record": getattr(review, "trm_record", None) if review is not None else None,
        "can_set": can_set,
        "stages": stages_for(case) if can_set else None,
    }


def _review_form(request, case, review=None, data=None):
    recommendations = list(case.recommendations.order_by("sequence", "pk"))
    actions = list(selectors.open_actions(case))
    progress = {}
    offences, proposals = [], []
    if review is not None:
        progress = {p.recommendation_id: (p.status, p.note) for p in review.progress.all()}
        offences = list(selectors.review_offences(review))
        proposals = list(selectors.review_proposals(review))
    initial = None
    if review is None:
        initial = {
            "held_on": timezone.localdate(),
            "chair": request.user.pk,
            "next_review_on": default_next_review(),
            "kind": "scheduled",
        }
        arranged = arranged_meetings(case).filter(pk=_int(request.GET.get("meeting"))).first()
        if arranged is not None:  # "Record the review" from the arranged meeting's page
            initial.update(initial_from_meeting(arranged))
    return ReviewForm(
        data,
        instance=review,
        initial=initial,
        case=case,
        recommendations=recommendations,
        actions=actions,
        progress=progress,
        offences=offences,
        proposals=proposals,
        trm=_review_trm(request, case, review),
        add_row=_add_row(data),
    )


def _int(value) -> int | None:
    return int(value) if value and str(value).isdigit() else None


def _add_row(data) -> str:
    """Which list of rows the person asked for one more of (without JavaScript the "Add
    another" buttons post the form, which comes back with what was typed)."""
    row = (data or {}).get("add_row", "")
    return row if row in ROW_KINDS else ""


def _save_review(request, case, form, review=None):
    """Validate and save; on a refusal the form keeps every answer typed."""
    if _add_row(request.POST):
        form.keep_typing()
        return None
    if not form.is_valid():
        return None
    try:
        return services.review_save(
            actor=request.user,
            case=case,
            data=form.review_data(),
            progress=form.progress_data(),
            action_updates=form.action_data(),
            present=form.cleaned_data.get("present") or [],
            meeting=form.cleaned_data.get("meeting"),
            review=review,
            expected_version=form.cleaned_data.get("version") if review else None,
            offences=form.offences_data(),
            new_recommendations=form.new_recommendations_data(),
            trm=form.trm_data(),
        )
    except StaleEditError:
        raise  # the editing view keeps what was typed beside the saved version
    except ValidationError as exc:
        add_service_errors(form, exc)
    return None


@require_http_methods(["GET", "POST"])
def review_new(request, pk: int):
    case = case_get_for(request.user, pk)
    if not access_for(request.user).can_record_review(case):
        messages.error(request, _("You cannot record a review on this case."))
        return redirect("reviews:overview", pk=case.pk)
    form = _review_form(request, case, data=request.POST if request.method == "POST" else None)
    if request.method == "POST":
        review = _save_review(request, case, form)
        if review is not None:
            messages.success(request, _("Review recorded."))
            return redirect("reviews:review", review_id=review.pk)
    return render(
        request,
        "reviews/review_form.html",
        {"case": case, "child": case.child, "form": form, "review": None},
        status=400 if form.is_bound and not _add_row(request.POST) else 200,
    )


ROW_KINDS = {
    "offences": "reviews/_offence_row.html",
    "recommendations": "reviews/_proposal_row.html",
}


@require_GET
def review_form_row(request, pk: int, kind: str):
    """One more blank row of the review form (htmx): an offence or a new recommendation,
    with the formset's row count, swapped in out of band. Nothing typed is touched."""
    case = case_get_for(request.user, pk)
    if kind not in ROW_KINDS or not access_for(request.user).can_record_review(case):
        raise Http404
    try:
        index = int(request.GET.get(f"{kind}-TOTAL_FORMS", ""))
    except ValueError:
        index = 0
    if not 0 <= index < ROWS_MAX:
        return HttpResponse(status=204)
    if kind == "offences":
        formset = OffenceRowFormSet(prefix=kind)
    else:
        people = list(case_team_members(case, CASE_ROLES))
        formset = NewRecommendationFormSet(prefix=kind, form_kwargs={"people": people})
    formset.extra = index + 1
    row = formset.forms[index]
    return render(
        request,
        ROW_KINDS[kind],
        {"row": row, "kind": kind, "total": index + 1, "oob": True},
    )


def _review_context(request, review, **extra):
    case = review.case
    user = request.user
    record = getattr(review, "trm_record", None)
    meeting = episode_formulation_meeting(case)
    placement = getattr(meeting, "trm_placement", None) if meeting else None
    ctx = {
        "case": case,
        "child": case.child,
        "review": review,
        "progress": list(selectors.review_progress(review)),
        "present": list(review.present.all()),
        "offences": list(selectors.review_offences(review)),
        "proposals": list(selectors.review_proposals(review)),
        "can_confirm": access_for(user).can_confirm_review_recommendation(
            case, selectors.case_report(case)
        ),
        "trm_record": record,
        "stage_at_formulation": placement.stage if placement else None,
        "can_record": access_for(user).can_record_review(case),
        "can_set_trm": access_for(user).can_place_on_trm(case),
        "trm_form": TRMStageForm(
            stages=stages_for(case),
            initial={"stage": record.stage_id, "explanation": record.explanation}
            if record
            else None,
        ),
    }
    ctx.update(extra)
    return ctx


@require_GET
def review_detail(request, review_id: int):
    review = selectors.review_get_for(request.user, review_id)
    audit_case_record(request.user, AuditEvent.Action.VIEW, review, review.case)
    return render(request, "reviews/review.html", _review_context(request, review))


@require_http_methods(["GET", "POST"])
def review_edit(request, review_id: int):
    review = selectors.review_get_for(request.user, review_id)
    case = review.case
    if not access_for(request.user).can_record_review(case):
        messages.error(request, _("This review cannot be changed (the case is closed)."))
        return redirect("reviews:review", review_id=review.pk)
    if request.method == "GET":
        audit_case_record(request.user, AuditEvent.Action.VIEW, review, case, detail="edit")
    form = _review_form(
        request, case, review=review, data=request.POST if request.method == "POST" else None
    )
    status = 200
    if request.method == "POST":
        try:
            saved = _save_review(request, case, form, review=review)
        except StaleEditError as exc:
            # The form gets its own copy of the review: validating a ModelForm writes onto
            # its instance, and `review` must keep showing what was saved.
            form = form_with_saved_version(
                partial(_review_form, request, case),
                request.POST,
                review,
                exc,
                review=Review.objects.get(pk=review.pk),
            )
            status = 409
        else:
            if saved is not None:
                messages.success(request, _("Review saved."))
                return redirect("reviews:review", review_id=review.pk)
            status = 200 if _add_row(request.POST) else 400
    stale = getattr(form, "stale", False)
    saved_progress = list(selectors.review_progress(review)) if stale else []
    saved_offences = list(selectors.review_offences(review)) if stale else []
    return render(
        request,
        "reviews/review_form.html",
        {
            "case": case,
            "child": case.child,
            "form": form,
            "review": review,
            "saved_progress": saved_progress,
            "saved_offences": saved_offences,
        },
        status=status,
    )


@require_POST
def review_trm(request, review_id: int):
    review = selectors.review_get_for(request.user, review_id)
    form = TRMStageForm(request.POST, stages=stages_for(review.case))
    if form.is_valid():
        try:
            services.trm_stage_record(
                actor=request.user,
                review=review,
                stage=form.cleaned_data["stage"],
                explanation=form.cleaned_data["explanation"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("TRM stage recorded."))
            return redirect(reverse("reviews:review", args=[review.pk]) + "#trm")
    return render(
        request, "reviews/review.html", _review_context(request, review, trm_form=form), status=400
    )


@require_POST
def review_recommendation_confirm(request, proposal_id: int):
    """The psychologist confirms a recommendation agreed at a review into the formulation."""
    proposal = selectors.proposal_get_for(request.user, proposal_id)
    try:
        recommendation = services.review_recommendation_confirm(
            actor=request.user, proposal=proposal
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _(
                "Recommendation %(n)s is in the formulation. Finalise the report's new "
                "version when the amendment is complete."
            )
            % {"n": recommendation.sequence},
        )
    return redirect(reverse("reviews:review", args=[proposal.review_id]) + "#new-recommendations")


# --- Contacts ---

CONTACTS_SHOWN = 500


def _contacts_context(request, case, **forms):
    user = request.user
    missed = selectors.missed_since_last_decision(case)
    return {
        "case": case,
        "child": case.child,
        "contacts": list(selectors.contacts_for_case(case)[:CONTACTS_SHOWN]),
        "contacts_total": case.contacts.count(),
        "contacts_shown": CONTACTS_SHOWN,
        "decisions": list(case.missed_decisions.select_related("decided_by", "psychologist")),
        "missed": missed,
        "prompt": selectors.consultation_due(missed),
        "can_record": access_for(user).can_record_contact(case),
        "can_decide": access_for(user).can_decide_missed(case),
        "contact_form": forms.get("contact_form")
        or ContactForm(stages=stages_for(case), initial={"date": timezone.localdate()}),
        "decision_form": forms.get("decision_form")
        or MissedDecisionForm(psychologists=_psychologists(case)),
    }


@require_GET
def contacts(request, pk: int):
    case = case_get_for(request.user, pk)
    audit_case_record(request.user, AuditEvent.Action.VIEW, case, case, detail="contacts")
    return render(request, "reviews/contacts.html", _contacts_context(request, case))


@require_POST
def contact_add(request, pk: int):
    case = case_get_for(request.user, pk)
    form = ContactForm(request.POST, stages=stages_for(case))
    if form.is_valid():
        try:
            services.contact_add(actor=request.user, case=case, data=form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Contact recorded."))
            return redirect("reviews:contacts", pk=case.pk)
    return render(
        request,
        "reviews/contacts.html",
        _contacts_context(request, case, contact_form=form),
        status=400,
    )


@require_POST
def missed_decision(request, pk: int):
    case = case_get_for(request.user, pk)
    form = MissedDecisionForm(request.POST, psychologists=_psychologists(case))
    if form.is_valid():
        try:
            services.missed_decision_record(
                actor=request.user,
                case=case,
                decision=form.cleaned_data["decision"],
                psychologist=form.cleaned_data["psychologist"],
                advice=form.cleaned_data["advice"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Decision recorded."))
            return redirect("reviews:contacts", pk=case.pk)
    return render(
        request,
        "reviews/contacts.html",
        _contacts_context(request, case, decision_form=form),
        status=400,
    )


# --- Closure ---


@require_http_methods(["GET", "POST"])
def close(request, pk: int):
    case = case_get_for(request.user, pk)
    if not access_for(request.user).can_close_case(case):
        messages.error(request, _("You cannot close this case."))
        return redirect("case_detail", pk=case.pk)
    if case.status == CaseStatus.VOLUNTARY:  # its closure is recorded already
        return redirect("reviews:voluntary_end", pk=case.pk)
    if request.method == "GET":
        audit_case_record(request.user, AuditEvent.Action.VIEW, case, case, detail="closure")
    start = selectors.start_risk(case)
    closure_review = (
        case.reviews.filter(kind=Review.Kind.CLOSURE).order_by("-held_on", "-pk").first()
    )
    # Risk at closure starts blank: it is rated afresh, with the start ratings shown beside.
    # A link from the consent page names the reason (consent withdrawn) and its date.
    initial = {"closed_on": timezone.localdate(), "version": case.version}
    if request.GET.get("reason") in dict(ACTIVE_CLOSURE_REASONS):
        initial["reason"] = request.GET["reason"]
    if request.GET.get("closed_on"):
        initial["closed_on"] = request.GET["closed_on"]
    form = ClosureForm(
        request.POST or None, initial=initial, has_closure_review=closure_review is not None
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.case_close_with_review(
                actor=request.user,
                case=case,
                reason=data["reason"],
                reason_detail=data["reason_detail"],
                no_review_reason=data.get("no_review_reason", ""),
                closed_on=data["closed_on"],
                next_steps=data["next_steps"],
                voluntary_until=data.get("voluntary_until"),
                transitions={d: list(data["sections"]) for d in data["transitions"]},
                risk={k: data[k] for k in ("reoffending", "serious_harm", "vulnerability")},
                outcomes=form.outcomes(),
                review=closure_review,
                expected_version=data["version"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            case.refresh_from_db()
            if case.status == CaseStatus.VOLUNTARY:
                messages.success(
                    request,
                    _("Closure recorded. %(ref)s stays open in its voluntary period until %(d)s.")
                    % {"ref": case.reference, "d": display_date(case.voluntary_until)},
                )
            else:
                messages.success(request, _("Case %(ref)s is closed.") % {"ref": case.reference})
            return redirect("case_detail", pk=case.pk)
    return render(
        request,
        "reviews/close.html",
        {
            "case": case,
            "child": case.child,
            "form": form,
            "risk_start": start,
            "closure_review": closure_review,
        },
        status=400 if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
def voluntary_end(request, pk: int):
    """End a voluntary period before its date (it ends by itself on the date)."""
    case = case_get_for(request.user, pk)
    if case.status != CaseStatus.VOLUNTARY or not access_for(request.user).can_close_case(case):
        messages.error(request, _("This case is not in a voluntary period you can end."))
        return redirect("case_detail", pk=case.pk)
    form = VoluntaryEndForm(request.POST or None, initial={"on": timezone.localdate()})
    if request.method == "GET":
        audit_case_record(request.user, AuditEvent.Action.VIEW, case, case, detail="closure")
    if request.method == "POST" and form.is_valid():
        try:
            services.voluntary_period_end(actor=request.user, case=case, on=form.cleaned_data["on"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Case %(ref)s is closed.") % {"ref": case.reference})
            return redirect("case_detail", pk=case.pk)
    return render(
        request,
        "reviews/voluntary_end.html",
        {"case": case, "child": case.child, "form": form, "closure": case.closure},
        status=400 if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
def baseline(request, pk: int):
    case = case_get_for(request.user, pk)
    if request.method == "GET":
        audit_case_record(request.user, AuditEvent.Action.VIEW, case, case, detail="baseline")
    survey = (
        case.outcome_surveys.filter(point=OutcomeSurvey.Point.BASELINE)
        .prefetch_related("ratings")
        .first()
    )
    initial = {f"concern_{r.domain}": r.concern for r in survey.ratings.all()} if survey else {}
    form = BaselineForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.outcome_baseline_save(actor=request.user, case=case, ratings=form.ratings())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Baseline outcome survey saved."))
            return redirect(reverse("reviews:overview", args=[case.pk]) + "#risk")
    return render(
        request,
        "reviews/baseline.html",
        {
            "case": case,
            "child": case.child,
            "form": form,
            "survey": survey,
            "can_rate": access_for(request.user).can_rate(case),
        },
        status=400 if form.is_bound else 200,
    )


# --- Panels ---


def reviews_panel(request, case) -> str:
    """The reviews section of the case page: four small queries (one more before the first
    review, for the date set at the formulation meeting)."""
    active = case.status in ON_ECM_STATUSES
    if not active and case.status != CaseStatus.CLOSED and not case.reviews.exists():
        return ""
    today = timezone.localdate()
    summary = selectors.case_summary(case)
    next_due = summary["next_review_on"] if active else None
    overdue = (
        list(
            case.actions.filter(status=Action.Status.OPEN, due_on__lt=today)
            .select_related("owner_user")
            .order_by("due_on", "pk")[:5]
        )
        if case.is_open
        else []
    )
    return render_to_string(
        "reviews/panel.html",
        {
            "case": case,
            "review_count": summary["review_count"],
            "next_due": next_due,
            "next_due_label": due_label(next_due) if next_due else None,
            "overdue": overdue,
            "latest_stage": summary["latest_stage"],
            "prompt": active and selectors.consultation_due(summary["missed"]),
            "closure": getattr(case, "closure", None)
            if case.status in (CaseStatus.CLOSED, CaseStatus.VOLUNTARY)
            else None,
            "can_record": access_for(request.user).can_record_review(case),
            "can_arrange": access_for(request.user).can_arrange_review(case),
            "next_meeting": next_review_meeting(case) if active else None,
            "can_close": access_for(request.user).can_close_case(case),
        },
        request=request,
    )


def actions_home_panel(request) -> str:
    overdue = list(selectors.overdue_actions_for(request.user)[:50])
    if not overdue:
        return ""
    return render_to_string("reviews/home_actions.html", {"overdue": overdue}, request=request)


def closure_url(case) -> str | None:
    if case.status == CaseStatus.ACTIVE:
        return reverse("reviews:close", args=[case.pk])
    if case.status == CaseStatus.VOLUNTARY:
        return reverse("reviews:voluntary_end", args=[case.pk])
    return None


# --- What is overdue in a manager's teams (issue 22) ---

_OVERDUE_PAGES = {
    "reports": (
        gettext_lazy("Overdue formulation reports"),
        "reviews/_overdue_reports.html",
        gettext_lazy("No reports are overdue."),
    ),
    "reviews": (
        gettext_lazy("Overdue reviews"),
        "reviews/_overdue_reviews.html",
        gettext_lazy("No reviews are overdue."),
    ),
    "actions": (
        gettext_lazy("Overdue actions"),
        "reviews/_overdue_actions.html",
        gettext_lazy("No actions are overdue."),
    ),
}


@require_GET
def team_overdue(request, kind: str):
    """All of one list of the manager's "Overdue in your teams" (the home shows the most
    overdue few): the same rows in the same order, 50 a page. Managers only (404 otherwise,
    as for an unknown list); one audit row naming the children shown."""
    from django.core.paginator import Paginator

    from ecm.audit import audit_listing

    from .panels import overdue_in_teams, overdue_rows

    if kind not in _OVERDUE_PAGES or not access_for(request.user).is_manager():
        raise Http404
    today = timezone.localdate()
    page = Paginator(overdue_in_teams(request.user, today, kind), 50).get_page(
        request.GET.get("page")
    )
    rows = overdue_rows(kind, page.object_list, today)
    cases = [
        row["case"] if kind == "reports" else (row if kind == "reviews" else row.case)
        for row in rows
    ]
    if cases:
        audit_listing(
            actor=request.user,
            action=AuditEvent.Action.VIEW,
            cases=cases,
            detail=f"overdue {kind}, page {page.number}: {len(cases)} row(s)",
        )
    title, template, empty = _OVERDUE_PAGES[kind]
    return render(
        request,
        "reviews/team_overdue.html",
        {"title": title, "template": template, "empty": empty, "rows": rows, "page": page},
    )
