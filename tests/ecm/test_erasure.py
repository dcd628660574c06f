"""Erasing a child (`ecm.erasure.erase_child`): every kind of record filled for one child,
erased, then the whole database and the private media folder searched for the child's
name, date of birth, PNC number and YOT reference; refused while an episode is open;
progress reported step by step."""

import datetime as dt
import io
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection, models
from django.utils import timezone
from pypdf import PdfReader

from ecm.audit import audit_record
from ecm.erasure import ERASED_REFERENCE_PREFIX, erase_child, registered_erasers
from ecm.models import Case, Child, ChildCorrection, Notification, Reminder
from formulation.meeting import services as meeting_services
from formulation.models import (
    Circulation,
    DevelopmentalMap,
    FamilyMember,
    Invitation,
    Partnership,
    Professional,
    ReportComment,
    ReportRender,
    SummaryItem,
    TimelineEvent,
    TRMFramework,
)
from formulation.report import services as rs
from referrals.models import (
    CheckResult,
    Consent,
    Criterion,
    EligibilityCheck,
    Offence,
    Referral,
    ReferralEvent,
    RuleSet,
)
from reviews.models import (
    Action,
    Closure,
    Contact,
    MissedAppointmentDecision,
    OutcomeRating,
    OutcomeSurvey,
    RecommendationProgress,
    Review,
    ReviewRecommendation,
    RiskRating,
    Transition,
    TRMStageRecord,
)
from supervision.models import Escalation, Session, SessionCase, Supervisee
from tests.factories import CaseFactory, held_meeting

#: Tables whose rows may still name the child after erasure: none (the audit log's rows are
#: pseudonymised by the erasure, `ecm.audit.audit_pseudonymise_child`).
NOT_YET_PSEUDONYMISED: set[str] = set()

FIRST, LAST = "Zebedee", "Quartermaine"
PREFERRED = "Zeb-Q"
DOB = dt.date(2009, 5, 14)
PNC = "19/1234567X"
YOT_REF = "YR-ZQ-77819"
#: What a stored record would say about the child, in every form it could take.
NEEDLES = [
    FIRST,
    LAST,
    PREFERRED,
    PNC,
    YOT_REF,
    DOB.isoformat(),  # 2009-05-14
    DOB.strftime("%d/%m/%Y"),  # 14/05/2009
    DOB.strftime("%d.%m.%Y"),
    DOB.strftime("%d-%m-%Y"),
    DOB.strftime("%Y%m%d"),
    DOB.strftime("%d %B %Y"),  # 14 May 2009
    DOB.strftime("%d %b %Y"),
    DOB.strftime("%B %d, %Y"),
    "14/5/2009",
]
#: The free text planted in every text field of every record (cut to each field's length).
SAYS = f"{FIRST} {LAST} ({PREFERRED}) born {DOB:%d/%m/%Y} PNC {PNC} ref {YOT_REF}"
#: Fields that are not free text (codes, keys, identifiers the product makes) or that the
#: erasure must find the row by: left as made.
NOT_TEXT = {"case_reference", "recipient_key", "leaflet_version", "key", "code", "link"}


def plant(obj, **extra):
    """Fill every free text field of `obj` with what identifies the child, and save."""
    for f in obj._meta.concrete_fields:
        if (
            f.name in NOT_TEXT
            or f.choices
            or not isinstance(f, models.CharField | models.TextField)
        ):
            continue
        if isinstance(f, models.EmailField):
            value = f"{FIRST}.{LAST}@example.org"
        elif isinstance(f, models.URLField):
            value = f"https://meet.example.org/{FIRST}-{LAST}"
        else:
            value = SAYS
        limit = f.max_length or len(value)
        setattr(obj, f.name, value if len(value) <= limit else LAST[:limit])
    for name, value in extra.items():
        setattr(obj, name, value)
    obj.save()
    return obj


