"""The API's access matrix, its writes through the services, idempotency and audit."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from api.models import ApiToken, IdempotencyKey, Scope
from ecm.models import AuditEvent
from formulation.report.models import Report, ReportVersion
from referrals.models import Offence
from reviews.models import Contact
from tests.factories import held_meeting

from .conftest import make_token

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def _offence(**over):
    return {"date": str(TODAY() - dt.timedelta(days=3)), "offence_type": "Theft", **over}


# --- Authentication: 401 ---------------------------------------------------------------


def test_no_token_is_401_with_the_bearer_challenge(client, api):
    response = client.get(reverse("api:cases"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("how", ["unknown", "revoked", "expired", "malformed"])
def test_unusable_tokens_are_401(client, api, how):
    header = api.auth["HTTP_AUTHORIZATION"]
    if how == "unknown":
        header = header[:-4] + "AAAA"
    elif how == "revoked":
        ApiToken.objects.filter(pk=api.token.pk).update(revoked_at=timezone.now())
    elif how == "expired":
        ApiToken.objects.filter(pk=api.token.pk).update(
            expires_at=timezone.now() - dt.timedelta(seconds=1)
        )
    else:
        header = "Bearer not-a-token"
    response = client.get(reverse("api:cases"), HTTP_AUTHORIZATION=header)
    assert response.status_code == 401


def test_the_secret_is_stored_hashed_and_last_use_recorded(client, api):
    raw = api.auth["HTTP_AUTHORIZATION"].split()[1]
    token = ApiToken.objects.get(pk=api.token.pk)
    assert raw not in (token.secret_hash, token.prefix) and token.prefix in raw
    assert token.last_used_at is None
    assert client.get(reverse("api:cases"), **api.auth).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


# --- Scopes: 403; other team's objects: 404 ----------------------------------------------

ENDPOINTS = [
    ("get", "api:children", False, Scope.CASES_READ),
    ("get", "api:cases", False, Scope.CASES_READ),
    ("get", "api:case", True, Scope.CASES_READ),
    ("get", "api:offences", True, Scope.OFFENCES_READ),
    ("post", "api:offences", True, Scope.OFFENCES_WRITE),
    ("get", "api:contacts", True, Scope.CASES_READ),
    ("post", "api:contacts", True, Scope.CONTACTS_WRITE),
    ("get", "api:actions", True, Scope.CASES_READ),
    ("get", "api:reviews", True, Scope.CASES_READ),
    ("get", "api:report_versions", True, Scope.REPORTS_READ),
    ("get", "api:figures", False, Scope.MONITORING_READ),
]


def _url(name, pk):
    return reverse(name, kwargs={"pk": pk}) if pk is not None else reverse(name)


@pytest.mark.parametrize(("method", "name", "of_case", "scope"), ENDPOINTS)
def test_access_matrix(client, api, method, name, of_case, scope):
    """Every endpoint: the wrong scope is 403; another team's case is 404; the right scope
    on the token's own team passes the access checks."""
    others = [s for s in Scope.values if s != scope]
    _t, wrong = make_token(api, scopes=others, name="Wrong scope")
    _t, right = make_token(api, scopes=[scope], name="Right scope")
    pk = api.case.pk if of_case else None
    call = getattr(client, method)
    body = {"content_type": "application/json", "data": {}} if method == "post" else {}
    assert call(_url(name, pk), **body, **wrong).status_code == 403
    if of_case:
        assert call(_url(name, api.other_case.pk), **body, **right).status_code == 404
        # A case of the token's own team referred to the central team is still the team's.
        assert call(_url(name, api.referred_case.pk), **body, **right).status_code != 404
    assert call(_url(name, pk), **body, **right).status_code in (200, 400)


def test_lists_hold_the_token_teams_records_only(client, api):
    _t, other = make_token(api, team=api.yot_b, name="Bravo system", actor=api.other_manager)
    mine = client.get(reverse("api:cases"), **api.auth).json()["results"]
    theirs = client.get(reverse("api:cases"), **other).json()["results"]
    assert {c["id"] for c in mine} == {api.case.pk, api.referred_case.pk}
    assert {c["id"] for c in theirs} == {api.other_case.pk}
    child = client.get(reverse("api:child", kwargs={"pk": api.other_case.child_id}), **api.auth)
    assert child.status_code == 404


def test_a_central_teams_token_does_not_reach_the_cases_referred_to_it(client, api):
    from ecm.models import Role
    from tests.factories import member

    central_admin = member(api.central, Role.MANAGER, username="mgr_c")
    _t, central = make_token(api, team=api.central, actor=central_admin, name="Central")
    response = client.get(reverse("api:case", kwargs={"pk": api.referred_case.pk}), **central)
    assert response.status_code == 404


