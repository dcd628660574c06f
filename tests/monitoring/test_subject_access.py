"""Subject access (issue 20): a manager of the child's team produces everything held about the
child as one zip (readable HTML + JSON), after deciding on the third-party information in it;
withheld items are absent from both copies and listed with their reason; the build runs in a
worker with progress; the download is access-checked and audited."""

from __future__ import annotations

import datetime as dt
import io
import json
import time
import zipfile

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from ecm.audit import audit_record
from ecm.models import AuditEvent
from formulation.models import (
    Circulation,
    FamilyMember,
    Invitation,
    Report,
    ReportVersion,
    SummaryItem,
    TimelineEvent,
)
from monitoring.subject_access import services
from monitoring.subject_access.models import RedactionItem, SubjectAccessRequest
from referrals.models import Consent, Referral
from referrals.storage import private_storage
from reviews.models import Action, Contact, Review
from supervision.models import Session, SessionCase
from tests.factories import held_meeting

K = RedactionItem.Kind
TODAY = timezone.localdate


def fill_record(w):
    """One of every kind of record for world.case's child, with recognisable texts."""
    case = w.case
    child = case.child
    referral = Referral.objects.create(
        case=case, reason="REFERRAL-REASON-TEXT", referral_date=TODAY() - dt.timedelta(days=80)
    )
    referral.assetplus_file.save("asset.pdf", ContentFile(b"%PDF-1.4 ASSETPLUS-BYTES"), save=False)
    referral.assetplus_name = "assetplus-tyler.pdf"
    referral.save()
    Consent.objects.create(
        case=case, kind=Consent.Kind.ECM_CHILD, date=TODAY(), notes="CONSENT-NOTE"
    )
    meeting = held_meeting(
        case=case,
        starts_at=timezone.now() - dt.timedelta(days=30),
        chair=w.senior,
        psychologist=w.psychologist,
        minutes_case_history="MINUTES-HISTORY-TEXT",
        minutes_additional="OTHERS-SAID-TEXT",
    )
    Invitation.objects.create(
        meeting=meeting, name="Bethan Social", agency="social_services", status="attended"
    )
    Invitation.objects.create(
        meeting=meeting,
        name="Dr Carys Health",
        agency="health",
        status="apologies",
        written_information="WRITTEN-CONTRIBUTION-TEXT",
    )
    FamilyMember.objects.create(child=child, name="Mam Gwen", relationship="mother")
    FamilyMember.objects.create(child=child, name="Uncle Secretive", relationship="aunt_uncle")
    TimelineEvent.objects.create(
        child=child,
        title="MOVED-SCHOOL-EVENT",
        category="education",
        start_date=dt.date(2020, 9, 1),
    )
    TimelineEvent.objects.create(
        child=child,
        title="SENSITIVE-EVENT-TEXT",
        category="family",
        start_date=dt.date(2019, 3, 1),
        sensitive=True,
    )
    SummaryItem.objects.create(child=child, kind="strength", title="SUMMARY-STRENGTH-TEXT")
    report = Report.objects.create(
        case=case,
        meeting=meeting,
        psychologist=w.psychologist,
        due_on=TODAY(),
        summary="REPORT-DRAFT-TEXT",
        status=Report.Status.FINAL,
    )
    version = ReportVersion.objects.create(
        report=report,
        number=1,
        sections={"summary": "REPORT-V1-TEXT"},
        timeline_svg="<svg>SENSITIVE-EVENT-TEXT</svg>",
    )
    Circulation.objects.create(
        report=report,
        version=version,
        recipient_name="Sam School",
        agency="education",
        sent_on=TODAY(),
        purpose_kind=Circulation._meta.get_field("purpose_kind").choices[0][0],
        purpose="PURPOSE",
        scope=Circulation._meta.get_field("scope").choices[0][0],
    )
    Review.objects.create(
        case=case,
        held_on=TODAY(),
        discussion="REVIEW-DISCUSSION-TEXT",
        present_others="Rhys Housing (housing officer)",
    )
    Action.objects.create(
        case=case,
        description="ACTION-TEXT",
        due_on=TODAY(),
        owner_name="Pat Partner",
        owner_agency="education",
    )
    Contact.objects.create(
        case=case,
        date=TODAY(),
        kind="face_to_face",
        purpose="CONTACT-PURPOSE-TEXT",
        outcome="Talked about visiting uncle secretive at the weekend.",
    )
    session = Session.objects.create(
        psychologist=w.psychologist,
        team=w.yot_a,
        starts_at=timezone.now() - dt.timedelta(days=5),
        ends_at=timezone.now() - dt.timedelta(days=5, hours=-1),
        notes="CONFIDENTIAL-SUPERVISION-NOTES",
    )
    SessionCase.objects.create(session=session, case=case, decision_summary="DECISION-SUMMARY-TEXT")
    audit_record(actor=w.case_manager, action=AuditEvent.Action.VIEW, obj=case, detail="case page")
    return case


