"""Monitoring: the dashboard of managers and senior practitioners (headline cards with the
change on the previous period, then every table; every figure in SQL, each drilling down to
the cases behind it, every table exportable, exports audited; exact counts for teams whose
cases the reader can open, small cells suppressed otherwise and in every export), the YOT
caseload a team records per quarter, and the senior practitioner's pipeline board."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ecm.access import access_for
from ecm.audit import audit_record
from ecm.dates import add_months, display_date, quarter_start
from ecm.db_router import reads_from_replica
from ecm.editing import StaleEditError, form_with_saved_version
from ecm.forms import DateInput, add_service_errors
from ecm.middleware import is_background_poll
from ecm.models import AuditEvent, Team
from ecm.selectors import case_list_for

from . import benchmarks, display, fidelity, figures, readmodel, trends
from .caseloads import caseloads_in, recorded_for
from .charts import bar_chart
from .models import FigureSnapshot, TeamCaseload
from .selectors import pipeline_board
from .services import team_caseload_record
from .tables import tables_for


def _quarters(today: dt.date, n: int = 8):
    """The last n calendar quarters, newest first: (value, label, start, end)."""
    out = []
    q_start = quarter_start(today)
    for _i in range(n):
        q_end = add_months(q_start, 3) - dt.timedelta(days=1)
        label = f"{date_format(q_start, 'M')}–{date_format(q_end, 'M Y')}"
        out.append((q_start.isoformat(), label, q_start, q_end))
        q_start = add_months(q_start, -3)
    return out


FIRST_DAY, LAST_DAY = figures.PERIOD_FIRST_DAY, figures.PERIOD_LAST_DAY


class FilterForm(forms.Form):
    teams = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Teams"),
        queryset=Team.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("None ticked: every team you can see."),
    )
    quarter = forms.ChoiceField(label=gettext_lazy("Quarter"), required=False)
    start = forms.DateField(label=gettext_lazy("From"), required=False, widget=DateInput())
    end = forms.DateField(label=gettext_lazy("To"), required=False, widget=DateInput())

    def __init__(self, *args, team_ids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["teams"].queryset = Team.objects.filter(pk__in=team_ids).order_by("name")
        self.quarters = _quarters(timezone.localdate())
        self.fields["quarter"].choices = [("", _("Choose a quarter, or give dates"))] + [
            (value, label) for value, label, _s, _e in self.quarters
        ]

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end of the period is before its start."))
        for name in ("start", "end"):
            day = data.get(name)
            if day and not FIRST_DAY <= day <= LAST_DAY:
                self.add_error(
                    name,
                    _("Give a date from %(first)s to %(last)s.")
                    % {"first": display_date(FIRST_DAY), "last": display_date(LAST_DAY)},
                )
                data.pop(name, None)
        return data

    def scope(self, allowed: set[int]) -> tuple[list[int], figures.Period]:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        chosen = [t.pk for t in data.get("teams") or []] or sorted(allowed)
        today = timezone.localdate()
        start, end = data.get("start"), data.get("end")
        if data.get("quarter"):
            for value, _label, q_start, q_end in self.quarters:
                if value == data["quarter"]:
                    start, end = q_start, q_end
        end = end or today
        start = start or add_months(end, -12) + dt.timedelta(days=1)
        return chosen, figures.Period(start, end)


def _manager_scope(request):
    allowed = access_for(request.user).dashboard_team_ids
    if not allowed:
        raise Http404
    form = FilterForm(request.GET or None, team_ids=allowed)
    team_ids, period = form.scope(allowed)
    return form, team_ids, period


def _pages() -> list[tuple[str, str, str]]:
    """The monitoring pages, as tabs: (key, name, url)."""
    return [
        ("dashboard", _("Dashboard"), reverse("monitoring:dashboard")),
        ("profile", _("Profile"), reverse("monitoring:profile")),
        ("fidelity", _("Model fidelity"), reverse("monitoring:fidelity")),
        ("trends", _("Trends"), reverse("monitoring:trends")),
    ]


def _show(tables, *, exact: bool) -> None:
    """What the tables show (exact or small cells hidden), their published benchmarks,
    each figure's drill-down link and each chart."""
    display.present(tables, exact=exact)
    benchmarks.attach(tables)
    for table in tables:
        for row in table.rows:
            if row.drill and row.value and row.shown != "—":
                row.drill_url = reverse("monitoring:drill", args=[row.key])
        if table.chart:
            table.svg = bar_chart(table, title=table.title, exact=exact)


