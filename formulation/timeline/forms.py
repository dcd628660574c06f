"""Forms of the timeline and the case information summary."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ecm.forms import (
    PrecisionDateField,
    PrecisionDateInput,
    PrecisionDatesMixin,
    SpecificErrorsMixin,
)

from ..forms import ModelDataMixin
from .models import SummaryItem, TimelineEvent


class TimelineEventForm(SpecificErrorsMixin, PrecisionDatesMixin, ModelDataMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    precision_dates = ("start_date", "end_date")

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
        widgets = {"start_date": PrecisionDateInput(), "end_date": PrecisionDateInput()}
        field_classes = {"start_date": PrecisionDateField, "end_date": PrecisionDateField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            for name, field in self.fields.items():
                field.widget.attrs["id"] = f"ev{self.instance.pk}-{name}"


class SummaryItemForm(SpecificErrorsMixin, PrecisionDatesMixin, ModelDataMixin, forms.ModelForm):
    precision_dates = ("start_date", "end_date")

    class Meta:
        model = SummaryItem
        fields = [
            "kind",
            "title",
            "category",
            "detail",
            "start_date",
            "end_date",
            "precision",
            "engagement",
        ]
        widgets = {
            "start_date": PrecisionDateInput(),
            "end_date": PrecisionDateInput(),
            "detail": forms.Textarea(attrs={"rows": 2}),
        }
        field_classes = {"start_date": PrecisionDateField, "end_date": PrecisionDateField}
        help_texts = {
            "category": _(
                "How a dated entry is drawn on the timeline. Left to suggest, a significant event "
                "is a loss when it says so (bereavement, died), social care for looked after, "
                "care or child protection, else family."
            )
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        category = self.fields["category"]
        category.choices = [("", _("Suggest from the kind and the words")), *category.choices[1:]]
        if self.instance.pk:
            for name, field in self.fields.items():
                field.widget.attrs["id"] = f"item{self.instance.pk}-{name}"
