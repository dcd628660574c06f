"""The case list's filter form and the rows of the case table and the home's narrow-screen
list, written in Python once per row (issue 22), give the markup the templates gave:
crispy's `as_crispy_field` for each filter, and a `{% url %}`, the status badge's include
and the case manager's name per row."""

import re

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from ecm import selectors
from ecm.forms import CaseFilterForm
from ecm.views import _decorate
from tests.factories import CaseFactory

CRISPY = Template(
    "{% load crispy_forms_tags %}{% for field in form %}"
    '<div class="col-auto">{{ field|as_crispy_field }}</div>{% endfor %}'
)
OLD_ROW = Template(
    "{% load i18n %}<a href=\"{% url 'case_detail' case.pk %}\">{{ case.child.full_name }}</a>"
    '{% include "ecm/includes/status_badge.html" %}'
    '{{ case.case_manager|default_if_none:_("Unallocated") }}'
)
NEW_ROW = Template(
    '<a href="{{ case.detail_url }}">{{ case.child.full_name }}</a>{{ case.status_badge }}'
    "{{ case.manager_label }}"
)


def squeeze(html: str) -> str:
    """The markup without the whitespace between and just inside tags."""
    return re.sub(r"\s*([<>])\s*", r"\1", re.sub(r"\s+", " ", html)).strip()


def form_of(user, data=None):
    return CaseFilterForm(
        data,
        teams=selectors.visible_teams_for(user),
        case_managers=selectors.case_managers_for(user),
    )


@pytest.mark.parametrize(
    "data",
    [
        None,
        {},
        {"status": "active", "open_only": "on"},
        {"status": "", "team": "TEAM", "case_manager": "CM", "open_only": ""},
    ],
)
def test_the_filter_form_markup_is_crispys(world, data):
    if data:
        data = {
            k: {"TEAM": str(world.yot_a.pk), "CM": str(world.case_manager.pk)}.get(v, v)
            for k, v in data.items()
        }
    form = form_of(world.manager, data)
    markup = form.fields_markup()
    assert markup is not None
    expected = CRISPY.render(Context({"form": form_of(world.manager, data)}))
    assert squeeze("".join(f'<div class="col-auto">{m}</div>' for m in markup)) == squeeze(expected)
    if data and data.get("team"):
        assert f'<option value="{world.yot_a.pk}" selected>' in "".join(markup)


def test_a_form_with_errors_is_left_to_crispy(client, world):
    assert form_of(world.manager, {"status": "nonsense"}).fields_markup() is None
    client.force_login(world.manager)
    body = client.get(reverse("case_list"), {"status": "nonsense"}).content.decode()
    assert "invalid-feedback" in body or "is-invalid" in body


def test_the_rows_markup_is_the_templates(world):
    CaseFactory(team=world.yot_a, case_manager=None, status="potential")
    CaseFactory(team=world.yot_a, case_manager=world.case_manager, status="waiting")
    cases = _decorate(list(selectors.case_list_for(world.manager)), timezone.localdate())
    assert len(cases) >= 4
    assert any(case.case_manager is None for case in cases)
    for case in cases:
        ctx = Context({"case": case})
        assert squeeze(NEW_ROW.render(ctx)) == squeeze(OLD_ROW.render(ctx))