def test_children_found_by_yot_reference_or_pnc(client, api):
    child = api.case.child
    child.pnc_number = "19/123456X"
    child.save()
    url = reverse("api:children")
    by_ref = client.get(url, {"yot_reference": child.yot_reference}, **api.auth).json()
    by_pnc = client.get(url, {"pnc_number": "19/123456X"}, **api.auth).json()
    assert [c["id"] for c in by_ref["results"]] == [child.pk]
    assert [c["id"] for c in by_pnc["results"]] == [child.pk]
    assert by_ref["results"][0]["cases"] == [api.case.pk]
    other = client.get(url, {"yot_reference": api.other_case.child.yot_reference}, **api.auth)
    assert other.json()["results"] == []


# --- Writes through the services -------------------------------------------------------


def test_offence_push_goes_through_the_service_and_is_audited(client, api):
    url = reverse("api:offences", kwargs={"pk": api.case.pk})
    response = client.post(url, _offence(gravity=3), content_type="application/json", **api.auth)
    assert response.status_code == 201, response.content
    offence = Offence.objects.get(pk=response.json()["id"])
    assert (offence.case_id, offence.offence_type, offence.gravity) == (api.case.pk, "Theft", 3)
    event = AuditEvent.objects.get(object_type="referrals.offence", object_id=str(offence.pk))
    assert event.action == AuditEvent.Action.CREATE
    assert event.actor_username == "api:alpha:ChildView"
    assert event.team_id == api.yot_a.pk


def test_offence_push_after_the_case_closed(client, api):
    api.case.status = "closed"
    api.case.closed_on = TODAY() - dt.timedelta(days=10)
    api.case.save()
    url = reverse("api:offences", kwargs={"pk": api.case.pk})
    response = client.post(url, _offence(), content_type="application/json", **api.auth)
    assert response.status_code == 201, response.content
    event = AuditEvent.objects.get(object_type="referrals.offence")
    assert event.detail == "after the case ended"


def test_service_validation_is_a_400_with_field_messages(client, api):
    url = reverse("api:offences", kwargs={"pk": api.case.pk})
    future = _offence(date=str(TODAY() + dt.timedelta(days=2)))
    response = client.post(url, future, content_type="application/json", **api.auth)
    assert response.status_code == 400
    assert "future" in response.json()["date"][0]
    response = client.post(url, {"date": "x"}, content_type="application/json", **api.auth)
    assert response.status_code == 400
    assert set(response.json()) >= {"date", "offence_type"}
    assert not Offence.objects.exists()


def test_contact_push_and_the_closed_case_refusal(client, api):
    url = reverse("api:contacts", kwargs={"pk": api.case.pk})
    data = {"date": str(TODAY() - dt.timedelta(days=1)), "kind": "phone", "purpose": "Check in"}
    response = client.post(url, data, content_type="application/json", **api.auth)
    assert response.status_code == 201, response.content
    contact = Contact.objects.get(pk=response.json()["id"])
    assert contact.recorded_by == api.token.user
    listed = client.get(url, **api.auth).json()
    assert [c["id"] for c in listed["results"]] == [contact.pk]
    api.case.status = "closed"
    api.case.closed_on = TODAY()
    api.case.save()
    response = client.post(url, data, content_type="application/json", **api.auth)
    assert response.status_code == 400
    assert "read-only" in response.json()["non_field_errors"][0]


# --- Idempotency -----------------------------------------------------------------------


def test_a_retried_push_records_the_offence_once(client, api):
    url = reverse("api:offences", kwargs={"pk": api.case.pk})
    key = {"HTTP_IDEMPOTENCY_KEY": "push-0001"}
    first = client.post(url, _offence(), content_type="application/json", **key, **api.auth)
    again = client.post(url, _offence(), content_type="application/json", **key, **api.auth)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Offence.objects.count() == 1
    # The store keeps the created object's id, no payload.
    row = IdempotencyKey.objects.get()
    assert (row.object_type, row.object_id) == ("offence", first.json()["id"])
    changed = _offence(offence_type="Burglary")
    reused = client.post(url, changed, content_type="application/json", **key, **api.auth)
    assert reused.status_code == 422
    assert Offence.objects.count() == 1


def test_a_refused_push_keeps_no_key(client, api):
    url = reverse("api:offences", kwargs={"pk": api.case.pk})
    key = {"HTTP_IDEMPOTENCY_KEY": "push-0002"}
    bad = _offence(date=str(TODAY() + dt.timedelta(days=1)))
    assert (
        client.post(url, bad, content_type="application/json", **key, **api.auth).status_code == 400
    )
    assert not IdempotencyKey.objects.exists()
    good = client.post(url, _offence(), content_type="application/json", **key, **api.auth)
    assert good.status_code == 201


