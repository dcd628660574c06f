"""Correcting a child's details: the service, its access rule, the page, and what follows a
corrected date of birth (ages, the consent rule, the timeline's age row)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ecm import services
from ecm.access import access_for
from ecm.dates import add_years, display_date
from ecm.editing import StaleEditError
from ecm.models import AuditEvent, Child, ChildCorrection
from referrals import services as referral_services
from tests.ecm import pages
from tests.factories import CaseFactory, ChildFactory

TODAY = timezone.localdate


def _details(child: Child, **changes) -> dict:
    """Every correctable detail as the form sends it, with `changes`."""
    data = {name: getattr(child, name) for name in ChildCorrection.FIELDS}
    return data | changes


def _form(child: Child, reason="Mistyped at registration", **changes) -> dict:
    data = _details(child, **changes)
    data["date_of_birth"] = data["date_of_birth"].isoformat()
    return data | {"reason": reason, "version": child.version}


@pytest.fixture
def child(world):
    return world.case.child


# --- The service ---------------------------------------------------------------------------


def test_correction_changes_the_fields_and_keeps_a_readable_history(world, child):
    born, first_name = child.date_of_birth, child.first_name
    correction = services.child_correct(
        actor=world.case_manager,
        child=child,
        data=_details(
            child,
            first_name="  Tyla ",
            date_of_birth=born - dt.timedelta(days=40),
            ethnicity="mixed_other",
            pnc_number="19/1234567x",
        ),
        reason="Checked against the birth certificate",
        expected_version=child.version,
    )
    child.refresh_from_db()
    assert child.first_name == "Tyla"
    assert child.date_of_birth == born - dt.timedelta(days=40)
    assert child.pnc_number == "19/1234567X"  # typed in lower case, kept in capitals
    assert child.version == 2
    assert child.date_of_birth_corrected_at == correction.at
    assert correction.reason == "Checked against the birth certificate"
    assert correction.corrected_by == world.case_manager
    assert correction.case == world.case
    shown = [(c["label"], c["old"], c["new"]) for c in correction.changes_display]
    old_dob, new_dob = born, born - dt.timedelta(days=40)
    assert shown == [
        ("first name", first_name, "Tyla"),
        ("date of birth", display_date(old_dob), display_date(new_dob)),
        (
            "ethnicity",
            "White: English, Welsh, Scottish, Northern Irish, British",
            "Mixed: any other mixed background",
        ),
        ("PNC number", "(blank)", "19/1234567X"),
    ]


def test_audit_keeps_the_changed_field_names_only(world, child):
    services.child_correct(
        actor=world.senior,
        child=child,
        data=_details(child, last_name="Powel", yot_reference="YR-SECRET-9"),
        reason="Surname misspelt; reason text with a secret",
    )
    event = AuditEvent.objects.filter(object_type="ecm.child", action="update").get()
    assert event.changed_fields == ["last_name", "yot_reference"]
    assert event.team_id == world.yot_a.pk
    assert event.child_id == child.pk
    logged = f"{event.detail} {event.object_label} {event.changed_fields}"
    for value in ("Powel", "YR-SECRET-9", "secret"):
        assert value not in logged


def test_a_stale_correction_is_refused(world, child):
    loaded = child.version
    services.child_correct(
        actor=world.senior, child=child, data=_details(child, preferred_name="Ty"), reason="Asked"
    )
    with pytest.raises(StaleEditError):
        services.child_correct(
            actor=world.case_manager,
            child=child,
            data=_details(child, first_name="Tylor"),
            reason="Typo",
            expected_version=loaded,
        )
    child.refresh_from_db()
    assert (child.preferred_name, child.version) == ("Ty", 2)
    assert child.first_name != "Tylor"
    assert ChildCorrection.objects.filter(child=child).count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"pnc_number": "1234567"}, "pnc_number"),
        ({"first_name": "  "}, "first_name"),
        ({"gender": "martian"}, "gender"),
        ({"date_of_birth": TODAY() + dt.timedelta(days=1)}, "date_of_birth"),
        ({"date_of_birth": add_years(TODAY(), -8)}, "date_of_birth"),  # 7-8 when it opened
        ({"date_of_birth": add_years(TODAY(), -30)}, "date_of_birth"),
    ],
)
def test_invalid_values_are_refused_on_their_field(world, child, changes, field):
    with pytest.raises(ValidationError) as refused:
        services.child_correct(
            actor=world.senior, child=child, data=_details(child, **changes), reason="Fix"
        )
    assert field in refused.value.message_dict
    assert not ChildCorrection.objects.exists()
    assert Child.objects.get(pk=child.pk).version == 1


def test_a_reason_is_needed_and_something_must_change(world, child):
    with pytest.raises(ValidationError) as refused:
        services.child_correct(
            actor=world.senior, child=child, data=_details(child, first_name="Ty"), reason=" "
        )
    assert "reason" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.child_correct(actor=world.senior, child=child, data=_details(child), reason="x")
    assert refused.value.code == "unchanged"


def test_a_child_who_has_turned_18_since_the_case_opened_can_be_corrected(world):
    child = ChildFactory(date_of_birth=add_years(TODAY(), -18) - dt.timedelta(days=10))
    case = CaseFactory(
        child=child,
        team=world.yot_a,
        case_manager=world.case_manager,
        opened_on=add_years(TODAY(), -1),
    )
    services.child_correct(
        actor=world.case_manager,
        child=child,
        data=_details(child, date_of_birth=child.date_of_birth - dt.timedelta(days=5)),
        reason="Day and month swapped",
    )
    assert case.child.corrections.count() == 1


# --- Who may correct (Access.can_correct_child) ------------------------------------------

# who: may correct the child of Alpha's open case (allocated to case_manager)
MAY_CORRECT = {
    "case_manager": True,
    "case_manager_2": False,  # another case manager's case
    "senior": True,
    "manager": True,
    "psychologist": False,
    "team_admin": False,
    "other_case_manager": False,
    "other_senior": False,
    "other_manager": False,
    "central_senior": False,  # sees a referred case, but the YOT keeps the child's record
    "central_psychologist": False,
    "outsider": False,
    "superuser": False,
}


@pytest.mark.parametrize("who", MAY_CORRECT)
def test_who_may_correct_the_service(world, who):
    user = getattr(world, who)
    world.referred_case.status = "closed"  # the child of `referred_case`, seen by central
    world.referred_case.closed_on = TODAY()
    world.referred_case.save()
    case = CaseFactory(
        child=world.referred_case.child,
        team=world.yot_a,
        referred_to=world.central,
        case_manager=world.case_manager,
        status="preparation",
    )
    assert access_for(user).can_correct_child(case) is MAY_CORRECT[who]
    data = _details(case.child, preferred_name="Ty")
    if MAY_CORRECT[who]:
        services.child_correct(actor=user, child=case.child, data=data, reason="Asked")
        assert ChildCorrection.objects.count() == 1
    else:
        with pytest.raises(PermissionDenied):
            services.child_correct(actor=user, child=case.child, data=data, reason="Asked")


def test_unallocated_case_any_case_manager_of_the_team(world, child):
    world.case.case_manager = None
    world.case.save()
    assert access_for(world.case_manager_2).can_correct_child(world.case)
    assert not access_for(world.other_case_manager).can_correct_child(world.case)


def test_nobody_corrects_a_child_without_an_open_case(world, child):
    world.case.status = "closed"
    world.case.closed_on = TODAY()
    world.case.save()
    assert not access_for(world.senior).can_correct_child(world.case)
    with pytest.raises(PermissionDenied):
        services.child_correct(
            actor=world.senior, child=child, data=_details(child, first_name="Ty"), reason="x"
        )


# --- The page ------------------------------------------------------------------------------


def test_case_page_links_to_the_correction_page(client, world):
    url = reverse("child_correct", args=[world.case.pk])
    client.force_login(world.case_manager)
    assert url in client.get(reverse("case_detail", args=[world.case.pk])).content.decode()
    client.force_login(world.psychologist)  # may not correct; nothing corrected yet
    assert url not in client.get(reverse("case_detail", args=[world.case.pk])).content.decode()


def test_page_corrects_and_the_case_page_shows_the_new_age(client, world, child):
    client.force_login(world.case_manager)
    url = reverse("child_correct", args=[world.case.pk])
    response = client.get(url)
    assert response.status_code == 200
    pages.assert_accessible_form_page(response.content.decode())
    new_dob = add_years(TODAY(), -13) - dt.timedelta(days=3)
    response = client.post(url, _form(child, date_of_birth=new_dob))
    assert response.status_code == 302
    body = pages.text(client.get(reverse("case_detail", args=[world.case.pk])).content.decode())
    assert "the consent check and the timeline follow the new date of birth" in body
    assert f"Age 13 (born {display_date(new_dob)})" in body
    # Read-only roles now see the way to the history.
    client.force_login(world.psychologist)
    page = client.get(reverse("case_detail", args=[world.case.pk])).content.decode()
    assert "History of corrections" in page
    body = pages.text(client.get(url).content.decode())
    assert "Reason: Mistyped at registration" in body
    assert "Save the correction" not in body


def test_form_error_keeps_what_was_typed(client, world, child):
    client.force_login(world.senior)
    url = reverse("child_correct", args=[world.case.pk])
    response = client.post(url, _form(child, reason="", first_name="Tylah", pnc_number="not a pnc"))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'value="Tylah"' in html and 'value="not a pnc"' in html
    invalid = pages.invalid_controls(html)
    assert "Enter a PNC number" in invalid["pnc_number"]
    assert "Say why the details are being corrected." in invalid["reason"]
    child.refresh_from_db()
    assert child.first_name != "Tylah"


def test_stale_form_is_409_with_what_was_typed(client, world, child):
    client.force_login(world.case_manager)
    typed = _form(child, first_name="Tylah")
    services.child_correct(
        actor=world.senior, child=child, data=_details(child, last_name="Bevans"), reason="x"
    )
    response = client.post(reverse("child_correct", args=[world.case.pk]), typed)
    assert response.status_code == 409
    html = response.content.decode()
    assert 'value="Tylah"' in html
    assert "Someone else saved" in html
    assert "Bevans" in pages.text(html)  # the saved details beside the form
    child.refresh_from_db()
    assert child.first_name != "Tylah"


@pytest.mark.parametrize(
    ("who", "get", "post"),
    [
        ("other_senior", 404, 404),
        ("outsider", 404, 404),
        ("psychologist", 200, 403),  # sees the case and the history, may not correct
        ("case_manager_2", 200, 403),
        ("team_admin", 404, 404),
    ],
)
def test_page_access(client, world, child, who, get, post):
    client.force_login(getattr(world, who))
    url = reverse("child_correct", args=[world.case.pk])
    assert client.get(url).status_code == get
    assert client.post(url, _form(child, first_name="Tylah")).status_code == post
    assert not ChildCorrection.objects.exists()


def test_other_team_cannot_read_the_history(client, world):
    other_child = world.other_case.child
    services.child_correct(
        actor=world.other_senior,
        child=other_child,
        data=_details(other_child, first_name="Hidden"),
        reason="Private reason",
    )
    client.force_login(world.senior)
    assert client.get(reverse("child_correct", args=[world.other_case.pk])).status_code == 404


def test_history_page_costs_constant_queries(client, world, child):
    client.force_login(world.senior)
    url = reverse("child_correct", args=[world.case.pk])

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        return len(ctx.captured_queries), response

    services.child_correct(
        actor=world.senior, child=child, data=_details(child, first_name="A"), reason="one"
    )
    small, _ = queries()
    for n in range(6):
        actor = world.senior if n % 2 else world.manager
        child.refresh_from_db()
        services.child_correct(
            actor=actor, child=child, data=_details(child, first_name=f"B{n}"), reason=f"r{n}"
        )
    large, response = queries()
    assert pages.text(response.content.decode()).count("Reason:") == 7
    assert large == small


# --- What depends on the date of birth ----------------------------------------------------


@pytest.fixture
def consented_16_year_old(world):
    """A child of 16 when they signed: their consent alone was complete, the case moved to
    preparation."""
    child = ChildFactory(date_of_birth=add_years(TODAY(), -16) - dt.timedelta(days=40))
    case = CaseFactory(
        child=child, team=world.yot_a, case_manager=world.case_manager, status="awaiting_consent"
    )
    referral_services.consent_record(
        actor=world.case_manager, case=case, kind="ecm_child", date=TODAY() - dt.timedelta(days=5)
    )
    case.refresh_from_db()
    assert case.status == "preparation"
    assert referral_services.consent_status(case).is_valid
    return case


def test_corrected_date_of_birth_flags_the_consent(client, world, consented_16_year_old):
    case = consented_16_year_old
    services.child_correct(
        actor=world.case_manager,
        child=case.child,
        data=_details(case.child, date_of_birth=add_years(TODAY(), -15) - dt.timedelta(days=1)),
        reason="Year of birth was wrong",
    )
    case.refresh_from_db()
    status = referral_services.consent_status(case)
    assert not status.is_valid
    assert status.since_dob_corrected
    (message,) = status.missing
    assert "Needs the parent/carer's consent since the date of birth was corrected" in message
    assert "stays “Preparing for formulation”" in message
    assert case.status == "preparation"  # not moved silently: the case page says so
    client.force_login(world.case_manager)
    body = pages.text(client.get(reverse("case_detail", args=[case.pk])).content.decode())
    assert "ECM consent incomplete. Needs the parent/carer's consent since the date" in body
    body = pages.text(client.get(reverse("referrals:consent", args=[case.pk])).content.decode())
    assert "since the date of birth was corrected" in body
    # The parent/carer's consent completes it again.
    referral_services.consent_record(
        actor=world.case_manager,
        case=case,
        kind="parent_general",
        date=TODAY(),
        signatory_name="Sam Carer",
    )
    assert referral_services.consent_status(case).is_valid


def test_a_correction_that_keeps_the_child_16_or_over_changes_nothing(world, consented_16_year_old):
    case = consented_16_year_old
    services.child_correct(
        actor=world.case_manager,
        child=case.child,
        data=_details(case.child, date_of_birth=case.child.date_of_birth - dt.timedelta(days=20)),
        reason="Day wrong",
    )
    case.refresh_from_db()
    status = referral_services.consent_status(case)
    assert status.is_valid and not status.since_dob_corrected


def test_consent_recorded_after_the_correction_is_the_usual_rule(world):
    case = CaseFactory(team=world.yot_a, case_manager=world.case_manager, status="awaiting_consent")
    services.child_correct(
        actor=world.case_manager,
        child=case.child,
        data=_details(case.child, date_of_birth=add_years(TODAY(), -14)),
        reason="Wrong year",
    )
    referral_services.consent_record(
        actor=world.case_manager, case=case, kind="ecm_child", date=TODAY()
    )
    case.refresh_from_db()
    status = referral_services.consent_status(case)
    assert not status.since_dob_corrected
    assert status.missing == [
        "The child is under 16: the parent/carer's general YOT consent is needed."
    ]


def test_ages_and_the_timeline_age_row_follow_the_corrected_date(world, child):
    """Nothing stores an age: the timeline is drawn from the child's date of birth on each
    request, so after a correction its age row ends at the new age and it starts the year
    before the new year of birth."""
    from formulation.timeline import selectors as timeline

    child.date_of_birth = add_years(TODAY(), -15) - dt.timedelta(days=1)
    child.save()
    before = timeline.timeline_svg(world.senior, world.case)
    assert ">age 15<" in before
    new_dob = add_years(TODAY(), -13) - dt.timedelta(days=1)
    services.child_correct(
        actor=world.case_manager,
        child=child,
        data=_details(child, date_of_birth=new_dob),
        reason="Wrong year",
    )
    world.case.child.refresh_from_db()
    assert world.case.child.age == 13
    after = timeline.timeline_svg(world.senior, world.case)
    assert ">age 13<" in after and ">age 14<" not in after
    assert f">{new_dob.year}<" in after  # the drawing's years start from the new birth year


def test_the_genogram_shows_the_corrected_date_of_birth(world, child):
    """The child's own genogram row, once saved, keeps its name; its date of birth is the
    record's, so a correction shows in the drawing."""
    from formulation.genogram import selectors as genogram
    from formulation.genogram import services as genogram_services

    genogram_services.genogram_start(actor=world.case_manager, case=world.case)
    new_dob = child.date_of_birth - dt.timedelta(days=400)
    services.child_correct(
        actor=world.case_manager,
        child=child,
        data=_details(child, date_of_birth=new_dob),
        reason="Wrong year",
    )
    world.case.child.refresh_from_db()
    index = next(m for m in genogram.family_members(world.case) if m.is_index)
    assert index.date_of_birth == new_dob
    assert display_date(new_dob) in genogram.genogram_svg(world.case)
