"""Each role's home shows its work: what shows and what does not (other teams' cases, closed
cases), the day counts and next steps from the record, and a constant number of queries."""

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ecm.access import access_for
from ecm.dates import add_months
from ecm.models import Case, Role
from formulation.models import Meeting, Report, ReportComment
from monitoring import readmodel
from referrals.models import Consent, Referral
from reviews.models import Action, Review
from tests.factories import CaseFactory, ChildFactory, held_meeting, member

NOW = timezone.now


def _home(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


def _section(body: str, heading_id: str) -> str:
    """The HTML of one home section (from its heading to the end of its card)."""
    start = body.index(f'id="{heading_id}"')
    return body[start : body.index("</section>", start)]


def _referred(team, case_manager, days: int, **case) -> Case:
    """A case whose referral was submitted `days` ago, the status moved just now (as the
    demo and an imported case have it): the days count from the referral, not the move."""
    c = CaseFactory(team=team, case_manager=case_manager, status="referred", **case)
    Referral.objects.create(case=c, status="submitted", submitted_at=NOW() - dt.timedelta(days))
    return c


def _waiting(team, case_manager, days: int, **case) -> Case:
    c = CaseFactory(team=team, case_manager=case_manager, status="waiting", **case)
    Referral.objects.create(
        case=c,
        status="decided",
        submitted_at=NOW() - dt.timedelta(days + 10),
        decided_at=NOW() - dt.timedelta(days),
        waiting_since=NOW() - dt.timedelta(days),
    )
    return c


def _meeting(case, chair, psychologist, days: int, **kw) -> Meeting:
    return Meeting.objects.create(
        case=case,
        chair=chair,
        psychologist=psychologist,
        starts_at=NOW() + dt.timedelta(days),
        **kw,
    )


def _consent(case, kind, **kw):
    return Consent.objects.create(
        case=case, kind=kind, date=timezone.localdate(), signatory_name="Jo", **kw
    )


# --- The senior practitioner ----------------------------------------------------------------


def test_senior_home_leads_with_decisions_meetings_checks_and_the_waiting_list(client, world):
    w = world
    mine = _referred(w.yot_a, w.case_manager, 5)
    theirs = _referred(w.yot_b, w.other_case_manager, 9)
    _waiting(w.yot_a, w.case_manager, 7)
    _waiting(w.yot_a, w.case_manager, 2)
    _waiting(w.yot_b, w.other_case_manager, 30)
    chaired = _meeting(w.case, w.senior, w.psychologist, 3, location="Room 2")
    _meeting(w.case, w.senior, w.psychologist, -3)  # in the past: not upcoming
    _meeting(w.other_case, w.other_senior, w.psychologist, 3, location="Bravo room")
    held = held_meeting(
        case=w.case, chair=w.senior, psychologist=w.psychologist, starts_at=NOW() - dt.timedelta(20)
    )
    Report.objects.create(
        case=w.case,
        meeting=held,
        psychologist=w.psychologist,
        status=Report.Status.CHECKING,
        due_on=timezone.localdate(),
        sent_for_check_at=NOW(),
    )
    closed = CaseFactory(
        team=w.yot_a,
        case_manager=w.case_manager,
        status="closed",
        closed_on=timezone.localdate(),
        closure_reason="order_completed",
    )

    body = _home(client, w.senior)
    order = [
        body.index(h)
        for h in (
            "Referrals waiting for your decision",
            "Meetings you chair",
            "Drafts waiting for your accuracy check",
            'id="home-waiting-heading"',
            "Open cases in your teams",
        )
    ]
    assert order == sorted(order)

    decisions = _section(body, "home-decisions-heading")
    assert mine.child.full_name in decisions and "waiting 5 days" in decisions
    assert theirs.child.full_name not in body  # Bravo YOT's referral: not this senior's
    meetings = _section(body, "home-meetings-heading")
    assert "Room 2" in meetings and reverse("formulation:meeting", args=[chaired.pk]) in meetings
    assert meetings.count("<li") == 1  # not the past one, not Bravo's
    assert w.case.child.full_name in _section(body, "home-reports-heading")
    waiting = _section(body, "home-waiting-heading")
    assert "2 children are on the waiting list" in waiting and "7 days" in waiting
    assert reverse("referrals:waiting_list") in waiting

    cases = body[body.index("Open cases in your teams") :]
    assert w.case.reference in cases and w.referred_case.reference in cases
    assert closed.reference not in cases  # closed cases are on the case list, not the home
    assert w.other_case.reference not in body
    assert reverse("case_list") in cases


def test_senior_home_says_so_when_there_is_nothing(client, world):
    body = _home(client, world.senior)
    assert "No referrals are waiting for a decision." in body
    assert "You chair no meetings from today on." in body
    assert "No drafts are waiting for your accuracy check." in body
    assert "Nobody is on the waiting list." in body


# --- Day counts and next steps from the record ------------------------------------------------


def test_day_counts_on_the_home_are_the_queues(client, world):
    """The status moved today (status_changed_at now), the referral was submitted 5 days ago
    and the other case went on the waiting list 7 days ago: the home, the decision queue and
    the waiting list all say 5 and 7."""
    referred = _referred(world.yot_a, world.case_manager, 5)
    waiting = _waiting(world.yot_a, world.case_manager, 7)
    Case.objects.filter(pk__in=[referred.pk, waiting.pk]).update(status_changed_at=NOW())

    client.force_login(world.senior)
    queue = client.get(reverse("referrals:queue"))
    assert [r.age_days for r in queue.context["page"].object_list] == [5]
    listing = client.get(reverse("referrals:waiting_list"))
    assert [e.days_waiting for e in listing.context["entries"]] == [7]

    for user in (world.senior, world.case_manager):
        body = _home(client, user)
        assert "Awaiting eligibility decision (5 days)" in body
        assert "On the waiting list (7 days)" in body
        assert "(0 days)" not in body
    case_page = client.get(reverse("case_detail", args=[waiting.pk])).content.decode()
    assert "On the waiting list (7 days)" in case_page


def test_next_step_follows_the_consent_and_the_meetings(client, world):
    w = world
    # Accepted, the child (under 16) signed but not the parent/carer yet.
    partly = CaseFactory(team=w.yot_a, case_manager=w.case_manager, status="awaiting_consent")
    Referral.objects.create(case=partly, status="decided", decided_at=NOW() - dt.timedelta(3))
    _consent(partly, Consent.Kind.ECM_CHILD)
    # Preparing, consent complete, no meeting yet; and one with its meeting arranged.
    ready = CaseFactory(team=w.yot_a, case_manager=w.case_manager, status="preparation")
    arranged = CaseFactory(team=w.yot_a, case_manager=w.case_manager, status="preparation")
    for case in (ready, arranged):
        _consent(case, Consent.Kind.ECM_CHILD)
        _consent(case, Consent.Kind.PARENT_GENERAL)
    meeting = _meeting(arranged, w.senior, w.psychologist, 4)
    # Active, with a review due in the past.
    review = Review.objects.create(
        case=w.case,
        held_on=timezone.localdate() - dt.timedelta(60),
        next_review_on=timezone.localdate() - dt.timedelta(2),
    )

    steps = {c.pk: c.next_step for c in _cases_on_home(client, w.case_manager)}
    assert steps[partly.pk] == (
        "Record the parent/carer's general YOT consent: the child is under 16 (accepted 3 days ago)"
    )
    held_hint = "; recording it as held makes the case active"
    assert steps[ready.pk] == "Schedule the formulation meeting" + held_hint
    on = timezone.localtime(meeting.starts_at).strftime("%-d %b %Y")
    assert steps[arranged.pk] == f"Prepare for the formulation meeting on {on}" + held_hint
    due = review.next_review_on.strftime("%-d %b %Y")
    assert steps[w.case.pk] == f"Review overdue (due {due}): hold it or agree a new date"
    assert not any("consent" in steps[c.pk].lower() for c in (ready, arranged, w.case))

    # The case page says the same before ECM (one definition); on ECM its own sections say
    # what is due (the reviews', with the overdue review), so its next step is the status's.
    for case in (partly, ready, arranged):
        page = client.get(reverse("case_detail", args=[case.pk]))
        assert page.context["next_step"] == steps[case.pk]
    page = client.get(reverse("case_detail", args=[w.case.pk]))
    assert page.context["next_step"] == "Deliver the intervention plan; keep reviews on time"

    # The meeting took place but is not recorded as held yet.
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=NOW() - dt.timedelta(1))
    steps = {c.pk: c.next_step for c in _cases_on_home(client, w.case_manager)}
    assert steps[arranged.pk].startswith("Record the formulation meeting of")
    # Consent lost on an active case: withdrawn.
    withdrawn = CaseFactory(team=w.yot_a, case_manager=w.case_manager, status="active")
    _consent(withdrawn, Consent.Kind.ECM_CHILD, withdrawn_on=timezone.localdate())
    steps = {c.pk: c.next_step for c in _cases_on_home(client, w.case_manager)}
    assert steps[withdrawn.pk] == "ECM consent withdrawn: record the closure"


