"""Forms of the formulation report pages."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from django import forms
from django.conf import settings
from django.utils import dateformat, timezone, translation
from django.utils.translation import gettext_lazy as _

from ecm.dates import display_date
from ecm.forms import DateInput, SpecificErrorsMixin

from ..forms import row_helper
from .models import TEXT_SECTIONS, Circulation, Report, ReportSection


def _under_its_heading() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.label_class = "visually-hidden"  # each box sits under its section's heading
    return helper


class ReportForm(SpecificErrorsMixin, forms.ModelForm):
    """The psychologist's draft: one text box per written section."""

    revision = forms.IntegerField(widget=forms.HiddenInput(attrs={"form": "report-form"}))
    helper = _under_its_heading()

    class Meta:
        model = Report
        fields = list(TEXT_SECTIONS)
        help_texts = {
            ReportSection.SUMMARY: _(
                "Pre-filled from the meeting's minutes and written information."
            ),
            ReportSection.NEEDS: _(
                "Pre-filled from the TRM placement and the strengths in the case summary."
            ),
            ReportSection.FORMULATION: _(
                "Your clinical opinion: how the child's history explains the current "
                "presentation and offending (the formulation 'story')."
            ),
            ReportSection.VOICE: _(
                "What the child and family said about their lives and the plan, in their words "
                "where possible, or why their views could not be gathered."
            ),
            ReportSection.PLAN: _("Pre-filled from the recommendations in sequence."),
        }
        # The sections sit between other forms on the page (recommendations, comments), so
        # their boxes join the draft's form through the `form` attribute.
        widgets = {
            key: forms.Textarea(attrs={"rows": 8, "form": "report-form"}) for key in TEXT_SECTIONS
        }


class ReportCommentForm(SpecificErrorsMixin, forms.Form):
    section = forms.ChoiceField(
        label=_("Section"),
        required=False,
        choices=[("", _("The whole report"))] + list(ReportSection.choices),
    )
    text = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}))


class ResolveCommentForm(SpecificErrorsMixin, forms.Form):
    """The psychologist's answer when resolving a comment, in the comment's line."""

    response = forms.CharField(label=_("Response (optional)"), required=False)
    helper = row_helper()

    def __init__(self, *args, comment=None, **kwargs):
        if comment is not None:
            kwargs.setdefault("auto_id", f"resp-{comment.pk}-%s")
        super().__init__(*args, **kwargs)
        self.fields["response"].widget.attrs["class"] = "form-control-sm"


class FinaliseForm(SpecificErrorsMixin, forms.Form):
    """ "Finalise version N", for the draft at the revision the page showed."""

    revision = forms.IntegerField(widget=forms.HiddenInput)


class CompareForm(SpecificErrorsMixin, forms.Form):
    """Which two final versions to compare: ?from=N&to=M, the last two unless chosen."""

    def __init__(self, *args, versions, **kwargs):
        numbers = [v.number for v in versions]
        kwargs.setdefault("initial", {"from": numbers[-2], "to": numbers[-1]})
        super().__init__(*args, **kwargs)
        choices = [
            (
                v.number,
                f"{v.number} · {dateformat.format(timezone.localtime(v.finalised_at), 'j M Y')}",
            )
            for v in versions
        ]
        self.fields["from"] = forms.TypedChoiceField(
            label=_("From version"), choices=choices, coerce=int
        )
        self.fields["to"] = forms.TypedChoiceField(
            label=_("To version"), choices=choices, coerce=int
        )

    def chosen(self) -> tuple[int, int]:
        """The numbers of the older and the newer version (call is_valid() first if bound)."""
        data = self.cleaned_data if self.is_bound else self.initial
        return data["from"], data["to"]


class PdfForm(SpecificErrorsMixin, forms.Form):
    """Which PDF: the draft or a final version (?version=N), all sections or some
    (?sections=summary&sections=plan)."""

    version = forms.IntegerField(required=False, min_value=1)
    sections = forms.MultipleChoiceField(required=False, choices=ReportSection.choices)
    # ?language=cy: the PDF in Welsh; none: in the language of the page (the user's).
    language = forms.ChoiceField(required=False, choices=settings.LANGUAGES)


class AmendForm(SpecificErrorsMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason for the amendment"),
        help_text=_("For example: the review on 3 March found the child had moved placement."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CirculationForm(SpecificErrorsMixin, forms.ModelForm):
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
            "language",
        ]
        widgets = {"sent_on": DateInput(), "scope": forms.RadioSelect}

    def __init__(self, *args, versions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].queryset = versions
        self.fields["version"].label_from_instance = lambda v: (
            _("Version %(n)s (%(d)s)")
            % {
                "n": v.number,
                "d": display_date(v.finalised_at),
            }
        )
        self.fields["version"].empty_label = None
        self.fields["language"].required = False  # the page's language unless chosen
        self.fields["language"].initial = translation.get_language()

    def model_data(self) -> dict:
        return dict(self.cleaned_data)
