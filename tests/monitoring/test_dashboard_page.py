"""The dashboard people read: senior practitioners see it too; headline cards with the change
on the previous period; exact counts for the reader's own teams, small cells hidden for
everyone else and in every export; a zero shows "0%"; the YOT caseload a team records per
quarter (audited, one row per team and quarter, correctable); constant queries; labelled
inputs and headings in order."""

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ecm.editing import StaleEditError
from ecm.models import AuditEvent, Role
from monitoring import display, figures
from monitoring.figures import Period, Row, Table
from monitoring.models import TeamCaseload
from monitoring.services import team_caseload_record
from referrals.models import EligibilityCheck, Referral, RuleSet
from tests.factories import CaseFactory, member
from tests.monitoring import figures_worker

Q1 = Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
Q1_QUERY = "?start=2026-01-01&end=2026-03-31"
URL = reverse("monitoring:dashboard")


def aware(day: dt.date, hour=12):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def referred(world, team, submitted: dt.date, decision=None):
    c = CaseFactory(
        team=team, case_manager=world.case_manager, status="referred", opened_on=submitted
    )
    r = Referral.objects.create(case=c, status="submitted", submitted_at=aware(submitted))
    if decision:
        EligibilityCheck.objects.create(
            referral=r,
            rule_set=RuleSet.objects.first(),
            decision=decision,
            checked_at=aware(submitted),
        )
    return c


def cards(page) -> dict:
    return {card.row.key: card for card in page.context["cards"]}


# --- Who sees it, in which mode ------------------------------------------------------------


def test_a_senior_practitioner_sees_their_teams_dashboard_with_exact_counts(client, world):
    for _ in range(3):
        referred(world, world.yot_a, dt.date(2026, 2, 1))
    referred(world, world.yot_b, dt.date(2026, 2, 1))
    client.force_login(world.senior)
    page = client.get(URL + Q1_QUERY + f"&teams={world.yot_b.pk}")  # Bravo: not honoured
    assert page.status_code == 200
    body = page.content.decode()
    assert "Exact counts: these are cases you can open." in body
    assert page.context["exact"] is True
    assert cards(page)["referred"].shown == "3"  # Alpha's 3, exact; not Bravo's one
    assert re.search(r"Referrals submitted</th>\s*<td[^>]*>\s*<a[^>]*>\s*3<", body)


def test_someone_who_cannot_open_the_cases_sees_small_numbers_hidden(client, world):
    for _ in range(3):
        referred(world, world.yot_a, dt.date(2026, 2, 1))
    central_manager = member(world.central, Role.MANAGER, username="mgr_c")
    client.force_login(central_manager)
    page = client.get(URL + Q1_QUERY + f"&teams={world.yot_a.pk}")
    assert page.status_code == 200
    assert page.context["exact"] is False
    body = page.content.decode()
    assert "Small numbers are hidden:" in body and "Exact counts" not in body
    assert cards(page)["referred"].shown == "<5"
    # The change would give the small count away: not shown.
    assert "not shown: small numbers" in cards(page)["referred"].change


def test_exports_keep_the_small_cell_rules_for_own_teams_and_are_audited(client, world):
    for _ in range(3):
        referred(world, world.yot_a, dt.date(2026, 2, 1))
    client.force_login(world.senior)
    response = client.get(reverse("monitoring:export", args=["cohort"]) + Q1_QUERY)
    assert response.status_code == 200
    assert "Referrals submitted,<5" in response.content.decode()
    assert AuditEvent.objects.filter(action="export", actor=world.senior).count() == 1


def test_exact_mode_rule_of_access(world):
    from ecm.access import access_for

    assert access_for(world.manager).sees_exact_counts({world.yot_a.pk})
    assert access_for(world.senior).sees_exact_counts({world.yot_a.pk})
    assert not access_for(world.manager).sees_exact_counts({world.yot_a.pk, world.yot_b.pk})
    assert not access_for(world.manager).sees_exact_counts(set())
    # A central team's senior practitioner reaches only the cases referred to them.
    assert not access_for(world.central_senior).sees_exact_counts({world.yot_a.pk})


# --- Headline cards and the previous period ------------------------------------------------