def _cases_on_home(client, user):
    client.force_login(user)
    return list(client.get(reverse("home")).context["page"].object_list)


# --- The psychologist -------------------------------------------------------------------------


def test_psychologist_home_reports_owed_back_from_checking_reviews_led(client, world):
    w = world
    late = CaseFactory(team=w.yot_a, case_manager=w.case_manager, status="active")
    soon = CaseFactory(team=w.yot_a, case_manager=w.case_manager, status="active")
    back = CaseFactory(team=w.yot_a, case_manager=w.case_manager, status="active")
    mine = {}
    for case, days in ((soon, 10), (late, 50), (back, 40)):
        mine[case.pk] = held_meeting(
            case=case,
            chair=w.senior,
            psychologist=w.psychologist,
            starts_at=NOW() - dt.timedelta(days),
            review_at=NOW() + dt.timedelta(days),
        )
    report = Report.objects.create(
        case=back,
        meeting=mine[back.pk],
        psychologist=w.psychologist,
        status=Report.Status.CHECKING,
        due_on=timezone.localdate(),
        sent_for_check_at=NOW() - dt.timedelta(2),
    )
    ReportComment.objects.create(
        report=report, number=1, section="summary", text="Date of move", author=w.case_manager
    )
    # Another psychologist's case, and a closed case of this one.
    other = CaseFactory(team=w.yot_a, case_manager=w.case_manager, status="active")
    held_meeting(case=other, chair=w.senior, psychologist=w.central_psychologist, starts_at=NOW())
    closed = CaseFactory(
        team=w.yot_a,
        case_manager=w.case_manager,
        status="closed",
        closed_on=timezone.localdate(),
        closure_reason="order_completed",
    )
    held_meeting(case=closed, chair=w.senior, psychologist=w.psychologist, starts_at=NOW())

    body = _home(client, w.psychologist)
    reports = _section(body, "home-reports-heading")
    owed = reports[: reports.index("Drafts back from the accuracy check")]
    assert owed.index(late.child.full_name) < owed.index(soon.child.full_name)  # overdue first
    late_due = add_months(timezone.localdate(mine[late.pk].starts_at), 1)
    assert f"Overdue by {(timezone.localdate() - late_due).days} days" in owed
    assert back.child.full_name not in owed  # sent: no longer owed
    returned = reports[reports.index("Drafts back from the accuracy check") :]
    assert back.child.full_name in returned and "1 comment to answer" in returned
    led = _section(body, "home-led-heading")
    for case in (late, soon, back):
        assert case.reference in led
    assert other.reference not in led and closed.reference not in led
    assert led.index(soon.reference) < led.index(back.reference) < led.index(late.reference)
    assert w.other_case.reference not in body


