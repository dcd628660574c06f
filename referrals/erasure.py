"""The referral app's part of erasing a child (`ecm.erasure`): the AssetPlus upload on disk
and every free text of the referral, its history, the eligibility checks and the consents.
What the monitoring figures count stays: the referral's dates, grids, disposal, order and
risk ratings; the checks' decisions and reasons codes; offences' dates and gravity; the
consents' kinds and dates."""

from __future__ import annotations

from ecm.erasure import blank_text, delete_file_on_commit

from .models import CheckResult, Consent, EligibilityCheck, Offence, Referral, ReferralEvent

#: Written in place of a required reason that is erased (a constraint wants one).
ERASED_REASON = "[erased]"


def erase(child, cases) -> dict[str, int]:
    counts: dict[str, int] = {}
    referrals = Referral.objects.filter(case__in=cases)
    files = 0
    for referral in referrals.exclude(assetplus_file=""):
        files += delete_file_on_commit(referral.assetplus_file)
    counts["uploads"] = files
    counts["referrals"] = blank_text(
        referrals,
        [
            "reason",
            "why_ecm",
            "contact_number",
            "significant_concern_note",
            "assetplus_file",
            "assetplus_name",
            "assetplus_content_type",
        ],
        assetplus_size=None,
    )
    counts["referral_events"] = blank_text(
        ReferralEvent.objects.filter(referral__in=referrals), ["summary", "note"]
    )
    checks = EligibilityCheck.objects.filter(referral__in=referrals)
    counts["eligibility_checks"] = blank_text(
        checks.filter(exceptional_override=False), ["reasons", "override_reason"]
    ) + blank_text(
        checks.filter(exceptional_override=True), ["reasons"], override_reason=ERASED_REASON
    )
    counts["eligibility_results"] = blank_text(
        CheckResult.objects.filter(check_record__in=checks), ["explanation"]
    )
    # The offence's words go; its date and gravity stay (reoffending figures).
    counts["offences"] = blank_text(
        Offence.objects.filter(case__in=cases), ["offence_type", "disposal"]
    )
    counts["consents"] = blank_text(
        Consent.objects.filter(case__in=cases),
        ["signatory_name", "signatory_relationship", "notes", "withdrawal_reason"],
    )
    return counts


def register() -> None:
    from ecm.erasure import register_eraser

    register_eraser("referrals", erase, 10)
