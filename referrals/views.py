"""Referral pages: the form, print view, AssetPlus download, eligibility check, the
senior practitioner's queue and waiting list, and consent."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ecm import virus_scan
from ecm.access import access_for
from ecm.audit import audit_case_record, audit_record
from ecm.editing import StaleEditError
from ecm.forms import add_service_errors
from ecm.models import ON_ECM_STATUSES, AuditEvent, CaseStatus
from ecm.panels import closure_url
from ecm.selectors import case_get_for

from . import rules, selectors, services, uploads
from .forms import (
    ConsentForm,
    ConsentRefuseForm,
    EligibilityForm,
    NoteForm,
    OffenceFormSet,
    OffenceRecordForm,
    OffenceRemoveForm,
    PriorityForm,
    ReadyForm,
    ReferralForm,
    RuleSetForm,
    WithdrawForm,
)
from .models import LEAFLET_VERSION, Consent, Referral, ReferralStatus, RuleSet

PAGE_SIZE = 50
#: The waiting list's rows a page: each row has its priority form.
WAITING_PAGE_SIZE = 25


def _case_url(case) -> str:
    return reverse("case_detail", args=[case.pk])


def _errors(exc: ValidationError) -> list[str]:
    return list(exc.messages)


def _referral_context(referral: Referral, **extra) -> dict:
    case = referral.case
    ctx = {
        "referral": referral,
        "case": case,
        "child": case.child,
        "age_at_referral": case.child.age_on(referral.referral_date or timezone.localdate()),
        "offences": list(case.offences.all()),
        "events": list(referral.events.select_related("actor")),
        "checks": list(
            referral.checks.select_related("rule_set", "checked_by").prefetch_related(
                "results__criterion"
            )
        ),
    }
    ctx.update(extra)
    return ctx


@require_http_methods(["GET", "POST"])
def referral_edit(request, pk: int):
    """The referral form (draft or returned), or the submitted referral read-only."""
    case = case_get_for(request.user, pk)
    referral = selectors.referral_for_case(case)
    access = access_for(request.user)
    if referral is None:
        if not access.can_edit_referral(case) or not case.is_open:
            raise Http404
        if request.method == "GET":
            return render(request, "referrals/start.html", {"case": case, "child": case.child})
        services.referral_start(actor=request.user, case=case)
        return redirect("referrals:edit", pk=case.pk)
    if not access.can_edit_referral(case) or referral.status not in services.EDITABLE:
        audit_case_record(request.user, AuditEvent.Action.VIEW, referral, case, detail="referral")
        can_decide = (
            access.can_decide_referral(case) and referral.status == ReferralStatus.SUBMITTED
        )
        return render(
            request, "referrals/detail.html", _referral_context(referral, can_decide=can_decide)
        )
    if request.method == "POST":
        return _referral_post(request, referral)
    return _form_page(request, referral, ReferralForm(instance=referral))


def _form_page(request, referral, form, offence_forms=None, problems=(), status=200):
    context = _referral_context(
        referral,
        form=form,
        offence_forms=offence_forms or OffenceFormSet(prefix="offence"),
        problems=list(problems),
        max_upload=settings.ASSETPLUS_MAX_BYTES,
    )
    # Unbound, with the boxes ticked as sent: an offence removed meanwhile is no error.
    context["remove_form"] = OffenceRemoveForm(
        initial={"delete_offence": request.POST.getlist("delete_offence")},
        offences=context["offences"],
    )
    return render(request, "referrals/form.html", context, status=status)


def _checked_upload(form):
    """The AssetPlus file if it is acceptable, and the reason if it is not (the answers are
    saved either way: only the file is refused)."""
    upload = form.cleaned_data.get("assetplus")
    if not upload:
        return None, None
    try:
        uploads.validate_document(upload)
    except ValidationError as exc:
        return None, exc
    return upload, None


def _upload_too_large_page(request, referral, form, offence_forms):
    """The file passed the limit while it streamed in (ecm/upload_handlers.py): Django
    stopped reading it, so fields after it in the body are missing. Nothing is saved; the
    form shows what was typed with the reason."""
    form.is_valid()
    offence_forms.is_valid()
    limit = filesizeformat(settings.ASSETPLUS_MAX_BYTES)
    form.add_error(
        "assetplus",
        ValidationError(
            _("The file is larger than %(limit)s, so it was not accepted.") % {"limit": limit},
            code="too_large",
        ),
    )
    messages.info(request, _("Nothing was saved: choose a smaller file, or save without one."))
    return _form_page(request, referral, form, offence_forms, status=413)


def _referral_post(request, referral):
    """Save the draft ("save"), or save and submit it ("submit")."""
    form = ReferralForm(request.POST, request.FILES, instance=referral)
    offence_forms = OffenceFormSet(request.POST, prefix="offence")
    if getattr(request, "upload_too_large", False):
        return _upload_too_large_page(request, referral, form, offence_forms)
    if not (form.is_valid() & offence_forms.is_valid()):
        return _form_page(request, referral, form, offence_forms, status=400)
    upload, upload_error = _checked_upload(form)
    try:
        referral = services.referral_save(
            actor=request.user,
            referral=referral,
            data=form.model_data(),
            offences=offence_forms.new_offences(),
            delete_offence_ids=[
                int(i) for i in request.POST.getlist("delete_offence") if i.isdigit()
            ],
            upload=upload,
            expected_version=form.cleaned_data["version"],
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return _form_page(request, referral, form, offence_forms, status=400)
    if upload_error is not None:
        # Keep what was typed, with the saved version, and say why the file was refused.
        if upload_error.code == virus_scan.INFECTED:
            virus_scan.audit_infected_upload(
                actor=request.user,
                obj=referral,
                case=referral.case,
                error=upload_error,
                what="AssetPlus",
            )
        data = request.POST.copy()
        data["version"] = str(referral.version)
        form = ReferralForm(data, instance=referral)
        form.is_valid()
        form.add_error("assetplus", upload_error)
        messages.info(request, _("Your answers are saved as a draft; the file was not accepted."))
        return _form_page(request, referral, form)
    if "submit" not in request.POST:
        messages.success(request, _("Draft saved."))
        return redirect("referrals:edit", pk=referral.case_id)
    try:
        services.referral_submit(
            actor=request.user, referral=referral, expected_version=referral.version
        )
    except ValidationError as exc:
        messages.info(request, _("Your answers are saved as a draft."))
        # Each missing answer with the field it is about: the form links to each one.
        problems = services.missing_answers(referral) or exc.messages
        return _form_page(request, referral, ReferralForm(instance=referral), problems=problems)
    messages.success(request, _("Referral submitted to the senior practitioner."))
    return redirect(_case_url(referral.case))


@require_POST
def referral_autosave(request, pk: int):
    """The draft's save every half minute while it changes (static/ecm/unsaved.js): the
    answers only (files and new offence rows wait for "Save draft", so they are never saved
    twice), through `referral_save` with its stale-edit check; nothing is saved (or audited)
    when nothing changed. Replies with the new version for the page's form, so that its next
    save is taken; a stale draft is refused (409) and nothing is overwritten."""
    case = case_get_for(request.user, pk)
    referral = selectors.referral_for_case(case)
    if referral is None or not access_for(request.user).can_edit_referral(case):
        raise Http404
    form = ReferralForm(request.POST, instance=referral)
    if not form.is_valid():
        message = _("Not saved automatically: some answers need correcting. Use Save draft.")
        return JsonResponse({"message": message}, status=400)
    if form.has_changed():
        try:
            referral = services.referral_save(
                actor=request.user,
                referral=referral,
                data=form.model_data(),
                expected_version=form.cleaned_data["version"],
            )
        except StaleEditError:
            message = _(
                "Not saved: someone else saved this referral after you opened it. What you "
                "typed is still here. Copy it, reload the page and compare before saving."
            )
            return JsonResponse({"message": message}, status=409)
        except ValidationError as exc:
            return JsonResponse({"message": " ".join(exc.messages)}, status=400)
    saved_at = timezone.localtime().strftime("%H:%M")
    return JsonResponse(
        {"message": _("Saved at %(time)s") % {"time": saved_at}, "version": referral.version}
    )


@require_GET
def referral_print(request, pk: int):
    case = case_get_for(request.user, pk)
    referral = selectors.referral_for_case(case)
    if referral is None:
        raise Http404
    audit_case_record(
        request.user, AuditEvent.Action.EXPORT, referral, case, detail="referral print view"
    )
    return render(
        request,
        "referrals/print.html",
        _referral_context(referral, changes=selectors.referral_changes(referral)),
    )


@require_GET
def referral_changes(request, pk: int):
    """A re-opened episode's referral: what changed since the last episode's, field by
    field (the draft started as a copy of it)."""
    case = case_get_for(request.user, pk)
    referral = selectors.referral_for_case(case)
    previous = selectors.previous_referral(referral) if referral is not None else None
    if previous is None:
        raise Http404
    audit_case_record(
        request.user, AuditEvent.Action.VIEW, referral, case, detail="referral changes"
    )
    return render(
        request,
        "referrals/changes.html",
        {
            "case": case,
            "child": case.child,
            "referral": referral,
            "previous": previous,
            "changes": selectors.referral_changes(referral, previous),
        },
    )


@require_GET
def assetplus_download(request, pk: int):
    """The AssetPlus file, for those who may see the case; every download is audited."""
    case = case_get_for(request.user, pk)
    referral = selectors.referral_for_case(case)
    if referral is None or not referral.assetplus_file:
        raise Http404
    audit_case_record(
        request.user, AuditEvent.Action.EXPORT, referral, case, detail="AssetPlus download"
    )
    response = FileResponse(
        referral.assetplus_file.open("rb"),
        as_attachment=True,
        filename=referral.assetplus_name,
        content_type=referral.assetplus_content_type,
    )
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
def referral_ready(request, pk: int):
    case = case_get_for(request.user, pk)
    form = ReadyForm(request.POST)
    form.is_valid()
    try:
        services.referral_mark_ready(
            actor=request.user, case=case, note=form.cleaned_data.get("note", "")
        )
    except PermissionDenied:
        messages.error(request, _("You cannot change this case."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Assessed as ready: complete the referral form."))
        return redirect("referrals:edit", pk=case.pk)
    return redirect(_case_url(case))


def _int_or_none(value) -> int | None:
    return int(value) if value and str(value).isdigit() else None


@require_http_methods(["GET", "POST"])
def eligibility_check(request, pk: int):
    case = case_get_for(request.user, pk)
    referral = selectors.referral_for_case(case)
    if referral is None or not access_for(request.user).can_decide_referral(case):
        raise Http404
    if referral.status != ReferralStatus.SUBMITTED:
        messages.info(request, _("This referral is not awaiting a decision."))
        return redirect("referrals:edit", pk=case.pk)
    sent = request.POST if "rule_set" in request.POST else request.GET
    chosen = RuleSetForm(sent)
    rule_set = chosen.cleaned_data["rule_set"] if chosen.is_valid() else None
    if rule_set is None:
        # A retired set (asked for, or retired while the page was open) is said so.
        asked = RuleSet.objects.filter(pk=_int_or_none(sent.get("rule_set"))).first()
        if asked is not None and not asked.is_active:
            messages.warning(request, services.retired_message(asked))
    rule_set = rule_set or services.rule_set_for(case)
    if rule_set is None:
        messages.error(request, _("No eligibility rule set is configured. Ask an administrator."))
        return redirect(_case_url(case))
    criteria = list(rule_set.criteria.all())
    suggestions = {c.pk: s for c, s in rules.evaluate(referral, criteria)}
    form = EligibilityForm(
        request.POST if request.method == "POST" and "decide" in request.POST else None,
        criteria=criteria,
        suggestions=suggestions,
        initial={"rule_set": rule_set},
    )
    if form.is_bound and form.is_valid():
        data = services.DecisionInput(
            rule_set=form.cleaned_data["rule_set"],
            results=form.results(),
            decision=form.cleaned_data["decision"],
            not_met_reasons=form.cleaned_data["not_met_reasons"],
            reasons=form.cleaned_data["reasons"],
            exceptional_override=form.cleaned_data["exceptional_override"],
            override_reason=form.cleaned_data["override_reason"],
        )
        try:
            check = services.eligibility_decide(actor=request.user, referral=referral, data=data)
        except services.AlreadyDecidedError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("referrals:edit", pk=case.pk)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            case.refresh_from_db()
            messages.success(
                request,
                _("Decision recorded: %(d)s. The case is now “%(s)s”.")
                % {"d": check.get_decision_display(), "s": case.get_status_display()},
            )
            return redirect(_case_url(case))
    audit_case_record(
        request.user, AuditEvent.Action.VIEW, referral, case, detail="eligibility check"
    )
    return render(
        request,
        "referrals/check.html",
        _referral_context(
            referral,
            form=form,
            rule_set=rule_set,
            rule_set_form=RuleSetForm(initial={"rule_set": rule_set}, auto_id="pick-%s"),
            viability_form=NoteForm(),
        ),
    )


@require_POST
def viability(request, pk: int):
    case = case_get_for(request.user, pk)
    referral = selectors.referral_for_case(case)
    if referral is None or not access_for(request.user).can_decide_referral(case):
        raise Http404
    form = NoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(m for errors in form.errors.values() for m in errors))
        return redirect("referrals:check", pk=case.pk)
    try:
        services.referral_record_viability(
            actor=request.user, referral=referral, note=form.cleaned_data["note"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Viability discussion recorded."))
    return redirect("referrals:check", pk=case.pk)


@require_POST
def set_priority(request, pk: int):
    case = case_get_for(request.user, pk)
    referral = selectors.referral_for_case(case)
    if referral is None or not access_for(request.user).can_decide_referral(case):
        raise Http404
    form = PriorityForm(request.POST)
    form.is_valid()
    try:
        services.referral_set_priority(
            actor=request.user,
            referral=referral,
            significant_concern=form.cleaned_data.get("significant_concern", False),
            note=form.cleaned_data.get("note", ""),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Priority updated."))
    # Back to the page of the list the row was on (the form's action names it).
    page = request.GET.get("page", "")
    url = reverse("referrals:waiting_list")
    return redirect(f"{url}?{urlencode({'page': page})}" if page.isdigit() else url)


@require_POST
def offer_slot(request, pk: int):
    case = case_get_for(request.user, pk)
    referral = selectors.referral_for_case(case)
    if referral is None or not access_for(request.user).can_decide_referral(case):
        raise Http404
    try:
        case = services.waiting_list_offer_slot(actor=request.user, referral=referral)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("referrals:waiting_list")
    messages.success(
        request,
        _("%(ref)s taken off the waiting list: now “%(s)s”.")
        % {"ref": case.reference, "s": case.get_status_display()},
    )
    return redirect(_case_url(case))


@require_GET
def decision_queue(request):
    if not access_for(request.user).can_sift_referrals():
        raise PermissionDenied
    today = timezone.localdate()
    page = Paginator(selectors.decision_queue_page_for(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for referral in page.object_list:
        referral.age_days = selectors.days_referred(referral, today)
    return render(request, "referrals/queue.html", {"page": page})


@require_GET
def waiting_list(request):
    if not access_for(request.user).can_sift_referrals():
        raise PermissionDenied
    today = timezone.localdate()
    page = Paginator(selectors.waiting_list_in_line_for(request.user), WAITING_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    entries = list(page.object_list)
    selectors.estimate_slots(entries, today)
    for entry in entries:
        entry.days_waiting = selectors.days_waiting(entry, today)
        # Its PriorityForm's fields are written by referrals/_priority_fields.html, with
        # these ids (the form's auto_id).
        entry.priority_ids = f"priority-{entry.pk}-"
    return render(
        request,
        "referrals/waiting_list.html",
        {
            "entries": entries,
            "page": page,
            # The priority forms come back to this page.
            "page_query": f"?page={page.number}" if page.number > 1 else "",
            "concern_points": selectors.SIGNIFICANT_CONCERN_POINTS,
            "priority_form": PriorityForm(),  # the labels of each row's fields
        },
    )


# --- Consent ------------------------------------------------------------------------------


def _withdraw_ids(consent_id: str) -> str:
    """Ids for a consent record's withdrawal form, apart from the other rows' and from the
    consent form's (set when the form is made: its errors keep the ids it had then)."""
    return f"withdraw-{consent_id}-%s" if consent_id.isdigit() else "withdraw-%s"


