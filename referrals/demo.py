"""Demo data for the referral pathway: referrals in every state (called by seed_demo)."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from ecm import services as core
from ecm.models import Team

from . import services
from .models import (
    ACE_FIELDS,
    COMPLEXITY_CPN,
    COMPLEXITY_YND,
    Consent,
    Decision,
    RuleSet,
    TeamReferralSettings,
)


def minimal_pdf(text: str) -> bytes:
    """A small, valid one-page PDF (for demo and test AssetPlus files)."""
    safe = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 14 Tf 72 770 Td ({safe}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _answers(seed: int) -> dict:
    """Deterministic, varied grid answers; some "don't know" as real forms have."""
    data = {}
    cpn = ["current", "previous", "never", "never"]
    for i, (name, _label) in enumerate(COMPLEXITY_CPN):
        data[name] = cpn[(seed + i) % 4]
    ynd = ["yes", "no", "yes", "dont_know", "yes"]
    for i, (name, _label) in enumerate(COMPLEXITY_YND):
        data[name] = ynd[(seed + i) % 5]
    ace = ["yes", "no", "dont_know", "yes", "no", "yes"]
    for i, name in enumerate(ACE_FIELDS):
        data[name] = ace[(seed * 3 + i) % 6]
    return data


def complete_referral(
    actor, case, *, seed: int, today: dt.date, disposal="yro", months=12, started_ago=30
):
    referral = services.referral_start(actor=actor, case=case)
    data = {
        "contact_number": "01632 960" + f"{100 + seed:03d}"[-3:],
        "referral_date": today,
        "reason": "Repeated offending alongside placement breakdowns and school exclusion; "
        "the team is struggling to engage.",
        "why_ecm": "A shared formulation would help the professionals around the child "
        "agree how to sequence work and build a trusting relationship.",
        "disposal": disposal,
        "order_start_date": today - dt.timedelta(days=started_ago),
        "order_length_months": months,
        "voluntary_months_agreed": 0,
        "previous_interventions": seed % 4,
        "repeat_offender": seed % 3 != 0,
        # AssetPlus ratings: reoffending 1-3, vulnerability and serious harm 1-4.
        "risk_reoffending": [2, 3, 1][seed % 3],
        "risk_harm_self": [1, 2, 4][seed % 3],
        "risk_harm_others": [2, 2, 3][seed % 3],
        **_answers(seed),
    }
    offences = [
        {
            "date": today - dt.timedelta(days=30 * (k + 1) + seed),
            "offence_type": kind,
            "gravity": gravity,
        }
        for k, (kind, gravity) in enumerate(
            [
                ("Theft from a shop", 2),
                ("Criminal damage", 3),
                ("Common assault", 3),
                ("Possession of cannabis", 2),
                ("Burglary (dwelling)", 6),
                ("Robbery", 6),
            ][: 3 + seed % 4]
        )
    ]
    pdf = SimpleUploadedFile(
        "AssetPlus assessment.pdf",
        minimal_pdf(f"AssetPlus assessment (demo) {case.reference}"),
        content_type="application/pdf",
    )
    return services.referral_save(
        actor=actor, referral=referral, data=data, offences=offences, upload=pdf
    )


def decide(senior, referral, decision, **extra):
    rule_set = services.rule_set_for(referral.case)
    from . import rules

    results = {c.pk: s.result for c, s in rules.evaluate(referral, rule_set.criteria.all())}
    if decision in (Decision.ACCEPTED, Decision.PRIORITY):
        results = {k: "met" if v == "unknown" else v for k, v in results.items()}
        if "not_met" in results.values():
            extra.setdefault("exceptional_override", True)
            extra.setdefault("override_reason", "Agreed at panel: exceptional concerns.")
    return services.eligibility_decide(
        actor=senior,
        referral=referral,
        data=services.DecisionInput(rule_set=rule_set, results=results, decision=decision, **extra),
    )


def give_consent(actor, case, on: dt.date):
    services.consent_record(actor=actor, case=case, kind=Consent.Kind.ECM_CHILD, date=on)
    if case.child.age_on(on) < 16:
        services.consent_record(
            actor=actor,
            case=case,
            kind=Consent.Kind.PARENT_GENERAL,
            date=on,
            signatory_name="Parent or carer",
            signatory_relationship="Mother",
        )
    services.consent_record(
        actor=actor, case=case, kind=Consent.Kind.EVALUATION, date=on, given=case.pk % 2 == 0
    )


def seed(ctx) -> None:
    """Take each newly created demo child along its path (idempotent through ctx.new)."""
    rule_set = RuleSet.objects.filter(code="yjb-2020", is_active=True).first()
    for team in ctx.teams.values():
        TeamReferralSettings.objects.get_or_create(
            team=team,
            defaults={
                "rule_set": rule_set,
                "formulations_per_month": 2 if team.kind == Team.Kind.CENTRAL else 1,
            },
        )
    today = timezone.localdate()
    senior = ctx.users["senior"]
    for n, (ref, case) in enumerate(ctx.new_cases.items()):
        _walk(case, ctx.paths[ref], seed=n * 7 + sum(map(ord, ref)), today=today, senior=senior)
        _backdate(case)


def _backdate(case) -> None:
    """Spread the referral's dates over the time since the case opened, so ages in days
    and waiting times look like a real caseload."""
    from .models import Referral, ReferralEvent

    referral = Referral.objects.filter(case=case).first()
    if referral is None:
        return
    opened = timezone.make_aware(dt.datetime.combine(case.opened_on, dt.time(10)))
    span = max((timezone.now() - opened).days, 1)
    events = list(referral.events.order_by("pk"))
    for i, event in enumerate(events, start=1):
        ReferralEvent.objects.filter(pk=event.pk).update(
            at=opened + dt.timedelta(days=span * i / (len(events) + 1))
        )
    times = dict(ReferralEvent.objects.filter(referral=referral).values_list("kind", "at"))
    Referral.objects.filter(pk=referral.pk).update(
        submitted_at=times.get("submitted") if referral.submitted_at else None,
        decided_at=times.get("decision") if referral.decided_at else None,
        waiting_since=times.get("decision") if referral.waiting_since else None,
    )


def _walk(case, path, *, seed: int, today, senior) -> None:
    """Take one case along its demo path."""
    cm = case.case_manager
    n = seed
    if path in ("potential", "not_carried_forward"):
        return
    services.referral_mark_ready(
        actor=cm,
        case=case,
        note="Discussed at team meeting; supervisor agrees the child is ready.",
    )
    case.refresh_from_db()
    if path == "ready":
        referral = services.referral_start(actor=cm, case=case)
        services.referral_save(
            actor=cm, referral=referral, data={"reason": "Draft: concerns about exploitation."}
        )
        return
    disposal = "prevention" if path == "not_met" else "yro"
    referral = complete_referral(cm, case, seed=n, today=today, disposal=disposal)
    referral = services.referral_submit(actor=cm, referral=referral)
    if path == "referred":
        return
    if path == "returned":
        decide(
            senior,
            referral,
            Decision.MORE_INFO,
            reasons="Please add the CAMHS history and school attendance.",
        )
        return
    if path == "not_met":
        decide(
            senior,
            referral,
            Decision.NOT_MET,
            not_met_reasons=["prevention"],
            reasons="Prevention case: no disposal.",
        )
        return
    if path == "not_viable":
        services.referral_record_viability(
            actor=senior,
            referral=referral,
            note="Child moving out of area next month; discussed with the YOT.",
        )
        decide(senior, referral, Decision.NOT_VIABLE, reasons="Moving out of area within weeks.")
        return
    if path == "waiting":
        decide(senior, referral, Decision.PRIORITY, reasons="Capacity full this month.")
        return
    decide(senior, referral, Decision.ACCEPTED)
    case.refresh_from_db()
    if path == "awaiting_consent":
        return
    if path == "consent_refused":
        # The leaflet was explained by the senior practitioner; the child declined ECM.
        services.consent_refuse(
            actor=cm,
            case=case,
            kind=Consent.Kind.ECM_CHILD,
            date=today,
            reason="Does not want to meet another professional just now.",
            explained_by=senior if senior in services.consent_explainers(case) else None,
        )
        return
    give_consent(cm, case, today)
    case.refresh_from_db()
    if path == "preparation":
        return
    core.case_activate(actor=senior, case=case)
    # Active, closed and re-opened paths stop here: the formulation demo holds the meeting
    # and the reviews demo records reviews, then closes (and re-opens) through the closure
    # review.
