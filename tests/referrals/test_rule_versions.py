"""Rule sets keep their meaning: a set used by a check is never edited in place (a change is
a new version), retired sets refuse new checks, and the 2020 criteria as used in England
ship alongside the others."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from ecm.models import AuditEvent
from referrals import rules, services
from referrals.models import (
    COMPLEXITY_CPN,
    COMPLEXITY_YND,
    Criterion,
    CriterionResult,
    Decision,
    Offence,
    Referral,
    RuleSet,
    TeamReferralSettings,
)
from tests.factories import CaseFactory, UserFactory

MET, NOT_MET, UNKNOWN = CriterionResult.MET, CriterionResult.NOT_MET, CriterionResult.UNKNOWN


def _accept(actor, referral, rule_set):
    return services.eligibility_decide(
        actor=actor,
        referral=referral,
        data=services.DecisionInput(
            rule_set=rule_set,
            results={c.pk: MET for c in rule_set.criteria.all()},
            decision=Decision.ACCEPTED,
        ),
    )


@pytest.fixture
def rule_admin(db):
    user = UserFactory(username="steering", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="referrals", codename__regex="_(ruleset|criterion)$"
        )
    )
    return user


@pytest.fixture
def used_set(world, submitted):
    """The rule set of the submitted referral's team, used by a recorded check."""
    rule_set = services.rule_set_for(submitted.case)
    _accept(world.central_senior, submitted, rule_set)
    return rule_set


# --- Retired sets refuse new checks ---------------------------------------------------------


def test_the_2014_welsh_set_refuses_new_checks_with_a_clear_message(world, submitted):
    retired = RuleSet.objects.get(code="welsh-trial", version=1)
    assert not retired.is_active
    with pytest.raises(ValidationError) as exc:
        _accept(world.central_senior, submitted, retired)
    message = " ".join(exc.value.messages)
    assert "Welsh ECM trial (2014) (v1)" in message and "retired" in message
    assert "Welsh ECM trial (amended May 2015) (v2)" in message  # what to use instead
    submitted.refresh_from_db()
    assert submitted.status == "submitted" and not submitted.checks.exists()


def test_a_team_set_to_a_retired_version_checks_against_its_successor(world, submitted):
    TeamReferralSettings.objects.create(
        team=world.central, rule_set=RuleSet.objects.get(code="welsh-trial", version=1)
    )
    assert services.rule_set_for(submitted.case) == RuleSet.objects.get(
        code="welsh-trial", version=2
    )


def test_check_page_says_an_asked_for_set_is_retired_and_uses_the_current_one(
    client, world, submitted
):
    retired = RuleSet.objects.get(code="welsh-trial", version=1)
    client.force_login(world.central_senior)
    url = reverse("referrals:check", args=[submitted.case.pk])
    body = client.get(url, {"rule_set": retired.pk}).content.decode()
    assert "is retired" in body
    assert f'value="{retired.pk}"' not in body  # neither offered nor carried


def test_deciding_on_a_set_retired_while_the_page_was_open_is_refused_in_words(
    client, world, submitted
):
    rule_set = services.rule_set_for(submitted.case)
    RuleSet.objects.filter(pk=rule_set.pk).update(is_active=False)
    client.force_login(world.central_senior)
    data = {"rule_set": rule_set.pk, "decision": "accepted", "decide": "1"}
    data.update({f"criterion_{c.pk}": "met" for c in rule_set.criteria.all()})
    response = client.post(reverse("referrals:check", args=[submitted.case.pk]), data)
    assert response.status_code == 200
    assert "is retired" in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == "submitted"


# --- A change is a new version ----------------------------------------------------------------


def test_new_version_copies_retires_the_old_and_moves_teams(world, used_set, rule_admin):
    TeamReferralSettings.objects.create(team=world.yot_b, rule_set=used_set)
    old_criteria = list(used_set.criteria.values_list("code", "text", "kind", "params"))
    new = services.rule_set_new_version(actor=rule_admin, rule_set=used_set)
    used_set.refresh_from_db()
    assert (new.code, new.version, new.is_active) == (used_set.code, used_set.version + 1, True)
    assert not used_set.is_active
    assert list(new.criteria.values_list("code", "text", "kind", "params")) == old_criteria
    assert used_set.criteria.count() == len(old_criteria)  # the old one is kept as it was
    assert used_set.checks.count() == 1 and not new.checks.exists()
    assert TeamReferralSettings.objects.get(team=world.yot_b).rule_set == new
    assert AuditEvent.objects.filter(
        object_type="referrals.ruleset", object_id=str(new.pk), action="create"
    ).exists()
    assert AuditEvent.objects.filter(
        object_type="referrals.ruleset", object_id=str(used_set.pk), changed_fields=["is_active"]
    ).exists()
    # A second change of the same set takes the next number again.
    newer = services.rule_set_new_version(actor=rule_admin, rule_set=used_set)
    assert newer.version == new.version + 1