def test_psychologist_home_empty_states(client, world):
    body = _home(client, world.psychologist)
    assert "You owe no formulation reports." in body
    assert "No checker has answered a draft of yours yet." in body
    assert "You lead no reviews of cases on ECM." in body


# --- The manager ------------------------------------------------------------------------------


def test_manager_home_figures_and_what_is_overdue_in_their_teams(client, world):
    w = world
    today = timezone.localdate()
    for team, cm, owner in (
        (w.yot_a, w.case_manager, w.case_manager),
        (w.yot_b, w.other_case_manager, w.other_case_manager),
    ):
        case = CaseFactory(team=team, case_manager=cm, status="active")
        held_meeting(
            case=case,
            chair=w.senior,
            psychologist=w.psychologist,
            starts_at=NOW() - dt.timedelta(60),
            review_at=NOW() - dt.timedelta(5),
        )
        Action.objects.create(
            case=case,
            description=f"Call school {team.code}",
            owner_user=owner,
            due_on=today - dt.timedelta(3),
        )
    body = _home(client, w.manager)
    figures = _section(body, "home-headline-heading")
    assert "Children on the ECM caseload now" in figures
    assert reverse("monitoring:dashboard") in figures
    overdue = _section(body, "home-overdue-heading")
    assert "Call school alpha" in overdue and "Call school bravo" not in overdue
    assert "Review due" in overdue and "Overdue by 5 days" in overdue
    assert "Draft due" in overdue  # the report of the meeting 60 days ago, not started
    assert w.other_case.reference not in body


