"""Views of the core: home, case list and page, registration, search, audit, health."""

from __future__ import annotations

from copy import copy
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import health, selectors, services
from .access import access_for
from .audit import audit_listing, audit_record
from .editing import StaleEditError, form_with_saved_version
from .forms import (
    AllocateForm,
    AuditSearchForm,
    CaseFilterForm,
    ChildCaseForm,
    ChildCorrectionForm,
    NotCarriedForwardForm,
    ReopenForm,
    SearchForm,
    add_service_errors,
)
from .models import ENDED_BEFORE_ECM, ON_ECM_STATUSES, AuditEvent, Case, CaseStatus, Child
from .panels import case_panels, closure_url, home_panels, next_steps

PAGE_SIZE = 50


def _page(request, qs):
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


#: The open cases a home page shows, the first by the child's name; the case list has them all
#: (with filters and pages), and the home links to it when there are more (issue 22: a home
#: costs what it shows, not the size of the caseload).
HOME_CASES = 20


class _FirstCases:
    """The first `size` cases of `qs` and how many there are (counted only when there are
    more), shaped as the case table's `page`: one page, no others."""

    number = 1
    has_other_pages = False

    def __init__(self, qs, size: int):
        rows = list(qs[: size + 1])
        self.has_more = len(rows) > size
        self.object_list = rows[:size]
        self.count = qs.count() if self.has_more else len(rows)


def next_step(case: Case, today) -> str:
    """What is due next on a case, from its status alone: the fallback of `next_steps_of`,
    which asks the apps that keep the case's records first (the referral's dates, the
    consent, the meetings: `ecm.panels.register_next_steps`)."""
    match case.status:
        case CaseStatus.POTENTIAL:
            return _("Assess readiness for referral")
        case CaseStatus.READY:
            return _("Complete and submit the referral")
        case CaseStatus.REFERRED:
            return _("Awaiting eligibility decision")
        case CaseStatus.WAITING:
            return _("On the waiting list")
        case CaseStatus.AWAITING_CONSENT:
            return _("Record the child's ECM consent")
        case CaseStatus.PREPARATION if case.previous_case_id and not case.formulation_decision:
            return _("Decide with the psychologist whether another formulation meeting is needed")
        case CaseStatus.PREPARATION:
            return _(
                "Prepare for the formulation meeting; recording it as held makes the case active"
            )
        case CaseStatus.ACTIVE:
            return _("Deliver the intervention plan; keep reviews on time")
        case CaseStatus.VOLUNTARY:
            return _("Keep up the voluntary contact and reviews until the period ends")
    return ""


def next_steps_of(cases, today) -> None:
    """Set `next_step` on each case: the one definition of the next step, for the home page,
    the case list and the case page. A constant number of queries for the whole list."""
    steps = next_steps(cases, today)
    for case in cases:
        case.next_step = steps.get(case.pk) or next_step(case, today)


def _decorate(cases, today):
    """Each listed case's next step and its row's values, worked out once in Python for
    both renderings of the rows (the table and the narrow-screen list): the link, the status
    badge and the case manager's name, instead of a `{% url %}`, an include and a filter
    per row in each template (issue 22)."""
    next_steps_of(cases, today)
    unallocated = _("Unallocated")
    for case in cases:
        case.child_age = case.child.age_on(today)
        case.detail_url = reverse("case_detail", args=[case.pk])
        case.status_badge = format_html(
            '<span class="badge status-badge status-{}">{}</span>',
            case.status,
            case.get_status_display(),
        )
        manager = case.case_manager
        case.manager_label = unallocated if manager is None else manager
    return cases


def _audit_page(request, page, where: str) -> None:
    """One audit row naming (by id) the children a page of cases showed; none if it showed
    none. `where` is a fixed label, not translated (the log is searched by it)."""
    if page.object_list:
        audit_listing(
            actor=request.user,
            action=AuditEvent.Action.VIEW,
            cases=page.object_list,
            detail=f"{where}, page {page.number}: {len(page.object_list)} case(s)",
        )