def fill_everything(world, client, settings):
    """One child with every kind of record, through the services where they exist, every
    free text naming the child. Returns (child, case, path of the upload on disk)."""
    case = world.case
    child = case.child
    Child.objects.filter(pk=child.pk).update(
        first_name=FIRST,
        last_name=LAST,
        preferred_name=PREFERRED,
        date_of_birth=DOB,
        pnc_number=PNC,
        yot_reference=YOT_REF,
    )
    child.refresh_from_db()
    # An earlier, closed episode of the same child.
    earlier = CaseFactory(
        child=child,
        team=world.yot_a,
        status="closed",
        opened_on=dt.date(2023, 1, 5),
        closed_on=dt.date(2023, 9, 1),
        closure_reason="order_completed",
        case_manager=world.case_manager,
    )
    plant(earlier)
    ChildCorrection.objects.create(
        child=child,
        case=case,
        corrected_by=world.case_manager,
        reason=SAYS,
        changes=[{"field": "last_name", "old": LAST, "new": LAST}],
        corrected_by_name="cm",
    )
    # --- Referrals: the form, its upload on disk, its history, a check, consents, offences.
    referral = plant(
        Referral(case=case, status="decided", referral_date=dt.date(2025, 5, 20), disposal="yro")
    )
    referral.assetplus_file.save(
        "assetplus/2025/05/upload.pdf",
        ContentFile(f"%PDF-1.4\n% AssetPlus for {SAYS}\n".encode()),
        save=True,
    )
    upload = Path(settings.PRIVATE_MEDIA_ROOT) / referral.assetplus_file.name
    assert upload.exists()
    plant(ReferralEvent(referral=referral, kind="submitted"))
    rule_set = RuleSet.objects.filter(criteria__isnull=False).first()
    check = plant(
        EligibilityCheck(
            referral=referral, rule_set=rule_set, decision="accepted", exceptional_override=True
        )
    )
    plant(
        CheckResult(
            check_record=check,
            criterion=Criterion.objects.filter(rule_set=rule_set).first(),
            suggested="met",
            result="met",
        )
    )
    for kind in ("ecm_child", "parent_general", "evaluation"):
        plant(Consent(case=case, kind=kind, date=dt.date(2025, 6, 1)))
    offence = plant(Offence(case=case, date=dt.date(2025, 3, 3), gravity=3))
    # --- Formulation: meeting, invitations, map, placement, recommendation, genogram,
    # timeline, case summary, report with comments, a final version, circulation, a PDF.
    meeting = held_meeting(
        case=case,
        starts_at=timezone.now() - dt.timedelta(days=40),
        chair=world.senior,
        psychologist=world.psychologist,
        held_at=timezone.now() - dt.timedelta(days=40),
    )
    plant(meeting)
    # A partner professional of the team's directory (not the child: not planted).
    professional = Professional.objects.create(
        team=world.yot_a, name="Ms Teacher", role="Head of year", agency="education"
    )
    plant(
        Invitation(
            meeting=meeting, professional=professional, agency="education", status="attended"
        )
    )
    plant(Invitation(meeting=meeting, agency="camhs", status="apologies", delivery="pending"))
    plant(DevelopmentalMap(meeting=meeting))
    stage = TRMFramework.objects.filter(is_active=True).first().stages.first()
    placement = meeting_services.trm_placement_save(
        actor=world.psychologist,
        meeting=meeting,
        stage=stage,
        presentation=SAYS,
        underlying_need=SAYS,
        intervention_recommendation=SAYS,
    )
    plant(placement)
    recommendation = rs.recommendation_add(
        actor=world.psychologist,
        meeting=meeting,
        data={"intervention": SAYS, "owner_agency": "yot", "sequence": 1},
    )
    plant(recommendation)
    me = plant(FamilyMember(child=child, relationship="self", date_of_birth=DOB))
    mother = plant(FamilyMember(child=child, relationship="mother", year_of_birth=1990))
    plant(Partnership(child=child, a=me, b=mother))
    item = plant(SummaryItem(child=child, kind="school", start_date=dt.date(2015, 9, 1)))
    plant(TimelineEvent(child=child, category="education", start_date=DOB, source_item=None))
    plant(
        TimelineEvent(
            child=child, category="family", start_date=dt.date(2016, 1, 1), sensitive=True
        )
    )
    assert item.pk
    report = rs.report_start(actor=world.psychologist, case=case)
    report.refresh_from_db()
    report = rs.report_save(
        actor=world.psychologist,
        report=report,
        data=dict.fromkeys(
            ("summary", "needs", "development", "trm", "formulation", "voice", "plan"), SAYS
        ),
        expected_revision=report.revision,
    )
    rs.report_send_for_check(actor=world.psychologist, report=report)
    comment = rs.report_comment_add(
        actor=world.case_manager, report=report, section="summary", text=SAYS
    )
    rs.report_comment_resolve(actor=world.psychologist, comment=comment, response=SAYS)
    rs.report_approve(actor=world.case_manager, report=report)
    report.refresh_from_db()
    version = rs.report_finalise(
        actor=world.psychologist, report=report, expected_revision=report.revision
    )
    plant(version, sections={"summary": SAYS}, recommendations=[{"intervention": SAYS}])
    plant(ReportComment.objects.filter(report=report).first())
    circulation = plant(
        Circulation(
            report=report,
            version=version,
            agency="health",
            sent_on=dt.date(2025, 8, 1),
            purpose_kind="other",
            scope="full",
        )
    )
    job = rs.report_render_request(actor=world.psychologist, report=report, version=version)
    assert rs.report_render_run(job.pk) == "done"
    job.refresh_from_db()
    pdf_text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(bytes(job.pdf))).pages)
    assert LAST in pdf_text  # the rendered PDF names the child
    assert circulation.pk
    # --- Reviews: a review with everything, actions, TRM record, contacts, closure.
    review = plant(
        Review(
            case=case, held_on=dt.date(2025, 9, 1), reoffended=True, breach=True, plan_changed=True
        )
    )
    plant(ReviewRecommendation(review=review))
    plant(
        RecommendationProgress(review=review, recommendation=recommendation, status="in_progress")
    )
    plant(Action(case=case, recommendation=recommendation, due_on=dt.date(2025, 10, 1)))
    plant(TRMStageRecord(case=case, review=review, stage=stage, recorded_on=review.held_on))
    plant(Contact(case=case, date=dt.date(2025, 9, 10), kind="missed"))
    plant(
        MissedAppointmentDecision(
            case=case,
            decided_on=dt.date(2025, 9, 20),
            missed_count=4,
            decision="warning",
            decided_by=world.manager,
            psychologist=world.psychologist,
        )
    )
    RiskRating.objects.create(
        case=case,
        point="closure",
        reoffending=2,
        serious_harm=2,
        vulnerability=3,
        recorded_on=dt.date(2025, 10, 1),
    )
    survey = OutcomeSurvey.objects.create(
        case=case, point="closure", completed_on=dt.date(2025, 10, 1)
    )
    OutcomeRating.objects.create(survey=survey, domain="living", change="improved", concern="low")
    closure = plant(
        Closure(case=case, review=review, reason="order_completed", closed_on=dt.date(2025, 10, 2))
    )
    Transition.objects.create(closure=closure, destination="probation", sections=["summary"])
    # --- Supervision: the case discussed, a decision summary, notes naming the child.
    session = plant(
        Session(
            psychologist=world.psychologist,
            team=world.yot_a,
            starts_at=timezone.now() - dt.timedelta(days=20),
            ends_at=timezone.now() - dt.timedelta(days=20, hours=-1),
        )
    )
    plant(Supervisee(session=session, user=world.case_manager))
    plant(SessionCase(session=session, case=case))
    plant(
        Escalation(
            session=session,
            supervisee=world.case_manager,
            case=case,
            discussed_on=dt.date(2025, 9, 1),
            raised_on=dt.date(2025, 9, 2),
        )
    )
    # --- Reminders, notifications, the admin's change history.
    reminder = plant(
        Reminder(
            kind="review_due",
            object_type="ecm.case",
            object_id=case.pk,
            occurrence=dt.date(2025, 9, 1),
            recipient=world.case_manager,
            recipient_key=f"user:{world.case_manager.pk}",
            case_reference=case.reference,
            link=f"/cases/{case.pk}/",
        )
    )
    plant(
        Notification(user=world.case_manager, reminder=reminder, link=f"/cases/{case.pk}/reviews/")
    )
    plant(Notification(user=world.manager, link=f"/cases/{case.pk}/"))
    LogEntry.objects.create(
        user=world.superuser,
        content_type=ContentType.objects.get_for_model(Child),
        object_id=str(child.pk),
        object_repr=str(child),
        action_flag=CHANGE,
        change_message=SAYS,
    )
    # The episode ends (the erasure needs every episode ended).
    Case.objects.filter(pk=case.pk).update(
        status="closed", closed_on=timezone.localdate(), closure_reason="order_completed"
    )
    plant(Case.objects.get(pk=case.pk))
    assert offence.pk
    return child, case, upload