def _reports_overdue_as_before(user, today) -> list[tuple]:
    """The definition the home used before issue 22 moved it into SQL: every owed report of
    the cases the user sees, its due date worked out and filtered in Python, most overdue
    first (ties by the meeting's start, then its id)."""
    from formulation.report.selectors import report_due_on, reports_owed

    rows = []
    owed = reports_owed().filter(access_for(user).case_scope("case__"))
    for meeting in owed.order_by("starts_at", "pk"):
        report = getattr(meeting.case, "report", None)
        due_on = report.due_on if report else report_due_on(meeting.starts_at)
        if due_on < today:
            who = report.psychologist if report else meeting.psychologist
            rows.append((meeting.case_id, due_on, who.pk))
    rows.sort(key=lambda row: row[1])
    return rows


def test_manager_overdue_reports_are_the_same_rows_in_the_same_order_as_before(world):
    """The due date ("the report's own, or one month after the meeting's day") filtered and
    ordered in SQL gives the rows the Python did: started and not, month ends clamped (31
    January + 1 month is 28 February), ties, one due today (not overdue), one sent for the
    check and another team's left out."""
    from formulation.report.selectors import reports_overdue_for

    w = world
    today = timezone.localdate()
    tz = timezone.get_current_timezone()

    def owed(starts_at, report_due=None, team=None, sent=False, psychologist=None):
        case = CaseFactory(team=team or w.yot_a, case_manager=w.case_manager, status="active")
        meeting = held_meeting(
            case=case, chair=w.senior, psychologist=w.psychologist, starts_at=starts_at
        )
        if report_due is not None:
            Report.objects.create(
                case=case,
                meeting=meeting,
                psychologist=psychologist or w.psychologist,
                due_on=report_due,
                sent_for_check_at=NOW() if sent else None,
                status=Report.Status.CHECKING if sent else Report.Status.DRAFT,
            )
        return case

    month_end = dt.datetime(today.year - 1, 1, 31, 23, 30, tzinfo=tz)  # late: same local day
    cases = [
        owed(month_end),  # due 28 February last year, not started
        owed(NOW() - dt.timedelta(90), report_due=today - dt.timedelta(3)),  # started, own date
        owed(NOW() - dt.timedelta(90), report_due=today + dt.timedelta(3)),  # own date: not yet
        owed(NOW() - dt.timedelta(40)),  # not started, a month and more ago
        owed(NOW() - dt.timedelta(40)),  # the same start: ties by the meeting
        owed(NOW() - dt.timedelta(200), report_due=today - dt.timedelta(3)),  # tie on due date
        owed(NOW() - dt.timedelta(10)),  # not started, not due yet
        owed(NOW() - dt.timedelta(60), report_due=today),  # due today: not overdue
        owed(NOW() - dt.timedelta(60), report_due=today - dt.timedelta(9), sent=True),  # checking
        owed(NOW() - dt.timedelta(60), team=w.yot_b),  # another team's
        owed(
            NOW() - dt.timedelta(70),
            report_due=today - dt.timedelta(1),
            psychologist=w.central_psychologist,
        ),  # taken over: the report's psychologist
    ]
    before = _reports_overdue_as_before(w.manager, today)
    assert len(before) == 6, before  # the fixture has what it says
    assert before[0] == (cases[0].pk, dt.date(today.year - 1, 2, 28), w.psychologist.pk)
    now = [
        (r["case"].pk, r["due_on"], r["psychologist"].pk)
        for r in reports_overdue_for(w.manager, today)
    ]
    assert now == before
    shown = [(r["case"].pk, r["due_on"]) for r in reports_overdue_for(w.manager, today, limit=3)]
    assert shown == [row[:2] for row in before[:3]]


