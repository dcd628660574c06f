"""The dashboard against the evaluations' published figures (issue 17), on cohorts built from
them through the product's own services (`evaluation_cohorts.py`): the Welsh trial (seed 000,
Cordis Bright, 2014-16, n=21) and the ORS evaluation in England (seed 001, 2019-22, n=37).

Each test names the figure, the line of the seed that publishes it (000 = 000_*.txt, 001 =
001_*.txt in /work/shared/seeds) and compares the dashboard's exact count (`row.value`, not
the small-cell text). A figure the product cannot reproduce because its definition differs,
or that the dashboard does not produce, is a strict xfail whose reason says how.

Each cohort is built once per module (module-scoped, in a transaction rolled back at the
end), so the whole file takes a few seconds."""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import transaction

from monitoring.figures import Period
from monitoring.tables import every_table
from tests.monitoring.evaluation_cohorts import (
    ORS_GAP,
    TRIAL_SERIOUS_HARM_MISSING,
    build_ors,
    build_welsh_trial,
)

pytestmark = pytest.mark.django_db

#: Days in a month, to compare a mean in days with one published in months.
MONTH = 365.25 / 12


def rows(team_ids, period: Period) -> dict:
    return {row.key: row for table in every_table(team_ids, period) for row in table.rows}


class Dashboards:
    """The cohort's dashboards, each computed once for the module (the data do not change)."""

    def __init__(self, cohort):
        self.cohort = cohort
        self._seen = {}

    def __call__(self, teams=None, period: Period | None = None) -> dict:
        """The rows of the dashboard of `teams` (keys of the cohort's teams; all of them by
        default) over `period` (the evaluation's by default)."""
        c = self.cohort
        teams = tuple(sorted(teams or c.teams))
        period = period or c.period
        key = (teams, period.start, period.end)
        if key not in self._seen:
            self._seen[key] = rows([c.teams[t].pk for t in teams], period)
        return self._seen[key]


def published(value, places: int = 1) -> Decimal:
    """A figure as the evaluations print it: rounded half up."""
    quantum = Decimal(1).scaleb(-places)
    return Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP)