def test_headline_cards_say_the_change_on_the_previous_quarter_in_words(client, world):
    for _ in range(7):
        referred(world, world.yot_a, dt.date(2026, 2, 1))
    for day in (dt.date(2025, 10, 1), dt.date(2025, 12, 31)):  # the previous quarter's ends
        referred(world, world.yot_a, day)
    referred(world, world.yot_a, dt.date(2025, 9, 30))  # before it: not counted
    client.force_login(world.manager)
    page = client.get(URL + Q1_QUERY)
    card = cards(page)["referred"]
    assert card.shown == "7"
    assert card.change == "▲ up 5 on the previous quarter (was 2)"
    assert card.direction == "up"
    assert "▲ up 5 on the previous quarter (was 2)" in page.content.decode()
    # The caseload is counted now, so it is not compared.
    assert "A count now" in cards(page)["caseload"].change
    # The cards come first, then the contents, then the tables.
    body = page.content.decode()
    assert body.index('id="headlines"') < body.index('id="h-contents"') < body.index('id="cohort"')
    for table in page.context["tables"]:
        assert f'href="#{table.key}"' in body


def test_the_previous_period_has_the_same_length():
    prev, name = display.previous_period(Q1)
    assert (prev, name) == (
        Period(dt.date(2025, 10, 1), dt.date(2025, 12, 31)),
        "the previous quarter",
    )
    # The default period: the 12 months ending today (here 1 March).
    year = Period(dt.date(2025, 3, 2), dt.date(2026, 3, 1))
    assert display.previous_period(year)[0] == Period(dt.date(2024, 3, 2), dt.date(2025, 3, 1))
    days = Period(dt.date(2026, 1, 10), dt.date(2026, 3, 20))
    prev, name = display.previous_period(Period(dt.date(2025, 3, 1), dt.date(2026, 2, 28)))
    assert prev == Period(dt.date(2024, 3, 1), dt.date(2025, 2, 28))
    assert name == "the previous 12 months"
    prev, name = display.previous_period(days)
    assert prev.end == dt.date(2026, 1, 9) and name == "the previous 70 days"
    assert (prev.end - prev.start).days == (days.end - days.start).days
    prev, name = display.previous_period(Period(dt.date(2026, 2, 1), dt.date(2026, 4, 30)))
    assert prev == Period(dt.date(2025, 11, 1), dt.date(2026, 1, 31))
    assert name == "the previous 3 months"


@pytest.mark.parametrize(
    "now, before, exact, words",
    [
        (9, 9, False, "No change on the previous quarter"),
        (6, 9, False, "▼ down 3 on the previous quarter (was 9)"),
        (6, 2, True, "▲ up 4 on the previous quarter (was 2)"),
        (6, 2, False, "Change on the previous quarter not shown: small numbers"),
        (0, 6, False, "▼ down 6 on the previous quarter (was 6)"),  # a zero hides nothing
    ],
)
def test_change_words(now, before, exact, words):
    assert display.change_words(now, before, exact=exact, name="the previous quarter")[0] == words


# --- A zero shows 0% -------------------------------------------------------------------------


def test_a_zero_count_shows_zero_percent_even_beside_a_small_cell():
    rows = [Row("a", "A", 0, 20), Row("b", "B", 3, 20), Row("c", "C", 17, 20)]
    table = Table("profile_gender", "Gender", rows, split=True)
    figures.protect(table)
    assert [display.shown_percent(r, exact=False) for r in rows] == ["0%", "*", "*"]
    assert [display.shown_value(r, exact=False) for r in rows] == ["0", "<5", "*"]
    assert [display.shown_percent(r, exact=True) for r in rows] == ["0%", "15%", "85%"]
    assert [display.shown_value(r, exact=True) for r in rows] == ["0", "3", "17"]
    mean = Row("m", "Mean", 40, drill=False, unit="days", n=2)
    assert display.shown_value(mean, exact=False) == "—"
    assert display.shown_value(mean, exact=True) == "40"


def test_charts_are_exact_in_exact_mode_and_legible():
    from monitoring.charts import FONT, bar_chart

    table = Table("t", "T", [Row("a", "A label long enough to wrap onto a second line here", 3)])
    assert ">&lt;5<" in bar_chart(table, title="T")
    exact = bar_chart(table, title="T", exact=True)
    assert ">3<" in exact and "&lt;5" not in exact and exact.count("<rect") == 1
    assert f'font-size="{FONT}"' in exact and FONT >= 12
    assert exact.count("<text") == 3  # two label lines and the value


# --- The YOT caseload a team records -------------------------------------------------------


