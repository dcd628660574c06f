from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ecm.forms import DateInput, DateTimeInput, bootstrap
from ecm.models import User

from .models import (
    TEXT_SECTIONS,
    Agency,
    Circulation,
    FamilyMember,
    Invitation,
    Meeting,
    Partnership,
    Professional,
    Recommendation,
    Report,
    ReportSection,
    SummaryItem,
    TimelineEvent,
    TRMStage,
)


class BootstrapMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class ScheduleForm(BootstrapMixin, forms.ModelForm):
    starts_at = forms.DateTimeField(
        label=_("Date and time"),
        widget=DateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    class Meta:
        model = Meeting
        fields = [
            "starts_at",
            "duration_minutes",
            "location",
            "online_link",
            "chair",
            "psychologist",
        ]

    def __init__(self, *args, chairs, psychologists, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["chair"].queryset = chairs
        self.fields["psychologist"].queryset = psychologists


class ProfessionalForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Professional
        fields = ["name", "role", "agency", "organisation", "email", "phone"]


class InviteForm(BootstrapMixin, forms.Form):
    professional = forms.ModelChoiceField(
        label=_("From the directory"), queryset=Professional.objects.none(), required=False
    )
    name = forms.CharField(label=_("Or a new person: name"), max_length=150, required=False)
    role = forms.CharField(label=_("Role"), max_length=120, required=False)
    agency = forms.ChoiceField(
        label=_("Agency"), choices=[("", "---------")] + Agency.choices, required=False
    )
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False)
    involvement = forms.CharField(
        label=_("Involvement with the child/family"), max_length=255, required=False
    )
    save_to_directory = forms.BooleanField(
        label=_("Add the new person to the directory"), required=False
    )

    def __init__(self, *args, directory, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["professional"].queryset = directory

    def clean(self):
        data = super().clean()
        if not data.get("professional") and not data.get("name"):
            raise forms.ValidationError(_("Choose someone from the directory or give a name."))
        if not data.get("professional") and not data.get("agency"):
            self.add_error("agency", _("Choose the person's agency."))
        return data


class AttendeeForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    role = forms.CharField(label=_("Role"), max_length=120, required=False)
    agency = forms.ChoiceField(label=_("Agency"), choices=Agency.choices)
    involvement = forms.CharField(
        label=_("Involvement with the child/family"), max_length=255, required=False
    )


class InvitationStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Invitation.Status.choices)


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


class TimelineEventForm(BootstrapMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

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
        widgets = {"start_date": DateInput(), "end_date": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            for name, field in self.fields.items():
                field.widget.attrs["id"] = f"ev{self.instance.pk}-{name}"

    def model_data(self) -> dict:
        return {k: self.cleaned_data[k] for k in self.Meta.fields}


class SummaryItemForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = SummaryItem
        fields = ["kind", "title", "detail", "start_date", "end_date", "precision", "engagement"]
        widgets = {
            "start_date": DateInput(),
            "end_date": DateInput(),
            "detail": forms.Textarea(attrs={"rows": 2}),
        }

    def model_data(self) -> dict:
        return {k: self.cleaned_data[k] for k in self.Meta.fields}


class MinutesForm(BootstrapMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    review_at = forms.DateTimeField(
        label=_("First review: date and time"),
        required=False,
        widget=DateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    supervision_at = forms.DateTimeField(
        label=_("Supervision: date and time"),
        required=False,
        widget=DateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    class Meta:
        model = Meeting
        fields = [
            "minutes_purpose",
            "minutes_case_history",
            "minutes_additional",
            "minutes_discussion",
            "review_at",
            "review_location",
            "supervision_at",
        ]
        widgets = {
            f: forms.Textarea(attrs={"rows": 3})
            for f in (
                "minutes_purpose",
                "minutes_case_history",
                "minutes_additional",
                "minutes_discussion",
            )
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.version

    def model_data(self) -> dict:
        return {k: self.cleaned_data[k] for k in self.Meta.fields}


class DevelopmentalMapForm(BootstrapMixin, forms.Form):
    physical_age = forms.CharField(label=_("Physical age"), max_length=20, required=False)
    social_age = forms.CharField(label=_("Social age"), max_length=20, required=False)
    cognitive_age = forms.CharField(label=_("Cognitive age"), max_length=20, required=False)
    emotional_age = forms.CharField(label=_("Emotional age"), max_length=20, required=False)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class TRMPlacementForm(BootstrapMixin, forms.Form):
    stage = forms.ModelChoiceField(label=_("TRM stage"), queryset=TRMStage.objects.none())
    presentation = forms.CharField(
        label=_("Presentation"), widget=forms.Textarea(attrs={"rows": 2})
    )
    underlying_need = forms.CharField(
        label=_("Underlying need"), widget=forms.Textarea(attrs={"rows": 2})
    )
    intervention_recommendation = forms.CharField(
        label=_("Intervention recommendation"), widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, stages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = stages


class RecommendationForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Recommendation
        fields = [
            "intervention",
            "owner_user",
            "owner_agency",
            "owner_name",
            "sequence",
            "trm_stage",
            "priority",
        ]
        widgets = {"intervention": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, stages, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["trm_stage"].queryset = stages
        self.fields["owner_user"].queryset = people

    def model_data(self) -> dict:
        return {k: self.cleaned_data[k] for k in self.Meta.fields}


def team_people(case) -> forms.models.QuerySet:
    team_ids = [t for t in (case.team_id, case.referred_to_id) if t]
    return User.objects.filter(memberships__team_id__in=team_ids, is_active=True).distinct()


# --- Formulation report ----------------------------------------------------------------------


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


def team_people_with_role(case, role: str):
    """Active users holding `role` in the case's team or the team it was referred to."""
    team_ids = [t for t in (case.team_id, case.referred_to_id) if t]
    return User.objects.filter(
        memberships__team_id__in=team_ids, memberships__role=role, is_active=True
    ).distinct()