def test_manager_home_shows_the_most_overdue_few_and_links_to_all(
    client, world, django_assert_max_num_queries
):
    """Each overdue list on the home shows its `HOME_OVERDUE_ROWS` most overdue rows, how many
    there are, and a link to the page of all of them: the same rows in the same order, the
    teams' only; managers only."""
    from reviews.panels import HOME_OVERDUE_ROWS

    w = world
    today = timezone.localdate()
    case = CaseFactory(team=w.yot_a, case_manager=w.case_manager, status="active")
    for days in range(1, 8):  # seven overdue, the most overdue created in the middle
        Action.objects.create(
            case=case,
            description=f"Overdue {days}",
            owner_user=w.case_manager,
            due_on=today - dt.timedelta((days * 3) % 8 + 1),
        )
    other = CaseFactory(team=w.yot_b, case_manager=w.other_case_manager, status="active")
    Action.objects.create(case=other, description="Bravo's", due_on=today - dt.timedelta(30))
    for days in range(6):  # six reviews and six reports overdue: counted (a window count)
        held_meeting(
            case=CaseFactory(team=w.yot_a, case_manager=w.case_manager, status="active"),
            chair=w.senior,
            psychologist=w.psychologist,
            starts_at=NOW() - dt.timedelta(60 + days),
            review_at=NOW() - dt.timedelta(5 + days),
        )
    expected = [
        a.description
        for a in Action.objects.filter(case=case).order_by("due_on", "pk")  # the old order
    ]
    overdue = _section(_home(client, w.manager), "home-overdue-heading")
    shown = [d for d in expected if f"{d}<" in overdue or f"{d}\n" in overdue]
    assert shown == expected[:HOME_OVERDUE_ROWS]
    assert [overdue.index(d) for d in shown] == sorted(overdue.index(d) for d in shown)
    assert f"The {HOME_OVERDUE_ROWS} most overdue; there are more." in overdue  # not counted
    url = reverse("reviews:team_overdue", args=["actions"])
    assert url in overdue and "All overdue actions" in overdue
    assert overdue.count(f"The {HOME_OVERDUE_ROWS} most overdue of 6.") == 2
    assert "All 6 overdue reports" in overdue and "All 6 overdue reviews" in overdue
    for kind in ("reports", "reviews"):
        assert reverse("reviews:team_overdue", args=[kind]) in overdue
    assert "Bravo&#x27;s" not in overdue

    with django_assert_max_num_queries(12):
        response = client.get(url)
    page = response.content.decode()
    assert response.status_code == 200
    positions = [page.index(f"{d}\n") if f"{d}\n" in page else page.index(d) for d in expected]
    assert positions == sorted(positions)  # all seven, most overdue first
    assert "Bravo" not in page
    for kind in ("reports", "reviews"):
        assert client.get(reverse("reviews:team_overdue", args=[kind])).status_code == 200
    assert client.get(reverse("reviews:team_overdue", args=["other"])).status_code == 404
    client.force_login(w.case_manager)
    assert client.get(url).status_code == 404


