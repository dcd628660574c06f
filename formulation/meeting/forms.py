"""Forms of the formulation meeting page, the schedule and the directory."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ecm.forms import DateTimeInput, SpecificErrorsMixin
from ecm.models import Team, User

from ..forms import ModelDataMixin, row_helper
from ..trm.models import TRMStage
from .models import Agency, ChecklistTick, Invitation, Meeting, Professional, Recommendation


def _date_and_time(label, *, required: bool = True) -> forms.DateTimeField:
    """A date-and-time picker; what it sends ("2026-03-05T10:00") or one typed with a space."""
    return forms.DateTimeField(
        label=label,
        required=required,
        widget=DateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )


class ScheduleForm(SpecificErrorsMixin, forms.ModelForm):
    error_subject = _("the meeting")  # "Enter the date and time of the meeting"
    starts_at = _date_and_time(_("Date and time"))
    # A link typed without its scheme is taken as https (Django 6's default, said here for
    # Django 5.2).
    online_link = forms.URLField(
        label=_("online meeting link"), required=False, assume_scheme="https"
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

    already_held = forms.BooleanField(
        label=_("The meeting has already been held"),
        required=False,
        help_text=_(
            "Entering it afterwards: give its real date and time. No invitations are sent; "
            "record who attended on the meeting's page."
        ),
    )

    def __init__(self, *args, chairs, psychologists, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["chair"].queryset = chairs
        self.fields["psychologist"].queryset = psychologists


class ProfessionalForm(SpecificErrorsMixin, forms.ModelForm):
    """A partner professional for the directory of one of the user's `teams` (asked only
    when there is more than one)."""

    class Meta:
        model = Professional
        fields = ["team", "name", "role", "agency", "organisation", "email", "phone"]
        labels = {"team": _("Team directory")}

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.teams = list(teams)
        if len(self.teams) == 1:
            del self.fields["team"]
        else:
            self.fields["team"].queryset = Team.objects.filter(pk__in=[t.pk for t in self.teams])
            self.fields["team"].empty_label = None

    def chosen_team(self):
        return self.cleaned_data.get("team") or self.teams[0]

    def model_data(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "team"}


class InviteForm(SpecificErrorsMixin, forms.Form):
    professional = forms.ModelChoiceField(
        label=_("From the directory"), queryset=Professional.objects.none(), required=False
    )
    colleague = forms.ModelChoiceField(
        label=_("Or a colleague on the case"), queryset=User.objects.none(), required=False
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

    def __init__(self, *args, directory, colleagues=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["professional"].queryset = directory
        if colleagues is None:
            del self.fields["colleague"]
        else:
            self.fields["colleague"].queryset = colleagues

    def clean(self):
        data = super().clean()
        chosen = data.get("professional") or data.get("colleague")
        if not chosen and not data.get("name"):
            raise forms.ValidationError(_("Choose someone from the directory or give a name."))
        if not chosen and not data.get("agency"):
            self.add_error("agency", _("Choose the person's agency."))
        return data


class HeldForm(SpecificErrorsMixin, forms.Form):
    """Record the meeting as held; when its record is not complete, the chair says why."""

    incomplete_reason = forms.CharField(
        label=_("Why it is recorded as held without them"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReportAgenciesForm(SpecificErrorsMixin, forms.Form):
    """Appendix 2: the agencies that will receive the psychologist's report."""

    agencies = forms.MultipleChoiceField(
        label=_("Agencies that will receive the report"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agencies"].choices = choices


class AttendeeForm(SpecificErrorsMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    role = forms.CharField(label=_("Role"), max_length=120, required=False)
    agency = forms.ChoiceField(label=_("Agency"), choices=Agency.choices)
    involvement = forms.CharField(
        label=_("Involvement with the child/family"), max_length=255, required=False
    )


class InvitationStatusForm(SpecificErrorsMixin, forms.Form):
    """An invitation's status, in its row of the attendance sheet."""

    status = forms.ChoiceField(label=_("Status"), choices=Invitation.Status.choices)
    helper = row_helper()

    def __init__(self, *args, invitation: Invitation, **kwargs):
        kwargs.setdefault("initial", {"status": invitation.status})
        super().__init__(*args, auto_id=f"inv-{invitation.pk}-%s", **kwargs)
        status = self.fields["status"]
        status.label = _("Status of %(n)s") % {"n": invitation.name}
        status.widget.attrs.update({"class": "form-select form-select-sm select-status"})


class WrittenInformationForm(SpecificErrorsMixin, forms.Form):
    """What someone who cannot attend sent in writing, under their row."""

    written_information = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2, "class": "form-control-sm"})
    )

    def __init__(self, *args, invitation: Invitation, **kwargs):
        kwargs.setdefault("initial", {"written_information": invitation.written_information})
        super().__init__(*args, auto_id=f"inv-{invitation.pk}-%s", **kwargs)
        self.fields["written_information"].label = _("Written information from %(n)s") % {
            "n": invitation.name
        }


class ChecklistTickForm(SpecificErrorsMixin, forms.Form):
    """Tick or untick one hand-ticked item of the checklist (the item's button)."""

    key = forms.ChoiceField(
        choices=list(ChecklistTick.MANUAL_ITEMS.items()), widget=forms.HiddenInput
    )
    done = forms.BooleanField(required=False, widget=forms.HiddenInput)


class MinutesForm(SpecificErrorsMixin, ModelDataMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    # Numbered as the agenda is (004 Appendix 4): 8. set review and supervision dates.
    review_at = _date_and_time(_("8. First review: date and time"), required=False)
    supervision_at = _date_and_time(_("8. Supervision: date and time"), required=False)

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
        self.fields["review_location"].label = _("8. First review: place")


class DevelopmentalMapForm(SpecificErrorsMixin, forms.Form):
    physical_age = forms.CharField(label=_("Physical age"), max_length=20, required=False)
    social_age = forms.CharField(label=_("Social age"), max_length=20, required=False)
    cognitive_age = forms.CharField(label=_("Cognitive age"), max_length=20, required=False)
    emotional_age = forms.CharField(label=_("Emotional age"), max_length=20, required=False)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class RecommendationForm(SpecificErrorsMixin, ModelDataMixin, forms.ModelForm):
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


class TRMPlacementForm(SpecificErrorsMixin, forms.Form):
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
