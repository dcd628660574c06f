"""Forms of the timeline and the case information summary."""

from __future__ import annotations

from django import forms

from ecm.forms import DateInput

from ..forms import ModelDataMixin
from .models import SummaryItem, TimelineEvent


class TimelineEventForm(ModelDataMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = TimelineEvent
        fields = [
            "title",
            "category",
            "start_date",
            "precision",
            "end_date",
            "shared_by",
            "sensitive",
        ]
        widgets = {"start_date": DateInput(), "end_date": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            for name, field in self.fields.items():
                field.widget.attrs["id"] = f"ev{self.instance.pk}-{name}"


class SummaryItemForm(ModelDataMixin, forms.ModelForm):
    class Meta:
        model = SummaryItem
        fields = ["kind", "title", "detail", "start_date", "end_date", "precision", "engagement"]
        widgets = {
            "start_date": DateInput(),
            "end_date": DateInput(),
            "detail": forms.Textarea(attrs={"rows": 2}),
        }
