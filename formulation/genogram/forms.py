"""Forms of the genogram page."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ecm.forms import DateInput, SpecificErrorsMixin

from ..forms import ModelDataMixin
from .models import FamilyMember, Partnership


class FamilyMemberForm(SpecificErrorsMixin, ModelDataMixin, forms.ModelForm):
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
        """`members`: who can be chosen as mother or father. The child themself is always
        "the child"; nobody else can be."""
        super().__init__(*args, **kwargs)
        self.fields["mother"].queryset = members
        self.fields["father"].queryset = members
        relationship = self.fields["relationship"]
        index = self.instance.is_index
        relationship.choices = [
            (value, label)
            for value, label in relationship.choices
            if (value == FamilyMember.Relationship.SELF) == index
        ]
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version


class PartnershipForm(SpecificErrorsMixin, forms.ModelForm):
    class Meta:
        model = Partnership
        fields = ["a", "b", "status", "start_year", "end_year"]
        labels = {"a": _("Partner"), "b": _("Partner")}

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["a"].queryset = members
        self.fields["b"].queryset = members
