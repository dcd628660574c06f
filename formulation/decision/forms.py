"""The form of a re-opened episode's decision on the formulation."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ecm.forms import DateInput, SpecificErrorsMixin
from ecm.models import Case
from ecm.services import default_first_review


class FormulationDecisionForm(SpecificErrorsMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    decision = forms.ChoiceField(
        label=_("Is another formulation meeting needed?"),
        choices=Case._meta.get_field("formulation_decision").choices,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Who agreed, and why"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "The psychologist and the case manager decide jointly: name both, e.g. “Agreed "
            "by Dr Jones (psychologist) and Sam Patel (case manager) on 3 May”."
        ),
    )
    first_review_on = forms.DateField(
        label=_("First review of this episode by"),
        widget=DateInput(),
        required=False,
        initial=default_first_review,
        help_text=_("When the formulation is carried forward: six weeks from today if empty."),
    )