@require_GET
def home(request):
    """Each role's work first: the sections the apps contribute (`ecm.panels`, each shown to
    the roles it is for, with its empty state), then the user's open cases: a case manager's
    caseload, or the open cases of everyone else's teams, the first `HOME_CASES` of them with
    a link to all of them on the case list (closed ones are there too)."""
    access = access_for(request.user)
    today = timezone.localdate()
    panels = home_panels(request)
    if access.is_case_manager():
        page = _FirstCases(selectors.caseload_for(request.user), HOME_CASES)
        _decorate(page.object_list, today)
        _audit_page(request, page, "home")
        return render(
            request,
            "ecm/home_caseload.html",
            {"page": page, "home_panels": panels, "shown": HOME_CASES},
        )
    page = _FirstCases(selectors.case_list_for(request.user, open_only=True), HOME_CASES)
    _decorate(page.object_list, today)
    _audit_page(request, page, "home")
    return render(
        request, "ecm/home.html", {"page": page, "home_panels": panels, "shown": HOME_CASES}
    )


@require_GET
def case_list(request, template="ecm/case_list.html", panels=()):
    user = request.user
    teams = selectors.visible_teams_for(user)
    form = CaseFilterForm(
        request.GET or None, teams=teams, case_managers=selectors.case_managers_for(user)
    )
    filters = {}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = {
            "status": data["status"] or None,
            "team_id": data["team"].pk if data["team"] else None,
            "case_manager_id": data["case_manager"].pk if data["case_manager"] else None,
            "open_only": data["open_only"],
        }
    page = _page(request, selectors.case_list_for(user, **filters))
    _decorate(page.object_list, timezone.localdate())
    _audit_page(request, page, "case list")
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        template,
        {
            "page": page,
            "form": form,
            "query": query.urlencode(),
            "can_view_audit": access_for(user).can_view_audit(),
            "home_panels": panels,
        },
    )


@require_GET
def case_detail(request, pk: int):
    case, history = selectors.case_with_episodes_for(request.user, pk)
    audit_record(actor=request.user, action=AuditEvent.Action.VIEW, obj=case)
    return render(request, "ecm/case_detail.html", _case_context(request, case, history))


def _case_context(request, case, history: list[Case], **extra):
    user = request.user
    access = access_for(user)
    transitions = services.allowed_transitions(user, case)
    names = {t.name for t in transitions}
    ctx = {
        "panels": case_panels(request, case),
        "case": case,
        "child": case.child,
        "age": case.child.age,
        "next_step": _next_step_of(case),
        # The next step comes first; the endings ("not carried forward", closing) are
        # secondary links to their own pages.
        "can_not_carry_forward": "not_carried_forward" in names,
        "closure_url": closure_url(case) if "close" in names else None,
        "history": history,
        "status_events": selectors.case_status_events(user, case),
        "can_change": access.can_change_case(case),
        "can_correct_child": access.can_correct_child(case),
        "can_reopen": _can_reopen(access, case, history),
        "can_start_again": _can_start_again(access, case, history),
    }
    ctx["nothing_to_move"] = not any(
        ctx[k]
        for k in (
            "next_step",
            "can_not_carry_forward",
            "closure_url",
            "can_reopen",
            "can_start_again",
        )
    )
    ctx.update(extra)
    return ctx


def _next_step_of(case: Case) -> str:
    """The case page's next step. While the case is on ECM its own sections say what is due
    (the next review and whether it is overdue, the consent and a withdrawal), so the page
    spends no query on it; before ECM the apps' records say it (the days waiting, the
    consent still missing, the meeting to schedule or record), as on the home page."""
    if case.status in ON_ECM_STATUSES:
        return next_step(case, timezone.localdate())
    next_steps_of([case], timezone.localdate())
    return case.next_step


def _can_reopen(access, case: Case, history: list[Case]) -> bool:
    return (
        case.status == CaseStatus.CLOSED
        and access.can_create_case(case.team)
        and not any(c.previous_case_id == case.pk for c in history)
    )


def _can_start_again(access, case: Case, history: list[Case]) -> bool:
    """A case that ended before ECM, the child's latest episode: a new potential episode can
    start (a fresh referral; nothing to carry forward)."""
    return (
        case.status in ENDED_BEFORE_ECM
        and access.can_create_case(case.team)
        and history[-1].pk == case.pk
    )


@require_POST
def case_start_again(request, pk: int):
    case, history = selectors.case_with_episodes_for(request.user, pk)
    if not _can_start_again(access_for(request.user), case, history):
        raise PermissionDenied
    manager = case.case_manager
    if manager is not None and not selectors.case_managers_of(case).filter(pk=manager.pk).exists():
        manager = None
    try:
        new_case = services.case_open(
            actor=request.user, child=case.child, team=case.team, case_manager=manager
        )
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect(case_url(case))
    messages.success(
        request,
        _("New episode %(ref)s opened as a potential case for %(name)s.")
        % {"ref": new_case.reference, "name": case.child.full_name},
    )
    return redirect(case_url(new_case))


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