def test_keys_are_per_token(client, api):
    _t, other = make_token(api, name="Second system")
    url = reverse("api:offences", kwargs={"pk": api.case.pk})
    key = {"HTTP_IDEMPOTENCY_KEY": "same-key"}
    client.post(url, _offence(), content_type="application/json", **key, **api.auth)
    client.post(url, _offence(), content_type="application/json", **key, **other)
    assert Offence.objects.count() == 2


# --- Reads: audit, report PDF, monitoring --------------------------------------------------


def test_every_read_is_audited_under_the_integrations_name(client, api):
    client.get(reverse("api:cases"), **api.auth)
    client.get(reverse("api:case", kwargs={"pk": api.case.pk}), **api.auth)
    events = list(AuditEvent.objects.filter(action="view").order_by("pk"))
    assert [e.actor_username for e in events] == ["api:alpha:ChildView"] * 2
    assert sorted(events[0].listed["cases"]) == sorted([api.case.pk, api.referred_case.pk])
    assert events[1].object_id == str(api.case.pk)


def _final_report(w):
    meeting = held_meeting(
        case=w.case,
        starts_at=timezone.now() - dt.timedelta(days=30),
        chair=w.senior,
        psychologist=w.psychologist,
    )
    report = Report.objects.create(
        case=w.case,
        meeting=meeting,
        psychologist=w.psychologist,
        due_on=TODAY(),
        summary="DRAFT-ONLY-TEXT",
        status=Report.Status.FINAL,
    )
    ReportVersion.objects.create(report=report, number=1, sections={"summary": "FINAL-V1-TEXT"})
    return report


def test_final_report_versions_and_pdf_audited_as_export(client, api):
    import io

    from pypdf import PdfReader

    _final_report(api)
    versions = client.get(reverse("api:report_versions", kwargs={"pk": api.case.pk}), **api.auth)
    assert [v["number"] for v in versions.json()["results"]] == [1]
    response = client.get(versions.json()["results"][0]["pdf"], **api.auth)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "FINAL-V1-TEXT" in text and "DRAFT-ONLY-TEXT" not in text
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.actor_username == "api:alpha:ChildView" and event.detail == "api pdf v1 full"
    missing = reverse("api:report_pdf", kwargs={"pk": api.case.pk, "number": 2})
    assert client.get(missing, **api.auth).status_code == 404


def test_monitoring_figures_suppress_small_cells(client, api):
    response = client.get(reverse("api:figures"), **api.auth)
    assert response.status_code == 200
    data = response.json()
    assert data["team"] == "alpha" and data["suppressed_below"] == 5
    values = [r["value"] for t in data["tables"] for r in t["rows"]]
    assert values and "<5" in values  # a team of two cases: every non-zero count is small
    assert not any(v in ("1", "2") for v in values)
    assert AuditEvent.objects.filter(action="export", detail__startswith="api monitoring").exists()


