"""The eligibility evaluators (referrals.rules) against the three shipped rule sets.

The rule sets come from the data migration 0002_rule_sets, so they exist in the test
database; each test builds a Referral (and its Offences) directly and asks the evaluator
for a suggestion: met / not met / unknown, with an explanation.
"""

import datetime as dt

import pytest

from referrals import rules
from referrals.models import (
    COMPLEXITY_CPN,
    COMPLEXITY_YND,
    Criterion,
    CriterionResult,
    Offence,
    Referral,
    RuleSet,
)
from tests.factories import CaseFactory

MET = CriterionResult.MET
NOT_MET = CriterionResult.NOT_MET
UNKNOWN = CriterionResult.UNKNOWN

REFERRAL_DATE = dt.date(2026, 7, 1)


def criterion(code: str, version: int, criterion_code: str) -> Criterion:
    return RuleSet.objects.get(code=code, version=version).criteria.get(code=criterion_code)


def yjb(criterion_code: str) -> Criterion:
    return criterion("yjb-2020", 1, criterion_code)


def welsh_2014(criterion_code: str) -> Criterion:
    return criterion("welsh-trial", 1, criterion_code)


def welsh_2015(criterion_code: str) -> Criterion:
    return criterion("welsh-trial", 2, criterion_code)


def make_referral(**fields) -> Referral:
    """A referral on its own case (a case has at most one referral)."""
    fields.setdefault("referral_date", REFERRAL_DATE)
    return Referral.objects.create(case=CaseFactory(), **fields)


def all_complexity_answered_no() -> dict:
    """Every item of the complexity grid answered in the negative."""
    answers = {name: "never" for name, _label in COMPLEXITY_CPN}
    answers.update({name: "no" for name, _label in COMPLEXITY_YND})
    return answers


def add_offences(referral: Referral, *dates: dt.date) -> None:
    for day in dates:
        Offence.objects.create(case=referral.case, date=day, offence_type="Theft")


# Four offences comfortably inside a 12-month window before REFERRAL_DATE.
FOUR_RECENT = (
    dt.date(2026, 6, 1),
    dt.date(2026, 5, 1),
    dt.date(2026, 3, 15),
    dt.date(2025, 12, 1),
)


# --- 2. Six months from the referral date to the order end --------------------------------


@pytest.mark.django_db
def test_order_end_date_is_start_plus_length():
    referral = make_referral(order_start_date=dt.date(2026, 1, 1), order_length_months=12)
    assert referral.order_end_date == dt.date(2027, 1, 1)
    assert make_referral(order_start_date=dt.date(2026, 1, 1)).order_end_date is None


@pytest.mark.django_db
def test_yjb_six_months_exactly_six_months_to_order_end_is_met():
    referral = make_referral(
        disposal="yro", order_start_date=dt.date(2026, 1, 1), order_length_months=12
    )
    result = rules.suggest(referral, yjb("six-months"))
    assert result.result == MET
    assert "1 Jan 2027" in result.explanation  # one date style, never 01/01/2027
    assert "6 months from referral" in result.explanation


@pytest.mark.django_db
def test_yjb_six_months_one_day_short_is_not_met():
    referral = make_referral(
        referral_date=dt.date(2026, 7, 2),
        disposal="yro",
        order_start_date=dt.date(2026, 1, 1),
        order_length_months=12,
    )
    result = rules.suggest(referral, yjb("six-months"))
    assert result.result == NOT_MET
    assert "Only 5 months" in result.explanation


@pytest.mark.django_db
def test_welsh_2014_statutory_six_months_exactly_six_months_is_met():
    referral = make_referral(
        disposal="yro", order_start_date=dt.date(2026, 1, 1), order_length_months=12
    )
    result = rules.suggest(referral, welsh_2014("statutory-six-months"))
    assert result.result == MET


@pytest.mark.django_db
def test_welsh_2014_statutory_six_months_one_day_short_is_not_met():
    referral = make_referral(
        referral_date=dt.date(2026, 7, 2),
        disposal="yro",
        order_start_date=dt.date(2026, 1, 1),
        order_length_months=12,
    )
    result = rules.suggest(referral, welsh_2014("statutory-six-months"))
    assert result.result == NOT_MET
    assert "6 needed" in result.explanation