def decide_all(sar, actor, withhold=()):
    """Release every item, except those of `withhold` ({(kind, label start): reason})."""
    decisions = {}
    for item in sar.items.all():
        reason = next(
            (
                r
                for (kind, start), r in dict(withhold).items()
                if item.kind == kind and item.label.startswith(start)
            ),
            None,
        )
        decisions[item.pk] = ("withhold", reason) if reason else ("release", "")
    services.subject_access_decide(actor=actor, sar=sar, decisions=decisions)


def built(w, withhold=()):
    case = fill_record(w)
    sar = services.subject_access_request(
        actor=w.manager, case=case, requester="The child", received_on=TODAY()
    )
    decide_all(sar, w.manager, withhold)
    sar = services.subject_access_release(actor=w.manager, sar=sar, version=sar.version)
    assert services.subject_access_build(sar.pk) == "done"
    sar.refresh_from_db()
    return sar


def open_bundle(sar):
    with private_storage().open(sar.bundle.name, "rb") as fh:
        zf = zipfile.ZipFile(io.BytesIO(fh.read()))
    return zf, zf.read("index.html").decode(), json.loads(zf.read("data.json"))


@pytest.mark.django_db
def test_the_flagged_third_party_information(world):
    case = fill_record(world)
    sar = services.subject_access_request(
        actor=world.manager, case=case, requester="The child", received_on=TODAY()
    )
    kinds = sorted(sar.items.values_list("kind", flat=True))
    assert kinds == sorted(
        [
            K.FAMILY_MEMBER,
            K.FAMILY_MEMBER,
            K.PROFESSIONAL,
            K.PROFESSIONAL,
            K.WRITTEN,
            K.MEETING_OTHERS,
            K.CIRCULATION,
            K.TIMELINE_EVENT,  # the sensitive one only
            K.REFERRAL_UPLOAD,
            K.ACTION_OWNER,
            K.REVIEW_OTHERS,
        ]
    )
    assert sar.status == SubjectAccessRequest.Status.REVIEW
    assert AuditEvent.objects.filter(
        action="create", object_type="monitoring.subjectaccessrequest", child=case.child
    ).exists()


