"""What the reviews app shows on the home page (registered in apps.py through `ecm.panels`)."""

from __future__ import annotations

from django.db.models import Count, Window
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ecm.access import access_for
from ecm.models import ON_ECM_STATUSES, Role
from formulation.report import selectors as report_selectors

from . import selectors

#: How many rows each list on the home page shows (the case pages have the rest).
HOME_ROWS = 20


def _due(due_on, today):
    return report_selectors.due_label(due_on, today) if due_on else None


def reviews_led_home_panel(request) -> str:
    """The psychologist's home: the reviews they lead, the soonest due first, with the review
    meeting arranged. One query."""
    if not access_for(request.user).has_role(Role.PSYCHOLOGIST):
        return ""
    today = timezone.localdate()
    cases = list(selectors.reviews_led_by(request.user, limit=HOME_ROWS))
    for case in cases:
        case.due = _due(case.review_due_on, today)
    return render_to_string("reviews/home_led.html", {"cases": cases}, request=request)


#: How many rows each list of the manager's "Overdue in your teams" shows (the most overdue);
#: the team's overdue page (`reviews:team_overdue`) has them all.
HOME_OVERDUE_ROWS = 5

#: The lists of what is overdue in a manager's teams, by the `kind` of their page.
OVERDUE_KINDS = ("reports", "reviews", "actions")


def overdue_in_teams(user, today, kind: str):
    """The queryset of one of the manager's overdue lists (`OVERDUE_KINDS`), most overdue
    first; its rows are decorated for the templates by `overdue_rows`."""
    if kind == "reports":
        return report_selectors.reports_overdue_in_scope(user, today)
    if kind == "reviews":
        return selectors.reviews_overdue_in_scope(user, today)
    return selectors.actions_overdue_in_teams_for(user, today)


def overdue_rows(kind: str, rows, today) -> list:
    """The rows of one overdue list as its template shows them (`reviews/_overdue_<kind>`)."""
    if kind == "reports":
        return report_selectors.overdue_report_rows(rows, today)
    rows = list(rows)
    for row in rows:
        row.due = _due(row.review_due_on if kind == "reviews" else row.due_on, today)
    return rows


def _first_rows(qs, kind: str) -> tuple[list, int | None]:
    """The `HOME_OVERDUE_ROWS` first rows of `qs`, and how many it has (None: more than
    shown, not counted). The reports and reviews are sorted by a computed due date, so all
    of them are read anyway: a window count on the same query costs nothing more. The
    actions come in due-date order from their index and the LIMIT stops early; any count
    (a window, or a subquery) read every team's overdue actions (2 -> 5-20 ms at 20,000
    children, growing with all teams' data), so one row more than shown is read instead,
    to know whether to link to the rest (issue 22)."""
    if kind != "actions":
        rows = list(qs.annotate(overdue_total=Window(Count("pk")))[:HOME_OVERDUE_ROWS])
        return rows, rows[0].overdue_total if rows else 0
    rows = list(qs[: HOME_OVERDUE_ROWS + 1])
    if len(rows) > HOME_OVERDUE_ROWS:
        return rows[:HOME_OVERDUE_ROWS], None
    return rows, len(rows)


def team_overdue_home_panel(request) -> str:
    """The manager's home: what is overdue in their teams (reports, reviews, actions), the
    `HOME_OVERDUE_ROWS` most overdue of each, how many there are (`_first_rows`), and a link
    to the page of all of them when there are more. Three queries, whatever the teams' size
    (issue 22)."""
    user = request.user
    if not access_for(user).is_manager():
        return ""
    today = timezone.localdate()
    lists = {}
    for kind in OVERDUE_KINDS:
        rows, total = _first_rows(overdue_in_teams(user, today, kind), kind)
        lists[kind] = {
            "rows": overdue_rows(kind, rows, today),
            "total": total,
            "more": total is None,
        }
    return render_to_string(
        "reviews/home_team_overdue.html",
        {
            "reports": lists["reports"],
            "reviews": lists["reviews"],
            "actions": lists["actions"],
            "any": any(v["rows"] for v in lists.values()),
        },
        request=request,
    )


def next_steps(cases, today) -> dict[int, str]:
    """The next step of each case on ECM from its reviews: the next review's due date (as
    the reminders and the case page work it out), or that it is overdue. One query."""
    on_ecm = [case.pk for case in cases if case.status in ON_ECM_STATUSES]
    if not on_ecm:
        return {}
    steps = {}
    rows = selectors.review_due_dates(on_ecm)
    for pk, due_on in rows:
        if due_on is None:
            continue
        on = date_format(due_on)
        if due_on < today:
            steps[pk] = _("Review overdue (due %(date)s): hold it or agree a new date") % {
                "date": on
            }
        else:
            steps[pk] = _("Deliver the intervention plan; next review due %(date)s") % {"date": on}
    return steps
