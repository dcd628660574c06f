from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ecm.access import SUPERVISEE_ROLES, access_for
from ecm.forms import DateInput, DateTimeInput, SpecificErrorsMixin
from ecm.models import Case, User
from ecm.selectors import team_members

from .models import Escalation, Offer, Session

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


def supervisable_people(psychologist: User):
    return team_members(access_for(psychologist).supervised_team_ids, SUPERVISEE_ROLES)


class SessionForm(SpecificErrorsMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    starts_at = forms.DateTimeField(
        label=_("Start"), widget=DateTimeInput(), input_formats=DATETIME_FORMATS
    )
    ends_at = forms.DateTimeField(
        label=_("End"), widget=DateTimeInput(), input_formats=DATETIME_FORMATS
    )
    supervisees = forms.ModelMultipleChoiceField(
        label=_("Supervisee(s)"), queryset=User.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    cases = forms.ModelMultipleChoiceField(
        label=_("Cases discussed"),
        queryset=Case.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    class Meta:
        model = Session
        fields = [
            "starts_at",
            "ends_at",
            "format",
            "kind",
            "mode",
            "location",
            "supervisees",
            "cases",
            "theme_approach",
            "theme_feelings",
            "theme_impact",
            "theme_development",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args, psychologist, cases, **kwargs):
        super().__init__(*args, **kwargs)
        people = supervisable_people(psychologist)
        if self.instance.pk:
            # Keep what the session already records (a case since closed, a supervisee who
            # has left the team): editing must not silently drop it.
            people = User.objects.filter(
                Q(pk__in=people.values("pk")) | Q(supervision_attendance__session=self.instance)
            ).distinct()
            cases = (
                Case.objects.filter(
                    Q(pk__in=cases.values("pk")) | Q(supervision_links__session=self.instance)
                )
                .select_related("child")
                .distinct()
            )
        self.fields["supervisees"].queryset = people
        self.fields["cases"].queryset = cases
        self.fields["cases"].label_from_instance = lambda c: f"{c.reference} {c.child.full_name}"
        if self.instance.pk:
            self.initial["supervisees"] = [a.user_id for a in self.instance.attendance.all()]
            self.initial["cases"] = [c.case_id for c in self.instance.cases_discussed.all()]
            self.initial["version"] = self.instance.version

    def model_data(self) -> dict:
        return {
            k: v
            for k, v in self.cleaned_data.items()
            if k not in ("supervisees", "cases", "version")
        }


class ReflectionForm(SpecificErrorsMixin, forms.Form):
    reflections = forms.CharField(
        label=_("My reflections"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


class DecisionSummaryForm(SpecificErrorsMixin, forms.Form):
    case = forms.ModelChoiceField(label=_("Case"), queryset=Case.objects.none())
    text = forms.CharField(
        label=_("Decision summary (shown on the case to its team)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only the decisions, in a sentence or two: the session stays private."),
    )

    def __init__(self, *args, cases, **kwargs):
        # Its ids apart from the escalation form's on the same page (both have a case).
        kwargs.setdefault("auto_id", "summary-%s")
        super().__init__(*args, **kwargs)
        self.fields["case"].queryset = cases
        self.fields["case"].label_from_instance = lambda c: c.reference


class EscalationForm(SpecificErrorsMixin, forms.ModelForm):
    discussed_first = forms.BooleanField(
        label=_("I discussed this with the supervisee before raising it"), required=False
    )

    class Meta:
        model = Escalation
        fields = [
            "supervisee",
            "discussed_first",
            "discussed_on",
            "line_manager",
            "raised_on",
            "what",
            "safeguarding",
            "case",
        ]
        widgets = {
            "discussed_on": DateInput(),
            "raised_on": DateInput(),
            "what": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, session, **kwargs):
        kwargs.setdefault("auto_id", "escalation-%s")
        super().__init__(*args, **kwargs)
        self.fields["supervisee"].queryset = User.objects.filter(
            supervision_attendance__session=session
        )
        self.fields["case"].queryset = Case.objects.filter(supervision_links__session=session)
        self.fields["case"].label_from_instance = lambda c: c.reference


class OfferForm(SpecificErrorsMixin, forms.ModelForm):
    class Meta:
        model = Offer
        fields = ["practitioner", "offered_on", "response"]
        widgets = {"offered_on": DateInput()}

    def __init__(self, *args, psychologist, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = supervisable_people(psychologist)


class PeriodForm(SpecificErrorsMixin, forms.Form):
    """The period of the sessions listed for oversight (the index page's filter)."""

    # Not marked required: the select always has a period chosen.
    months = forms.TypedChoiceField(label=_("Period"), coerce=int, required=False)

    def __init__(self, *args, periods, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["months"].choices = [
            (m, ngettext("last month", "last %(n)s months", m) % {"n": m}) for m in periods
        ]