def test_only_rule_set_administrators_make_versions(world, used_set):
    with pytest.raises(PermissionDenied):
        services.rule_set_new_version(actor=world.senior, rule_set=used_set)


def test_admin_shows_a_used_set_read_only_and_saving_changes_nothing(client, used_set, rule_admin):
    client.force_login(rule_admin)
    url = reverse("admin:referrals_ruleset_change", args=[used_set.pk])
    body = client.get(url).content.decode()
    assert "criteria are read-only" in body
    assert "Make a new version to edit" in body
    assert 'name="name_en_gb"' not in body  # not an input: shown as text
    assert 'name="criteria-0-text_en_gb"' not in body
    # Its Welsh may still be added: a translation changes no past decision's meaning.
    assert 'name="name_cy"' in body and 'name="criteria-0-text_cy"' in body
    criterion = used_set.criteria.first()
    client.post(
        url,
        {
            "name": "Changed in place",
            "name_en_gb": "Changed in place",
            "is_active": "on",
            "criteria-TOTAL_FORMS": "1",
            "criteria-INITIAL_FORMS": "1",
            "criteria-0-id": criterion.pk,
            "criteria-0-rule_set": used_set.pk,
            "criteria-0-text": "Something else",
            "criteria-0-text_en_gb": "Something else",
        },
    )
    used_set.refresh_from_db()
    criterion.refresh_from_db()
    assert used_set.name != "Changed in place"
    assert criterion.text != "Something else"


def test_admin_new_version_button_opens_the_copy_which_is_editable(client, used_set, rule_admin):
    client.force_login(rule_admin)
    response = client.post(reverse("admin:referrals_ruleset_new_version", args=[used_set.pk]))
    new = RuleSet.objects.get(code=used_set.code, version=used_set.version + 1)
    assert response.status_code == 302
    assert response.url == reverse("admin:referrals_ruleset_change", args=[new.pk])
    body = client.get(response.url).content.decode()
    assert 'name="name_en_gb"' in body and "criteria are read-only" not in body
    assert client.get(
        reverse("admin:referrals_ruleset_new_version", args=[new.pk])
    ).status_code == (405)


def test_an_unused_set_stays_editable_in_the_admin(client, rule_admin):
    unused = RuleSet.objects.get(code="england-2020", version=1)
    client.force_login(rule_admin)
    body = client.get(reverse("admin:referrals_ruleset_change", args=[unused.pk])).content.decode()
    assert 'name="name_en_gb"' in body and 'name="name_cy"' in body
    assert 'name="criteria-0-text_en_gb"' in body and 'name="criteria-0-text_cy"' in body


# --- The 2020 criteria as used in England ------------------------------------------------------

REFERRAL_DATE = dt.date(2026, 7, 1)


def england(code: str) -> Criterion:
    return RuleSet.objects.get(code="england-2020", version=1).criteria.get(code=code)


def make_referral(**fields) -> Referral:
    fields.setdefault("referral_date", REFERRAL_DATE)
    return Referral.objects.create(case=CaseFactory(), **fields)


@pytest.mark.django_db
def test_england_2020_is_shipped_with_its_five_criteria_and_the_custody_exclusion():
    rule_set = RuleSet.objects.get(code="england-2020", version=1)
    assert rule_set.is_active
    assert list(rule_set.criteria.values_list("kind", flat=True)) == [
        "previously_offended",
        "complex_needs",
        "aces",
        "disposal",
        "excluded",
        "involvement",
    ]
    # The trial sets and the guidance's own set are still there, and the default is unchanged.
    assert RuleSet.objects.filter(code__in=["yjb-2020", "welsh-trial"]).count() == 3
    assert services.rule_set_for(CaseFactory()).code == "yjb-2020"


