from __future__ import annotations

import datetime as dt

from crispy_forms.helper import FormHelper
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ecm.access import CASE_ROLES
from ecm.forms import DateInput
from ecm.models import ACTIVE_CLOSURE_REASONS
from ecm.selectors import case_team_members
from formulation.meeting.selectors import present_from_meeting, review_meeting_choices
from formulation.models import Meeting, ReportSection
from referrals.models import HarmRisk, ReoffendingRisk

from .models import (
    Action,
    Closure,
    Contact,
    MissedAppointmentDecision,
    OutcomeDomain,
    OutcomeRating,
    ProgressStatus,
    Review,
    Transition,
)

YES_NO = [("", _("Choose…")), ("no", _("No")), ("yes", _("Yes"))]


def _yes_no(value):
    return {"yes": True, "no": False}.get(value)


class ReviewForm(forms.ModelForm):
    """Appendix 5, with a progress row for every recommendation and the open actions to walk
    through."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reoffended = forms.TypedChoiceField(
        label=_("Reoffended since the last meeting?"), choices=YES_NO, coerce=_yes_no
    )
    breach = forms.TypedChoiceField(
        label=_("Breach since the last meeting?"), choices=YES_NO, coerce=_yes_no
    )
    # The review meeting arranged in the product, if any (formulation.Meeting, review kind).
    meeting = forms.ModelChoiceField(
        label=_("Arranged review meeting"),
        queryset=Meeting.objects.none(),
        required=False,
        empty_label=_("None: recorded without an arranged meeting"),
    )

    class Meta:
        model = Review
        fields = [
            "kind",
            "held_on",
            "chair",
            "present",
            "present_others",
            "apologies",
            "additional_information",
            "reoffended",
            "reoffence_type",
            "reoffence_date",
            "reoffence_gravity",
            "breach",
            "breach_details",
            "discussion",
            "plan_changed",
            "plan_change_reason",
            "next_review_on",
        ]
        widgets = {
            "held_on": DateInput(),
            "reoffence_date": DateInput(),
            "next_review_on": DateInput(),
            "present": forms.CheckboxSelectMultiple,
            "additional_information": forms.Textarea(attrs={"rows": 3}),
            "discussion": forms.Textarea(attrs={"rows": 3}),
            "breach_details": forms.Textarea(attrs={"rows": 2}),
            "plan_change_reason": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, case, recommendations, actions, progress=None, **kwargs):
        super().__init__(*args, **kwargs)
        people = case_team_members(case, CASE_ROLES)
        self.fields["chair"].queryset = people
        self.fields["present"].queryset = people
        self.fields["meeting"].queryset = arranged_meetings(case, self.instance)
        self.recommendations = recommendations
        self.actions = actions
        progress = progress or {}
        if self.instance.pk:
            # Editing: the version the form was loaded from is needed to refuse a stale save.
            self.fields["version"].required = True
            self.initial["reoffended"] = {True: "yes", False: "no"}.get(self.instance.reoffended)
            self.initial["breach"] = {True: "yes", False: "no"}.get(self.instance.breach)
            self.initial["version"] = self.instance.version
        for rec in recommendations:
            status, note = progress.get(rec.pk, ("", ""))
            self.fields[f"progress_{rec.pk}"] = forms.ChoiceField(
                label=_("Progress on recommendation %(n)s") % {"n": rec.sequence},
                choices=[("", _("Choose…")), *ProgressStatus.choices],
                initial=status,
            )
            self.fields[f"note_{rec.pk}"] = forms.CharField(
                label=_("Note on recommendation %(n)s") % {"n": rec.sequence},
                required=False,
                max_length=500,
                initial=note,
            )
        for action in actions:
            self.fields[f"action_{action.pk}"] = forms.ChoiceField(
                label=_("Action: %(a)s") % {"a": action.description},
                choices=Action.Status.choices,
                initial=Action.Status.OPEN,
            )

    def progress_rows(self):
        return [
            (rec, self[f"progress_{rec.pk}"], self[f"note_{rec.pk}"])
            for rec in self.recommendations
        ]

    def action_rows(self):
        return [(action, self[f"action_{action.pk}"]) for action in self.actions]

    def review_data(self) -> dict:
        return {k: self.cleaned_data.get(k) for k in self.Meta.fields if k != "present"}

    def progress_data(self) -> dict:
        return {
            rec.pk: (
                self.cleaned_data.get(f"progress_{rec.pk}") or "",
                self.cleaned_data.get(f"note_{rec.pk}") or "",
            )
            for rec in self.recommendations
        }

    def action_data(self) -> dict:
        return {action.pk: self.cleaned_data.get(f"action_{action.pk}") for action in self.actions}


class TRMStageForm(forms.Form):
    stage = forms.ModelChoiceField(label=_("TRM stage now"), queryset=None)
    explanation = forms.CharField(
        label=_("What explains the change"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when the stage moved, e.g. a placement breakdown or a bereavement."),
    )

    def __init__(self, *args, stages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = stages


class ActionForm(forms.ModelForm):
    class Meta:
        model = Action
        fields = [
            "description",
            "recommendation",
            "owner_user",
            "owner_agency",
            "owner_name",
            "due_on",
        ]
        widgets = {"due_on": DateInput()}

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recommendation"].queryset = case.recommendations.order_by("sequence")
        self.fields["owner_user"].queryset = case_team_members(case, CASE_ROLES)


class ActionStatusForm(forms.Form):
    """An action's status, changed from its row in the actions table."""

    status = forms.ChoiceField(
        label=_("Status"),
        choices=Action.Status.choices,
        # As wide as its longest choice, in a narrow table column.
        widget=forms.Select(attrs={"class": "form-select-sm w-auto"}),
    )

    def __init__(self, *args, action, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].label = _("Status of %(a)s") % {"a": action.description}
        # The row's header and the column's header say what this is; the label is for
        # screen readers. crispy's field template takes the class from the helper.
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.label_class = "visually-hidden"


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["date", "kind", "purpose", "trm_stage", "outcome"]
        widgets = {"date": DateInput(), "outcome": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, stages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["trm_stage"].queryset = stages


class MissedDecisionForm(forms.Form):
    psychologist = forms.ModelChoiceField(label=_("Psychologist consulted"), queryset=None)
    advice = forms.CharField(
        label=_("Psychologist's advice"), widget=forms.Textarea(attrs={"rows": 2})
    )
    decision = forms.ChoiceField(
        label=_("The YOT's decision"), choices=MissedAppointmentDecision.Decision.choices
    )

    def __init__(self, *args, psychologists, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["psychologist"].queryset = psychologists


def _risk_choices(scale) -> list:
    return [("", _("Choose…")), *scale.choices]


class RiskForm(forms.Form):
    """The ratings at the start, on the labelled AssetPlus scales. They come from the
    referral; this form corrects them."""

    reoffending = forms.TypedChoiceField(
        label=_("Risk of reoffending"),
        choices=_risk_choices(ReoffendingRisk),
        coerce=int,
        help_text=_("AssetPlus rating, informed by the YOGRS score."),
    )
    serious_harm = forms.TypedChoiceField(
        label=_("Risk of serious harm to others"), choices=_risk_choices(HarmRisk), coerce=int
    )
    vulnerability = forms.TypedChoiceField(
        label=_("Vulnerability (risk of harm to self)"),
        choices=_risk_choices(HarmRisk),
        coerce=int,
    )


class ClosureForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    transitions = forms.MultipleChoiceField(
        label=_("Moving on to"),
        required=False,
        choices=Transition.Destination.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    sections = forms.MultipleChoiceField(
        label=_("Report sections that went with the child"),
        required=False,
        choices=ReportSection.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    # Blank to start with (never pre-filled): the ratings at closure are a new judgement.
    reoffending = forms.TypedChoiceField(
        label=_("Risk of reoffending at closure"),
        choices=_risk_choices(ReoffendingRisk),
        coerce=int,
    )
    serious_harm = forms.TypedChoiceField(
        label=_("Risk of serious harm at closure"), choices=_risk_choices(HarmRisk), coerce=int
    )
    vulnerability = forms.TypedChoiceField(
        label=_("Vulnerability at closure"), choices=_risk_choices(HarmRisk), coerce=int
    )

    class Meta:
        model = Closure
        fields = [
            "reason",
            "reason_detail",
            "closed_on",
            "no_review_reason",
            "next_steps",
            "voluntary_until",
        ]
        widgets = {
            "closed_on": DateInput(),
            "voluntary_until": DateInput(),
            "next_steps": forms.Textarea(attrs={"rows": 3}),
            "reason_detail": forms.Textarea(attrs={"rows": 2}),
            "no_review_reason": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {
            "closed_on": _("Date the order ended or the case closes"),
            "voluntary_until": _("Voluntary period after the order: until"),
        }
        help_texts = {
            "reason_detail": _("Why the child disengaged, or what the other reason is."),
            "voluntary_until": _(
                "If the child goes on with the YOT voluntarily: the case stays open until "
                "this date (contacts and reviews go on), then closes by itself."
            ),
        }

    def __init__(self, *args, has_closure_review: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        # "Withdrawn before formulation" is not a reason to close an active case.
        self.fields["reason"].choices = [("", _("Choose…")), *ACTIVE_CLOSURE_REASONS]
        if has_closure_review:
            del self.fields["no_review_reason"]
        for domain, label in OutcomeDomain.choices:
            self.fields[f"change_{domain}"] = forms.ChoiceField(
                label=_("%(d)s: change") % {"d": label},
                choices=[("", _("Choose…")), *OutcomeRating.Change.choices],
            )
            self.fields[f"concern_{domain}"] = forms.ChoiceField(
                label=_("%(d)s: current level of concern") % {"d": label},
                choices=[("", _("Choose…")), *OutcomeRating.Concern.choices],
            )

    def clean_closed_on(self):
        value = self.cleaned_data["closed_on"]
        if value and value > timezone.localdate():
            raise forms.ValidationError(_("The closure date cannot be in the future."))
        return value

    def outcome_rows(self):
        return [
            (label, self[f"change_{domain}"], self[f"concern_{domain}"])
            for domain, label in OutcomeDomain.choices
        ]

    def outcomes(self) -> dict:
        return {
            domain: (self.cleaned_data[f"change_{domain}"], self.cleaned_data[f"concern_{domain}"])
            for domain, _label in OutcomeDomain.choices
        }


def arranged_meetings(case, review=None):
    """The review meetings this review can be recorded for: those without a review yet, and
    the one it is already linked to."""
    choices = review_meeting_choices(case)
    if review is not None and review.meeting_id:
        choices = choices | Meeting.objects.filter(pk=review.meeting_id)
    return choices


def initial_from_meeting(meeting) -> dict:
    """A new review recorded for an arranged meeting starts from it: its date and chair,
    and who is present (pre-ticked) and who sent apologies, from its invitations and
    attendance."""
    present = present_from_meeting(meeting)
    return {
        "meeting": meeting.pk,
        "held_on": timezone.localdate(meeting.starts_at),
        "chair": meeting.chair_id,
        "present": present.users,
        "present_others": present.others[:255],
        "apologies": present.apologies[:255],
    }


def default_next_review(today: dt.date | None = None) -> dt.date:
    """Six weeks on, a common rhythm; the group agrees the real date."""
    return (today or timezone.localdate()) + dt.timedelta(weeks=6)


class BaselineForm(forms.Form):
    """The outcome survey at formulation: the current level of concern in each domain."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for domain, label in OutcomeDomain.choices:
            self.fields[f"concern_{domain}"] = forms.ChoiceField(
                label=_("%(d)s: current level of concern") % {"d": label},
                choices=[("", _("Choose…")), *OutcomeRating.Concern.choices],
            )

    def rows(self):
        return [(label, self[f"concern_{domain}"]) for domain, label in OutcomeDomain.choices]

    def answers(self):
        """Each domain with the answer given (its label), for those who may not rate."""
        concern = dict(OutcomeRating.Concern.choices)
        return [(label, concern.get(field.value() or "")) for label, field in self.rows()]

    def ratings(self) -> dict:
        return {
            domain: ("", self.cleaned_data[f"concern_{domain}"])
            for domain, _label in OutcomeDomain.choices
        }


class VoluntaryEndForm(forms.Form):
    on = forms.DateField(
        label=_("Date the voluntary period ended"),
        widget=DateInput(),
        help_text=_("The case closes on this date, with the reason its closure record gave."),
    )