PAGE_TITLES = {
    "dashboard": gettext_lazy("Monitoring dashboard"),
    "profile": gettext_lazy("Profile: who ECM reaches"),
    "fidelity": gettext_lazy("Model fidelity"),
    "trends": gettext_lazy("Trends by quarter"),
}


@dataclass
class Stored:
    snapshot: FigureSnapshot
    period: figures.Period | None = None  # the period the stored figures count
    query: str = ""  # for the page's links
    response: HttpResponse | None = None  # not computed yet: the page that waits for them


def _stored(request, section: str, team_ids, period) -> Stored:
    """A page's stored figures (`readmodel`), never computed here."""
    snapshot = readmodel.snapshot_for(section, team_ids, period)
    if snapshot.computed_at is None:
        return Stored(snapshot, response=_waiting(request, section, snapshot))
    if is_background_poll(request):
        # The waiting page's poll: the figures are ready, so show them.
        response = HttpResponse(status=204)
        response["HX-Redirect"] = request.get_full_path()
        return Stored(snapshot, response=response)
    counted = readmodel.period_of(snapshot)
    params = request.GET.copy()
    if counted != period:  # rolling figures of yesterday: the links name their own dates
        params.pop("quarter", None)
        params["start"], params["end"] = counted.start.isoformat(), counted.end.isoformat()
    return Stored(snapshot, counted, params.urlencode())


def _waiting(request, section: str, snapshot):
    """No figures yet for this choice: they are being computed (the page polls) or failed."""
    context = {"snapshot": snapshot, "section": section, "query": request.GET.urlencode()}
    if request.headers.get("HX-Request"):
        return render(request, "monitoring/_figures_waiting.html", context)
    return render(
        request,
        "monitoring/figures_waiting.html",
        {**context, "title": PAGE_TITLES[section], "monitoring_pages": _pages()},
    )


@require_POST
def recompute(request, section: str):
    """ "Recompute now": queue the page's figures for the worker (once however often asked),
    then back to the page, which says they are being recomputed."""
    if section not in readmodel.SECTIONS:
        raise Http404
    _form, team_ids, period = _manager_scope(request)
    readmodel.request(readmodel.snapshot_for(section, team_ids, period))
    messages.info(request, _("The figures are being recomputed: reload the page in a moment."))
    url = {k: u for k, _n, u in _pages()}[section]
    return redirect(f"{url}?{request.GET.urlencode()}")


@require_GET
@reads_from_replica
def dashboard(request):
    form, team_ids, period = _manager_scope(request)
    stored = _stored(request, "dashboard", team_ids, period)
    if stored.response is not None:
        return stored.response  # not computed yet: the page that waits for them
    snapshot, period, query = stored.snapshot, stored.period, stored.query
    access = access_for(request.user)
    exact = access.sees_exact_counts(team_ids)
    previous, previous_name = display.previous_period(period)
    compared = readmodel.compared_of(snapshot, period)
    tables = readmodel.tables_of(snapshot)
    _show(tables, exact=exact)
    cards = display.headline_cards(
        tables,
        display.previous_counts(compared),
        exact=exact,
        name=previous_name,
    )
    rows = {row.key: row for table in tables for row in table.rows}
    return render(
        request,
        "monitoring/dashboard.html",
        {
            "form": form,
            "tables": tables,
            "cards": cards,
            "exact": exact,
            "period": period,
            "previous": previous,
            "previous_name": previous_name,
            "caseloads": caseloads_in(team_ids, period),
            "eligibility": [
                rows[k] for k in ("referred", "criteria_met", "criteria_not_met") if k in rows
            ],
            "can_record_caseload": bool(access.caseload_team_ids()),
            "query": query,
            "snapshot": snapshot,
            "threshold": figures.threshold(),
            "monitoring_pages": _pages(),
            "has_contents": True,
        },
    )


