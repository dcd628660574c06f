"""Forms of the genogram page."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ecm.forms import DateInput

from ..forms import BootstrapMixin
from .models import FamilyMember, Partnership


class FamilyMemberForm(BootstrapMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = FamilyMember
        fields = [
            "name",
            "relationship",
            "sex",
            "date_of_birth",
            "year_of_birth",
            "deceased",
            "lives_with_child",
            "mental_health",
            "substance_misuse",
            "imprisonment",
            "domestic_abuse",
            "notes",
            "mother",
            "father",
        ]
        widgets = {"date_of_birth": DateInput()}

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mother"].queryset = members
        self.fields["father"].queryset = members
        self.fields["relationship"].choices = (
            [c for c in self.fields["relationship"].choices if c[0] != "self"]
            if not (self.instance.pk and self.instance.relationship == "self")
            else self.fields["relationship"].choices
        )
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version


class PartnershipForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Partnership
        fields = ["a", "b", "status", "start_year", "end_year"]
        labels = {"a": _("Partner"), "b": _("Partner")}

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["a"].queryset = members
        self.fields["b"].queryset = members
