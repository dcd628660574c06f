from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ecm.forms import DateInput

from .models import RedactionItem


class RequestForm(forms.Form):
    requester = forms.CharField(
        label=_("Who asked"),
        max_length=150,
        help_text=_("The child, or who asked on their behalf (e.g. a parent or solicitor)."),
    )
    received_on = forms.DateField(
        label=_("Request received on"), widget=DateInput(), initial=timezone.localdate
    )


class DecisionsForm(forms.Form):
    """One release/withhold choice and one reason per flagged item."""

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(items)
        choices = [
            (RedactionItem.Decision.RELEASE, _("Release")),
            (RedactionItem.Decision.WITHHOLD, _("Withhold")),
        ]
        for item in self.items:
            self.fields[f"decision_{item.pk}"] = forms.ChoiceField(
                label=_("Decision on: %(item)s") % {"item": item.label},
                choices=choices,
                widget=forms.RadioSelect,
                required=False,
                initial=None if item.decision == RedactionItem.Decision.PENDING else item.decision,
            )
            self.fields[f"reason_{item.pk}"] = forms.CharField(
                label=_("Reason for withholding: %(item)s") % {"item": item.label},
                max_length=500,
                required=False,
                initial=item.reason,
                help_text=_(
                    "Recorded in the released bundle, e.g. “names a third party who "
                    "has not consented (DPA 2018 Sch. 2 para. 16)”."
                ),
            )

    def rows(self):
        for item in self.items:
            yield item, self[f"decision_{item.pk}"], self[f"reason_{item.pk}"]

    def decisions(self) -> dict[int, tuple[str, str]]:
        out = {}
        for item in self.items:
            decision = self.cleaned_data.get(f"decision_{item.pk}")
            if decision:
                out[item.pk] = (decision, self.cleaned_data.get(f"reason_{item.pk}", ""))
        return out
