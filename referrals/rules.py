"""Evaluators that pre-fill each criterion of a rule set from the referral.

A rule set is data (`RuleSet` and its `Criterion` rows, with parameters); this module holds
the small, named pieces of logic the criteria refer to by `kind`. Each evaluator returns
(result, explanation): met / not met / unknown, and a sentence saying why, so the senior
practitioner sees how the suggestion was reached and can change it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from ecm.dates import add_months, display_date, whole_months_between

from .models import (
    ACE_FIELDS,
    COMPLEXITY_CPN,
    COMPLEXITY_YND,
    DISPOSAL_GROUPS,
    Criterion,
    CriterionResult,
    CurrentPreviousNever,
    Disposal,
    Referral,
    YesNoDontKnow,
)

MET, NOT_MET, UNKNOWN = CriterionResult.MET, CriterionResult.NOT_MET, CriterionResult.UNKNOWN


@dataclass(frozen=True)
class Suggestion:
    result: str
    explanation: str


def reference_date(referral: Referral) -> dt.date:
    from django.utils import timezone

    return referral.referral_date or timezone.localdate()


def complexity_indicators(referral: Referral) -> tuple[int, int]:
    """(indicators present, indicators unknown) from the complexity grid."""
    present = unknown = 0
    for field, _label in COMPLEXITY_CPN:
        value = getattr(referral, field)
        present += value in (CurrentPreviousNever.CURRENT, CurrentPreviousNever.PREVIOUS)
        unknown += value in (CurrentPreviousNever.DONT_KNOW, "")
    for field, _label in COMPLEXITY_YND:
        value = getattr(referral, field)
        present += value == YesNoDontKnow.YES
        unknown += value in (YesNoDontKnow.DONT_KNOW, "")
    return present, unknown


def _complex_needs(referral: Referral, params: dict) -> Suggestion:
    need = int(params.get("min_indicators", 2))
    present, unknown = complexity_indicators(referral)
    if present >= need:
        return Suggestion(
            MET,
            _("%(n)s complexity indicators present (at least %(need)s needed).")
            % {"n": present, "need": need},
        )
    if present + unknown >= need:
        return Suggestion(
            UNKNOWN,
            _("%(n)s indicators present and %(u)s not known; %(need)s needed.")
            % {"n": present, "u": unknown, "need": need},
        )
    return Suggestion(
        NOT_MET,
        _("Only %(n)s complexity indicators present; %(need)s needed.")
        % {"n": present, "need": need},
    )


def _disposal_label(referral: Referral) -> str:
    return str(Disposal(referral.disposal).label) if referral.disposal else _("not recorded")


def _disposal(referral: Referral, params: dict) -> Suggestion:
    """`groups`: eligible disposals. `exceptional_groups`: disposals eligible only in
    exceptional circumstances (suggested as not met: the senior practitioner who accepts
    such a case ticks "exceptional circumstances" and records why)."""
    if not referral.disposal:
        return Suggestion(UNKNOWN, _("The current order or disposal is not recorded."))
    allowed = set().union(*(DISPOSAL_GROUPS[g] for g in params.get("groups", [])))
    exceptional = set().union(*(DISPOSAL_GROUPS[g] for g in params.get("exceptional_groups", [])))
    label = _disposal_label(referral)
    if referral.disposal in allowed:
        return Suggestion(MET, _("%(d)s is an eligible disposal.") % {"d": label})
    if referral.disposal in exceptional:
        return Suggestion(
            NOT_MET,
            _(
                "%(d)s is eligible only in exceptional circumstances: to accept, tick "
                "“exceptional circumstances” and give the reason."
            )
            % {"d": label},
        )
    if referral.disposal == Disposal.OTHER:
        return Suggestion(UNKNOWN, _("“Other” disposal: the senior practitioner decides."))
    return Suggestion(NOT_MET, _("%(d)s is not an eligible disposal.") % {"d": label})


def _excluded(referral: Referral, params: dict) -> Suggestion:
    if not referral.disposal:
        return Suggestion(UNKNOWN, _("The current order or disposal is not recorded."))
    excluded = set().union(*(DISPOSAL_GROUPS[g] for g in params.get("groups", [])))
    if referral.disposal in excluded:
        return Suggestion(NOT_MET, _("%(d)s is excluded.") % {"d": _disposal_label(referral)})
    return Suggestion(MET, _("Not an excluded case."))


def months_remaining(referral: Referral) -> tuple[dt.date | None, int | None]:
    """The order's end date and whole months from the referral date to it."""
    end = referral.order_end_date
    if end is None:
        return None, None
    return end, whole_months_between(reference_date(referral), end)