def _bytes_say(data: bytes) -> set[str]:
    found = {n for n in NEEDLES if n.lower().encode() in data.lower()}
    if data.startswith(b"%PDF"):
        try:
            text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
        except Exception:  # noqa: BLE001  (not a PDF we can read: the raw bytes are searched)
            text = ""
        found |= {n for n in NEEDLES if n.lower() in text.lower()}
    return found


def database_hits() -> dict[str, set[str]]:
    """{table: needles found} over every row of every table, each row cast to text, and
    every binary column read as bytes (a PDF's text extracted)."""
    hits: dict[str, set[str]] = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT t::text FROM "{table}" AS t')  # noqa: S608 (our own tables)
            for (row,) in cursor.fetchall():
                lowered = row.lower()
                found = {n for n in NEEDLES if n.lower() in lowered}
                if found:
                    hits.setdefault(table, set()).update(found)
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND data_type = 'bytea'"
        )
        for table, column in cursor.fetchall():
            cursor.execute(f'SELECT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL')  # noqa: S608
            for (value,) in cursor.fetchall():
                if found := _bytes_say(bytes(value)):
                    hits.setdefault(table, set()).update(found)
    return hits


def media_hits() -> dict[str, set[str]]:
    """{path: needles found} over every file (its name and bytes) of the private media."""
    hits: dict[str, set[str]] = {}
    for root, _dirs, files in os.walk(settings.PRIVATE_MEDIA_ROOT):
        for name in files:
            path = Path(root) / name
            found = _bytes_say(path.read_bytes()) | _bytes_say(str(path).encode())
            if found:
                hits[str(path)] = found
    return hits