@pytest.mark.django_db
def test_england_aces_needs_evidence_of_one_ace_and_counts_emotional_abuse():
    none = dict.fromkeys(("ace_verbal_abuse",), "no")
    assert rules.suggest(make_referral(**none), england("aces")).result == UNKNOWN  # blanks
    answers_no = {f.name: "no" for f in Referral._meta.fields if f.name.startswith("ace_")}
    answers_no["cx_emotional_abuse"] = "no"
    assert rules.suggest(make_referral(**answers_no), england("aces")).result == NOT_MET
    result = rules.suggest(
        make_referral(**{**answers_no, "cx_emotional_abuse": "yes"}), england("aces")
    )
    assert result.result == MET and "1 adverse childhood" in result.explanation
    one_dont_know = {**answers_no, "ace_bereavement": "dont_know"}
    assert rules.suggest(make_referral(**one_dont_know), england("aces")).result == UNKNOWN


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("disposal", "expected"),
    [
        ("yro", MET),
        ("referral_order", MET),
        ("youth_caution", NOT_MET),
        ("community_resolution", NOT_MET),
        ("custody", NOT_MET),
    ],
)
def test_england_out_of_court_disposals_only_in_exceptional_cases(disposal, expected):
    result = rules.suggest(make_referral(disposal=disposal), england("community-order"))
    assert result.result == expected
    if disposal in ("youth_caution", "community_resolution"):
        assert "exceptional circumstances" in result.explanation


@pytest.mark.django_db
def test_england_excludes_custody():
    assert rules.suggest(make_referral(disposal="custody"), england("not-custody")).result == (
        NOT_MET
    )
    assert rules.suggest(make_referral(disposal="yro"), england("not-custody")).result == MET


@pytest.mark.django_db
def test_england_previously_offended():
    referral = make_referral()
    assert rules.suggest(referral, england("previously-offended")).result == UNKNOWN
    Offence.objects.create(case=referral.case, date=dt.date(2025, 1, 1), offence_type="Theft")
    assert rules.suggest(referral, england("previously-offended")).result == MET
    assert rules.suggest(
        make_referral(repeat_offender=True), england("previously-offended")
    ).result == (MET)


def test_accepting_an_out_of_court_case_on_the_england_set_needs_exceptional_circumstances(
    world, submitted
):
    Referral.objects.filter(pk=submitted.pk).update(disposal="youth_caution")
    submitted.refresh_from_db()
    rule_set = RuleSet.objects.get(code="england-2020", version=1)
    criteria = list(rule_set.criteria.all())
    suggested = {c.pk: s.result for c, s in rules.evaluate(submitted, criteria)}
    data = services.DecisionInput(rule_set=rule_set, results=suggested, decision=Decision.ACCEPTED)
    with pytest.raises(ValidationError, match="exceptional circumstances"):
        services.eligibility_decide(actor=world.central_senior, referral=submitted, data=data)
    data.results = {pk: (MET if r == UNKNOWN else r) for pk, r in suggested.items()}
    data.exceptional_override = True
    data.override_reason = "Diversion panel agreed: escalating exploitation."
    check = services.eligibility_decide(actor=world.central_senior, referral=submitted, data=data)
    assert check.rule_set == rule_set and check.exceptional_override


# --- "Don't know" in the current / previous / never rows -----------------------------------------


def test_dont_know_in_the_cpn_rows_is_accepted_at_submission(world, potential_case):
    from tests.referrals.conftest import full_answers, pdf_upload

    services.referral_mark_ready(actor=world.case_manager, case=potential_case)
    referral = services.referral_start(actor=world.case_manager, case=potential_case)
    answers = {**full_answers(), **{name: "dont_know" for name, _l in COMPLEXITY_CPN}}
    referral = services.referral_save(
        actor=world.case_manager, referral=referral, data=answers, upload=pdf_upload()
    )
    assert services.missing_for_submission(referral) == []
    referral = services.referral_submit(actor=world.case_manager, referral=referral)
    assert referral.status == "submitted"
    assert referral.cx_local_authority_care == "dont_know"


@pytest.mark.django_db
def test_dont_know_counts_as_unknown_not_as_never_in_complex_needs():
    no_others = {name: "no" for name, _l in COMPLEXITY_YND}
    never = make_referral(**no_others, **{name: "never" for name, _l in COMPLEXITY_CPN})
    dont_know = make_referral(**no_others, **{name: "dont_know" for name, _l in COMPLEXITY_CPN})
    assert rules.complexity_indicators(never) == (0, 0)
    assert rules.complexity_indicators(dont_know) == (0, 4)
    assert rules.suggest(never, england("complex-needs")).result == NOT_MET
    assert rules.suggest(dont_know, england("complex-needs")).result == UNKNOWN


def test_referral_form_offers_dont_know_in_the_cpn_rows(client, world, potential_case):
    services.referral_mark_ready(actor=world.case_manager, case=potential_case)
    client.force_login(world.case_manager)
    body = client.get(reverse("referrals:edit", args=[potential_case.pk])).content.decode()
    assert "Local authority care: Don&#x27;t know" in body