def test_recording_and_correcting_the_caseload_is_audited(world):
    row = team_caseload_record(
        actor=world.senior, team=world.yot_a, quarter_start=dt.date(2026, 1, 1), caseload=140
    )
    assert (row.caseload, row.version, row.recorded_by) == (140, 1, world.senior)
    created = AuditEvent.objects.get(action="create", team_id=world.yot_a.pk)
    assert "caseload" in created.changed_fields
    row = team_caseload_record(
        actor=world.manager,
        team=world.yot_a,
        quarter_start=dt.date(2026, 1, 1),
        caseload=150,
        note="from the case system",
        expected_version=1,
    )
    assert (row.caseload, row.version, row.recorded_by) == (150, 2, world.manager)
    assert TeamCaseload.objects.count() == 1  # one row per team and quarter
    updated = AuditEvent.objects.get(action="update", team_id=world.yot_a.pk)
    assert updated.changed_fields == ["caseload", "note", "recorded_by"]
    assert "150" not in updated.detail  # names, not values
    with pytest.raises(StaleEditError):
        team_caseload_record(
            actor=world.senior,
            team=world.yot_a,
            quarter_start=dt.date(2026, 1, 1),
            caseload=1,
            expected_version=1,
        )
    with pytest.raises(ValidationError):
        team_caseload_record(
            actor=world.senior, team=world.yot_a, quarter_start=dt.date(2026, 2, 1), caseload=1
        )


@pytest.mark.parametrize(
    "who", ["case_manager", "psychologist", "other_manager", "other_senior", "central_senior"]
)
def test_only_the_teams_managers_and_senior_practitioners_record_its_caseload(world, who):
    with pytest.raises(PermissionDenied):
        team_caseload_record(
            actor=getattr(world, who),
            team=world.yot_a,
            quarter_start=dt.date(2026, 1, 1),
            caseload=1,
        )


def test_caseload_page_records_corrects_and_refuses_a_stale_edit(client, world):
    url = reverse("monitoring:caseload")
    client.force_login(world.case_manager)
    assert client.get(url).status_code == 404
    client.force_login(world.other_senior)
    assert [c[1] for c in client.get(url).context["form"].fields["team"].choices] == ["Bravo YOT"]
    client.force_login(world.senior)
    page = client.get(url)
    assert page.status_code == 200
    data = {"team": world.yot_a.pk, "quarter_start": "2026-01-01", "caseload": "140", "note": ""}
    # Another team is not a choice.
    refused = client.post(url, {**data, "team": world.yot_b.pk})
    assert refused.status_code == 400 and not TeamCaseload.objects.exists()
    assert client.post(url, data).status_code == 302
    row = TeamCaseload.objects.get()
    assert row.caseload == 140
    correct = client.get(url + f"?team={world.yot_a.pk}&quarter=2026-01-01")
    assert correct.context["form"].initial["version"] == 1
    # Posting the quarter again without the version it was loaded at: shown, not overwritten.
    stale = client.post(url, {**data, "caseload": "99"})
    assert stale.status_code == 409
    assert 'value="99"' in stale.content.decode()  # what was typed is kept
    assert "Saved now: 140 children" in stale.content.decode()
    assert TeamCaseload.objects.get().caseload == 140
    assert client.post(url, {**data, "caseload": "99", "version": "1"}).status_code == 302
    assert TeamCaseload.objects.get().caseload == 99


def test_dashboard_shows_the_recorded_caseload_beside_the_referrals(client, world):
    referred(world, world.yot_a, dt.date(2026, 2, 1), decision="accepted")
    referred(world, world.yot_a, dt.date(2026, 3, 31), decision="not_met")
    TeamCaseload.objects.create(team=world.yot_a, quarter_start=dt.date(2026, 1, 1), caseload=140)
    TeamCaseload.objects.create(team=world.yot_a, quarter_start=dt.date(2026, 4, 1), caseload=999)
    TeamCaseload.objects.create(team=world.yot_b, quarter_start=dt.date(2026, 1, 1), caseload=777)
    client.force_login(world.manager)
    page = client.get(URL + Q1_QUERY)
    [quarter] = page.context["caseloads"]
    assert (quarter.quarter_start, quarter.caseload, quarter.teams_recorded) == (
        dt.date(2026, 1, 1),
        140,
        1,
    )
    body = page.content.decode()
    section = body[body.index('id="yot-caseload"') : body.index('id="cohort"')]
    assert "140" in section and "999" not in section and "777" not in section
    assert "Referrals submitted" in section and "Referrals meeting the criteria" in section
    assert [r.value for r in page.context["eligibility"]] == [2, 1, 1]


# --- Queries, and the accessibility basics --------------------------------------------------


