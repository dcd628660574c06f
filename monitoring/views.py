"""Monitoring: the manager dashboard (every figure in SQL, small cells suppressed, each
figure drilling down to the cases behind it, every table exportable, exports audited) and
the senior practitioner's pipeline board."""

from __future__ import annotations

import csv
import datetime as dt

from django import forms
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from ecm.access import access_for
from ecm.audit import audit_record
from ecm.dates import add_months, quarter_start
from ecm.forms import DateInput
from ecm.models import AuditEvent, Team
from ecm.selectors import case_list_for

from . import figures
from .charts import bar_chart
from .selectors import pipeline_board


def _quarters(today: dt.date, n: int = 8):
    """The last n calendar quarters, newest first: (value, label, start, end)."""
    out = []
    q_start = quarter_start(today)
    for _i in range(n):
        q_end = add_months(q_start, 3) - dt.timedelta(days=1)
        label = f"{q_start:%b}–{q_end:%b %Y}"
        out.append((q_start.isoformat(), label, q_start, q_end))
        q_start = add_months(q_start, -3)
    return out


class FilterForm(forms.Form):
    teams = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Teams"),
        queryset=Team.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
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
    allowed = access_for(request.user).monitoring_team_ids
    if not allowed:
        raise Http404
    form = FilterForm(request.GET or None, team_ids=allowed)
    team_ids, period = form.scope(allowed)
    return form, team_ids, period


@require_GET
def dashboard(request):
    form, team_ids, period = _manager_scope(request)
    tables = figures.dashboard(team_ids, period)
    for table in tables:
        for row in table.rows:
            row.shown = figures.shown_row(row)
            row.shown_percent = figures.shown_percent(row)
            row.shown_columns = {k: figures.shown(v) for k, v in row.columns.items()}
            if row.drill and row.value and row.shown != "—":
                row.drill_url = reverse("monitoring:drill", args=[row.key])
        if table.chart:
            table.svg = bar_chart(table, title=table.title)
    return render(
        request,
        "monitoring/dashboard.html",
        {
            "form": form,
            "tables": tables,
            "period": period,
            "query": request.GET.urlencode(),
            "threshold": figures.threshold(),
        },
    )


@require_GET
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
        },
    )


@require_GET
def export(request, table_key: str):
    _form, team_ids, period = _manager_scope(request)
    tables = {t.key: t for t in figures.dashboard(team_ids, period)}
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


# --- Pipeline board ----------------------------------------------------------------------------


@require_GET
def pipeline(request):
    if not access_for(request.user).can_view_pipeline():
        raise Http404
    return render(request, "monitoring/pipeline.html", {"board": pipeline_board(request.user)})
