"""Demo data for the formulation workspace (called by seed_demo after referrals.demo)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from ecm.dates import add_months
from ecm.models import Case, CaseStatus, Team

from .genogram import services as genogram
from .meeting import services
from .models import (
    Agency,
    Category,
    FamilyMember,
    Invitation,
    Meeting,
    Partnership,
    Professional,
    Sex,
    TeamFormulationSettings,
    TRMFramework,
)
from .report import services as reports
from .timeline import services as timeline

PROFESSIONALS = [
    ("Bethan Rowlands", "Social worker", "social_services", "b.rowlands@example.org"),
    ("Mark Ellis", "Foster carer", "foster_carer", "m.ellis@example.org"),
    ("Priya Shah", "Head of year", "education", "p.shah@example.org"),
    ("Dr Tom Walsh", "CAMHS clinician", "camhs", "t.walsh@example.org"),
    ("Sian Howells", "School nurse", "health", "s.howells@example.org"),
    ("PC Aled Morgan", "Police liaison officer", "police", "a.morgan@example.org"),
    ("Nia Clarke", "Housing support worker", "housing", "not-an-address"),
    ("Rob Fisher", "Substance misuse worker", "substance_misuse", "r.fisher@example.org"),
]

# (name, relationship, sex, year, deceased, lives_with, flags, parents)
FAMILY = [
    ("Kerry", "mother", "female", -28, False, True, {"mental_health", "domestic_abuse"}, ()),
    ("Darren", "father", "male", -32, False, False, {"imprisonment", "substance_misuse"}, ()),
    ("Gary", "step_parent", "male", -35, False, True, set(), ()),
    ("Jade", "sibling", "female", 2, False, True, set(), ("Kerry", "Darren")),
    ("Connor", "half_sibling", "male", -3, False, False, set(), ("Darren",)),
    ("Lily", "half_sibling", "female", 6, False, True, set(), ("Kerry", "Gary")),
    ("Mia", "half_sibling", "female", 8, False, True, set(), ("Kerry", "Gary")),
    ("Nan Pat", "grandparent", "female", -55, False, False, set(), ()),
    ("Grandad Bill", "grandparent", "male", -58, True, False, set(), ()),
    ("Auntie Sam", "aunt_uncle", "female", -25, False, False, {"substance_misuse"}, ()),
    ("Uncle Lee", "aunt_uncle", "male", -30, False, False, set(), ()),
]

# (years after birth, month, title, category, precision, span months, shared by)
EVENTS = [
    (-1, 6, "Mother's pregnancy: little antenatal care", "health", "month", 0, "Health visitor"),
    (-1, 9, "Domestic abuse reported during pregnancy", "family", "month", 0, "Police"),
    (0, 2, "Born early (35 weeks), low birth weight", "health", "month", 0, "Health"),
    (0, 8, "Health visitor: concerns about bonding", "health", "month", 0, "Health visitor"),
    (1, 4, "Father imprisoned", "family", "month", 18, "Probation"),
    (1, 10, "Moves to Nan Pat's for three months", "accommodation", "month", 3, "Family"),
    (2, 3, "Sister Jade born", "family", "month", 0, "Family"),
    (2, 11, "Child protection plan: neglect", "social_care", "month", 14, "Social care"),
    (3, 5, "Speech delay noted at 2½-year check", "health", "approx", 0, "Health"),
    (4, 9, "Starts nursery: poor attendance", "education", "month", 0, "School"),
    (5, 1, "Head injury: fall from window, A&E", "health", "day", 0, "Health"),
    (5, 9, "Starts primary school", "education", "month", 0, "School"),
    (6, 2, "Mum's new partner Gary moves in", "relationships", "month", 0, "Family"),
    (6, 7, "Half-sister Lily born", "family", "month", 0, "Family"),
    (7, 3, "Grandad Bill dies", "loss", "month", 0, "Family"),
    (7, 10, "Referred to speech and language therapy", "interventions", "month", 6, "School"),
    (8, 5, "Half-sister Mia born", "family", "month", 0, "Family"),
    (8, 11, "Domestic abuse incident; police called", "family", "day", 0, "Police"),
    (9, 2, "House move (eviction)", "accommodation", "month", 0, "Housing"),
    (9, 4, "Change of primary school", "education", "month", 0, "School"),
    (9, 9, "Fixed-term exclusions begin", "education", "month", 0, "School"),
    (10, 1, "Looked after: short-term foster placement", "social_care", "month", 5, "Social care"),
    (10, 6, "Returns home", "accommodation", "month", 0, "Social care"),
    (10, 12, "CAMHS assessment; not taken up", "health", "month", 0, "CAMHS"),
    (11, 9, "Starts secondary school", "education", "month", 0, "School"),
    (12, 2, "First police contact: shoplifting", "offending", "day", 0, "Police"),
    (12, 6, "Best friend moves away", "relationships", "approx", 0, "Family"),
    (12, 11, "Managed move to a second secondary school", "education", "month", 0, "School"),
    (13, 3, "Going missing overnight", "social_care", "month", 4, "Social care"),
    (13, 5, "Concerns: criminal exploitation (county lines)", "social_care", "month", 0, "Police"),
    (13, 8, "Cannabis use reported", "health", "approx", 0, "Substance misuse"),
    (13, 10, "Community resolution: criminal damage", "offending", "day", 0, "YOT"),
    (14, 1, "Permanent exclusion", "education", "day", 0, "School"),
    (14, 2, "Pupil referral unit", "education", "month", 10, "School"),
    (14, 4, "Placement in residential care", "accommodation", "month", 6, "Social care"),
    (14, 7, "Assault on a peer", "offending", "day", 0, "Police"),
    (14, 10, "Loses contact with father", "loss", "approx", 0, "Family"),
    (15, 1, "Youth rehabilitation order (12 months)", "interventions", "day", 12, "YOT"),
    (15, 2, "Boxing club: first positive activity", "relationships", "month", 0, "YOT"),
    (15, 4, "Back home with mum", "accommodation", "month", 0, "Social care"),
]


def seed(ctx) -> None:
    framework = TRMFramework.objects.filter(code="practice-stages", is_active=True).first()
    if framework is not None:
        for team in ctx.teams.values():
            TeamFormulationSettings.objects.get_or_create(
                team=team, defaults={"framework": framework}
            )
    for team in ctx.teams.values():
        if team.kind == Team.Kind.CENTRAL:
            continue
        for name, role, agency, email in PROFESSIONALS:
            Professional.objects.get_or_create(
                team=team, name=name, defaults={"role": role, "agency": agency, "email": email}
            )
    senior, psychologist = ctx.users["senior"], ctx.users["psychologist"]
    full_done = False
    held = []
    for ref, case in ctx.new_cases.items():
        case.refresh_from_db()
        path = ctx.paths[ref]
        if path == "preparation":
            _prepare(case, senior, psychologist)
        elif path in ON_ECM_PATHS and case.status == CaseStatus.ACTIVE:
            _held_meeting(case, senior, psychologist, full=not full_done)
            full_done = True
            held.append((case, path))
    _reports(held, psychologist)


#: The demo paths that reach a held formulation meeting.
ON_ECM_PATHS = ("active", "closed", "reopened", "voluntary")


FORMULATION_STORY = (
    "Much of what is seen now makes sense as survival. Early years of neglect and domestic "
    "abuse taught that adults are unpredictable and that danger comes without warning. "
    "Anger and leaving the room keep others at a distance before they can let him down. "
    "Offending has happened with older peers who offer belonging and status. He needs "
    "consistent adults and routines before any work on the offending can take hold."
)
VOICE = (
    "He said: 'Nobody sticks around, so why bother.' He wants to box and to see his little "
    "sister more. Mum said she wants help to stop the arguments at home."
)


def _reports(held, psychologist) -> None:
    """Final (circulated) reports for the cases the reviews demo will close, and for the
    first active case; a draft under accuracy check for the second; the others not started
    (so the psychologist's home shows them overdue)."""
    active = [case for case, path in held if path == "active"]
    finished = [case for case, path in held if path != "active"] + active[:1]
    for index, case in [(0, c) for c in finished] + [(1, c) for c in active[1:2]]:
        case_manager = case.case_manager
        report = reports.report_start(actor=psychologist, case=case)
        report = reports.report_save(
            actor=psychologist,
            report=report,
            data={"formulation": FORMULATION_STORY, "voice": VOICE},
            expected_revision=report.revision,
        )
        report = reports.report_send_for_check(actor=psychologist, report=report)
        comment = reports.report_comment_add(
            actor=case_manager,
            report=report,
            section="summary",
            text="His school changed in Year 8, not Year 7: please correct.",
        )
        if index == 0:
            reports.report_comment_resolve(
                actor=psychologist, comment=comment, response="Corrected in the summary."
            )
            reports.report_approve(actor=case_manager, report=report)
            report.refresh_from_db()
            version = reports.report_finalise(
                actor=psychologist, report=report, expected_revision=report.revision
            )
            reports.circulation_record(
                actor=case_manager,
                report=report,
                data={
                    "version": version,
                    "recipient_name": "Sam Social Worker",
                    "recipient_role": "Social worker",
                    "agency": "social_services",
                    "organisation": "Children's services",
                    "sent_on": timezone.localdate(),
                    "purpose_kind": "contributing_agency",
                    "purpose": "Agreed at the formulation meeting",
                    "scope": "sections",
                    "sections": ["formulation", "recommendations", "plan"],
                },
            )


def _prepare(case, senior, psychologist) -> None:
    starts = timezone.now() + dt.timedelta(days=9)
    starts = starts.replace(hour=10, minute=0, second=0, microsecond=0)
    meeting = services.meeting_schedule(
        actor=senior,
        case=case,
        starts_at=starts,
        chair=senior,
        psychologist=psychologist,
        location="Northgate YOT, meeting room 2",
    )
    cm = case.case_manager
    for professional in Professional.objects.filter(team=case.team)[:4]:
        services.invitation_add(
            actor=cm,
            meeting=meeting,
            professional=professional,
            involvement="Works with the family",
        )
    services.checklist_tick(actor=cm, meeting=meeting, key="room_booked", done=True)
    services.checklist_tick(actor=cm, meeting=meeting, key="info_early_years", done=True)
    genogram.genogram_start(actor=cm, case=case)
    genogram.family_member_save(
        actor=cm,
        case=case,
        data={"name": "Mum", "relationship": "mother", "sex": "female", "lives_with_child": True},
    )


def _held_meeting(case, senior, psychologist, *, full: bool) -> None:
    """A formulation meeting that took place, with its record."""
    case = Case.objects.select_related("child", "team").get(pk=case.pk)
    opened = case.opened_on
    starts = timezone.make_aware(dt.datetime.combine(opened + dt.timedelta(days=35), dt.time(10)))
    meeting = Meeting.objects.create(
        case=case,
        starts_at=starts,
        location="Central ECM Team, room 1",
        chair=senior,
        psychologist=psychologist,
        created_by=senior,
        status=Meeting.Status.HELD,
        held_at=starts,
        minutes_purpose="Purpose agreed: a shared understanding of the child.",
        minutes_case_history="Case manager presented the history using the genogram and "
        "summary; the group built the timeline together.",
        review_at=starts + dt.timedelta(days=42),
        review_location="Northgate YOT",
    )
    services.cases_store_ecm_start(Case.objects.filter(pk=case.pk))
    cm = case.case_manager
    for professional in Professional.objects.filter(team=case.team)[:6]:
        invitation = services.invitation_add(
            actor=cm,
            meeting=meeting,
            professional=professional,
            involvement="Knows the child and family",
        )
        # A past meeting: its invitations went out at the time.
        Invitation.objects.filter(pk=invitation.pk).update(
            delivery=Invitation.Delivery.SENT, sent_at=starts - dt.timedelta(days=14)
        )
        away = professional.agency == Agency.POLICE
        status = Invitation.Status.APOLOGIES if away else Invitation.Status.ATTENDED
        services.invitation_update(
            actor=cm,
            invitation=invitation,
            status=status,
            written_information="Written update sent: attendance and behaviour improving."
            if away
            else None,
        )
    services.invitation_add(
        actor=cm,
        meeting=meeting,
        attended_only=True,
        name=str(cm),
        role="Case manager",
        agency="yot",
        involvement="Case manager",
    )
    stages = (
        list(TRMFramework.objects.filter(code="practice-stages").first().stages.all())
        if TRMFramework.objects.filter(code="practice-stages").exists()
        else []
    )
    services.developmental_map_save(
        actor=psychologist,
        meeting=meeting,
        data={
            "physical_age": str(case.child.age_on(starts.date())),
            "social_age": "11",
            "cognitive_age": "10-11",
            "emotional_age": "8-9",
            "notes": "Emotionally much younger than his years; struggles with change.",
        },
    )
    if stages:
        services.trm_placement_save(
            actor=psychologist,
            meeting=meeting,
            stage=stages[0],
            presentation="Chaotic, misses appointments, tests boundaries, quick to anger.",
            underlying_need="Safety, predictability and consistent adults.",
            intervention_recommendation="Routine and structure first; one consistent worker; "
            "no offence-focused work yet.",
        )
    recs = [
        ("Same day, time and place for every YOT contact; one consistent worker.", "high"),
        ("Joint visit with the social worker to agree one plan with mum.", "high"),
        ("Speech and language screen before any group work.", "medium"),
        ("Boxing club twice a week, transport arranged.", "medium"),
    ]
    for order, (text, priority) in enumerate(recs if full else recs[:2], start=1):
        reports.recommendation_add(
            actor=psychologist,
            meeting=meeting,
            data={
                "intervention": text,
                "owner_user": cm if order != 3 else None,
                "owner_agency": "education" if order == 3 else "yot",
                "sequence": order,
                "trm_stage": stages[min(order - 1, 1)] if stages else None,
                "priority": priority,
            },
        )
    if full:
        _family_and_timeline(case, cm)


def _family_and_timeline(case, actor) -> None:
    child = case.child
    dob = child.date_of_birth
    index = genogram.genogram_start(actor=actor, case=case)
    people: dict[str, FamilyMember] = {}
    for name, relationship, sex, year, deceased, lives, flags, parents in FAMILY:
        people[name] = genogram.family_member_save(
            actor=actor,
            case=case,
            data={
                "name": name,
                "relationship": relationship,
                "sex": sex,
                "year_of_birth": dob.year + year,
                "deceased": deceased,
                "lives_with_child": lives,
                **dict.fromkeys(flags, True),
                "mother": next((people[p] for p in parents if people[p].sex == Sex.FEMALE), None),
                "father": next((people[p] for p in parents if people[p].sex == Sex.MALE), None),
            },
        )
    genogram.family_member_save(
        actor=actor,
        case=case,
        member=index,
        data={"mother": people["Kerry"], "father": people["Darren"], "lives_with_child": True},
    )
    genogram.partnership_save(
        actor=actor,
        case=case,
        a=people["Darren"],
        b=people["Kerry"],
        status=Partnership.Status.SEPARATED,
        start_year=dob.year - 3,
        end_year=dob.year + 1,
    )
    genogram.partnership_save(
        actor=actor,
        case=case,
        a=people["Gary"],
        b=people["Kerry"],
        status=Partnership.Status.TOGETHER,
        start_year=dob.year + 6,
    )
    genogram.partnership_save(
        actor=actor,
        case=case,
        a=people["Grandad Bill"],
        b=people["Nan Pat"],
        status=Partnership.Status.ENDED_BY_DEATH,
    )
    today = timezone.localdate()
    for years, month, title, category, precision, span, shared in EVENTS:
        start = add_months(dob, 12 * years + month - dob.month)
        if start > today:
            continue
        end = min(add_months(start, span), today) if span else None
        timeline.timeline_event_save(
            actor=actor,
            case=case,
            data={
                "title": title,
                "category": category,
                "start_date": start,
                "precision": precision,
                "end_date": end,
                "shared_by": shared,
                "sensitive": category == Category.SOCIAL_CARE,
            },
        )
    for kind, title, years, engagement in [
        ("school", "St Mary's Primary", 5, "Good in year 1, then poor attendance"),
        ("school", "Northgate High", 11, "Exclusions from year 8"),
        ("accommodation", "Foster placement (short term)", 10, ""),
        ("strength", "Loves boxing; protective of his sisters", None, ""),
        ("parental", "Mum: depression, engaging with GP", None, ""),
        ("significant_event", "Maternal gran died", 4, ""),
        ("significant_event", "Child protection plan (neglect)", 6, ""),
        ("order_condition", "YRO supervision: weekly appointments", 15, ""),
    ]:
        start = dt.date(dob.year + years, 9, 1) if years is not None else None
        if start and start > today:
            start = None
        timeline.summary_item_save(
            actor=actor,
            case=case,
            data={"kind": kind, "title": title, "start_date": start, "engagement": engagement},
        )