@pytest.mark.django_db
def test_the_bundle_holds_every_kind_of_record(world):
    sar = built(world)
    zf, html, data = open_bundle(sar)
    assert sar.status == "done" and sar.bundle_size > 0
    assert not sar.bundle.name.startswith("/") and "subject-access/" in sar.bundle.name
    assert {"index.html", "bundle.css", "data.json"} <= set(zf.namelist())
    child = world.case.child
    assert child.full_name in html and child.first_name == data["child"]["first_name"]
    assert "MOVED-SCHOOL-EVENT" in html and "SENSITIVE-EVENT-TEXT" in html
    assert data["format"] == "ecm-subject-access/1"
    episode = data["episodes"][0]
    assert episode["reference"] == world.case.reference
    for key, text in [
        ("referral", "REFERRAL-REASON-TEXT"),
        ("consents", "CONSENT-NOTE"),
        ("meetings", "MINUTES-HISTORY-TEXT"),
        ("meeting_attendees", "WRITTEN-CONTRIBUTION-TEXT"),
        ("report", "REPORT-DRAFT-TEXT"),
        ("report_versions", "REPORT-V1-TEXT"),
        ("circulations", "Sam School"),
        ("reviews", "REVIEW-DISCUSSION-TEXT"),
        ("actions", "ACTION-TEXT"),
        ("contacts", "CONTACT-PURPOSE-TEXT"),
        ("supervision_decisions", "DECISION-SUMMARY-TEXT"),
    ]:
        assert text in json.dumps(episode[key]), key
        assert text in html, key
    for key, text in [
        ("genogram", "Mam Gwen"),
        ("timeline", "MOVED-SCHOOL-EVENT"),
        ("case_summary", "SUMMARY-STRENGTH-TEXT"),
    ]:
        assert text in json.dumps(data[key]), key
    # The upload is in the zip, and named in the referral's record.
    upload = episode["referral"][0]["upload_in_bundle"]
    assert zf.read(upload) == b"%PDF-1.4 ASSETPLUS-BYTES"
    # The log of who viewed or exported the record.
    actions = {row["action"] for row in data["audit_log"]}
    assert str(AuditEvent.Action.VIEW.label) in actions
    assert any(row["actor_username"] == "cm_a" for row in data["audit_log"])
    assert all("ip_address" not in row for row in data["audit_log"])
    # Supervision: the decision summary, never the session's content; drawings left out.
    assert "CONFIDENTIAL-SUPERVISION-NOTES" not in html + json.dumps(data)
    assert "<svg" not in html
    assert any("supervision" in note.lower() for note in data["notes"])
    assert data["withheld"] == [] and "Nothing was withheld" in html
    # Self-contained: nothing fetched from anywhere.
    assert "http://" not in html and "https://" not in html and "<script" not in html


@pytest.mark.django_db
def test_withheld_items_are_absent_and_listed_with_their_reason(world):
    sar = built(
        world,
        withhold={
            (K.TIMELINE_EVENT, "1 Mar 2019: SENS"): "Names a third party who has not consented",
            (K.FAMILY_MEMBER, "Uncle Secretive"): "Third party: not known to the child",
            (
                K.WRITTEN,
                "Written information from Dr Carys",
            ): "Health information given in confidence",
            (K.REFERRAL_UPLOAD, "assetplus"): "Holds others' information",
            (K.ACTION_OWNER, "Pat Partner"): "Partner's name not released",
            (K.REVIEW_OTHERS, "Rhys Housing"): "Partner's name not released",
        },
    )
    zf, html, data = open_bundle(sar)
    everything = html + json.dumps(data, ensure_ascii=False)
    for secret in (
        "SENSITIVE-EVENT-TEXT",
        "Uncle Secretive",
        "WRITTEN-CONTRIBUTION-TEXT",
        "assetplus-tyler.pdf",
        "Pat Partner",
        "Rhys Housing",
    ):
        assert secret not in everything, secret
    # A withheld person's name is taken out of free text too, whatever its case.
    assert "uncle secretive" not in everything.lower()
    assert "Talked about visiting [name withheld] at the weekend." in everything
    assert "ACTION-TEXT" in everything  # the action stays, without its owner's name
    assert not [n for n in zf.namelist() if n.startswith("files/")]
    # ... while what was released stays.
    assert "MOVED-SCHOOL-EVENT" in everything and "Mam Gwen" in everything
    assert "Dr Carys Health" in everything  # the attendee was released, not their contribution
    reasons = {w["reason"] for w in data["withheld"]}
    assert reasons == {
        "Names a third party who has not consented",
        "Third party: not known to the child",
        "Health information given in confidence",
        "Holds others' information",
        "Partner's name not released",
    }
    for reason in reasons:
        assert reason.replace("'", "&#x27;") in html
    assert {w["kind"] for w in data["withheld"]} >= {str(K.TIMELINE_EVENT.label)}