def _consent_post(request, case, form, refuse_form, withdraw_form):
    """Handle one of the consent page's three forms; a redirect when it was recorded."""
    if "record" in request.POST and form.is_valid():
        data = form.cleaned_data
        try:
            services.consent_record(
                actor=request.user,
                case=case,
                kind=data["kind"],
                date=data["date"],
                given=data["given"],
                explained_by=data["explained_by"],
                signatory_name=data["signatory_name"],
                signatory_relationship=data["signatory_relationship"],
                notes=data["notes"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Consent recorded."))
            return redirect("referrals:consent", pk=case.pk)
    if "refuse" in request.POST and refuse_form.is_valid():
        data = refuse_form.cleaned_data
        try:
            services.consent_refuse(
                actor=request.user,
                case=case,
                kind=data["kind"],
                date=data["date"],
                reason=data["reason"],
                explained_by=data["explained_by"],
                signatory_name=data["signatory_name"],
                signatory_relationship=data["signatory_relationship"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                refuse_form.add_error(None, message)
        else:
            case.refresh_from_db()
            messages.success(
                request,
                _("Refusal recorded. The case is now “%(s)s”.") % {"s": case.get_status_display()},
            )
            return redirect(_case_url(case))
    if "withdraw" in request.POST and withdraw_form.is_valid():
        data = withdraw_form.cleaned_data
        record = Consent.objects.filter(case=case, pk=data["consent_id"]).first()
        if record is None:
            raise Http404
        try:
            case = services.consent_withdraw(
                actor=request.user, consent=record, date=data["date"], reason=data["reason"]
            )
        except ValidationError as exc:
            for message in exc.messages:
                withdraw_form.add_error(None, message)
        else:
            if case.status in ON_ECM_STATUSES and (page := closure_url(case)):
                # On ECM the case ends through its closure record, reason chosen.
                messages.warning(
                    request,
                    _("Withdrawal recorded. Record the closure of the case now."),
                )
                query = urlencode({"reason": "consent_withdrawn", "closed_on": data["date"]})
                return redirect(f"{page}?{query}")
            messages.success(
                request,
                _("Withdrawal recorded. The case is now “%(s)s”.")
                % {"s": case.get_status_display()},
            )
            return redirect("referrals:consent", pk=case.pk)
    return None


@require_http_methods(["GET", "POST"])
def consent(request, pk: int):
    case = case_get_for(request.user, pk)
    can_record = access_for(request.user).can_record_consent(case)
    explainers = services.consent_explainers(case)
    form = ConsentForm(
        request.POST if "record" in request.POST else None,
        explainers=explainers,
        recorder=request.user,
    )
    refuse_form = ConsentRefuseForm(
        request.POST if "refuse" in request.POST else None,
        explainers=explainers,
        recorder=request.user,
        auto_id="refuse-%s",
    )
    withdraw_form = WithdrawForm(
        request.POST if "withdraw" in request.POST else None,
        auto_id=_withdraw_ids(request.POST.get("consent_id", "")),
    )
    if request.method == "POST":
        if not can_record:
            raise PermissionDenied
        done = _consent_post(request, case, form, refuse_form, withdraw_form)
        if done is not None:
            return done
    records = list(case.consents.select_related("explained_by", "recorded_by"))
    withdraw_form_shown = False
    for record in records:
        if not (record.given and not record.withdrawn_on and can_record):
            continue
        # A withdrawal form in each row; the one just sent keeps what was typed and its errors.
        if withdraw_form.is_bound and withdraw_form.data.get("consent_id") == str(record.pk):
            record.withdraw_form, withdraw_form_shown = withdraw_form, True
        else:
            record.withdraw_form = WithdrawForm(
                initial={"consent_id": record.pk}, auto_id=_withdraw_ids(str(record.pk))
            )
    audit_record(actor=request.user, action=AuditEvent.Action.VIEW, obj=case, detail="consent")
    return render(
        request,
        "referrals/consent.html",
        {
            "case": case,
            "child": case.child,
            "records": records,
            "status": services.consent_status(case, records),
            "form": form,
            "refuse_form": refuse_form,
            "can_refuse": can_record and case.status == CaseStatus.AWAITING_CONSENT,
            "withdraw_form": None if withdraw_form_shown else withdraw_form,
            "can_record": can_record and case.is_open,
            "leaflet_version": LEAFLET_VERSION,
            # A re-opened episode still without ECM consent: why the earlier one did not carry.
            "carry_forward": services.consent_carry_forward_check(case)
            if case.previous_case_id and case.is_open
            else None,
        },
        status=400 if request.method == "POST" else 200,
    )


@require_GET
def leaflet(request, pk: int):
    """The ECM leaflet with its consent text, to explain and print for signature."""
    case = case_get_for(request.user, pk)
    audit_record(
        actor=request.user,
        action=AuditEvent.Action.EXPORT,
        obj=case,
        detail="consent leaflet print",
    )
    return render(
        request,
        "referrals/leaflet.html",
        {
            "case": case,
            "child": case.child,
            "leaflet_version": LEAFLET_VERSION,
            "under_16": case.child.age < 16,
            "leaflet_languages": LEAFLET_LANGUAGES,
            "leaflet_name_label": _in_leaflet_languages(gettext_lazy("Name")),
            "leaflet_signature_labels": [
                _in_leaflet_languages(label)
                for label in (
                    gettext_lazy("Signed"),
                    gettext_lazy("Date"),
                    gettext_lazy("Explained by (YOT worker)"),
                )
            ],
        },
    )


# The leaflet prints Welsh and English side by side, Welsh first (issue 23).
LEAFLET_LANGUAGES = ("cy", "en-gb")


def _in_leaflet_languages(text) -> list[tuple[str, str]]:
    out = []
    for code in LEAFLET_LANGUAGES:
        with translation.override(code):
            out.append((code, str(text)))
    return out


def referral_panel(request, case) -> str:
    """The referral and consent section of the case page (constant queries)."""
    from django.template.loader import render_to_string

    referral, last_event, consents = selectors.case_panel_reads(case)
    user = request.user
    consent_info = None
    if case.status in (CaseStatus.AWAITING_CONSENT, CaseStatus.PREPARATION, *ON_ECM_STATUSES) or (
        referral and consents
    ):
        consent_info = services.consent_status(case, consents)
    return render_to_string(
        "referrals/panel.html",
        {
            "case": case,
            "referral": referral,
            "last_event": last_event,
            "consent": consent_info,
            "ready_form": ReadyForm(auto_id="ready-%s"),
            "can_edit": access_for(user).can_edit_referral(case),
            "can_decide": access_for(user).can_decide_referral(case),
            "can_record_offence": access_for(user).can_record_offence(case),
        },
        request=request,
    )


@require_http_methods(["GET", "POST"])
def offences(request, pk: int):
    """The case's offences (from the referral, the reviews and recorded here), and the form
    to record one: also once the case has ended, for offending after ECM."""
    case = case_get_for(request.user, pk)
    can_record = access_for(request.user).can_record_offence(case)
    form = OffenceRecordForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not can_record:
            raise PermissionDenied
        status = 400
        if form.is_valid():
            try:
                services.offence_record(actor=request.user, case=case, data=form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Offence recorded."))
                return redirect("referrals:offences", pk=case.pk)
    else:
        audit_record(actor=request.user, action=AuditEvent.Action.VIEW, obj=case, detail="offences")
    return render(
        request,
        "referrals/offences.html",
        {
            "case": case,
            "offences": list(case.offences.order_by("-date", "-pk")),
            "form": form,
            "can_record": can_record,
        },
        status=status,
    )