def _involvement(referral: Referral, params: dict) -> Suggestion:
    """At least N months of YOT involvement from the referral date: the order still to run,
    plus (where the rule set allows) an agreed voluntary period."""
    need = int(params.get("months", 6))
    groups = params.get("statutory_groups")
    voluntary = referral.voluntary_months_agreed if params.get("allow_voluntary") else 0
    if groups is not None:
        allowed = set().union(*(DISPOSAL_GROUPS[g] for g in groups))
        if not referral.disposal:
            return Suggestion(UNKNOWN, _("The current order or disposal is not recorded."))
        if referral.disposal == Disposal.OTHER:
            return Suggestion(
                UNKNOWN,
                _(
                    "“Other” disposal: the senior practitioner decides "
                    "whether it is a statutory order."
                ),
            )
        if referral.disposal not in allowed:
            return Suggestion(
                NOT_MET, _("%(d)s is not a statutory order.") % {"d": _disposal_label(referral)}
            )
    end, remaining = months_remaining(referral)
    if end is None:
        if voluntary >= need:
            return Suggestion(
                MET, _("%(v)s months of agreed voluntary involvement.") % {"v": voluntary}
            )
        return Suggestion(UNKNOWN, _("The order's start date and length are needed."))
    ref = reference_date(referral)
    enough_order = add_months(ref, need) <= end
    if enough_order:
        return Suggestion(
            MET,
            _("The order runs until %(end)s: %(m)s months from referral.")
            % {"end": display_date(end), "m": remaining},
        )
    # A voluntary period runs on from the end of the order, or from the referral if the
    # order has already ended.
    if voluntary and add_months(ref, need) <= add_months(max(end, ref), voluntary):
        return Suggestion(
            MET,
            _(
                "%(m)s months of order plus %(v)s months agreed voluntary "
                "period make at least %(need)s."
            )
            % {"m": remaining, "v": voluntary, "need": need},
        )
    return Suggestion(
        NOT_MET,
        _("Only %(m)s months of involvement from referral (order ends %(end)s); %(need)s needed.")
        % {"m": remaining, "end": display_date(end), "need": need},
    )


def offences_in_window(referral: Referral, window_months: int) -> int:
    end = reference_date(referral)
    start = add_months(end, -window_months)
    return referral.case.offences.filter(date__gt=start, date__lte=end).count()


def _offences(referral: Referral, params: dict) -> Suggestion:
    need = int(params.get("count", 5))
    window = int(params.get("window_months", 12))
    if not referral.case.offences.exists():
        return Suggestion(UNKNOWN, _("No offences are recorded on the referral."))
    n = offences_in_window(referral, window)
    result = MET if n >= need else NOT_MET
    return Suggestion(
        result,
        _("%(n)s offences in the %(w)s months before referral; %(need)s needed.")
        % {"n": n, "w": window, "need": need},
    )


def _previously_offended(referral: Referral, params: dict) -> Suggestion:
    """The child has offended before the referral (2020 criteria as used in England)."""
    n = referral.case.offences.filter(date__lte=reference_date(referral)).count()
    if n:
        return Suggestion(MET, _("%(n)s offences recorded before referral.") % {"n": n})
    if referral.repeat_offender:
        return Suggestion(MET, _("The referral says the child is a repeat offender."))
    return Suggestion(UNKNOWN, _("No offences are recorded on the referral."))


def ace_indicators(referral: Referral, extra_fields=()) -> tuple[int, int]:
    """(ACEs present, ACEs not known) from the ACE grid and any `extra_fields` of the
    yes / no / don't know grids (e.g. emotional abuse, which the referral form asks with
    the complexity items)."""
    present = unknown = 0
    for field in [*ACE_FIELDS, *extra_fields]:
        value = getattr(referral, field)
        present += value == YesNoDontKnow.YES
        unknown += value in (YesNoDontKnow.DONT_KNOW, "")
    return present, unknown


def _aces(referral: Referral, params: dict) -> Suggestion:
    need = int(params.get("min_aces", 1))
    present, unknown = ace_indicators(referral, params.get("extra_fields", []))
    if present >= need:
        return Suggestion(
            MET,
            _("%(n)s adverse childhood experiences recorded (at least %(need)s needed).")
            % {"n": present, "need": need},
        )
    if present + unknown >= need:
        return Suggestion(
            UNKNOWN,
            _("%(n)s ACEs recorded and %(u)s not known; %(need)s needed.")
            % {"n": present, "u": unknown, "need": need},
        )
    return Suggestion(
        NOT_MET,
        _("Only %(n)s ACEs recorded; %(need)s needed.") % {"n": present, "need": need},
    )


def _manual(referral: Referral, params: dict) -> Suggestion:
    return Suggestion(UNKNOWN, _("Judged by the senior practitioner."))


EVALUATORS = {
    Criterion.Kind.COMPLEX_NEEDS: _complex_needs,
    Criterion.Kind.DISPOSAL: _disposal,
    Criterion.Kind.EXCLUDED: _excluded,
    Criterion.Kind.INVOLVEMENT: _involvement,
    Criterion.Kind.OFFENCES: _offences,
    Criterion.Kind.PREVIOUSLY_OFFENDED: _previously_offended,
    Criterion.Kind.ACES: _aces,
    Criterion.Kind.MANUAL: _manual,
}


def suggest(referral: Referral, criterion: Criterion) -> Suggestion:
    return EVALUATORS[criterion.kind](referral, criterion.params or {})


def evaluate(referral: Referral, criteria) -> list[tuple[Criterion, Suggestion]]:
    return [(c, suggest(referral, c)) for c in criteria]