@pytest.mark.django_db
def test_involvement_without_order_dates_is_unknown():
    referral = make_referral(disposal="yro")
    assert rules.suggest(referral, yjb("six-months")).result == UNKNOWN
    assert rules.suggest(referral, welsh_2014("statutory-six-months")).result == UNKNOWN


# --- 3. Five offences in the window before referral ----------------------------------------


@pytest.mark.django_db
def test_five_offences_within_12_months_met_for_welsh_2014_and_2015():
    referral = make_referral()
    add_offences(referral, *FOUR_RECENT, dt.date(2025, 8, 1))
    v1 = rules.suggest(referral, welsh_2014("offences"))
    v2 = rules.suggest(referral, welsh_2015("offences"))
    assert v1.result == MET
    assert "5 offences in the 12 months" in v1.explanation
    assert v2.result == MET
    assert "5 offences in the 24 months" in v2.explanation


@pytest.mark.django_db
def test_fifth_offence_at_18_months_not_met_for_welsh_2014_but_met_for_2015():
    referral = make_referral()
    add_offences(referral, *FOUR_RECENT, dt.date(2025, 1, 1))
    v1 = rules.suggest(referral, welsh_2014("offences"))
    v2 = rules.suggest(referral, welsh_2015("offences"))
    assert v1.result == NOT_MET
    assert "4 offences in the 12 months" in v1.explanation
    assert v2.result == MET


@pytest.mark.django_db
def test_offence_exactly_12_months_before_referral_is_outside_the_welsh_2014_window():
    referral = make_referral()
    add_offences(referral, *FOUR_RECENT, dt.date(2025, 7, 1))
    assert rules.offences_in_window(referral, 12) == 4
    assert rules.suggest(referral, welsh_2014("offences")).result == NOT_MET


@pytest.mark.django_db
def test_offence_a_day_inside_the_12_month_boundary_counts_for_welsh_2014():
    referral = make_referral()
    add_offences(referral, *FOUR_RECENT, dt.date(2025, 7, 2))
    assert rules.offences_in_window(referral, 12) == 5
    assert rules.suggest(referral, welsh_2014("offences")).result == MET


@pytest.mark.django_db
def test_offence_exactly_24_months_before_referral_is_outside_the_welsh_2015_window():
    referral = make_referral()
    add_offences(referral, *FOUR_RECENT, dt.date(2024, 7, 1))
    assert rules.suggest(referral, welsh_2015("offences")).result == NOT_MET

    inside = make_referral()
    add_offences(inside, *FOUR_RECENT, dt.date(2024, 7, 2))
    assert rules.suggest(inside, welsh_2015("offences")).result == MET


@pytest.mark.django_db
def test_offence_on_the_referral_date_counts_but_one_after_it_does_not():
    on_the_day = make_referral()
    add_offences(on_the_day, *FOUR_RECENT, REFERRAL_DATE)
    assert rules.suggest(on_the_day, welsh_2014("offences")).result == MET

    after = make_referral()
    add_offences(after, *FOUR_RECENT, dt.date(2026, 7, 2))
    assert rules.suggest(after, welsh_2014("offences")).result == NOT_MET


@pytest.mark.django_db
def test_no_offences_at_all_is_unknown():
    referral = make_referral()
    for crit in (welsh_2014("offences"), welsh_2015("offences")):
        result = rules.suggest(referral, crit)
        assert result.result == UNKNOWN
        assert "No offences" in result.explanation


@pytest.mark.django_db
def test_offences_only_outside_the_window_is_not_met_rather_than_unknown():
    referral = make_referral()
    add_offences(referral, dt.date(2020, 1, 1))
    result = rules.suggest(referral, welsh_2015("offences"))
    assert result.result == NOT_MET
    assert "0 offences" in result.explanation


