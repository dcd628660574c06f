from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ecm.forms import DateInput, SpecificErrorsMixin

from .models import (
    ACE_HOUSEHOLD,
    ACE_MALTREATMENT,
    COMPLEXITY_CPN,
    COMPLEXITY_YND,
    Consent,
    CriterionResult,
    Decision,
    NotMetReason,
    Referral,
    RuleSet,
)

GRID_FIELDS = [f for f, _l in COMPLEXITY_CPN + COMPLEXITY_YND + ACE_MALTREATMENT + ACE_HOUSEHOLD]

YES_NO = [("", _("Not answered")), ("true", _("Yes")), ("false", _("No"))]

# The referral asks the AssetPlus ratings once; they are the case's ratings at the start.
RISK_HELP = {
    "risk_reoffending": _("AssetPlus rating, informed by the YOGRS score."),
    "risk_harm_self": _("AssetPlus vulnerability: risks to the child's own safety and wellbeing."),
    "risk_harm_others": _("AssetPlus risk of serious harm to others."),
}


class ReferralForm(SpecificErrorsMixin, forms.ModelForm):
    """Every field of the Appendix 1 referral form. Nothing is required to save a draft;
    submission checks completeness (referrals.services.missing_for_submission)."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    repeat_offender = forms.TypedChoiceField(
        label=_("Repeat offender?"),
        choices=YES_NO,
        coerce=lambda v: {"true": True, "false": False}.get(v),
        empty_value=None,
        required=False,
    )
    assetplus = forms.FileField(
        label=_("AssetPlus assessment (PDF or Word)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.docx"}),
    )

    class Meta:
        model = Referral
        fields = [
            "contact_number",
            "referral_date",
            "reason",
            "why_ecm",
            "disposal",
            "order_start_date",
            "order_length_months",
            "voluntary_months_agreed",
            "previous_interventions",
            "repeat_offender",
            "risk_reoffending",
            "risk_harm_self",
            "risk_harm_others",
            *GRID_FIELDS,
        ]
        widgets = {
            "referral_date": DateInput(),
            "order_start_date": DateInput(),
            "reason": forms.Textarea(attrs={"rows": 4}),
            "why_ecm": forms.Textarea(attrs={"rows": 4}),
            **dict.fromkeys(GRID_FIELDS, forms.RadioSelect),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["voluntary_months_agreed"].required = False
        for name, help_text in RISK_HELP.items():
            field = self.fields[name]
            field.choices = [("", _("Not answered")), *field.choices[1:]]
            field.help_text = help_text
        for name in GRID_FIELDS:
            field = self.fields[name]
            field.required = False
            field.choices = [c for c in field.choices if c[0] != ""]
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            value = self.instance.repeat_offender
            self.initial["repeat_offender"] = {True: "true", False: "false"}.get(value, "")
        for name in GRID_FIELDS:
            # The answer grids lay out each radio by hand (referrals/_grid.html).
            self.fields[name].widget.attrs["class"] = "form-check-input"

    def clean_referral_date(self):
        value = self.cleaned_data.get("referral_date")
        if value and value > timezone.localdate():
            raise forms.ValidationError(_("The date of referral cannot be in the future."))
        return value

    def clean(self):
        data = super().clean()
        start = data.get("order_start_date")
        ref = data.get("referral_date") or timezone.localdate()
        if start and start > ref:
            self.add_error(
                "order_start_date",
                _(
                    "The order starts after the date of referral: ECM referrals come after "
                    "sentence."
                ),
            )
        return data

    def model_data(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["voluntary_months_agreed"] = data["voluntary_months_agreed"] or 0
        return data

    @property
    def grid_answered(self) -> dict:
        """How many rows of the complexity and ACE grids have an answer, as shown (what was
        typed on a form sent back, else what is saved): {"n": 12, "total": 25, "names": ...}."""
        answered = [name for name in GRID_FIELDS if self[name].value()]
        return {"n": len(answered), "total": len(GRID_FIELDS), "names": " ".join(GRID_FIELDS)}

    def grid_rows(self, items):
        return [(self[name], label) for name, label in items]

    @property
    def complexity_cpn_rows(self):
        return self.grid_rows(COMPLEXITY_CPN)

    @property
    def complexity_ynd_rows(self):
        return self.grid_rows(COMPLEXITY_YND)

    @property
    def ace_maltreatment_rows(self):
        return self.grid_rows(ACE_MALTREATMENT)

    @property
    def ace_household_rows(self):
        return self.grid_rows(ACE_HOUSEHOLD)


class OffenceForm(SpecificErrorsMixin, forms.Form):
    date = forms.DateField(label=_("Date of offence"), required=False, widget=DateInput())
    offence_type = forms.CharField(label=_("Offence type"), max_length=120, required=False)
    gravity = forms.IntegerField(
        label=_("Gravity score (1-8)"), min_value=1, max_value=8, required=False
    )

    def clean(self):
        data = super().clean()
        if data.get("offence_type") and not data.get("date"):
            self.add_error("date", _("Give the date of the offence."))
        if data.get("date") and not data.get("offence_type"):
            self.add_error("offence_type", _("Give the type of offence."))
        if data.get("date") and data["date"] > timezone.localdate():
            self.add_error("date", _("The offence date cannot be in the future."))
        return data


class BaseOffenceFormSet(forms.BaseFormSet):
    def new_offences(self) -> list[dict]:
        """The offences typed in the blank rows (a row with a date and a type)."""
        return [
            {k: f.cleaned_data[k] for k in ("date", "offence_type", "gravity")}
            for f in self
            if f.cleaned_data.get("date") and f.cleaned_data.get("offence_type")
        ]


OffenceFormSet = forms.formset_factory(OffenceForm, formset=BaseOffenceFormSet, extra=3)


def _offence_label(offence) -> str:
    parts = [date_format(offence.date), offence.offence_type]
    if offence.gravity:
        parts.append(f"{_('gravity')} {offence.gravity}")
    return " · ".join(parts)


class OffenceRemoveForm(SpecificErrorsMixin, forms.Form):
    """The offences already recorded, to tick for removal when the draft is saved."""

    delete_offence = forms.MultipleChoiceField(
        label=_("Offences recorded: tick any to remove"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, offences, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["delete_offence"].choices = [(o.pk, _offence_label(o)) for o in offences]


class RuleSetForm(SpecificErrorsMixin, forms.Form):
    """Which rule set to check the referral against (the team's own by default)."""

    rule_set = forms.ModelChoiceField(
        label=_("Check against"),
        queryset=RuleSet.objects.filter(is_active=True),
        empty_label=None,
        required=False,  # the team's own when none is chosen; not marked required
    )


class EligibilityForm(SpecificErrorsMixin, forms.Form):
    # Chosen with RuleSetForm above the form; carried along here.
    rule_set = forms.ModelChoiceField(
        label=_("Rule set"),
        # Any version: one retired while the page was open is refused by the service with
        # a message that says so (a hidden field's "not a valid choice" would say nothing).
        queryset=RuleSet.objects.all(),
        widget=forms.HiddenInput,
    )
    decision = forms.ChoiceField(
        label=_("Decision"), choices=Decision.choices, widget=forms.RadioSelect
    )
    not_met_reasons = forms.MultipleChoiceField(
        label=_("Reasons the criteria are not met"),
        choices=NotMetReason.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    reasons = forms.CharField(
        label=_("Reasons and notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    exceptional_override = forms.BooleanField(
        label=_("Exceptional circumstances: accept although a criterion is not met"),
        required=False,
    )
    override_reason = forms.CharField(
        label=_("Exceptional circumstances: reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, criteria, suggestions, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for criterion in criteria:
            suggestion = suggestions[criterion.pk]
            self.fields[f"criterion_{criterion.pk}"] = forms.ChoiceField(
                label=criterion.text,
                choices=CriterionResult.choices,
                initial=suggestion.result,
                widget=forms.RadioSelect,
                # Help text is not escaped when rendered: format_html escapes the explanation.
                help_text=format_html("{}: {}", _("Suggested because"), suggestion.explanation),
            )

    def criterion_fields(self):
        return [self[f"criterion_{c.pk}"] for c in self.criteria]

    def results(self) -> dict[int, str]:
        return {c.pk: self.cleaned_data[f"criterion_{c.pk}"] for c in self.criteria}


class ExplainedByField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.get_username()


def _explained_by_field():
    return ExplainedByField(
        label=_("Explained by"),
        queryset=None,
        empty_label=None,
        required=False,  # the recorder when not sent
        help_text=_("Who explained the leaflet to the child (you, unless a colleague did)."),
    )


class _ExplainedByMixin:
    def _set_explainers(self, explainers, recorder):
        self.fields["explained_by"].queryset = explainers
        self.fields["explained_by"].initial = recorder.pk if recorder else None


class ConsentForm(SpecificErrorsMixin, _ExplainedByMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Consent"), choices=Consent.Kind.choices)
    given = forms.TypedChoiceField(
        label=_("Answer"),
        choices=[("true", _("Given")), ("false", _("Refused"))],
        coerce=lambda v: v == "true",
        initial="true",
        help_text=_(
            "Only consent to evaluation use is recorded as refused here; refusing it "
            "never affects the child's ECM. If the child or parent/carer declines ECM, use "
            "“Consent refused”."
        ),
    )
    date = forms.DateField(label=_("Date signed"), widget=DateInput())
    explained_by = _explained_by_field()
    signatory_name = forms.CharField(
        label=_("Name of parent/carer (general YOT consent)"), max_length=150, required=False
    )
    signatory_relationship = forms.CharField(
        label=_("Relationship to the child"), max_length=80, required=False
    )
    notes = forms.CharField(label=_("Notes"), max_length=255, required=False)

    def __init__(self, *args, explainers, recorder=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["date"].initial = timezone.localdate()
        self._set_explainers(explainers, recorder)


class ConsentRefuseForm(SpecificErrorsMixin, _ExplainedByMixin, forms.Form):
    """The child, or the parent/carer, declines ECM: the case ends as "consent refused"."""

    kind = forms.ChoiceField(
        label=_("Who declined"),
        choices=[
            (Consent.Kind.ECM_CHILD, _("The child")),
            (Consent.Kind.PARENT_GENERAL, _("The parent/carer")),
        ],
        widget=forms.RadioSelect,
    )
    date = forms.DateField(label=_("Date of the refusal"), widget=DateInput())
    explained_by = _explained_by_field()
    signatory_name = forms.CharField(
        label=_("Name of the parent/carer who declined"), max_length=150, required=False
    )
    signatory_relationship = forms.CharField(
        label=_("Their relationship to the child"), max_length=80, required=False
    )
    reason = forms.CharField(
        label=_("What was said (reasons, if given)"),
        max_length=255,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, explainers, recorder=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["date"].initial = timezone.localdate()
        self._set_explainers(explainers, recorder)


class WithdrawForm(SpecificErrorsMixin, forms.Form):
    consent_id = forms.IntegerField(widget=forms.HiddenInput)
    date = forms.DateField(label=_("Date withdrawn"), widget=DateInput())
    reason = forms.CharField(label=_("Reason for withdrawal"), max_length=255)


class NoteForm(SpecificErrorsMixin, forms.Form):
    note = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class ReadyForm(NoteForm):
    """The note on the case page when the child is assessed as ready for referral."""

    note = forms.CharField(
        label=_("Readiness: who agreed and why (optional)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )


class PriorityForm(SpecificErrorsMixin, forms.Form):
    """A waiting-list row's priority (written by referrals/_priority_fields.html, in crispy's
    markup: the classes crispy would add are the widgets' own)."""

    significant_concern = forms.BooleanField(
        label=_("Significant concern"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "checkboxinput form-check-input"}),
    )
    note = forms.CharField(
        label=_("What is the concern?"),
        max_length=255,
        required=False,
        widget=forms.TextInput(attrs={"class": "textinput form-control"}),
    )


class OffenceRecordForm(SpecificErrorsMixin, forms.Form):
    """One offence of the child, recorded on the case (also after it has ended)."""

    date = forms.DateField(label=_("Date of offence"), widget=DateInput())
    offence_type = forms.CharField(label=_("Offence type"), max_length=120)
    gravity = forms.IntegerField(
        label=_("Gravity score (1-8)"), min_value=1, max_value=8, required=False
    )
    disposal = forms.CharField(
        label=_("Outcome (disposal)"),
        max_length=120,
        required=False,
        help_text=_("Leave blank while it is not known."),
    )