def _section(request, *, key: str, title: str, intro: str):
    form, team_ids, period = _manager_scope(request)
    stored = _stored(request, key, team_ids, period)
    if stored.response is not None:
        return stored.response  # not computed yet: the page that waits for them
    snapshot, period, query = stored.snapshot, stored.period, stored.query
    exact = access_for(request.user).sees_exact_counts(team_ids)
    tables = readmodel.tables_of(snapshot)
    _show(tables, exact=exact)
    return render(
        request,
        "monitoring/section.html",
        {
            "form": form,
            "tables": tables,
            "exact": exact,
            "period": period,
            "title": title,
            "intro": intro,
            "current": key,
            "query": query,
            "snapshot": snapshot,
            "threshold": figures.threshold(),
            "monitoring_pages": _pages(),
        },
    )


@require_GET
@reads_from_replica
def profile_page(request):
    """Who ECM reaches: the profile of the cases on ECM in the period."""
    return _section(
        request,
        key="profile",
        title=_("Profile: who ECM reaches"),
        intro=_(
            "The cases on ECM in the period: age, order or disposal, gender, ethnicity, "
            "problems per child, and each complexity indicator and adverse childhood "
            "experience with its don't-know count."
        ),
    )


@require_GET
@reads_from_replica
def fidelity_page(request):
    """Model fidelity: how many of the cases on ECM in the period followed each point of
    the model (each drilling down to the cases, with every case's points)."""
    return _section(
        request,
        key="fidelity",
        title=_("Model fidelity"),
        intro=_(
            "For the cases on ECM in the period, how many met each point of the model, of "
            "those it applies to (each judged on the period's last day, or on the day a case "
            "closed). Each count lists its cases, with every case's points."
        ),
    )


@require_GET
@reads_from_replica
def trends_page(request):
    """The headline figures by quarter over the last two years, to the end of the chosen
    period (the dashboard's team choice and counts mode)."""
    form, team_ids, period = _manager_scope(request)
    stored = _stored(request, "trends", team_ids, period)
    if stored.response is not None:
        return stored.response  # not computed yet: the page that waits for them
    snapshot, period, query = stored.snapshot, stored.period, stored.query
    exact = access_for(request.user).sees_exact_counts(team_ids)
    quarters, rows = readmodel.trends_of(snapshot)
    trends.present(rows, exact=exact)
    for row in rows:
        row.svg = bar_chart(trends.chart_table(row, quarters), title=row.label, exact=exact)
    return render(
        request,
        "monitoring/trends.html",
        {
            "form": form,
            "quarters": quarters,
            "rows": rows,
            "exact": exact,
            "period": period,
            "query": query,
            "snapshot": snapshot,
            "threshold": figures.threshold(),
            "monitoring_pages": _pages(),
        },
    )


PROFILE_PREFIXES = ("age:", "agerf:", "disposal:", "order:", "gender:", "ethnicity:", "cx")


def _page_of(key: str) -> tuple[str, str]:
    """The page a figure is on (url, name), for the drill-down's way back."""
    pages = {k: (url, name) for k, name, url in _pages()}
    if key.startswith(fidelity.PREFIX):
        return pages["fidelity"]
    if key.startswith(PROFILE_PREFIXES):
        return pages["profile"]
    return pages["dashboard"]


@require_GET
@reads_from_replica
def drill(request, key: str):
    form, team_ids, period = _manager_scope(request)
    qs = figures.drill_cases(team_ids, period, key)
    if qs is None:
        raise Http404
    visible = case_list_for(request.user).values("pk")
    cases = (
        qs.filter(pk__in=visible)
        .select_related("child", "team", "case_manager")
        .order_by("team__name", "child__last_name", "pk")
    )
    page = Paginator(cases, 50).get_page(request.GET.get("page"))
    # Model fidelity of the cases shown: annotated on the page's own query (the count does
    # not compute it).
    page.object_list = list(
        fidelity.annotate(page.object_list, as_of=fidelity.reference_day(period))
    )
    for case in page.object_list:
        case.fidelity = fidelity.marks(case)
    label = figures.figure_label(key, period, team_ids)
    audit_record(
        actor=request.user,
        action=AuditEvent.Action.SEARCH,
        detail=f"monitoring drill-down {key} {period.start}..{period.end}",
    )
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "monitoring/drill.html",
        {
            "page": page,
            "key": key,
            "label": label or key,
            "period": period,
            "query": params.urlencode(),
            "back": _page_of(key),
        },
    )


