"""Forms of the retention pages (issue 20). Every field labelled; errors keep what was typed."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .forms import DateInput, SpecificErrorsMixin

NO_NAME = _("Do not name the child or their family: the reason outlives the record.")


def _reason(label, *, name_hint=True, required=True):
    return forms.CharField(
        label=label,
        max_length=500,
        required=required,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=NO_NAME if name_hint else "",
    )


class KeepForm(SpecificErrorsMixin, forms.Form):
    prefix = "keep"
    keep_until = forms.DateField(label=_("Keep the record until"), widget=DateInput())
    reason = _reason(_("Why the record is kept"))


class ProposeErasureForm(SpecificErrorsMixin, forms.Form):
    prefix = "erase"
    reason = _reason(_("Why the record should be erased"))


class HoldForm(SpecificErrorsMixin, forms.Form):
    prefix = "hold"
    reason = _reason(_("Reason for the legal hold"))


class LiftHoldForm(SpecificErrorsMixin, forms.Form):
    lift_reason = _reason(_("Why the hold is lifted"))


class RefuseErasureForm(SpecificErrorsMixin, forms.Form):
    prefix = "refuse"
    refusal_reason = _reason(_("Why the erasure is refused"))