@pytest.mark.django_db
def test_decisions_and_release_are_checked(world):
    case = fill_record(world)
    sar = services.subject_access_request(
        actor=world.manager, case=case, requester="Parent", received_on=TODAY()
    )
    item = sar.items.first()
    with pytest.raises(ValidationError):  # a reason is needed to withhold
        services.subject_access_decide(
            actor=world.manager, sar=sar, decisions={item.pk: ("withhold", " ")}
        )
    with pytest.raises(ValidationError):  # undecided items
        services.subject_access_release(actor=world.manager, sar=sar, version=sar.version)
    for actor in (world.case_manager, world.senior, world.other_manager):
        with pytest.raises(PermissionDenied):
            services.subject_access_request(
                actor=actor, case=case, requester="x", received_on=TODAY()
            )
    decide_all(sar, world.manager)
    from ecm.editing import StaleEditError

    with pytest.raises(StaleEditError):
        services.subject_access_release(actor=world.manager, sar=sar, version=sar.version - 1)


@pytest.mark.django_db
def test_new_third_party_information_sends_it_back_to_review(world):
    case = fill_record(world)
    sar = services.subject_access_request(
        actor=world.manager, case=case, requester="The child", received_on=TODAY()
    )
    decide_all(sar, world.manager)
    services.subject_access_release(actor=world.manager, sar=sar, version=sar.version)
    FamilyMember.objects.create(child=case.child, name="New Stepdad", relationship="step_parent")
    assert services.subject_access_build(sar.pk) == "review"
    sar.refresh_from_db()
    assert sar.status == "review" and not sar.bundle
    assert sar.items.get(label__startswith="New Stepdad").decision == "pending"


# --- pages ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_pages_and_access(world, client, django_assert_max_num_queries):
    sar = built(world, withhold={(K.FAMILY_MEMBER, "Uncle"): "Third party"})
    detail = reverse("monitoring:subject_access", args=[sar.pk])
    download = reverse("monitoring:subject_access_download", args=[sar.pk])
    child_page = reverse("monitoring:subject_access_child", args=[world.case.pk])
    # Another team's manager: the request does not exist for them.
    client.force_login(world.other_manager)
    for url in (detail, download, child_page):
        assert client.get(url).status_code == 404
    # Team members in other roles: forbidden (the case page) or not found (the request).
    for user in (world.case_manager, world.senior, world.psychologist, world.team_admin):
        client.force_login(user)
        assert client.get(detail).status_code == 404
        assert client.get(download).status_code == 404
        assert client.get(child_page).status_code in (403, 404)
    client.force_login(world.outsider)
    assert client.get(download).status_code == 404
    # The manager.
    client.force_login(world.manager)
    with django_assert_max_num_queries(12):
        page = client.get(detail)
    assert page.status_code == 200 and b"Download the bundle" in page.content
    with django_assert_max_num_queries(12):
        page = client.get(child_page)
    assert page.status_code == 200
    before = AuditEvent.objects.filter(action="export", child=world.case.child).count()
    response = client.get(download)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert response["Cache-Control"] == "no-store, private"
    zipfile.ZipFile(
        io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content)
    ).getinfo("data.json")
    exports = AuditEvent.objects.filter(action="export", child=world.case.child)
    assert exports.count() == before + 1
    assert exports.order_by("-pk").first().detail == "subject access bundle downloaded"
    assert exports.filter(detail__startswith="subject access bundle built").exists()