@pytest.fixture(scope="module")
def trial(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        cohort = build_welsh_trial()
        cohort.dash = Dashboards(cohort)
        cohort.v = cohort.dash()
        yield cohort
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def ors(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        cohort = build_ors()
        cohort.dash = Dashboards(cohort)
        cohort.v = cohort.dash()
        yield cohort
        transaction.set_rollback(True)


def per_team(cohort, key: str, period: Period | None = None) -> dict:
    """A figure's row in each team's own dashboard."""
    return {name: cohort.dash([name], period)[key] for name in sorted(cohort.teams)}


# --- The Welsh trial (000) ------------------------------------------------------------------


class TestWelshTrial:
    def test_cohort_21_children_all_with_a_formulation_meeting(self, trial):
        # 000 l.1650 (Table 5: "Total 27 21"); l.1695 ("Case formulation meetings were held
        # for all young people involved in the trial").
        v = trial.v
        assert (v["on_ecm"].value, v["started"].value, v["formulations"].value) == (21, 21, 21)
        assert {k: r.value for k, r in per_team(trial, "started").items()} == {
            "A": 4,
            "B": 12,
            "C": 5,
        }

    def test_eight_recruited_by_may_2015(self, trial):
        # 000 l.1589 (Table 4, "Actual at May 2015": A 2, B 3, C 3, total 8).
        by_may = Period(trial.period.start, dt.date(2015, 5, 31))
        v = trial.dash(period=by_may)
        assert (v["started"].value, v["referred"].value) == (8, 8)
        started = {k: r.value for k, r in per_team(trial, "started", by_may).items()}
        assert started == {"A": 2, "B": 3, "C": 3}

    def test_every_referral_in_the_referral_period(self, trial):
        # 000 l.1543 ("a further extension to the referral period to October 2015"), so that
        # every child had a 12-month follow-up by November 2016 (l.1549).
        after = Period(dt.date(2015, 11, 1), trial.period.end)
        assert trial.dash(period=after)["referred"].value == 0
        assert trial.v["caseload"].value == 6  # open at the end (21 - the 15 of l.2119)

    def test_every_referral_accepted(self, trial):
        # 000 l.1656 ("all referrals from YOTs were accepted").
        v = trial.v
        assert (v["referred"].value, v["criteria_met"].value) == (21, 21)
        assert v["criteria_not_met"].value == 0

    def test_referral_to_formulation_meeting_38_days(self, trial):
        # 000 l.1697 ("The average length of time between referral and formulation meeting
        # was 38 days").
        row = trial.v["referral_to_meeting"]
        assert (row.value, row.n) == (38, 21)

    def test_formulation_meeting_to_report_41_days(self, trial):
        # 000 l.1699-1701 ("between formulation meeting and production of the formulation
        # report was 41 days"): the dashboard's "draft sent for checking", the report the
        # psychologist produces (the benchmark sits beside the same row).
        row = trial.v["meeting_to_draft"]
        assert (row.value, row.n) == (41, 21)

    def test_reviews_per_case_5_8_range_1_to_11(self, trial):
        # 000 l.1703-1705 ("The number of reviews undertaken per case averaged 5.8, with a
        # range of 1 to 11"): over the 21 cases involved, open ones included.
        row = trial.v["reviews_per_case"]
        assert (row.value, row.n) == (5.8, 21)
        assert "range 1–11" in row.label

    def test_days_on_ecm_315_over_the_15_ended(self, trial):
        # 000 l.2115-2119 (§3.44: "The average length of involvement of young people in the
        # ECM approach was 315 days. The averages in each YOT were 300 days, 304 days and
        # 396 days (... n = 15)"). The dashboard counts from the formulation meeting (issue
        # 17: ECM starts there); the evaluation does not say from when.
        row = trial.v["time_on_ecm"]
        assert (row.value, row.n) == (315, 15)
        assert {k: r.value for k, r in per_team(trial, "time_on_ecm").items()} == {
            "A": 300,
            "B": 304,
            "C": 396,
        }

    def test_reoffended_by_the_end_of_the_trial_12_of_21(self, trial):
        # 000 l.3027-3029 ("nine did not have a record of having reoffended by the end of
        # the trial whilst 12 had a record of reoffending").
        v = trial.v
        assert (v["reoffended_by_end"].value, v["reoffended_by_end"].denominator) == (12, 21)
        assert v["reoffended"].value == 12  # each recorded at a review
        assert v["reoffended_after"].value == 0  # l.3035: "during ... their involvement"

    def test_seriousness_3_less_4_same_5_more(self, trial):
        # 000 l.3029-3033 ("three committed a 'less serious' offence, four ... of the 'same
        # seriousness' as previous offences, and five committed a 'more serious' offence").
        v = trial.v
        assert [v[f"serious:{k}"].value for k in ("less", "same", "more")] == [3, 4, 5]

    def test_time_to_reoffend_4_7_months(self, trial):
        # 000 l.3035-3039 ("the average length of time between entering the trial and
        # reoffending was 4.7 months"). The dashboard counts days from the formulation
        # meeting; converted at 365.25/12 days a month.
        row = trial.v["time_to_reoffend"]
        assert row.n == 12
        assert published(row.value / MONTH) == Decimal("4.7")

    def test_time_to_reoffend_range_0_6_to_13_3_months(self, trial):
        # 000 l.3039 ("The range was 0.6 months to 13.3 months"), in days.
        label = trial.v["time_to_reoffend"].label
        lo, hi = (int(x) for x in re.search(r"range (\d+)–(\d+)", label).groups())
        assert (published(lo / MONTH), published(hi / MONTH)) == (Decimal("0.6"), Decimal("13.3"))

    def test_age_at_referral_4_aged_14_or_under_12_aged_15_16_5_aged_17(self, trial):
        # 000 l.1952-1954 ("Four young people ... were aged 14 years or under, 12 young people
        # were aged 15 or 16 years, and five were aged 17 years").
        v = trial.v
        assert [v[f"agerf:{k}"].value for k in ("14-", "15-16", "17", "18+", "none")] == [
            4,
            12,
            5,
            0,
            0,
        ]

    def test_gender_16_male_5_female_all_white_british(self, trial):
        # 000 l.1954-1956 ("16 were male and five were female. All were White British").
        v = trial.v
        assert (v["gender:male"].value, v["gender:female"].value) == (16, 5)
        assert v["ethnicity:white_british"].value == 21

    def test_looked_after_5_current_or_previous_5_missing(self, trial):
        # 000 l.1956 ("Five young people were either currently or previously looked after")
        # and note 7, l.1981 ("Data were missing for five young people").
        v = trial.v
        assert v["cx:cx_local_authority_care"].value == 5
        assert v["cxdk:cx_local_authority_care"].value == 5

    def test_offences_before_mean_6_1_from_5_to_8(self, trial):
        # 000 l.1970-1974 ("at least five proven offences ..., with the maximum being eight.
        # The average number of proven offences across the cohort was 6.1"). (The YOTs'
        # averages on l.1974, 5.8, 6.4 and 7.0 over 4, 12 and 5 children, add up to 135
        # offences, a mean of 6.4: they cannot all hold with 6.1, so only the cohort's are
        # reproduced.)
        row = trial.v["offences:before"]
        assert (row.value, row.n) == (6.1, 21)
        assert "range 5–8" in row.label

    def test_orders_11_referral_orders_10_yros_6_to_18_months(self, trial):
        # 000 l.1982-1990 ("11 young people ... were completing a Referral Order and 10 ...
        # a Youth Rehabilitation Order ... all young people in YOT A completing a Youth
        # Rehabilitation Order, over half of young people in YOT C ... and a quarter of young
        # people in YOT B ... Lengths of orders ranged from a six month Referral Order to an
        # 18 month Youth Rehabilitation Order").
        v = trial.v
        assert (v["disposal:referral_order"].value, v["disposal:yro"].value) == (11, 10)
        assert "range 6–18" in v["order_length"].label
        yro = {k: r.value for k, r in per_team(trial, "disposal:yro").items()}
        assert yro == {"A": 4, "B": 3, "C": 3}  # all 4, a quarter of 12, over half of 5

    def test_risk_at_the_start_reoffending_2_3_vulnerability_2_3(self, trial):
        # 000 l.2014 ("The average risk of reoffending ... was 2.3"), l.2052-2054 (Table 6:
        # vulnerability A 2.3, B 2.0, C 3.2, overall 2.3, n = 21).
        v = trial.v
        assert v["risk:start:reoffending"].n == 21
        assert published(v["risk:start:reoffending"].value) == Decimal("2.3")
        assert published(v["risk:start:vulnerability"].value) == Decimal("2.3")
        vulnerability = {
            k: published(r.value) for k, r in per_team(trial, "risk:start:vulnerability").items()
        }
        assert vulnerability == {"A": Decimal("2.3"), "B": Decimal("2.0"), "C": Decimal("3.2")}

    @pytest.mark.xfail(
        strict=True,
        raises=AssertionError,
        reason=(
            "Definition differs. 000 l.2052-2054 (Table 6): serious harm 1.9 'n = 19 for risk "
            "of serious harm, n = 21 for vulnerability': two children had no rating. In the "
            "product a referral cannot be submitted without all three ratings "
            f"(missing_for_submission), so {' and '.join(TRIAL_SERIOUS_HARM_MISSING)} must be "
            "given one, and the start means share one n (risk_averages keeps the cases with "
            "all three): 21, and 1.95 here."
        ),
    )
    def test_risk_at_the_start_serious_harm_1_9_over_19(self, trial):
        row = trial.v["risk:start:harm"]
        assert row.n == 19
        assert published(row.value) == Decimal("1.9")

    def test_risk_change_3_2_3_reduced(self, trial):
        # 000 l.3020-3024 ("The data show that in each category the risk rating for most
        # young people stayed the same. ... three reduced their risk of reoffending, two
        # reduced their risk of serious harm and three reduced their vulnerability").
        v = trial.v
        fell = [v[f"risk_change:{k}"].value for k in ("reoffending", "harm", "vulnerability")]
        assert fell == [3, 2, 3]
        for k in ("reoffending", "harm", "vulnerability"):
            row = v[f"risk_change:{k}"]
            assert row.columns["same"] > row.denominator / 2

    @pytest.mark.xfail(
        strict=True,
        raises=AssertionError,
        reason=(
            "Definition differs. 000 l.3018-3020: \"'Matched' data were available for 14 young "
            "people for risk of reoffending and vulnerability and for 10 young people for risk "
            'of serious harm". The product requires all three ratings at referral and at '
            "closure (case_close_with_review), so every case closed in the period is matched "
            "on every scale: 15 on each."
        ),
    )
    def test_risk_change_matched_14_and_10(self, trial):
        v = trial.v
        matched = [
            sum(v[f"risk_change:{k}"].columns.values())
            for k in ("reoffending", "harm", "vulnerability")
        ]
        assert matched == [14, 10, 14]

    def test_mean_number_of_problems_6_0(self, trial):
        # 000 l.1964-1966 ("the average number of problems (known and suspected) experienced
        # by a young person was 6.0").
        row = trial.v["problems_per_child"]
        assert (row.value, row.n) == (6.0, 21)
        assert "range 4–8" in row.label


# --- The ORS evaluation in England (001) ----------------------------------------------------


class TestORS:
    def test_37_children(self, ors):
        # 001 l.325, l.1060 ("37 children were referred onto ECM during the pilot"); two
        # were "discharged from, and then re-referred onto ECM" (l.1674): 39 episodes (cases),
        # 37 children.
        v = ors.v
        assert v["children_on_ecm"].value == 37
        assert (v["on_ecm"].value, v["started"].value) == (39, 39)

    def test_two_re_referrals(self, ors):
        # 001 l.1674 ("the same two children, who had been discharged from, and then
        # re-referred onto ECM").
        assert ors.v["rereferred"].value == 2

    def test_the_re_referred_children_offended_after_their_discharge(self, ors):
        # 001 l.1674 ("re-referred onto ECM, due to their repeated offending"): offences
        # recorded on the closed case (offence_record) count after ECM, before any
        # re-referral.
        assert ors.v["reoffended_after"].value == 2
        assert ors.v["reoffended_after"].denominator == 19

    def test_20_open_at_the_end(self, ors):
        # 001 l.1155 ("At the end of the pilot in March 2022, 17 cases had been closed, and
        # 20 were still open"): the caseload now (nothing has happened since the pilot).
        assert ors.v["caseload"].value == 20

    def test_17_closed_at_the_end(self, ors):
        # 001 l.1155 ("17 cases had been closed, and 20 were still open": children, 17 + 20
        # = 37); the two re-referred children closed twice: 19 closed episodes.
        assert ors.v["children_closed"].value == 17
        assert ors.v["closed"].value == 19

    def test_no_referral_or_formulation_while_no_psychologist(self, ors):
        # 001 l.316 ("During this period, no children were referred to ECM, and no case
        # formulation meetings took place"), l.815 ("Unlike the case formulation meetings,
        # the review meetings continued in the absence of an ECM psychologist").
        v = ors.dash(period=ORS_GAP)
        assert (v["referred"].value, v["formulations"].value, v["started"].value) == (0, 0, 0)
        assert v["reviews_held"].value > 0

    def test_transitions_prison_2_probation_7_housing_4(self, ors):
        # 001 l.1117-1119 (Table 1: "Prison 2", "Probation 7", "Other services: housing 4").
        v = ors.v
        counts = [v[f"transition:{d}"].value for d in ("custody", "probation", "housing")]
        assert counts == [2, 7, 4]

    def test_transitions_adult_social_care_mental_health_other_9(self, ors):
        # 001 l.1116 (Table 1: "Adult social care / mental health / other support services
        # 9"): the group counts a child moving on to two of its services once.
        assert ors.v["transition_group:adult_support"].value == 9

    def test_20_of_37_consented_to_the_evaluation(self, ors):
        # 001 l.392 ("20 out of the 37 children who participated in ECM (54%) chose to take
        # part in the evaluation"): counted over the cases on ECM (a re-referred child's
        # second episode has its own consent, if recorded).
        assert ors.v["evaluation_consent"].value == 20

    @pytest.mark.xfail(
        strict=True,
        raises=AssertionError,
        reason=(
            "Base differs. 001 l.1051-1055: 'Nine out of the 20 children supported by ECM who "
            "were included in the evaluation received a Referral Order ... A further nine "
            "received a Youth Rehabilitation Order', one a DTO, one a Youth Conditional "
            "Caution: over the 20 who consented to the evaluation's use of their data. The "
            "dashboard counts every case on ECM (39 episodes, a re-referral's referral "
            "counted again) and cannot be limited to the evaluation consent."
        ),
    )
    def test_orders_of_the_20_in_the_evaluation(self, ors):
        v = ors.v
        counts = [
            v[f"disposal:{d}"].value
            for d in ("referral_order", "yro", "dto_licence", "youth_conditional_caution")
        ]
        assert counts == [9, 9, 1, 1]

    @pytest.mark.xfail(
        strict=True,
        raises=AssertionError,
        reason=(
            "Base differs. 001 l.1006: 'The average number of offences committed per child is "
            "13 ... ranging from two to 51', over the 20 children whose data the evaluation "
            "could use (l.1008, 'Base: All Respondents - 20'). The dashboard's offences per "
            "child are over every case on ECM (39 episodes; a re-referral's episode has only "
            "its own offences) with no evaluation-consent filter."
        ),
    )
    def test_offences_per_child_13_from_2_to_51(self, ors):
        row = ors.v["offences:before"]
        assert round(row.value) == 13
        assert "range 2–51" in row.label

    @pytest.mark.xfail(
        strict=True,
        raises=AssertionError,
        reason=(
            "Definition differs. 001 l.1674: '13 complete or near-complete surveys returned' "
            "(Base: All Respondents - 13, l.492): case managers completed the survey for some "
            "closures only. The product's closure requires the outcome survey "
            "(case_close_with_review refuses a closure without a rating for every domain), "
            "so the dashboard's survey covers every closure in the period: 19."
        ),
    )
    def test_outcome_survey_base_13(self, ors):
        row = ors.v["survey:living"]
        assert sum(row.columns.values()) == 13
