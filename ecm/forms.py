"""Forms for the core pages. Every field has a label; errors keep what the user typed."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .dates import age_on
from .models import (
    CaseStatus,
    Child,
    ChildCorrection,
    NotCarriedForwardReason,
    ReopenReason,
    Team,
    User,
)


class DateInput(forms.DateInput):
    """A native date picker. Browsers need ISO dates (yyyy-mm-dd) in its value, whatever
    the display locale, or a saved date shows as blank and is lost on the next save."""

    input_type = "date"

    def __init__(self, attrs=None, format="%Y-%m-%d"):  # noqa: A002 - Django's name
        super().__init__(attrs=attrs, format=format)


class DateTimeInput(forms.DateTimeInput):
    """A native date-and-time picker (ISO value, for the same reason as DateInput)."""

    input_type = "datetime-local"

    def __init__(self, attrs=None, format="%Y-%m-%dT%H:%M"):  # noqa: A002 - Django's name
        super().__init__(attrs=attrs, format=format)


class PrecisionDateInput(DateInput):
    """A date whose precision the user chooses ("Exact day", "Month", "Year"): a date picker,
    a month picker, or a year box, so a month or a year is never asked as a full date. The
    form sets `precision` (what the page opens with); static/ecm/forms.js switches the box
    when the precision select (`data-precision-name`) changes."""

    KINDS = {
        "month": ("month", "%Y-%m"),
        "year": ("number", "%Y"),
    }

    def __init__(self, attrs=None, precision: str = "day"):
        super().__init__(attrs=attrs)
        self.precision = precision

    def get_context(self, name, value, attrs):
        self.input_type, self.format = self.KINDS.get(self.precision, ("date", "%Y-%m-%d"))
        context = super().get_context(name, value, attrs)
        if self.precision == "year":
            context["widget"]["attrs"].update({"min": "1900", "max": "2100", "step": "1"})
        return context


class PrecisionDateField(forms.DateField):
    """A date typed as a day ("2019-03-05"), a month ("2019-03") or a year ("2019"); a month
    or a year is kept as its first day, as the timeline draws it."""

    widget = PrecisionDateInput
    input_formats = ["%Y-%m-%d", "%Y-%m", "%Y", "%d/%m/%Y"]


class PrecisionDatesMixin:
    """For a form with a precision field and date fields to match ("date known to: Month").
    Set `precision_dates` (the date fields) and `precision_field`; use PrecisionDateField
    and PrecisionDateInput for them (Meta.field_classes / widgets)."""

    precision_dates: tuple[str, ...] = ()
    precision_field = "precision"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound:
            precision = self.data.get(self.add_prefix(self.precision_field)) or "day"
        else:
            precision = self.initial.get(self.precision_field) or "day"
            if getattr(getattr(self, "instance", None), "pk", None):
                precision = getattr(self.instance, self.precision_field, precision)
        for name in self.precision_dates:
            widget = self.fields[name].widget
            if isinstance(widget, PrecisionDateInput):
                widget.precision = str(precision)
                widget.attrs["data-precision-name"] = self.add_prefix(self.precision_field)


def add_service_errors(form: forms.Form, exc) -> None:
    """Put a service's ValidationError on the form: on the field it names when the form has
    that field, otherwise at the top. The form keeps what the user typed."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def _label_in_sentence(label: str) -> str:
    """A label as it reads inside a sentence: "Date of birth" -> "date of birth", but
    "YOT reference" and "AssetPlus assessment" keep their capitals."""
    label = str(label).strip().rstrip(":")
    first = label.split(" ", 1)[0]
    if len(first) > 1 and first[0].isupper() and first[1:] == first[1:].lower():
        return label[0].lower() + label[1:]
    return label


# Labels that read on without "the": "Enter who agreed, and why", "Choose your team".
_NO_ARTICLE = frozenset(
    ("who", "what", "when", "where", "why", "how", "which", "whether", "if", "the", "a", "an")
    + ("your", "their", "his", "her", "its", "any", "each", "every", "all", "one", "more")
    + ("other", "or", "and", "from", "to")
)