@pytest.mark.django_db
def test_review_page_and_request_form(world, client, django_assert_max_num_queries):
    case = fill_record(world)
    client.force_login(world.manager)
    url = reverse("monitoring:subject_access_child", args=[case.pk])
    bad = client.post(url, {"requester": "", "received_on": ""})
    assert bad.status_code == 400
    response = client.post(url, {"requester": "Her solicitor", "received_on": TODAY().isoformat()})
    sar = SubjectAccessRequest.objects.get()
    assert response.status_code == 302 and response.url.endswith(f"/subject-access/{sar.pk}/")
    with django_assert_max_num_queries(12):
        page = client.get(response.url)
    assert b"Uncle Secretive" in page.content and b"Release and build" not in page.content
    items = list(sar.items.all())
    data = {f"decision_{i.pk}": "release" for i in items}
    data[f"decision_{items[0].pk}"] = "withhold"  # no reason: refused, what was typed kept
    refused = client.post(reverse("monitoring:subject_access_decide", args=[sar.pk]), data)
    assert refused.status_code == 400 and b"Give the reason" in refused.content
    data[f"reason_{items[0].pk}"] = "Third party"
    saved = client.post(reverse("monitoring:subject_access_decide", args=[sar.pk]), data)
    assert saved.status_code == 302
    page = client.get(saved.url)
    assert b"Release and build" in page.content
    stale = client.post(
        reverse("monitoring:subject_access_release", args=[sar.pk]), {"version": sar.version - 1}
    )
    assert stale.status_code == 409
    sar.refresh_from_db()
    released = client.post(
        reverse("monitoring:subject_access_release", args=[sar.pk]), {"version": sar.version}
    )
    assert released.status_code == 302
    audited = AuditEvent.objects.count()
    poll = client.get(released.url, HTTP_HX_REQUEST="true", HTTP_X_ECM_BACKGROUND_POLL="1")
    assert b"X-ECM-Background-Poll" in poll.content and b"<progress" in poll.content
    assert AuditEvent.objects.count() == audited  # a background poll is not a view
    # The case page links to it, for the team's manager only.
    case_page = client.get(reverse("case_detail", args=[case.pk]))
    assert reverse("monitoring:subject_access_child", args=[case.pk]).encode() in case_page.content
    client.force_login(world.case_manager)
    case_page = client.get(reverse("case_detail", args=[case.pk]))
    assert b"subject-access" not in case_page.content


# --- a real worker --------------------------------------------------------------------------


@pytest.mark.redis
def test_bundle_built_by_a_real_worker(world_worker, client):
    world = world_worker
    case = fill_record(world)
    sar = services.subject_access_request(
        actor=world.manager, case=case, requester="The child", received_on=TODAY()
    )
    decide_all(sar, world.manager)
    client.force_login(world.manager)
    response = client.post(
        reverse("monitoring:subject_access_release", args=[sar.pk]), {"version": sar.version}
    )
    assert response.status_code == 302
    deadline = time.monotonic() + 30
    seen_progress = set()
    while time.monotonic() < deadline:
        sar.refresh_from_db()
        seen_progress.add(sar.progress_done)
        if sar.status in ("done", "failed"):
            break
        time.sleep(0.2)
    assert sar.status == "done", sar.error
    assert sar.progress_done == sar.progress_total > 0
    poll = client.get(
        reverse("monitoring:subject_access", args=[sar.pk]),
        HTTP_HX_REQUEST="true",
        HTTP_X_ECM_BACKGROUND_POLL="1",
    )
    assert b"Download the bundle" in poll.content
    assert (
        client.get(reverse("monitoring:subject_access_download", args=[sar.pk])).status_code == 200
    )


@pytest.fixture
def world_worker(transactional_db):
    from celery.contrib.testing.worker import start_worker
    from django.conf import settings

    from ecm.celery import app
    from tests.conftest import build_world

    assert settings.CELERY_BROKER_URL.startswith("redis://"), "tests need REDIS_URL"
    app.conf.broker_url = settings.CELERY_BROKER_URL
    world = build_world()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield world