def test_manager_headline_follows_the_small_cell_rules(client, world):
    """A manager of Alpha sees Alpha's exact counts; a central team's manager sees the
    referring YOTs' figures with small cells hidden, as the dashboard shows them."""
    body = _home(client, world.manager)
    figures = _section(body, "home-headline-heading")
    assert "&lt;5" not in figures and "<dd" in figures
    central_manager = member(world.central, Role.MANAGER, username="mgr_c")
    figures = _section(_home(client, central_manager), "home-headline-heading")
    assert "&lt;5" in figures  # two active cases: a small cell
    assert "so that no child can be identified" in figures


def test_manager_headline_reads_the_dashboards_stored_default_view(client, world):
    """Once beat has stored the manager's default dashboard, the home shows those figures (the
    same the dashboard shows, with when they were computed), not a count of its own."""
    w = world
    team_ids = sorted(access_for(w.manager).dashboard_team_ids)
    for _ in range(3):
        CaseFactory(team=w.yot_a, case_manager=w.case_manager, status="active")
    snapshot = readmodel.compute_now("dashboard", team_ids)
    stored = {r["key"]: r["value"] for t in snapshot.data["tables"] for r in t["rows"]}
    CaseFactory(team=w.yot_a, case_manager=w.case_manager, status="active")  # after it
    client.force_login(w.manager)
    with CaptureQueriesContext(connection) as ctx:
        body = _home(client, w.manager)
    figures = _section(body, "home-headline-heading")
    assert "Figures computed at" in figures
    caseload = figures[figures.index("Children on the ECM caseload now") :]
    assert f">{stored['caseload']}<" in "".join(caseload.split())
    assert stored["caseload"] == Case.objects.filter(team=w.yot_a, status="active").count() - 1
    assert not [q for q in ctx.captured_queries if 'FILTER (WHERE "ecm_case"' in q["sql"]]


def test_manager_headline_counts_while_no_figures_are_stored(client, world):
    CaseFactory(team=world.yot_a, case_manager=world.case_manager, status="active")
    figures = _section(_home(client, world.manager), "home-headline-heading")
    assert "Children on the ECM caseload now" in figures
    assert "Figures computed at" not in figures


def test_manager_home_empty_state(client, world):
    Case.objects.all().delete()
    body = _home(client, world.manager)
    assert "Nothing is overdue in your teams" in body
    assert "No open cases." in body


# --- The case manager -------------------------------------------------------------------------


def test_case_manager_home_keeps_the_caseload_with_correct_counts(client, world):
    _waiting(world.yot_a, world.case_manager, 7)
    _waiting(world.yot_a, world.case_manager_2, 4)  # a colleague's
    CaseFactory(
        team=world.yot_a,
        case_manager=world.case_manager,
        status="closed",
        closed_on=timezone.localdate(),
        closure_reason="order_completed",
    )
    body = _home(client, world.case_manager)
    assert "My caseload" in body and "On the waiting list (7 days)" in body
    assert "(4 days)" not in body
    assert "Referrals waiting for your decision" not in body  # a senior's section
    assert "Your teams in figures" not in body


# --- Queries ------------------------------------------------------------------------------------