def specific_messages(field: forms.Field, label: str, subject: str = "") -> dict[str, str]:
    """GOV.UK-style error messages for one field, derived from its type and label, in one
    place: "Enter the date of birth", "Choose the team", "Answer “Repeat offender?”"
    instead of "This field is required." `subject` names what the form is about ("the
    meeting"): "Enter the date and time of the meeting"."""
    text = str(label).strip()
    words = _label_in_sentence(text)
    if isinstance(field, forms.DateField | forms.DateTimeField) and not any(
        w in text.lower() for w in ("date", "day", "when")
    ):
        words = gettext("the “%(label)s” date") % {"label": text.rstrip(":")}  # "From"
    elif words.split(" ", 1)[0].strip(",").lower() not in _NO_ARTICLE:
        words = gettext("the %(label)s") % {"label": words}
    if subject:
        words = gettext("%(label)s of %(subject)s") % {"label": words, "subject": subject}
    question = text.endswith("?")
    values = {"label": words, "question": text}
    messages: dict[str, str] = {}
    if isinstance(field, forms.BooleanField):
        messages["required"] = gettext("Tick “%(question)s”") % values
    elif isinstance(field, forms.FileField):
        messages["required"] = gettext("Choose a file for %(label)s") % values
    elif isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
        messages["required"] = (
            gettext("Choose at least one answer to “%(question)s”")
            if question
            else gettext("Choose one or more of %(label)s")
        ) % values
    elif isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
        messages["required"] = (
            gettext("Choose an answer to “%(question)s”")
            if question
            else gettext("Choose %(label)s")
        ) % values
    elif question:
        messages["required"] = gettext("Answer “%(question)s”") % values
    else:
        messages["required"] = gettext("Enter %(label)s") % values
    if isinstance(field, forms.DateTimeField):
        messages["invalid"] = gettext("Enter %(label)s as a real date and time") % values
    elif isinstance(field, forms.DateField):
        messages["invalid"] = gettext("Enter %(label)s as a real date") % values
    elif isinstance(field, forms.IntegerField | forms.DecimalField | forms.FloatField):
        messages["invalid"] = gettext("Enter %(label)s as a number") % values
    return messages


# Django's generic messages, by identity (the same lazy strings in every language).
_DEFAULT_MESSAGES = {
    "required": [forms.Field.default_error_messages["required"]],
    "invalid": [
        cls.default_error_messages["invalid"]
        for cls in (
            forms.DateField,
            forms.DateTimeField,
            forms.IntegerField,
            forms.DecimalField,
            forms.FloatField,
        )
    ],
}


#: Django's select markup with the options written in one loop (the same HTML), for every
#: plain select of a form with `SpecificErrorsMixin`.
SELECT_TEMPLATE = "ecm/widgets/select.html"


class SpecificErrorsMixin:
    """Put it first in a form's bases: every field whose "required" or "invalid" message is
    still Django's generic one gets a specific message from `specific_messages`. A message a
    field sets itself is kept. Done when the form validates, so labels set in `__init__`
    (e.g. "Status of Ann Smith") are the ones used. `error_subject` (optional) names what
    the form is about: "the meeting". Its plain selects are written by `SELECT_TEMPLATE`."""

    error_subject = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if type(field.widget) in (forms.Select, forms.SelectMultiple):
                field.widget.template_name = SELECT_TEMPLATE

    def full_clean(self):
        if not self.is_bound:  # nothing to validate (the errors of a blank form, asked for)
            return super().full_clean()
        for name, field in self.fields.items():
            if field.widget.is_hidden:
                continue
            label = field.label if field.label is not None else capfirst(name.replace("_", " "))
            for key, message in specific_messages(field, label, str(self.error_subject)).items():
                current = field.error_messages.get(key)
                if any(current is default for default in _DEFAULT_MESSAGES[key]):
                    field.error_messages = {**field.error_messages, key: message}
        return super().full_clean()