# --- 4. Exclusions and the disposal criterion --------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("disposal", ["custody", "prevention"])
def test_yjb_not_excluded_custody_and_prevention_are_not_met(disposal):
    result = rules.suggest(make_referral(disposal=disposal), yjb("not-excluded"))
    assert result.result == NOT_MET
    assert "excluded" in result.explanation


@pytest.mark.django_db
def test_yjb_not_excluded_yro_is_met():
    assert rules.suggest(make_referral(disposal="yro"), yjb("not-excluded")).result == MET


@pytest.mark.django_db
def test_yjb_not_excluded_blank_disposal_is_unknown():
    assert rules.suggest(make_referral(disposal=""), yjb("not-excluded")).result == UNKNOWN


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("disposal", "expected"),
    [
        ("dto_licence", MET),
        ("referral_order", MET),
        ("yro", MET),
        ("youth_caution", MET),
        ("community_resolution", MET),
        ("youth_conditional_caution", MET),
        ("custody", NOT_MET),
        ("pre_sentence", NOT_MET),
        ("prevention", NOT_MET),
        ("other", UNKNOWN),
        ("", UNKNOWN),
    ],
)
def test_yjb_disposal_criterion(disposal, expected):
    result = rules.suggest(make_referral(disposal=disposal), yjb("disposal"))
    assert result.result == expected
    assert result.explanation


@pytest.mark.django_db
def test_yjb_disposal_explanations_name_the_disposal():
    met = rules.suggest(make_referral(disposal="youth_caution"), yjb("disposal"))
    assert "Youth caution (out of court) is an eligible disposal" in met.explanation
    not_met = rules.suggest(make_referral(disposal="custody"), yjb("disposal"))
    assert "is not an eligible disposal" in not_met.explanation


# --- 5. DTO licence ---------------------------------------------------------------------


@pytest.mark.django_db
def test_dto_licence_is_an_eligible_disposal_for_yjb():
    result = rules.suggest(make_referral(disposal="dto_licence"), yjb("disposal"))
    assert result.result == MET


@pytest.mark.django_db
def test_dto_licence_with_six_months_left_meets_welsh_2014_statutory_order():
    referral = make_referral(
        disposal="dto_licence", order_start_date=dt.date(2026, 3, 1), order_length_months=12
    )
    result = rules.suggest(referral, welsh_2014("statutory-six-months"))
    assert result.result == MET
    assert "8 months from referral" in result.explanation


@pytest.mark.django_db
def test_youth_conditional_caution_is_not_statutory_for_welsh_2014():
    referral = make_referral(
        disposal="youth_conditional_caution",
        order_start_date=dt.date(2026, 6, 1),
        order_length_months=12,
    )
    result = rules.suggest(referral, welsh_2014("statutory-six-months"))
    assert result.result == NOT_MET
    assert "is not a statutory order" in result.explanation


@pytest.mark.django_db
def test_youth_conditional_caution_is_not_statutory_for_welsh_2015_even_with_voluntary():
    referral = make_referral(
        disposal="youth_conditional_caution",
        order_start_date=dt.date(2026, 6, 1),
        order_length_months=3,
        voluntary_months_agreed=12,
    )
    assert rules.suggest(referral, welsh_2015("statutory-six-months")).result == NOT_MET
    # The YJB guidance has no statutory requirement: the same referral is met there.
    assert rules.suggest(referral, yjb("six-months")).result == MET


# --- 6. Voluntary top-up ----------------------------------------------------------------


def short_order_referral(voluntary: int) -> Referral:
    """A YRO with four months still to run at referral (ends 1 November 2026)."""
    return make_referral(
        disposal="yro",
        order_start_date=dt.date(2026, 1, 1),
        order_length_months=10,
        voluntary_months_agreed=voluntary,
    )


@pytest.mark.django_db
def test_voluntary_top_up_not_allowed_by_welsh_2014():
    referral = short_order_referral(voluntary=2)
    assert referral.order_end_date == dt.date(2026, 11, 1)
    result = rules.suggest(referral, welsh_2014("statutory-six-months"))
    assert result.result == NOT_MET
    assert "Only 4 months" in result.explanation