def _grow(world, n):
    """n more of everything each home shows, in both YOTs."""
    w = world
    for i in range(n):
        for team, cm in ((w.yot_a, w.case_manager), (w.yot_b, w.other_case_manager)):
            _referred(team, cm, i)
            _waiting(team, cm, i)
            CaseFactory(
                team=team,
                case_manager=cm,
                status="closed",
                closed_on=timezone.localdate(),
                closure_reason="order_completed",
            )
            ready = CaseFactory(team=team, case_manager=cm, status="preparation")
            _consent(ready, Consent.Kind.ECM_CHILD)
            _consent(ready, Consent.Kind.PARENT_GENERAL)  # complete: the meetings decide
            _meeting(ready, w.senior, w.psychologist, i + 1)
            case = CaseFactory(team=team, case_manager=cm, status="active")
            held = held_meeting(
                case=case,
                chair=w.senior,
                psychologist=w.psychologist,
                starts_at=NOW() - dt.timedelta(40 + i),
                review_at=NOW() - dt.timedelta(i),
            )
            Review.objects.create(case=case, held_on=timezone.localdate(), next_review_on=None)
            Report.objects.create(
                case=case,
                meeting=held,
                psychologist=w.psychologist,
                status=Report.Status.CHECKING,
                due_on=timezone.localdate(),
                sent_for_check_at=NOW(),
            )
            Action.objects.create(
                case=case,
                description="Call",
                owner_user=cm,
                due_on=timezone.localdate() - dt.timedelta(1),
            )
            _consent(
                CaseFactory(
                    team=team, case_manager=cm, status="awaiting_consent", child=ChildFactory()
                ),
                Consent.Kind.ECM_CHILD,
            )


#: The most queries each home may cost (session, user, memberships, each section's few, the
#: first open cases, their count when there are more, and their next steps, the listing's
#: audit row: its chain head and insert), whatever the data; the manager's headline is one
#: lookup of the stored dashboard figures. The psychologist's two more read the cases named
#: on them before the reports they owe, and the supervision cadence's cases grouped before
#: their people: two short queries instead of two that joined every open case (issue 22).
MAX_QUERIES = {"senior": 23, "psychologist": 24, "manager": 21, "case_manager": 20}


@pytest.mark.parametrize("role", sorted(MAX_QUERIES))
def test_each_home_costs_the_same_queries_as_data_grows(
    client, world, role, django_assert_max_num_queries
):
    user = getattr(world, role)
    client.force_login(user)
    if role == "manager":  # beat keeps the manager's default dashboard stored (its headline)
        readmodel.compute_now("dashboard", sorted(access_for(user).dashboard_team_ids))

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("home")).status_code == 200
        return len(ctx.captured_queries)

    # Past the open cases the home shows (`HOME_CASES`): they are counted then, one query
    # more than a short list's (the `max` below holds for both).
    _grow(world, 5)
    few = count()
    _grow(world, 8)
    assert count() == few
    with django_assert_max_num_queries(MAX_QUERIES[role]):
        client.get(reverse("home"))


# --- The open cases: the first of them, and a link to all ---------------------------------------


def test_homes_show_the_first_open_cases_and_link_to_all_of_them(client, world):
    from ecm.views import HOME_CASES

    w = world
    for _ in range(HOME_CASES + 2):
        CaseFactory(team=w.yot_a, case_manager=w.case_manager, status="active")
    cases = list(Case.objects.filter(case_manager=w.case_manager).open().select_related("child"))
    by_name = sorted(
        cases,
        key=lambda c: (c.child.last_name, c.child.first_name, -c.opened_on.toordinal(), -c.pk),
    )
    body = _home(client, w.case_manager)
    n = len(cases)
    assert f"You are case manager for {n} open ECM cases." in body
    mine = f"{reverse('case_list')}?case_manager={w.case_manager.pk}&amp;open_only=on"
    assert mine in body and f"all {n} of your open cases on the case list" in body
    assert by_name[HOME_CASES - 1].reference in body
    assert by_name[HOME_CASES].reference not in body
    # The link's list is the whole caseload, open cases only.
    listed = client.get(mine.replace("&amp;", "&")).content.decode()
    assert all(c.reference in listed for c in cases)

    body = _home(client, w.senior)
    section = _section(body, "home-open-cases-heading")
    n = Case.objects.filter(Q(team=w.yot_a) | Q(referred_to=w.yot_a)).open().count()
    assert f"{reverse('case_list')}?open_only=on" in section
    assert f"all {n} open cases on the case list" in section
    assert section.count('<th scope="row">') == HOME_CASES


def test_homes_with_few_open_cases_list_them_all_without_the_link(client, world):
    case = CaseFactory(team=world.yot_a, case_manager=world.case_manager, status="active")
    body = _home(client, world.case_manager)
    assert case.reference in body
    assert "of your open cases on the case list" not in body
