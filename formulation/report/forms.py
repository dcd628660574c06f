"""Forms of the formulation report pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ecm.forms import DateInput

from ..forms import BootstrapMixin
from .models import TEXT_SECTIONS, Circulation, Report, ReportSection


class ReportForm(BootstrapMixin, forms.ModelForm):
    """The psychologist's draft: one text box per written section."""

    revision = forms.IntegerField(widget=forms.HiddenInput(attrs={"form": "report-form"}))

    class Meta:
        model = Report
        fields = list(TEXT_SECTIONS)
        help_texts = {
            "summary": _("Pre-filled from the meeting's minutes and written information."),
            "needs": _("Pre-filled from the TRM placement and the strengths in the case summary."),
            "formulation": _(
                "Your clinical opinion: how the child's history explains the current "
                "presentation and offending (the formulation 'story')."
            ),
            "voice": _(
                "What the child and family said about their lives and the plan, in their words "
                "where possible, or why their views could not be gathered."
            ),
            "plan": _("Pre-filled from the recommendations in sequence."),
        }
        # The sections sit between other forms on the page (recommendations, comments), so
        # their boxes join the draft's form through the `form` attribute.
        widgets = {
            key: forms.Textarea(attrs={"rows": 8, "form": "report-form"}) for key in TEXT_SECTIONS
        }


class ReportCommentForm(BootstrapMixin, forms.Form):
    section = forms.ChoiceField(
        label=_("Section"),
        required=False,
        choices=[("", _("The whole report"))] + list(ReportSection.choices),
    )
    text = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}))


class ResolveCommentForm(forms.Form):
    response = forms.CharField(label=_("Response (optional)"), required=False)


class AmendForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason for the amendment"),
        help_text=_("For example: the review on 3 March found the child had moved placement."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CirculationForm(BootstrapMixin, forms.ModelForm):
    sections = forms.MultipleChoiceField(
        label=_("Sections sent (when not the full report)"),
        required=False,
        choices=ReportSection.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Circulation
        fields = [
            "version",
            "recipient_name",
            "recipient_role",
            "agency",
            "organisation",
            "sent_on",
            "purpose_kind",
            "purpose",
            "scope",
            "sections",
        ]
        widgets = {"sent_on": DateInput(), "scope": forms.RadioSelect}

    def __init__(self, *args, versions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].queryset = versions
        self.fields["version"].label_from_instance = lambda v: (
            _("Version %(n)s (%(d)s)")
            % {
                "n": v.number,
                "d": v.finalised_at.strftime("%d/%m/%Y"),
            }
        )
        self.fields["version"].empty_label = None

    def model_data(self) -> dict:
        return dict(self.cleaned_data)