@pytest.mark.django_db
def test_voluntary_top_up_of_two_months_meets_welsh_2015():
    result = rules.suggest(short_order_referral(voluntary=2), welsh_2015("statutory-six-months"))
    assert result.result == MET
    assert "4 months of order plus 2 months" in result.explanation


@pytest.mark.django_db
def test_voluntary_top_up_of_two_months_meets_yjb():
    result = rules.suggest(short_order_referral(voluntary=2), yjb("six-months"))
    assert result.result == MET


@pytest.mark.django_db
def test_voluntary_top_up_of_one_month_is_not_enough_for_welsh_2015():
    result = rules.suggest(short_order_referral(voluntary=1), welsh_2015("statutory-six-months"))
    assert result.result == NOT_MET


@pytest.mark.django_db
def test_voluntary_only_without_order_dates_meets_yjb():
    referral = make_referral(disposal="youth_caution", voluntary_months_agreed=6)
    result = rules.suggest(referral, yjb("six-months"))
    assert result.result == MET
    assert "6 months of agreed voluntary involvement" in result.explanation

    short = make_referral(disposal="youth_caution", voluntary_months_agreed=5)
    assert rules.suggest(short, yjb("six-months")).result == UNKNOWN


# --- 7. Complex needs -------------------------------------------------------------------


@pytest.mark.django_db
def test_complex_needs_two_indicators_present_is_met():
    answers = all_complexity_answered_no()
    answers.update(cx_camhs="current", cx_substance_drugs="yes")
    referral = make_referral(**answers)
    result = rules.suggest(referral, yjb("complex-needs"))
    assert result.result == MET
    assert "2 complexity indicators present" in result.explanation
    assert rules.suggest(referral, welsh_2014("complexity")).result == MET
    assert rules.suggest(referral, welsh_2015("complexity")).result == MET


@pytest.mark.django_db
def test_complex_needs_one_present_and_one_dont_know_is_unknown():
    answers = all_complexity_answered_no()
    answers.update(cx_substance_drugs="yes", cx_slcn="dont_know")
    result = rules.suggest(make_referral(**answers), yjb("complex-needs"))
    assert result.result == UNKNOWN
    assert "1 indicators present and 1 not known" in result.explanation


@pytest.mark.django_db
def test_complex_needs_one_present_and_everything_else_no_or_never_is_not_met():
    answers = all_complexity_answered_no()
    answers.update(cx_camhs="current")
    result = rules.suggest(make_referral(**answers), yjb("complex-needs"))
    assert result.result == NOT_MET
    assert "Only 1 complexity indicators" in result.explanation


@pytest.mark.django_db
def test_complex_needs_previous_counts_as_present():
    answers = all_complexity_answered_no()
    answers.update(cx_child_protection_plan="previous", cx_local_authority_care="previous")
    referral = make_referral(**answers)
    assert rules.complexity_indicators(referral) == (2, 0)
    assert rules.suggest(referral, yjb("complex-needs")).result == MET


@pytest.mark.django_db
def test_complex_needs_never_does_not_count():
    answers = all_complexity_answered_no()
    answers.update(cx_other_social_care="previous")
    referral = make_referral(**answers)
    assert rules.complexity_indicators(referral) == (1, 0)
    assert rules.suggest(referral, yjb("complex-needs")).result == NOT_MET


# --- The whole rule set -----------------------------------------------------------------


@pytest.mark.django_db
def test_evaluate_returns_every_criterion_of_the_rule_set_in_order():
    answers = all_complexity_answered_no()
    answers.update(cx_camhs="current", cx_substance_drugs="yes")
    referral = make_referral(
        disposal="yro", order_start_date=dt.date(2026, 1, 1), order_length_months=12, **answers
    )
    rule_set = RuleSet.objects.get(code="yjb-2020", version=1)
    results = rules.evaluate(referral, rule_set.criteria.all())
    assert [(c.code, s.result) for c, s in results] == [
        ("complex-needs", MET),
        ("disposal", MET),
        ("not-excluded", MET),
        ("six-months", MET),
    ]
