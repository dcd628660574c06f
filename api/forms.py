from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ecm.forms import DateInput
from ecm.models import Team

from .models import Scope


class TokenForm(forms.Form):
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none())
    name = forms.CharField(
        label=_("Integration"),
        max_length=80,
        help_text=_("The system that will use the token, e.g. “ChildView”."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"), choices=Scope.choices, widget=forms.CheckboxSelectMultiple
    )
    expires_on = forms.DateField(label=_("Expires on"), widget=DateInput())

    def __init__(self, *args, team_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.filter(pk__in=team_ids).order_by("name")
        if len(team_ids) == 1:
            self.fields["team"].initial = next(iter(team_ids))
        self.fields["expires_on"].initial = timezone.localdate() + dt.timedelta(days=365)
