"""What the formulation's forms share."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from django import forms

from ecm.forms import SpecificErrorsMixin


def row_helper() -> FormHelper:
    """For a form whose controls sit in a table row or a line of text: each label is read
    out but not shown (there is no room for it); the control's placeholder says it too."""
    helper = FormHelper()
    helper.form_tag = False
    helper.field_template = "bootstrap5/layout/inline_field.html"
    return helper


class ModelDataMixin:
    """For a ModelForm whose service takes a dict of the model's fields."""

    def model_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields}


class RemoveForm(SpecificErrorsMixin, forms.Form):
    """Which of `queryset` to remove: the value of the row's Remove button."""

    delete = forms.ModelChoiceField(queryset=None)

    def __init__(self, *args, queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["delete"].queryset = queryset


__all__ = [
    "ModelDataMixin",
    "RemoveForm",
    "row_helper",
]