def test_erasing_leaves_nothing_that_identifies_the_child(
    world, client, settings, django_capture_on_commit_callbacks
):
    child, case, upload = fill_everything(world, client, settings)
    # A reason typed about the child, as audit rows' details may hold (e.g. a re-opening's).
    audit_record(actor=world.senior, action="update", obj=case, detail=f"{FIRST} {LAST} back")
    before = database_hits()
    # The search finds the child everywhere it was written (so that it can fail).
    for table in (
        "ecm_auditevent",
        "ecm_child",
        "ecm_childcorrection",
        "ecm_reminder",
        "ecm_notification",
        "django_admin_log",
        "referrals_referral",
        "referrals_consent",
        "referrals_eligibilitycheck",
        "formulation_meeting",
        "formulation_invitation",
        "formulation_familymember",
        "formulation_timelineevent",
        "formulation_summaryitem",
        "formulation_report",
        "formulation_reportversion",
        "formulation_reportrender",
        "reviews_review",
        "reviews_action",
        "reviews_contact",
        "reviews_closure",
        "supervision_session",
        "supervision_sessioncase",
    ):
        assert table in before, table
    assert {DOB.isoformat(), PNC, YOT_REF, FIRST, LAST} <= before["ecm_child"]
    assert media_hits(), "the upload names the child"

    with django_capture_on_commit_callbacks(execute=True):
        summary = erase_child(child.pk)

    after = {t: found for t, found in database_hits().items() if t not in NOT_YET_PSEUDONYMISED}
    assert after == {}, sorted(after)
    assert media_hits() == {}
    assert not upload.exists()
    # Counts only, per kind.
    assert all(isinstance(n, int) for n in summary.values())
    assert summary["children"] == 1 and summary["uploads"] == 1 and summary["report_pdfs"] == 1
    assert summary["genogram_people"] == 2 and summary["supervision_case_links"] == 1
    assert summary["audit_events"] > 0
    call_command("audit_verify")  # the chain holds after the pseudonymisation
    # The anonymous stub: the episodes and their facts are still there.
    child.refresh_from_db()
    assert child.yot_reference.startswith(ERASED_REFERENCE_PREFIX)
    assert (child.first_name, child.pnc_number, child.gender) == ("Erased", "", "male")
    assert (child.date_of_birth.year, child.date_of_birth.month) == (DOB.year, DOB.month)
    assert child.date_of_birth != DOB
    assert Case.objects.filter(child=child).count() == 2
    assert Review.objects.filter(case=case, reoffended=True, breach=True).count() == 1
    assert Offence.objects.get(case=case).gravity == 3
    assert Invitation.objects.filter(meeting__case=case, status="attended").count() == 1
    assert not Invitation.objects.filter(delivery="pending").exists()  # no e-mail left queued
    assert not SessionCase.objects.exists() and Session.objects.count() == 1
    assert Escalation.objects.get().case is None
    assert not ReportRender.objects.exists() and not FamilyMember.objects.exists()
    # Running it again (a failed erasure completed) changes nothing more.
    again = erase_child(child.pk)
    assert again["children"] == 0
    child.refresh_from_db()
    assert child.yot_reference.startswith(ERASED_REFERENCE_PREFIX)


def test_erasure_is_refused_while_an_episode_is_open(world):
    child = world.case.child  # world.case is active
    earlier = CaseFactory(
        child=child, team=world.yot_a, status="closed", closed_on=timezone.localdate()
    )
    names = (child.first_name, child.last_name)
    with pytest.raises(ValidationError) as refused:
        erase_child(child.pk)
    assert world.case.reference in str(refused.value)
    assert "open" in str(refused.value)
    child.refresh_from_db()
    assert (child.first_name, child.last_name) == names  # nothing was touched
    earlier.refresh_from_db()
    assert earlier.status == "closed"


def test_erasure_of_an_unknown_child_is_refused(db):
    with pytest.raises(ValidationError):
        erase_child(987654)


def test_progress_is_reported_with_increasing_done(world):
    child = world.case.child
    Case.objects.filter(pk=world.case.pk).update(status="closed", closed_on=timezone.localdate())
    calls = []
    erase_child(child.pk, progress=lambda done, total, step: calls.append((done, total, step)))
    dones = [done for done, _total, _step in calls]
    assert dones == list(range(len(calls)))  # 0, 1, 2, ... increasing by one
    total = calls[0][1]
    assert all(t == total for _d, t, _s in calls) and dones[-1] == total
    steps = [step for _d, _t, step in calls[1:]]
    assert steps == [*registered_erasers(), "ecm"]
    assert {"referrals", "formulation", "reviews", "supervision"} <= set(steps)
