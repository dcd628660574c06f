"""Forms of the import pages: the upload, and the confirmation of a preview."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ecm.forms import SpecificErrorsMixin
from ecm.models import Team


class ImportUploadForm(SpecificErrorsMixin, forms.Form):
    team = forms.ModelChoiceField(label=_("Import into"), queryset=Team.objects.none())
    file = forms.FileField(
        label=_("CSV file exported from the YOT's system"),
        help_text=_(
            "One row per offence, the child repeated on each of its offences. UTF-8 or "
            "Windows-1252, separated by commas or semicolons, dates as DD/MM/YYYY or YYYY-MM-DD."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
        only = list(teams[:2])
        if len(only) == 1:
            self.fields["team"].initial = only[0].pk


class ImportConfirmForm(forms.Form):
    # The counts of the preview shown: the import is refused if they are no longer true.
    seen = forms.CharField(widget=forms.HiddenInput, required=False)
    skip_invalid = forms.BooleanField(
        label=_("Import the valid rows only, leaving out the rows with errors"), required=False
    )
