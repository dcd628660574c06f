"""The referral pages' forms as a user meets them: every control labelled, ids used once,
errors said at the field they belong to, and the forms that replaced hand-written
controls sending what the views expect."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from referrals import services
from referrals.forms import EligibilityForm
from referrals.models import Consent, Decision, Offence, Referral
from tests.ecm import pages
from tests.factories import CaseFactory


def _waiting(world, days, **answers):
    case = CaseFactory(
        team=world.yot_a,
        case_manager=world.case_manager,
        status="waiting",
        referred_to=world.central,
    )
    return Referral.objects.create(
        case=case,
        status="decided",
        waiting_since=timezone.now() - dt.timedelta(days=days),
        **answers,
    )


@pytest.fixture
def consented(world, submitted):
    """An accepted referral with the child's ECM consent and the parent's consent given."""
    rule_set = services.rule_set_for(submitted.case)
    criteria = list(rule_set.criteria.all())
    services.eligibility_decide(
        actor=world.senior,
        referral=submitted,
        data=services.DecisionInput(
            rule_set=rule_set,
            results={c.pk: "met" for c in criteria},
            decision=Decision.ACCEPTED,
        ),
    )
    today = timezone.localdate()
    for kind in ("ecm_child", "parent_general"):
        services.consent_record(
            actor=world.case_manager,
            case=submitted.case,
            kind=kind,
            date=today,
            signatory_name="Jo",
        )
    submitted.case.refresh_from_db()
    return submitted.case


def test_referral_pages_label_every_control(client, world, potential_case, submitted):
    _waiting(world, 3)
    _waiting(world, 9, significant_concern=True, significant_concern_note="Exploited")
    draft = CaseFactory(team=world.yot_a, case_manager=world.case_manager, status="potential")
    client.force_login(world.case_manager)
    client.post(reverse("referrals:ready", args=[draft.pk]))
    client.post(reverse("referrals:edit", args=[draft.pk]))
    Offence.objects.create(case=draft, date=timezone.localdate(), offence_type="Theft", gravity=2)
    checks = [
        (
            world.case_manager,
            reverse(
                "case_detail",
                args=[
                    CaseFactory(
                        team=world.yot_a, case_manager=world.case_manager, status="potential"
                    ).pk
                ],
            ),
        ),
        (world.case_manager, reverse("referrals:edit", args=[draft.pk])),
        (world.senior, reverse("referrals:check", args=[submitted.case.pk])),
        (world.central_senior, reverse("referrals:waiting_list")),
    ]
    for user, url in checks:
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, url
        pages.assert_accessible_form_page(response.content.decode())


def test_consent_page_gives_each_record_its_own_withdrawal_form(client, world, consented):
    client.force_login(world.case_manager)
    url = reverse("referrals:consent", args=[consented.pk])
    body = client.get(url).content.decode()
    pages.assert_accessible_form_page(body)
    root = pages.parse(body)
    forms = [
        f
        for f in root.iter("form")
        if any(b.attrs.get("name") == "withdraw" for b in f.iter("button"))
    ]
    consent_ids = {
        i.attrs["value"] for f in forms for i in f.iter("input") if i.attrs["name"] == "consent_id"
    }
    assert consent_ids == {str(c.pk) for c in consented.consents.all()}
    for form in forms:
        labels = {
            pages.label_of(root, c) for c in form.iter("input") if c.attrs["type"] != "hidden"
        }
        assert labels == {"Date withdrawn*", "Reason for withdrawal*"}


def test_a_withdrawal_without_a_reason_comes_back_in_its_row(client, world, consented):
    client.force_login(world.case_manager)
    record = consented.consents.get(kind="ecm_child")
    url = reverse("referrals:consent", args=[consented.pk])
    today = timezone.localdate().isoformat()
    body = client.post(
        url, {"withdraw": "1", "consent_id": record.pk, "date": today, "reason": ""}
    ).content.decode()
    record.refresh_from_db()
    assert record.withdrawn_on is None
    root = pages.parse(body)
    (opened,) = [d for d in root.iter("details") if "open" in d.attrs]
    assert f"withdraw-{record.pk}-reason" in [i.attrs.get("id") for i in opened.iter("input")]
    # The date typed is kept, and the missing reason is said at its field.
    date = next(i for i in opened.iter("input") if i.attrs["name"] == "date")
    assert date.attrs["value"] == today
    assert pages.invalid_controls(body)["reason"] == "Enter the reason for withdrawal"
    pages.assert_accessible_form_page(body)


def test_waiting_list_rows_have_their_own_priority_form(client, world):
    plain = _waiting(world, 3)
    concern = _waiting(world, 9, significant_concern=True, significant_concern_note="Exploited")
    client.force_login(world.central_senior)
    body = client.get(reverse("referrals:waiting_list")).content.decode()
    root = pages.parse(body)
    for entry, checked, note in ((plain, False, ""), (concern, True, "Exploited")):
        action = reverse("referrals:priority", args=[entry.case.pk])
        (form,) = [f for f in root.iter("form") if f.attrs.get("action") == action]
        fields = {c.attrs["name"]: c for c in form.iter("input") if c.attrs["type"] != "hidden"}
        assert ("checked" in fields["significant_concern"].attrs) is checked
        assert fields["note"].attrs.get("value", "") == note
        assert pages.label_of(root, fields["note"]) == "What is the concern?"
    # What the form sends is what the view reads.
    client.post(
        reverse("referrals:priority", args=[plain.case.pk]),
        {"significant_concern": "on", "note": "Missing from home"},
    )
    plain.refresh_from_db()
    assert plain.significant_concern and plain.significant_concern_note == "Missing from home"


def test_recorded_offences_are_ticked_for_removal(client, world, potential_case):
    client.force_login(world.case_manager)
    client.post(reverse("referrals:ready", args=[potential_case.pk]))
    client.post(reverse("referrals:edit", args=[potential_case.pk]))
    offence = Offence.objects.create(
        case=potential_case, date=dt.date(2025, 3, 4), offence_type="Theft", gravity=2
    )
    url = reverse("referrals:edit", args=[potential_case.pk])
    body = client.get(url).content.decode()
    root = pages.parse(body)
    (box,) = [c for c in pages.controls(body) if c.attrs["name"] == "delete_offence"]
    assert box.attrs["value"] == str(offence.pk)
    assert pages.label_of(root, box) == "4 Mar 2025 · Theft · gravity 2"
    referral = Referral.objects.get(case=potential_case)
    data = {
        "version": referral.version,
        "offence-TOTAL_FORMS": 3,
        "offence-INITIAL_FORMS": 0,
        "delete_offence": offence.pk,
        "save": "1",
    }
    assert client.post(url, data).status_code == 302
    assert not potential_case.offences.exists()


def test_criterion_explanations_are_escaped(db):
    criterion = SimpleNamespace(pk=7, text="Evidence of complex needs")
    suggestion = SimpleNamespace(result="met", explanation='<img src=x onerror="alert(1)">')
    form = EligibilityForm(criteria=[criterion], suggestions={7: suggestion})
    html = Template("{% load crispy_forms_tags %}{{ f|as_crispy_field }}").render(
        Context({"f": form["criterion_7"]})
    )
    assert "<img" not in html
    assert "Suggested because: &lt;img src=x" in html


def test_eligibility_check_carries_the_chosen_rule_set(client, world, submitted):
    client.force_login(world.senior)
    rule_set = services.rule_set_for(submitted.case)
    body = client.get(reverse("referrals:check", args=[submitted.case.pk])).content.decode()
    root = pages.parse(body)
    picker = next(s for s in root.iter("select") if s.attrs["name"] == "rule_set")
    assert pages.label_of(root, picker) == "Check against"
    assert [o.attrs["value"] for o in picker.iter("option") if "selected" in o.attrs] == [
        str(rule_set.pk)
    ]
    carried = [
        i
        for i in root.iter("input")
        if i.attrs.get("name") == "rule_set" and i.attrs["type"] == "hidden"
    ]
    assert [i.attrs["value"] for i in carried] == [str(rule_set.pk)]
    assert Consent.objects.count() == 0  # nothing recorded by looking


@pytest.mark.parametrize(
    "concern,note", [(False, ""), (True, 'Exploited <by> "them" & more'), (False, "Kept")]
)
def test_waiting_list_priority_fields_are_the_forms_own_markup(concern, note):
    """referrals/_priority_fields.html writes a row's fields as crispy renders PriorityForm
    (every element, attribute and text the same)."""
    from types import SimpleNamespace

    from django.template import engines

    from referrals.forms import PriorityForm

    django_engine = engines["django"]
    form = PriorityForm(
        initial={"significant_concern": concern, "note": note}, auto_id="priority-7-%s"
    )
    crispy = django_engine.from_string(
        "{% load crispy_forms_filters %}"
        "{{ form.significant_concern|as_crispy_field }}{{ form.note|as_crispy_field }}"
    ).render({"form": form})
    entry = SimpleNamespace(
        priority_ids="priority-7-", significant_concern=concern, significant_concern_note=note
    )
    ours = django_engine.from_string(
        '{% include "referrals/_priority_fields.html" with form=form %}'
    ).render({"form": PriorityForm(), "e": entry})

    def shape(html):
        return [(el.tag, el.attrs, el.text()) for el in pages.parse(html).iter()]

    assert shape(ours) == shape(crispy)