@pytest.mark.django_db
def test_the_demo_leaves_one_completed_bundle(client):
    from django.core.management import call_command

    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)  # idempotent: still one request
    sar = SubjectAccessRequest.objects.get()
    assert sar.status == "done" and sar.child.yot_reference == "NG-1001"
    zf, html, data = open_bundle(sar)
    assert sar.child.full_name in html
    assert len(data["withheld"]) == 1 and data["withheld"][0]["reason"]
    assert data["episodes"][0]["reviews"] and data["timeline"] and data["genogram"]
    from ecm.models import User

    client.force_login(User.objects.get(username="manager"))
    assert (
        client.get(reverse("monitoring:subject_access_download", args=[sar.pk])).status_code == 200
    )
    client.force_login(User.objects.get(username="riversidemanager"))
    assert (
        client.get(reverse("monitoring:subject_access_download", args=[sar.pk])).status_code == 404
    )


@pytest.mark.django_db(transaction=True)
def test_erasing_the_child_removes_requests_and_bundles(world):
    from ecm.erasure import erase_child, registered_erasers
    from ecm.models import Case

    assert "subject_access" in registered_erasers()
    sar = built(world)
    name = sar.bundle.name
    assert private_storage().exists(name)
    Case.objects.filter(child=sar.child).update(status="closed", closed_on=TODAY())
    summary = erase_child(sar.child_id)
    assert summary["subject_access_bundles"] == 1 and summary["subject_access_requests"] == 1
    assert not private_storage().exists(name)
    assert not SubjectAccessRequest.objects.exists() and not RedactionItem.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "own", "other", "referred"),
    [
        ("manager", True, False, True),
        ("other_manager", False, True, False),
        ("case_manager", False, False, False),
        ("senior", False, False, False),
        ("psychologist", False, False, False),
        ("team_admin", False, False, False),
        ("central_senior", False, False, False),
        ("central_psychologist", False, False, False),
        ("outsider", False, False, False),
        ("superuser", False, False, False),
    ],
)
def test_who_handles_subject_access(world, who, own, other, referred):
    from ecm.access import Access

    access = Access(getattr(world, who))
    assert access.can_handle_subject_access(world.case) is own
    assert access.can_handle_subject_access(world.other_case) is other
    assert access.can_handle_subject_access(world.referred_case) is referred


@pytest.mark.django_db
def test_the_review_page_costs_the_same_however_many_items(world, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case = fill_record(world)
    client.force_login(world.manager)

    def queries(sar):
        url = reverse("monitoring:subject_access", args=[sar.pk])
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    small = services.subject_access_request(
        actor=world.manager, case=case, requester="x", received_on=TODAY()
    )
    for n in range(15):
        FamilyMember.objects.create(child=case.child, name=f"Cousin {n}", relationship="cousin")
    large = services.subject_access_request(
        actor=world.manager, case=case, requester="x", received_on=TODAY()
    )
    assert large.items.count() == small.items.count() + 15
    assert queries(large) == queries(small)


@pytest.mark.django_db
def test_a_release_no_worker_finished_can_be_released_again(world, client):
    import time_machine

    case = fill_record(world)
    sar = services.subject_access_request(
        actor=world.manager, case=case, requester="The child", received_on=TODAY()
    )
    decide_all(sar, world.manager)
    sar = services.subject_access_release(actor=world.manager, sar=sar, version=sar.version)
    with pytest.raises(ValidationError):  # in a worker's hands: not twice
        services.subject_access_release(actor=world.manager, sar=sar, version=sar.version)
    client.force_login(world.manager)
    url = reverse("monitoring:subject_access", args=[sar.pk])
    assert b"Try again" not in client.get(url).content
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=31)):
        client.force_login(world.manager)  # (the first session has timed out)
        assert b"Try again" in client.get(url).content
        sar = services.subject_access_release(actor=world.manager, sar=sar, version=sar.version)
    assert services.subject_access_build(sar.pk) == "done"
    assert services.subject_access_build(sar.pk) == "skipped"  # a second delivery builds once