class ChildCaseForm(SpecificErrorsMixin, forms.ModelForm):
    """Register a child known to the YOT and open a potential ECM case for them."""

    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none())
    case_manager = forms.ModelChoiceField(
        label=_("Case manager"), queryset=User.objects.none(), required=False
    )

    class Meta:
        model = Child
        fields = [
            "first_name",
            "last_name",
            "preferred_name",
            "date_of_birth",
            "gender",
            "ethnicity",
            "yot_reference",
            "pnc_number",
        ]
        widgets = {"date_of_birth": DateInput()}

    def __init__(self, *args, teams, case_managers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
        self.fields["case_manager"].queryset = case_managers
        if teams.count() == 1:
            self.fields["team"].initial = teams.first()

    def clean_date_of_birth(self):
        dob = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        if dob > today:
            raise forms.ValidationError(_("The date of birth cannot be in the future."))
        age = age_on(dob, today)
        if age < 10 or age > 17:
            raise forms.ValidationError(
                _("ECM works with children aged 10 to 17; this date of birth gives age %(age)s.")
                % {"age": age}
            )
        return dob


class CaseFilterForm(SpecificErrorsMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status"))] + CaseStatus.choices
    )
    team = forms.ModelChoiceField(
        label=_("Team"), required=False, queryset=Team.objects.none(), empty_label=_("Any team")
    )
    case_manager = forms.ModelChoiceField(
        label=_("Case manager"),
        required=False,
        queryset=User.objects.none(),
        empty_label=_("Anyone"),
    )
    open_only = forms.BooleanField(label=_("Open cases only"), required=False)

    def __init__(self, *args, teams, case_managers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
        self.fields["case_manager"].queryset = case_managers

    def fields_markup(self) -> list[str] | None:
        """Each field's markup as crispy's bootstrap5 `as_crispy_field` writes it for this
        form without errors (the same elements and attributes), built in Python: the case
        list shows the form on every view, and crispy's and the widgets' templates, with the
        choices read through a server-side cursor each, were a fifth of the page's time
        (issue 22). None when the form has errors: crispy writes those."""
        if self.is_bound and self.errors:
            return None
        out = []
        for name in ("status", "team", "case_manager"):
            bound = self[name]
            field = bound.field
            if name == "status":
                choices = [(str(value), label) for value, label in field.choices]
            else:
                choices = [("", field.empty_label)] + [
                    (str(obj.pk), field.label_from_instance(obj)) for obj in list(field.queryset)
                ]
            value = bound.value()
            chosen = "" if value is None else str(value)
            options, has_selected = [], False
            for option_value, label in choices:
                selected = not has_selected and option_value == chosen
                has_selected = has_selected or selected
                options.append(
                    format_html(
                        '<option value="{}"{}>{}</option>',
                        option_value,
                        mark_safe(" selected") if selected else "",
                        label,
                    )
                )
            out.append(
                format_html(
                    '<div id="div_id_{name}" class="mb-3"><label for="{id}" class="form-label">'
                    '{label}</label><select name="{name}" class="select form-select" id="{id}">'
                    "{options}</select></div>",
                    name=bound.html_name,
                    id=bound.auto_id,
                    label=bound.label,
                    options=mark_safe("".join(options)),  # noqa: S308 (each one escaped)
                )
            )
        bound = self["open_only"]
        out.append(
            format_html(
                '<div class="mb-3"><div id="div_id_{name}" class="form-check"><input '
                'type="checkbox" name="{name}" class="checkboxinput form-check-input" '
                'id="{id}"{checked}><label for="{id}" class="form-check-label">{label}</label>'
                "</div></div>",
                name=bound.html_name,
                id=bound.auto_id,
                label=bound.label,
                checked=mark_safe(" checked") if bound.value() else "",
            )
        )
        return out


class SearchForm(SpecificErrorsMixin, forms.Form):
    q = forms.CharField(
        label=_("Child's name, YOT reference, PNC number or case reference"),
        max_length=100,
        min_length=2,
    )


class NotCarriedForwardForm(SpecificErrorsMixin, forms.Form):
    """Ending an episode before ECM started, with its own reasons (Appendix 1)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = forms.ChoiceField(
        label=_("Why is the case not carried forward to ECM?"),
        choices=NotCarriedForwardReason.choices,
        widget=forms.RadioSelect,
    )
    detail = forms.CharField(
        label=_("More about the reason"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed for “Other”."),
    )
    on = forms.DateField(
        label=_("Date"),
        widget=DateInput(),
        initial=timezone.localdate,
        required=False,
        help_text=_("Today if left empty."),
    )


class ReopenForm(SpecificErrorsMixin, forms.Form):
    """Re-opening a closed case as a new episode: why, and who manages it (the same case
    manager by default, as the guidance advises)."""

    reason = forms.ChoiceField(
        label=_("Why is the case re-opened?"),
        choices=ReopenReason.choices,
        widget=forms.RadioSelect,
    )
    detail = forms.CharField(
        label=_("More about the re-opening"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed for “Other”: what has happened since the case closed."),
    )
    case_manager = forms.ModelChoiceField(
        label=_("Case manager of the new episode"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Unallocated"),
        help_text=_("The same case manager as before where possible, for continuity."),
    )

    def __init__(self, *args, case_managers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case_manager"].queryset = case_managers


class AllocateForm(SpecificErrorsMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    case_manager = forms.ModelChoiceField(
        label=_("Case manager"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Unallocated"),
    )

    def __init__(self, *args, case_managers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case_manager"].queryset = case_managers


class AuditSearchForm(SpecificErrorsMixin, forms.Form):
    user = forms.CharField(label=_("Username"), required=False, max_length=150)
    child = forms.CharField(
        label=_("Child's name or YOT reference"), required=False, max_length=100
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


class ChildCorrectionForm(SpecificErrorsMixin, forms.ModelForm):
    """Correct a child's details. The form checks each value (PNC format, choices); the
    rules on the date of birth and the change itself are `ecm.services.child_correct`'s,
    whose refusals come back on their fields. Validating sets the values on the form's
    instance: give it a copy of the child, not the one the page shows."""

    reason = forms.CharField(
        label=_("Reason for the correction"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why the details are being corrected.")},
        help_text=_("For example: date of birth mistyped at registration; checked on the PNC."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Child
        fields = list(ChildCorrection.FIELDS)
        widgets = {"date_of_birth": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["version"].initial = self.instance.version

    def correction_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in ChildCorrection.FIELDS}