@require_http_methods(["GET", "POST"])
def case_not_carried_forward(request, pk: int):
    """End a case before ECM started: its own page, which is the confirmation (the reason,
    what it means), so a new case is never ended by one click on its page."""
    case = selectors.case_get_for(request.user, pk)
    allowed = services.allowed_transitions(request.user, case, ("not_carried_forward",))
    if not allowed:
        raise PermissionDenied
    form = NotCarriedForwardForm(request.POST or None, initial={"version": case.version})
    status = 200
    if request.method == "GET":  # the page names the child
        audit_record(actor=request.user, action=AuditEvent.Action.VIEW, obj=case, detail="ending")
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                case = services.case_not_carried_forward(
                    actor=request.user,
                    case=case,
                    reason=data["reason"],
                    detail=data["detail"],
                    on=data["on"],
                    expected_version=data["version"],
                )
            except StaleEditError as exc:
                form = form_with_saved_version(NotCarriedForwardForm, request.POST, case, exc)
                status = 409
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request,
                    _("Case %(ref)s ended: not carried forward to ECM.") % {"ref": case.reference},
                )
                return redirect(case_url(case))
    return render(
        request, "ecm/not_carried_forward.html", {"case": case, "form": form}, status=status
    )


@require_http_methods(["GET", "POST"])
def case_allocate(request, pk: int):
    """Who the case manager is: the form (in place on the case page through htmx, or as its
    own page), and its POST. A refusal comes back with the choice made and the reason."""
    case = selectors.case_get_for(request.user, pk)
    if not access_for(request.user).can_change_case(case):
        raise PermissionDenied
    form = AllocateForm(
        request.POST or None,
        initial={"version": case.version, "case_manager": case.case_manager_id},
        case_managers=selectors.case_managers_of(case),
    )
    status = 200
    if request.method == "GET":  # the page names the child: a view of their record
        audit_record(
            actor=request.user, action=AuditEvent.Action.VIEW, obj=case, detail="allocation"
        )
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.case_allocate(
                    actor=request.user,
                    case=case,
                    case_manager=form.cleaned_data["case_manager"],
                    expected_version=form.cleaned_data["version"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
                status = 409 if exc.code == "stale" else 400
            else:
                messages.success(request, _("Allocation saved."))
                return redirect(case_url(case))
    if request.htmx and request.method == "GET":
        form.fields["case_manager"].widget.attrs["autofocus"] = True
        template = "ecm/includes/allocate_form.html"
    else:
        template = "ecm/allocate.html"
    return render(request, template, {"case": case, "form": form}, status=status)


@require_http_methods(["GET", "POST"])
def case_reopen(request, pk: int):
    """Re-open a closed case as a new episode: its own page asks why (and who manages it),
    the POST does it."""
    case, history = selectors.case_with_episodes_for(request.user, pk)
    if not _can_reopen(access_for(request.user), case, history):
        raise PermissionDenied
    case_managers = selectors.case_managers_of(case)
    initial = {}
    if case.case_manager_id and case_managers.filter(pk=case.case_manager_id).exists():
        initial["case_manager"] = case.case_manager_id
    form = ReopenForm(request.POST or None, initial=initial, case_managers=case_managers)
    status = 200
    if request.method == "GET":  # the page names the child
        audit_record(actor=request.user, action=AuditEvent.Action.VIEW, obj=case, detail="reopen")
    else:
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                new_case = services.case_reopen(
                    actor=request.user,
                    case=case,
                    reason=data["reason"],
                    detail=data["detail"],
                    case_manager=data["case_manager"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _(
                        "Re-opened as %(ref)s, linked to %(old)s. Update the referral: it is "
                        "pre-filled from the last episode's."
                    )
                    % {"ref": new_case.reference, "old": case.reference},
                )
                return redirect(case_url(new_case))
    return render(request, "ecm/reopen.html", {"case": case, "form": form}, status=status)


def case_url(case: Case) -> str:
    return reverse("case_detail", args=[case.pk])


@require_http_methods(["GET", "POST"])
def child_create(request):
    user = request.user
    teams = selectors.teams_for_new_cases(user)
    if not teams.exists():
        raise PermissionDenied
    form = ChildCaseForm(
        request.POST or None, teams=teams, case_managers=selectors.case_managers_for(user)
    )
    if request.method == "POST" and form.is_valid():
        try:
            case = services.child_register(actor=user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Child registered and case %(ref)s opened.") % {"ref": case.reference}
            )
            return redirect(case_url(case))
    return render(request, "ecm/child_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
def search(request):
    """Search by POST so the child's name never appears in a URL, log or browser history."""
    form = SearchForm(request.POST or None)
    results = None
    if request.method == "POST" and form.is_valid():
        results = list(selectors.child_search_for(request.user, form.cleaned_data["q"]))
        _decorate(results, timezone.localdate())
        # The term is often a child's name: only its length is kept, never the text.
        audit_listing(
            actor=request.user,
            action=AuditEvent.Action.SEARCH,
            cases=results,
            detail=f"{len(results)} result(s); term of {len(form.cleaned_data['q'])} character(s)",
        )
    return render(request, "ecm/search.html", {"form": form, "results": results})


AUDIT_FILTER_KEY = "ecm_audit_filters"


@require_http_methods(["GET", "POST"])
def audit_log(request):
    """Managers search the audit log. Filters go by POST and live in the session, so a
    child's name never appears in the URL; pages are then plain GETs."""
    access = access_for(request.user)
    if not access.can_view_audit():
        raise PermissionDenied
    if request.method == "POST":
        form = AuditSearchForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            request.session[AUDIT_FILTER_KEY] = {
                "user": data["user"],
                "child": data["child"],
                "date_from": data["date_from"].isoformat() if data["date_from"] else "",
                "date_to": data["date_to"].isoformat() if data["date_to"] else "",
            }
            return redirect("audit_log")
    else:
        if "clear" in request.GET:
            request.session.pop(AUDIT_FILTER_KEY, None)
        form = AuditSearchForm(initial=request.session.get(AUDIT_FILTER_KEY, {}))
    saved = request.session.get(AUDIT_FILTER_KEY, {})
    events = selectors.audit_events_for(
        request.user,
        actor_username=saved.get("user", ""),
        child_term=saved.get("child", ""),
        date_from=date.fromisoformat(saved["date_from"]) if saved.get("date_from") else None,
        date_to=date.fromisoformat(saved["date_to"]) if saved.get("date_to") else None,
    )
    page = _page(request, events)
    visible_children = set(
        selectors.case_list_for(request.user)
        .filter(child_id__in=[e.child_id for e in page.object_list if e.child_id])
        .values_list("child_id", flat=True)
    )
    for event in page.object_list:
        event.child_visible = event.child_id in visible_children
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "ecm/audit_log.html", {"form": form, "page": page}, status=status)


@login_not_required
@never_cache
@require_GET
def healthz(request):
    """Liveness for load balancers: 200 when the database answers; reports the broker."""
    body = {"status": "ok", "database": health.database_status()}
    if body["database"] != "ok":
        body["status"] = "error"
        return JsonResponse(body, status=503)
    body["broker"] = health.broker_status()
    body["scheduler"] = health.scheduler_status()
    return JsonResponse(body)


@require_http_methods(["GET", "POST"])
def child_correct(request, pk: int):
    """Correct the child's details, reached from their case's page; the history of earlier
    corrections below (for everyone who may see the case; the form for those who may
    correct). A refusal comes back with what was typed and the reason; a stale edit (409)
    with the saved details beside it."""
    case = selectors.case_get_for(request.user, pk)
    child = case.child
    can_correct = access_for(request.user).can_correct_child(case)
    if request.method == "POST" and not can_correct:
        raise PermissionDenied
    form = ChildCorrectionForm(request.POST or None, instance=copy(child)) if can_correct else None
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                correction = services.child_correct(
                    actor=request.user,
                    child=child,
                    data=form.correction_data(),
                    reason=form.cleaned_data["reason"],
                    expected_version=form.cleaned_data["version"],
                )
            except StaleEditError as exc:
                child = Child.objects.get(pk=child.pk)
                form = form_with_saved_version(
                    ChildCorrectionForm, request.POST, child, exc, instance=copy(child)
                )
                status = 409
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                message = _("The child's details are corrected.")
                if any(c["field"] == "date_of_birth" for c in correction.changes):
                    message += " " + _(
                        "Ages, the consent check and the timeline follow the new date of birth: "
                        "see the consent on the case page."
                    )
                messages.success(request, message)
                return redirect(case_url(case))
    else:
        audit_record(
            actor=request.user, action=AuditEvent.Action.VIEW, obj=case, detail="child details"
        )
    return render(
        request,
        "ecm/child_correct.html",
        {
            "case": case,
            "child": child,
            "form": form,
            "corrections": selectors.child_corrections_for(request.user, case),
        },
        status=status,
    )
