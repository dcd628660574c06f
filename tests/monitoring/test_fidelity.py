"""Model fidelity per case (issue 17) on cohorts with known answers: each point yes, no and
not yet applicable, the boundary days (the target day, exactly one calendar month, 31 January
+ 1 month), other teams not counted, the drill-down's column at a constant query count, and
the dashboard's share equal to its drill-down list. Judged on 31 March 2026, Q1's last day."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from ecm.models import Case, Role, TeamReminderSettings
from formulation.models import Report, ReportVersion, TRMStage
from monitoring import fidelity, figures
from monitoring.figures import Period
from monitoring.tables import every_table
from referrals.models import EligibilityCheck, Referral, RuleSet
from reviews.models import Review, TRMStageRecord
from supervision.models import Offer, Session, Supervisee, SupervisionSettings
from tests.factories import CaseFactory, held_meeting, member

Q1 = Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
IN_Q1 = "?start=2026-01-01&end=2026-03-31"
END = Q1.end
D = dt.date


def aware(day: dt.date, hour=12):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def case(world, team=None, cm="default", **kw):
    kw.setdefault("status", "active")
    kw.setdefault("opened_on", D(2025, 6, 1))
    manager = world.case_manager if cm == "default" else cm
    return CaseFactory(team=team or world.yot_a, case_manager=manager, **kw)


def held(world, c, day, hour=12, review_at=None):
    return held_meeting(
        case=c,
        starts_at=aware(day, hour),
        status="held",
        chair=world.senior,
        psychologist=world.psychologist,
        review_at=aware(review_at) if review_at else None,
    )


def decided(c, day, decision="accepted"):
    r = Referral.objects.create(case=c, status="submitted", submitted_at=aware(day))
    EligibilityCheck.objects.create(
        referral=r, rule_set=RuleSet.objects.first(), decision=decision, checked_at=aware(day)
    )


def report(world, c, meeting, sent=None, final=None, number=1, sent_hour=12):
    r = Report.objects.create(
        case=c,
        meeting=meeting,
        psychologist=world.psychologist,
        due_on=meeting.starts_at.date(),
        number=number,
        sent_for_check_at=aware(sent, sent_hour) if sent else None,
    )
    if final:
        ReportVersion.objects.create(report=r, number=1, finalised_at=aware(final))


def review(c, day, due=None, kind="scheduled", next_on=None, trm=True):
    r = Review.objects.create(case=c, held_on=day, kind=kind, next_review_on=next_on)
    # `due_on` is kept by the review services; set here as they would have.
    Review.objects.filter(pk=r.pk).update(due_on=due)
    if trm:
        stage = TRMStage.objects.get(framework__code="practice-stages", number=2)
        TRMStageRecord.objects.create(case=c, review=r, stage=stage, recorded_on=day)
    return r


def supervised(world, user, *days):
    for day in days:
        s = Session.objects.create(
            psychologist=world.psychologist,
            team=world.yot_a,
            starts_at=aware(day, 10),
            ends_at=aware(day, 11),
        )
        Supervisee.objects.create(session=s, user=user)


def declined(world, user, day):
    Offer.objects.create(
        practitioner=user, psychologist=world.psychologist, offered_on=day, response="declined"
    )


def answer(c, point, as_of=END):
    row = fidelity.annotate(Case.objects.filter(pk=c.pk), as_of=as_of).get()
    return getattr(row, f"fidelity_{point}")


def test_meeting_within_the_teams_target_of_the_referral_decision(world):
    on_time = case(world)  # exactly 42 days (the default target): on time
    decided(on_time, D(2025, 11, 1))
    held(world, on_time, D(2025, 12, 13))
    late = case(world)  # 43 days
    decided(late, D(2025, 11, 1))
    held(world, late, D(2025, 12, 14))
    waited = case(world)  # from the decision "criteria met, another case first"
    decided(waited, D(2025, 11, 1), "priority")
    held(world, waited, D(2025, 12, 1))
    no_decision = case(world, formulation_decision="carried_forward")  # re-opened
    not_yet = case(world, status="preparation")  # target day 12 April: not yet
    decided(not_yet, D(2026, 3, 1))
    overdue = case(world, status="preparation")  # target 12 February, no meeting by 31 March
    decided(overdue, D(2026, 1, 1))
    assert answer(on_time, "meeting") is True
    assert answer(late, "meeting") is False
    assert answer(waited, "meeting") is True
    assert answer(no_decision, "meeting") is None
    assert answer(not_yet, "meeting") is None
    assert answer(overdue, "meeting") is False
    # On its target day, a meeting not held yet is not late yet; the day after, it is.
    assert answer(late, "meeting", as_of=D(2025, 12, 13)) is None
    assert answer(overdue, "meeting", as_of=D(2026, 2, 12)) is None
    assert answer(overdue, "meeting", as_of=D(2026, 2, 13)) is False
    assert answer(on_time, "meeting", as_of=D(2025, 12, 12)) is None
    # The team's own target.
    TeamReminderSettings.objects.create(team=world.yot_a, meeting_target_days=30)
    assert answer(on_time, "meeting") is False
    TeamReminderSettings.objects.filter(team=world.yot_a).update(meeting_target_days=43)
    assert answer(late, "meeting") is True


def test_draft_report_within_one_calendar_month_of_the_meeting(world):
    def drafted(met, hour=12, **kw):
        c = case(world)
        report(world, c, held(world, c, met, hour), **kw)
        return c

    # Exactly one calendar month, sent later in the day than the meeting: on its due date.
    exact = drafted(D(2026, 1, 15), hour=9, sent=D(2026, 2, 15), sent_hour=17)
    # 29 days but past 1 March: late ("within 31 days" would say on time).
    late = drafted(D(2026, 2, 1), sent=D(2026, 3, 2))
    # 31 January + 1 month is 28 February.
    jan31 = drafted(D(2026, 1, 31), sent=D(2026, 2, 28))
    jan31_late = drafted(D(2026, 1, 31), sent=D(2026, 3, 1))
    # Amended (version 2): the first final version's date stands in for the draft's.
    amended = drafted(D(2026, 1, 20), final=D(2026, 2, 10), number=2)
    not_yet = drafted(D(2026, 3, 10))  # due 10 April
    overdue = drafted(D(2026, 1, 5))  # due 5 February, nothing sent
    sent_after = drafted(D(2026, 3, 1), sent=D(2026, 4, 2))  # due 1 April: not yet on 31 March
    no_report = case(world)  # a meeting, no report started: due 1 March, overdue
    held(world, no_report, D(2026, 2, 1))
    no_meeting = case(world, formulation_decision="carried_forward")
    expected = {
        exact: True,
        late: False,
        jan31: True,
        jan31_late: False,
        amended: True,
        not_yet: None,
        overdue: False,
        sent_after: None,
        no_report: False,
        no_meeting: None,
    }
    assert {c: answer(c, "draft") for c in expected} == expected
    # Later, the draft sent after its due date is late.
    assert answer(sent_after, "draft", as_of=D(2026, 4, 30)) is False


def test_reviews_held_on_time(world):
    on_time = case(world)  # held on its due date; the next not due until May
    held(world, on_time, D(2025, 12, 1))
    review(on_time, D(2026, 2, 1), due=D(2026, 2, 1), next_on=D(2026, 5, 1))
    late = case(world)  # held the day after its due date
    held(world, late, D(2025, 12, 1))
    review(late, D(2026, 2, 2), due=D(2026, 2, 1), next_on=D(2026, 5, 1))
    overdue = case(world)  # the first review, set at the meeting for 1 March, not held
    held(world, overdue, D(2026, 1, 10), review_at=D(2026, 3, 1))
    due_today = case(world)  # due on the reference day: not late yet, none due before
    held(world, due_today, D(2026, 1, 10), review_at=D(2026, 3, 31))
    next_overdue = case(world)  # held on time, but the next (10 March) is overdue
    held(world, next_overdue, D(2025, 12, 1))
    review(next_overdue, D(2026, 1, 10), due=D(2026, 1, 10), next_on=D(2026, 3, 10))
    ad_hoc = case(world)  # only an ad hoc review: nothing was due
    held(world, ad_hoc, D(2026, 1, 10))
    review(ad_hoc, D(2026, 2, 1), due=D(2026, 1, 15), kind="ad_hoc", next_on=D(2026, 6, 1))
    # Closed on 15 February with the review due on 10 February never held: late.
    closed = case(world, status="closed", closed_on=D(2026, 2, 15), closure_reason="moved")
    held(world, closed, D(2025, 12, 1), review_at=D(2026, 2, 1))
    review(closed, D(2026, 1, 20), due=D(2026, 2, 1), next_on=D(2026, 2, 10))
    # Closed with its closure review on the day: nothing left due.
    closing = case(world, status="closed", closed_on=D(2026, 2, 15), closure_reason="moved")
    held(world, closing, D(2025, 12, 1), review_at=D(2026, 2, 1))
    review(closing, D(2026, 1, 20), due=D(2026, 2, 1), next_on=D(2026, 2, 15))
    review(closing, D(2026, 2, 15), due=D(2026, 2, 15), kind="closure")
    carried = case(world, formulation_decision="carried_forward", first_review_on=D(2026, 2, 1))
    expected = {
        on_time: True,
        late: False,
        overdue: False,
        due_today: None,
        next_overdue: False,
        ad_hoc: None,
        closed: False,
        closing: True,
        carried: False,  # its first review, set by the decision, is overdue
    }
    assert {c: answer(c, "reviews_on_time") for c in expected} == expected
    # Judged on 9 March, next_overdue's next review was not due yet.
    assert answer(next_overdue, "reviews_on_time", as_of=D(2026, 3, 9)) is True


def test_trm_stage_recorded_at_each_review_held(world):
    every = case(world)
    held(world, every, D(2025, 12, 1))
    review(every, D(2026, 1, 5))
    review(every, D(2026, 3, 31))  # the reference day itself
    review(every, D(2026, 4, 1), trm=False)  # after it: does not count
    missing = case(world)
    held(world, missing, D(2025, 12, 1))
    review(missing, D(2026, 1, 5))
    review(missing, D(2026, 2, 5), kind="ad_hoc", trm=False)
    none = case(world)
    held(world, none, D(2025, 12, 1))
    assert answer(every, "trm_recorded") is True
    assert answer(missing, "trm_recorded") is False
    assert answer(none, "trm_recorded") is None
    assert answer(every, "trm_recorded", as_of=D(2026, 4, 1)) is False


def test_case_manager_supervised_within_the_cadence(world):
    def managed(met, *, team=None):
        cm = member(team or world.yot_a, Role.CASE_MANAGER)
        c = case(world, team=team, cm=cm)
        held(world, c, met)
        return c, cm

    # Every two months (the default): due two calendar months after the last session.
    in_cadence, cm = managed(D(2025, 9, 1))
    supervised(world, cm, D(2025, 10, 15), D(2025, 12, 15), D(2026, 2, 14))
    lapsed, cm = managed(D(2025, 9, 1))  # none since 15 December: due 15 February
    supervised(world, cm, D(2025, 10, 15), D(2025, 12, 15), D(2026, 4, 1))  # April: after
    declines, cm = managed(D(2025, 9, 1))  # a declined offer restarts the clock
    supervised(world, cm, D(2025, 10, 15))
    declined(world, cm, D(2026, 2, 15))
    never, _cm = managed(D(2025, 9, 1))  # no session at all: due 1 November
    on_the_day, cm = managed(D(2025, 9, 1))  # 31 January + 2 months: due 31 March
    supervised(world, cm, D(2026, 1, 31))
    a_day_late, cm = managed(D(2025, 9, 1))  # 30 January + 2 months: due 30 March
    supervised(world, cm, D(2026, 1, 30))
    # Started on 15 January: due 15 March; the session before the start does not count.
    before_start, cm = managed(D(2026, 1, 15))
    supervised(world, cm, D(2026, 1, 10))
    not_yet, _cm = managed(D(2026, 2, 15))  # the first not due until 15 April
    no_cm = case(world, cm=None)
    held(world, no_cm, D(2025, 9, 1))
    expected = {
        in_cadence: True,
        lapsed: False,
        declines: True,
        never: False,
        on_the_day: True,
        a_day_late: False,
        before_start: False,
        not_yet: None,
        no_cm: False,
    }
    assert {c: answer(c, "supervised") for c in expected} == expected
    # Judged on 14 or 15 February, lapsed was still within its two months; on 16, not.
    assert answer(lapsed, "supervised", as_of=D(2026, 2, 14)) is True
    assert answer(lapsed, "supervised", as_of=D(2026, 2, 15)) is True
    assert answer(lapsed, "supervised", as_of=D(2026, 2, 16)) is False
    # A closed case is judged on the day it closed.
    Case.objects.filter(pk=lapsed.pk).update(
        status="closed", closed_on=D(2026, 2, 1), closure_reason="moved"
    )
    assert answer(lapsed, "supervised") is True


def test_monthly_supervision_counts_31_january_plus_a_month_as_28_february(world):
    SupervisionSettings.objects.create(team=world.yot_b, interval_months=1)
    cm = member(world.yot_b, Role.CASE_MANAGER)
    c = case(world, team=world.yot_b, cm=cm)
    held(world, c, D(2025, 12, 31))
    supervised(world, cm, D(2026, 1, 31))
    assert answer(c, "supervised", as_of=D(2026, 2, 28)) is True
    assert answer(c, "supervised", as_of=D(2026, 3, 1)) is False
    assert answer(c, "supervised", as_of=D(2026, 1, 31)) is None  # the first due that day


def test_closure_review_for_closed_cases_only(world):
    def closed(on, reason="order_completed"):
        c = case(world, status="closed", closed_on=on, closure_reason=reason)
        held(world, c, D(2025, 9, 1))
        return c

    with_review = closed(D(2026, 2, 15))
    review(with_review, D(2026, 2, 10), kind="closure")
    without = closed(D(2026, 2, 15))
    review(without, D(2026, 2, 10))
    after_period = closed(D(2026, 4, 10))  # still open on 31 March
    review(after_period, D(2026, 4, 5), kind="closure")
    still_open = case(world)
    held(world, still_open, D(2025, 9, 1))
    expected = {with_review: True, without: False, after_period: None, still_open: None}
    assert {c: answer(c, "closure_review") for c in expected} == expected
    assert answer(after_period, "closure_review", as_of=D(2026, 4, 30)) is True


@pytest.fixture
def cohort(world):
    """Cases on ECM in Q1 with known answers, and cases that must not count."""
    c = {}
    c["good"] = case(world)  # every point met that applies
    decided(c["good"], D(2025, 11, 1))
    m = held(world, c["good"], D(2025, 12, 1), review_at=D(2026, 2, 1))
    report(world, c["good"], m, sent=D(2025, 12, 20))
    review(c["good"], D(2026, 2, 1), due=D(2026, 2, 1), next_on=D(2026, 5, 1))
    supervised(world, world.case_manager, D(2026, 1, 15), D(2026, 3, 10))
    c["poor"] = case(world, cm=world.case_manager_2)  # late meeting, draft, review; no TRM
    decided(c["poor"], D(2025, 9, 1))
    m = held(world, c["poor"], D(2025, 12, 1), review_at=D(2026, 1, 10))
    report(world, c["poor"], m, sent=D(2026, 1, 20))
    review(c["poor"], D(2026, 1, 20), due=D(2026, 1, 10), next_on=D(2026, 5, 1), trm=False)
    c["closed"] = case(world, status="closed", closed_on=D(2026, 1, 1), closure_reason="moved")
    held(world, c["closed"], D(2025, 5, 1))  # closed on Q1's first day, no closure review
    c["new"] = case(world)  # meeting on Q1's last day: nothing due yet but the meeting
    decided(c["new"], D(2026, 3, 1))
    held(world, c["new"], D(2026, 3, 31))
    # Not counted: another team's case, a case closed before Q1, one not on ECM yet.
    other = case(world, team=world.yot_b, cm=world.other_case_manager)
    decided(other, D(2025, 11, 1))
    held(world, other, D(2025, 12, 1))
    gone = case(world, status="closed", closed_on=D(2025, 12, 31), closure_reason="moved")
    held(world, gone, D(2025, 5, 1))
    case(world, status="preparation")
    return c


EXPECTED = {  # point: (met, applicable) over good, poor, closed, new
    "meeting": ({"good", "new"}, 3),
    "draft": ({"good"}, 3),  # closed: no report, overdue since June 2025
    "reviews_on_time": ({"good"}, 2),
    "trm_recorded": ({"good"}, 2),
    "supervised": ({"good"}, 3),  # poor's case manager never supervised; new: not yet
    "closure_review": (set(), 1),
}


def test_the_dashboard_share_equals_its_drill_down_and_other_teams_do_not_count(world, cohort):
    c = cohort
    rows = {
        r.key: r for t in every_table([world.yot_a.pk], Q1) if t.key == "fidelity" for r in t.rows
    }
    assert set(rows) == {f"fidelity:{p}" for p in EXPECTED}
    for point, (met, applicable) in EXPECTED.items():
        row = rows[f"fidelity:{point}"]
        assert (row.value, row.denominator) == (len(met), applicable), point
        listed = figures.drill_cases([world.yot_a.pk], Q1, row.key)
        assert set(listed.values_list("pk", flat=True)) == {c[x].pk for x in met}, point
        assert row.value == listed.count()
        # The page's column says the same of each case (the supervision point is counted by
        # joins on the dashboard and by subqueries on the page).
        on_ecm = figures.drill_cases([world.yot_a.pk], Q1, "on_ecm")
        answers = fidelity.annotate(on_ecm, as_of=END).values_list("pk", f"fidelity_{point}")
        assert {pk for pk, yes in answers if yes} == {c[x].pk for x in met}, point
        assert sum(yes is not None for _pk, yes in answers) == applicable, point
        assert figures.figure_label(row.key, Q1, [world.yot_a.pk]) == row.label
    # Over every team, Bravo's case counts too (its meeting was on time).
    everyone = every_table(sorted({world.yot_a.pk, world.yot_b.pk, world.central.pk}), Q1)
    meeting = next(r for t in everyone for r in t.rows if r.key == "fidelity:meeting")
    assert (meeting.value, meeting.denominator) == (3, 4)
    assert figures.drill_cases([world.yot_a.pk], Q1, "fidelity:nonsense") is None


def test_the_drill_down_shows_each_cases_fidelity(client, world, cohort):
    client.force_login(world.manager)
    url = reverse("monitoring:drill", args=["on_ecm"]) + IN_Q1
    page = client.get(url)
    assert page.status_code == 200
    shown = {c.pk: c.fidelity for c in page.context["page"].object_list}
    good, poor = shown[cohort["good"].pk], shown[cohort["poor"].pk]
    assert (good["met"], good["applicable"]) == (5, 5)
    assert (poor["met"], poor["applicable"]) == (0, 5)
    text = page.content.decode()
    assert "Model fidelity" in text
    assert "5 of 5 points met" in text and "0 of 5 points met" in text
    assert "✓</span> Meeting on time" in text
    assert "✗</span> Draft report late" in text
    assert "–</span> Closure review: not yet applicable" in text
    # A fidelity row drills down to its cases, with the row's label as the title.
    drill = client.get(reverse("monitoring:drill", args=["fidelity:meeting"]) + IN_Q1)
    assert {c.pk for c in drill.context["page"].object_list} == {
        cohort["good"].pk,
        cohort["new"].pk,
    }
    assert escape(str(fidelity.BY_KEY["meeting"].label)) in drill.content.decode()


def test_the_drill_down_costs_the_same_queries_however_many_cases(
    client, world, cohort, django_assert_max_num_queries
):
    client.force_login(world.manager)
    url = reverse("monitoring:drill", args=["on_ecm"]) + IN_Q1
    client.get(url)  # warm (session, content types)
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    for _i in range(15):
        x = case(world)
        decided(x, D(2025, 11, 1))
        m = held(world, x, D(2025, 12, 1), review_at=D(2026, 2, 1))
        report(world, x, m, sent=D(2025, 12, 20))
        review(x, D(2026, 2, 1), due=D(2026, 2, 1), next_on=D(2026, 5, 1))
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url)
    assert page.context["page"].paginator.count == 19


def test_another_teams_manager_cannot_drill_into_fidelity(client, world, cohort):
    client.force_login(world.other_manager)
    url = reverse("monitoring:drill", args=["fidelity:meeting"]) + IN_Q1
    page = client.get(url)
    listed = {c.pk for c in page.context["page"].object_list}
    assert cohort["good"].pk not in listed and cohort["new"].pk not in listed
    client.force_login(world.case_manager)
    assert client.get(url).status_code == 404
