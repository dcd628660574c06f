"""What the reviews app shows on the home page (registered in apps.py through `ecm.panels`)."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ecm.access import access_for
from ecm.models import ON_ECM_STATUSES, Case, Role
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


def team_overdue_home_panel(request) -> str:
    """The manager's home: what is overdue in their teams (reports, reviews, actions), most
    overdue first. Three queries."""
    user = request.user
    if not access_for(user).is_manager():
        return ""
    today = timezone.localdate()
    reports = report_selectors.reports_overdue_for(user, today, limit=HOME_ROWS)
    reviews = list(selectors.reviews_overdue_for(user, today, limit=HOME_ROWS))
    for case in reviews:
        case.due = _due(case.review_due_on, today)
    actions = list(selectors.actions_overdue_in_teams_for(user, today)[:HOME_ROWS])
    for action in actions:
        action.due = _due(action.due_on, today)
    return render_to_string(
        "reviews/home_team_overdue.html",
        {"reports": reports, "reviews": reviews, "actions": actions},
        request=request,
    )


def next_steps(cases, today) -> dict[int, str]:
    """The next step of each case on ECM from its reviews: the next review's due date (as
    the reminders and the case page work it out), or that it is overdue. One query."""
    on_ecm = [case.pk for case in cases if case.status in ON_ECM_STATUSES]
    if not on_ecm:
        return {}
    steps = {}
    rows = selectors.with_review_due(Case.objects.filter(pk__in=on_ecm)).values_list(
        "pk", "review_due_on"
    )
    for pk, due_on in rows:
        if due_on is None:
            continue
        on = date_format(due_on, "j M Y")
        if due_on < today:
            steps[pk] = _("Review overdue (due %(date)s): hold it or agree a new date") % {
                "date": on
            }
        else:
            steps[pk] = _("Deliver the intervention plan; next review due %(date)s") % {"date": on}
    return steps