@require_GET
@reads_from_replica
def export(request, table_key: str):
    _form, team_ids, period = _manager_scope(request)
    tables = {t.key: t for t in tables_for(table_key, team_ids, period)}
    table = tables.get(table_key)
    if table is None:
        raise Http404
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="ecm-{table_key}-{period.start}-{period.end}.csv"'
    )
    response["Cache-Control"] = "no-store, private"
    writer = csv.writer(response)
    if table.columns:
        writer.writerow([_("Figure"), *table.columns])
        for row in table.rows:
            writer.writerow(
                [row.label, *(figures.shown(row.columns.get(c)) for c in table.columns)]
            )
    else:
        writer.writerow([_("Figure"), _("Value"), _("Percent")])
        for row in table.rows:
            writer.writerow([row.label, figures.shown_row(row), figures.shown_percent(row)])
    audit_record(
        actor=request.user,
        action=AuditEvent.Action.EXPORT,
        detail=f"monitoring {table_key} {period.start}..{period.end} teams {sorted(team_ids)}",
    )
    return response


# --- The YOT caseload a team records -------------------------------------------------------


class CaseloadForm(forms.Form):
    team = forms.TypedChoiceField(label=gettext_lazy("Team"), coerce=int)
    quarter_start = forms.TypedChoiceField(
        label=gettext_lazy("Quarter"), coerce=dt.date.fromisoformat
    )
    caseload = forms.IntegerField(
        label=gettext_lazy("Children on the YOT caseload in the quarter"),
        min_value=0,
        help_text=gettext_lazy("Every child the YOT worked with, not only those on ECM."),
    )
    note = forms.CharField(
        label=gettext_lazy("Note (optional)"),
        max_length=500,
        required=False,
        help_text=gettext_lazy("Where the number comes from, or what it leaves out."),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [(t.pk, t.name) for t in teams]
        self.fields["quarter_start"].choices = [
            (value, label) for value, label, _s, _e in _quarters(timezone.localdate())
        ]


@require_http_methods(["GET", "POST"])
def caseload(request):
    """Record or correct the team's YOT caseload for a quarter; the rows recorded so far."""
    access = access_for(request.user)
    team_ids = access.caseload_team_ids()
    if not team_ids:
        raise Http404
    teams = list(Team.objects.filter(pk__in=team_ids).order_by("name"))
    status = 200
    if request.method == "POST":
        form = CaseloadForm(request.POST, teams=teams)
        if form.is_valid():
            data = form.cleaned_data
            team = next(t for t in teams if t.pk == data["team"])
            saved = TeamCaseload.objects.filter(
                team=team, quarter_start=data["quarter_start"]
            ).first()
            # No version from the form while a row exists: it was recorded since the form
            # was loaded, so it is shown rather than overwritten.
            expected = data["version"] if data["version"] is not None else (0 if saved else None)
            try:
                team_caseload_record(
                    actor=request.user,
                    team=team,
                    quarter_start=data["quarter_start"],
                    caseload=data["caseload"],
                    note=data["note"],
                    expected_version=expected,
                )
            except StaleEditError as exc:
                form = form_with_saved_version(CaseloadForm, request.POST, saved, exc, teams=teams)
                form.saved = saved
                status = 409
            except PermissionDenied:
                raise Http404 from None
            except ValidationError as exc:
                add_service_errors(form, exc)
                status = 400
            else:
                messages.success(request, _("YOT caseload saved."))
                return redirect("monitoring:caseload")
        else:
            status = 400
    else:
        initial = {}
        row = None
        if request.GET.get("team") and request.GET.get("quarter"):
            try:
                row = TeamCaseload.objects.filter(
                    team_id__in=team_ids,
                    team_id=int(request.GET["team"]),
                    quarter_start=dt.date.fromisoformat(request.GET["quarter"]),
                ).first()
            except ValueError:
                row = None
        if row is not None:
            initial = {
                "team": row.team_id,
                "quarter_start": row.quarter_start.isoformat(),
                "caseload": row.caseload,
                "note": row.note,
                "version": row.version,
            }
        form = CaseloadForm(initial=initial, teams=teams)
    return render(
        request,
        "monitoring/caseload.html",
        {"form": form, "rows": recorded_for(team_ids)[:40]},
        status=status,
    )


# --- Pipeline board ----------------------------------------------------------------------------


@require_GET
def pipeline(request):
    if not access_for(request.user).can_view_pipeline():
        raise Http404
    return render(request, "monitoring/pipeline.html", {"board": pipeline_board(request.user)})