def test_rate_limited_per_token(client, api, settings):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "api_token": "2/minute"}
    original = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = rates
    try:
        _t, other = make_token(api, name="Second system")
        codes = [client.get(reverse("api:cases"), **api.auth).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        assert client.get(reverse("api:cases"), **other).status_code == 200
    finally:
        SimpleRateThrottle.THROTTLE_RATES = original


# --- The token page --------------------------------------------------------------------


def test_token_page_makes_a_token_shown_once_and_revokes_it(client, api):
    client.force_login(api.manager)
    url = reverse("api:tokens")
    data = {
        "team": api.yot_a.pk,
        "name": "Careworks",
        "scopes": ["offences:write", "contacts:write"],
        "expires_on": str(TODAY() + dt.timedelta(days=90)),
    }
    response = client.post(url, data)
    assert response.status_code == 200
    secret = response.context["secret"]
    token = ApiToken.objects.get(name="Careworks")
    assert secret.startswith(f"ecm_{token.prefix}_") and token.scopes == data["scopes"]
    assert secret not in client.get(url).content.decode()  # shown once
    assert AuditEvent.objects.filter(object_type="api.apitoken", action="create").exists()
    assert client.post(reverse("api:token_revoke", kwargs={"pk": token.pk})).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == api.manager
    assert AuditEvent.objects.filter(object_type="api.apitoken", action="update").exists()


#: Who sees the tokens page (of any team), and may revoke Alpha YOT's token.
TOKEN_PAGE = {
    "case_manager": (False, False),
    "senior": (False, False),
    "psychologist": (False, False),
    "manager": (True, True),
    "team_admin": (True, True),
    "other_case_manager": (False, False),
    "other_manager": (True, False),
    "central_senior": (False, False),
    "central_psychologist": (False, False),
    "outsider": (False, False),
    "superuser": (False, False),
}


@pytest.mark.parametrize("who", TOKEN_PAGE)
def test_token_page_is_for_team_administrators_and_managers(client, api, who):
    sees, revokes = TOKEN_PAGE[who]
    client.force_login(getattr(api, who))
    assert client.get(reverse("api:tokens")).status_code == (200 if sees else 404)
    revoke = reverse("api:token_revoke", kwargs={"pk": api.token.pk})
    assert client.post(revoke).status_code == (302 if revokes else 404)
    api.token.refresh_from_db()
    assert (api.token.revoked_at is not None) is revokes


def test_token_form_refuses_a_past_expiry(client, api):
    client.force_login(api.team_admin)
    data = {"team": api.yot_a.pk, "name": "X", "scopes": ["cases:read"], "expires_on": "2000-01-01"}
    response = client.post(reverse("api:tokens"), data)
    assert response.context["secret"] is None
    assert "after today" in response.content.decode()


def test_erasure_leaves_nothing_of_the_child_in_the_api_tables(client, api):
    """Pushes with idempotency keys keep ids only: after erasing the child, no table (the
    API's included) says anything that identifies them."""
    from ecm.erasure import erase_child
    from tests.ecm import test_erasure as e

    child = api.case.child
    child.first_name, child.last_name, child.date_of_birth = e.FIRST, e.LAST, e.DOB
    child.yot_reference, child.pnc_number = e.YOT_REF, e.PNC
    child.save()
    url = reverse("api:contacts", kwargs={"pk": api.case.pk})
    data = {
        "date": str(TODAY() - dt.timedelta(days=1)),
        "kind": "phone",
        "purpose": f"Call with {e.FIRST}",
        "outcome": f"{e.FIRST} {e.LAST} is well",
    }
    key = {"HTTP_IDEMPOTENCY_KEY": "contact-1"}
    assert (
        client.post(url, data, content_type="application/json", **key, **api.auth).status_code
        == 201
    )
    client.get(reverse("api:children"), {"yot_reference": e.YOT_REF}, **api.auth)
    assert "reviews_contact" in e.database_hits()
    assert not {t for t in e.database_hits() if t.startswith("api_")}
    for case in child.cases.all():
        case.status, case.closed_on = "closed", TODAY()
        case.save()
    erase_child(child.pk)
    assert e.database_hits() == {}
    assert IdempotencyKey.objects.count() == 1


@pytest.mark.parametrize("name", ["api:children", "api:cases"])
def test_lists_cost_a_constant_number_of_queries(client, api, name, django_assert_max_num_queries):
    from tests.factories import CaseFactory

    client.get(reverse(name), **api.auth)  # the token's last use is written once
    with django_assert_max_num_queries(12) as few:
        client.get(reverse(name), **api.auth)
    CaseFactory.create_batch(15, team=api.yot_a)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse(name), **api.auth)
    assert response.json()["count"] >= 15


def test_schema_and_docs_need_a_sign_in_or_a_token(client, api):
    assert client.get(reverse("api:schema")).status_code == 401
    assert client.get(reverse("api:docs")).status_code == 302  # to the sign-in page
    assert client.get(reverse("api:schema"), **api.auth).status_code == 200
    client.force_login(api.case_manager)
    assert client.get(reverse("api:docs")).status_code == 200
    schema = client.get(reverse("api:schema")).content.decode()
    assert "/api/v1/cases/{id}/offences/" in schema and "bearerAuth" in schema


def test_the_referral_is_read_through_the_case(client, api):
    import datetime as dt

    from ecm.models import AuditEvent
    from referrals.models import Referral

    url = reverse("api:referral", kwargs={"pk": api.case.pk})
    assert client.get(url, **api.auth).status_code == 404  # none started yet
    Referral.objects.create(
        case=api.case,
        referral_date=dt.date(2026, 10, 1),
        reason="Repeated thefts",
        status="submitted",
    )
    Referral.objects.create(case=api.other_case, reason="Not yours")
    response = client.get(url, **api.auth)
    assert response.status_code == 200
    body = response.json()
    assert body["case"] == api.case.pk and body["reason"] == "Repeated thefts"
    assert body["referral_date"] == "2026-10-01" and "assetplus_file" not in body
    assert AuditEvent.objects.filter(object_type="referrals.referral", detail="api").exists()
    other = reverse("api:referral", kwargs={"pk": api.other_case.pk})
    assert client.get(other, **api.auth).status_code == 404
    _t, wrong = make_token(api, scopes=[Scope.REPORTS_READ], name="Reports only")
    assert client.get(url, **wrong).status_code == 403


def test_an_offset_past_any_list_is_an_empty_page(client, api):
    huge = reverse("api:cases") + "?offset=10070028980446418504630927360&limit=99999"
    response = client.get(huge, **api.auth)
    assert response.status_code == 200
    assert response.json()["results"] == []
