"""The TRM placement form (on the meeting page)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import TRMStage


class TRMPlacementForm(forms.Form):
    stage = forms.ModelChoiceField(label=_("TRM stage"), queryset=TRMStage.objects.none())
    presentation = forms.CharField(
        label=_("Presentation"), widget=forms.Textarea(attrs={"rows": 2})
    )
    underlying_need = forms.CharField(
        label=_("Underlying need"), widget=forms.Textarea(attrs={"rows": 2})
    )
    intervention_recommendation = forms.CharField(
        label=_("Intervention recommendation"), widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, stages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = stages
