"""The GOV.UK-style error summary: one box at the top of a form page listing every error,
each a link to its field. `{% error_summary form other_form %}` names the forms;
`{% error_summary %}` finds every bound form and formset with errors in the page's context.
Forms rendered with `|crispy` get it by themselves (templates/bootstrap5/errors.html) unless
the page has already shown it for them."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms, template
from django.forms.formsets import BaseFormSet

register = template.Library()

SHOWN = "_error_summary_shown"


@dataclass(frozen=True)
class ErrorLink:
    message: str
    href: str = ""  # "#id_field", or "" for an error about the whole form


def _field_anchor(form: forms.BaseForm, name: str) -> str:
    if name not in form.fields or form.fields[name].widget.is_hidden:
        return ""
    bound = form[name]
    target = bound.id_for_label
    if (
        not target
        and bound.subwidgets
        and getattr(bound.field.widget, "input_type", "")
        in (
            "radio",
            "checkbox",
        )
    ):
        target = bound.subwidgets[0].id_for_label  # a radio group: its first radio
    target = target or bound.auto_id
    return f"#{target}" if target else ""


def error_links(*items) -> list[ErrorLink]:
    """Each error of the forms and formsets given, in field order, with a link to its field."""
    links: list[ErrorLink] = []
    for item in items:
        if isinstance(item, BaseFormSet):
            links += [ErrorLink(str(m)) for m in item.non_form_errors()]
            links += error_links(*item.forms)
            continue
        if not isinstance(item, forms.BaseForm) or not item.is_bound or not item.errors:
            continue
        links += [ErrorLink(str(m)) for m in item.non_field_errors()]
        for name in item.fields:
            for message in item.errors.get(name, ()):
                links.append(ErrorLink(str(message), _field_anchor(item, name)))
    return links


def _has_errors(item) -> bool:
    if isinstance(item, BaseFormSet):
        return item.is_bound and not item.is_valid()
    return isinstance(item, forms.BaseForm) and item.is_bound and bool(item.errors)


def _forms_in(context) -> list:
    seen: dict[int, object] = {}
    for value in context.flatten().values():
        if isinstance(value, forms.BaseForm | BaseFormSet) and id(value) not in seen:
            seen[id(value)] = value
    return list(seen.values())


@register.inclusion_tag("ecm/includes/error_summary.html", takes_context=True)
def error_summary(context, *items, extra=None):
    """The summary for the forms given (or every form of the page). `extra` adds links
    made elsewhere (a list of ErrorLink, e.g. what a referral still needs)."""
    chosen = [i for i in (items or _forms_in(context)) if _has_errors(i)]
    links = error_links(*chosen) + list(extra or ())
    for item in chosen:
        setattr(item, SHOWN, True)
    return {"links": links}


@register.inclusion_tag("ecm/includes/error_summary.html")
def crispy_error_summary(form):
    """What crispy's errors.html shows: the summary for this form, unless shown already."""
    if getattr(form, SHOWN, False) or not _has_errors(form):
        return {"links": []}
    setattr(form, SHOWN, True)
    return {"links": error_links(form)}


@register.filter
def field_anchor(form, name: str) -> str:
    """The id a link to `form[name]` should point at (its first radio for a radio group)."""
    return _field_anchor(form, name).lstrip("#")


@register.filter
def stored_text(text):
    """What people typed, as typed; one of the product's own stored sentences (a version's
    "First final version"...) in the reader's language (issue 23)."""
    from ecm.language import stored_text as in_readers_language

    return in_readers_language(text or "")