def test_dashboard_costs_constant_queries_with_cards_and_caseloads(client, world):
    central_manager = member(world.central, Role.MANAGER, username="mgr_c")

    def count(user, query):
        client.force_login(user)
        with CaptureQueriesContext(connection) as ctx:
            page = client.get(URL + Q1_QUERY + query)
            assert page.status_code == 200
        return len(ctx.captured_queries), page.context["exact"]

    alpha = f"&teams={world.yot_a.pk}"
    count(world.manager, alpha)  # the figures asked for and computed (the worker's part)
    few = {who: count(who, alpha) for who in (world.manager, central_manager)}
    assert [exact for _n, exact in few.values()] == [True, False]
    for i in range(12):
        referred(world, world.yot_a, dt.date(2026, 1, 1) + dt.timedelta(days=i * 7), "accepted")
        referred(world, world.yot_a, dt.date(2025, 11, 1), "not_met")
    for q in (dt.date(2025, 10, 1), dt.date(2026, 1, 1)):
        TeamCaseload.objects.create(team=world.yot_a, quarter_start=q, caseload=100, note="n")
    figures_worker.recompute()
    for who, before in few.items():
        assert count(who, alpha) == before


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.headings, self.inputs, self.labels, self.legend_depth = [], [], set(), 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit"):
            self.inputs.append(a)
        if tag == "label" and a.get("for"):
            self.labels.add(a["for"])


@pytest.mark.parametrize(
    "path", ["monitoring:dashboard", "monitoring:caseload", "monitoring:trends"]
)
def test_every_input_is_labelled_and_headings_are_in_order(client, world, path):
    client.force_login(world.manager)
    parser = _Page()
    parser.feed(client.get(reverse(path)).content.decode())
    assert parser.inputs
    for field in parser.inputs:
        assert field.get("id") in parser.labels or field.get("aria-label"), field
    assert parser.headings[0] == 1
    for before, after in zip(parser.headings, parser.headings[1:], strict=False):
        assert after <= before + 1, parser.headings


def test_previous_counts_over_every_team_and_over_some(world):
    """The previous period's headline counts come with the dashboard's own aggregate."""
    referred(world, world.yot_a, dt.date(2025, 11, 1))
    referred(world, world.yot_b, dt.date(2025, 11, 1))
    prev, _name = display.previous_period(Q1)
    every = {world.yot_a.pk, world.yot_b.pk, world.central.pk}

    def previous(team_ids):
        compared = display.comparison(prev)
        figures.dashboard(team_ids, Q1, compare=compared)
        return display.previous_counts(compared)

    assert previous(every)["referred"] == 2
    assert previous({world.yot_a.pk})["referred"] == 1
    assert previous({world.yot_a.pk})["caseload"] is display.NOW
    # Counting them costs no query of its own.
    with CaptureQueriesContext(connection) as alone:
        figures.dashboard({world.yot_a.pk}, Q1)
    with CaptureQueriesContext(connection) as compared:
        figures.dashboard({world.yot_a.pk}, Q1, compare=display.comparison(prev))
    assert len(compared.captured_queries) == len(alone.captured_queries)


@pytest.mark.parametrize(
    ("path", "table", "row"),
    [
        ("monitoring:profile", "profile_gender", "gender:male"),
        ("monitoring:fidelity", "fidelity", "fidelity:meeting"),
    ],
)
def test_profile_and_fidelity_pages_their_exports_and_who_sees_them(
    client, world, path, table, row
):
    """Each a page of its own, in the dashboard's tabs and modes, at constant queries; each
    table exports from its page (small cells hidden, audited); others 404."""
    for who in (world.case_manager, world.psychologist):
        client.force_login(who)
        assert client.get(reverse(path)).status_code == 404
        assert client.get(reverse("monitoring:export", args=[table])).status_code == 404
    client.force_login(world.manager)

    def get():
        with CaptureQueriesContext(connection) as ctx:
            page = client.get(reverse(path) + Q1_QUERY)
        assert page.status_code == 200
        return page, len(ctx.captured_queries)

    get()  # the figures asked for and computed (the worker's part)
    page, few = get()
    keys = {r.key for t in page.context["tables"] for r in t.rows}
    assert row in keys and "referred" not in keys  # its own tables, not the dashboard's
    body = page.content.decode()
    assert 'aria-current="page"' in body
    # A share says what it is out of ("3 of 5"); a plain count does not.
    assert bool(re.search(r">\s*of\s+\d+\s*<", body)) == (table == "fidelity")
    for i in range(6):
        referred(world, world.yot_a, dt.date(2026, 1, 1) + dt.timedelta(days=i), "accepted")
    figures_worker.recompute()
    assert get()[1] == few
    export = client.get(reverse("monitoring:export", args=[table]) + Q1_QUERY)
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    assert AuditEvent.objects.filter(action="export", actor=world.manager).count() == 1
