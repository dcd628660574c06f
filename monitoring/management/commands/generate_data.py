"""A large, realistic dataset for load testing the monitoring dashboard and the case pages.

    manage.py generate_data [--teams 20] [--children 20000] [--reviews 100000]
                            [--timeline 500000] [--seed 1] [--batch 5000]

YOT teams (half refer to each of two central ECM teams) with their case managers, senior
practitioner, psychologist and manager; children of 10 to 17 at referral with one ECM
episode each (some re-opened after an earlier closed one) opened over the last three years
and spread over the status machine; referrals with complexity and ACE grids, offences,
eligibility checks and consents; formulation meetings with invitations, TRM placements,
recommendations and reports; reviews, TRM stage records, actions, contacts, missed
appointment decisions, risk ratings, outcome surveys, closures and transitions; life
timelines, genograms, clinical supervision and the cases' status audit trail.

Everything goes in with `bulk_create` in one transaction (PostgreSQL: a few minutes at most
for the default size), then the tables are VACUUMed and ANALYZEd, as after any bulk load:
query plans see real statistics, index-only scans find the pages marked all-visible, and
autovacuum has nothing left to do in the minutes that follow (it would otherwise run over
the half million new rows while the benchmark times the pages). Within a transaction
(tests), ANALYZE only.
Random but reproducible for a given --seed. Refuses to run under production settings, and
refuses a seed whose data is already in the database.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import time
from bisect import bisect
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from ecm.audit import audit_chain_seal
from ecm.models import AuditEvent, Case, CaseStatus, Child, Membership, Role, Team, User
from formulation.meeting.services import cases_store_ecm_start
from formulation.models import (
    FamilyMember,
    Invitation,
    Meeting,
    Professional,
    Recommendation,
    Report,
    ReportVersion,
    TeamFormulationSettings,
    TimelineEvent,
    TRMFramework,
    TRMPlacement,
)
from referrals.models import (
    ACE_HOUSEHOLD,
    ACE_MALTREATMENT,
    COMPLEXITY_CPN,
    COMPLEXITY_YND,
    LEAFLET_VERSION,
    Consent,
    Decision,
    Disposal,
    EligibilityCheck,
    NotMetReason,
    Offence,
    Referral,
    ReferralStatus,
    RuleSet,
    TeamReferralSettings,
)
from reviews.models import (
    Action,
    Closure,
    Contact,
    MissedAppointmentDecision,
    OutcomeDomain,
    OutcomeRating,
    OutcomeSurvey,
    RecommendationProgress,
    Review,
    ReviewOffence,
    RiskRating,
    Transition,
    TRMStageRecord,
)
from supervision.models import Offer, Session, Supervisee, SupervisionSettings

S = CaseStatus
DAY = dt.timedelta(days=1)
HORIZON = 3 * 365  # cases opened over the last three years


def _words(text: str) -> list[str]:
    return text.split()


PLACES = [
    "Aberford",
    "Bramhill",
    "Castleton",
    "Dunmore",
    "Eastbrook",
    "Fairhaven",
    "Glenbury",
    "Hartwell",
    "Ironbridge",
    "Kingsmere",
    "Longford",
    "Marlow Vale",
    "Newhaven",
    "Oakridge",
    "Penrith Dale",
    "Queensbury",
    "Redcliffe",
    "Stonebridge",
    "Thornbury",
    "Upton Moor",
    "Westmere",
    "Yardley",
]
MALE = _words(
    "Tyler Jayden Mason Liam Callum Nathan Kyle Connor Jake Ryan Harvey Reece Kai Ethan "
    "Josh Dylan Bradley Ashton Lewis Aaron Mohammed Ibrahim Yusuf Tariq Kwame Jamal "
    "Tyrese Malachi Marcus Dominic Lucas Noah Oliver Alfie Charlie Riley Logan Bailey "
    "Declan Owen"
)
FEMALE = _words(
    "Kayla Ellie Ruby Seren Chloe Megan Jade Demi Leah Courtney Paige Shannon Tia Aaliyah "
    "Amira Zara Fatima Maya Jasmine Keisha Nia Imani Grace Olivia Amelia Lily Sophie "
    "Holly Lauren Bethany Caitlin Kelsey Poppy Isla Nadia"
)
OTHER_FIRST = _words("Alex Sam Charlie Jordan Robin Jamie Rowan Ash Frankie Sky")
SURNAMES = _words(
    "Rees Bevan Powell Watkins Ali Pritchard Jones Edwards Griffiths Morgan Price Hughes "
    "Lloyd Davies Thomas Jenkins Evans Williams Smith Brown Taylor Wilson Johnson Walker "
    "Wright Robinson Thompson White Hall Green Clarke Lewis Harris Clark Patel Khan "
    "Hussain Begum Ahmed Mahmood Osei Mensah Okafor Adeyemi Campbell Murphy O'Brien Kelly "
    "Doyle Wood Hill Baker Turner Cooper Ward Morris King Scott Moore Young Allen "
    "Mitchell Carter Phillips Nowak Kowalski Popescu Lee Chen Wong Nguyen Kaur Singh Gill "
    "Sharma"
)
STAFF_FIRST = _words(
    "Cerys Dafydd Anwen Gareth Rhian Owen Sian Huw Carys Rhys Helen Mark Sarah David Emma "
    "James Rachel Paul Claire Andrew Nicola Simon Laura Peter Kate Ben Joanne Tom Priya "
    "Ade"
)

# Weights for the status of a child's latest episode.
STATUS_WEIGHTS = {
    S.ACTIVE: 33,
    S.CLOSED: 37,
    S.POTENTIAL: 4,
    S.READY: 1,
    S.REFERRED: 4,
    S.WAITING: 4,
    S.AWAITING_CONSENT: 3,
    S.PREPARATION: 4,
    S.NOT_ACCEPTED: 10,
}
# How many days ago an episode in each status was opened: (low, high, mode or None).
OPENED_AGO = {
    S.POTENTIAL: (0, 40, None),
    S.READY: (3, 60, None),
    S.REFERRED: (5, 60, None),
    S.WAITING: (25, 220, None),
    S.AWAITING_CONSENT: (10, 120, None),
    S.PREPARATION: (20, 150, None),
    S.ACTIVE: (30, 900, 150),
    S.NOT_ACCEPTED: (10, HORIZON, None),
    S.CLOSED: (45, HORIZON, 700),
}
# The milestones of an episode, in order, with the gap in days before each one.
MILESTONES = ["ready", "submitted", "decided", "accepted", "consent", "meeting"]
GAPS = {
    "ready": (1, 14),
    "submitted": (0, 10),
    "decided": (2, 21),
    "accepted": (20, 150),  # off the waiting list (only for episodes that waited)
    "consent": (3, 30),
    "meeting": (14, 60),
}
# Where an episode closed before formulation had got to: (milestone reached, weight).
CLOSED_EARLY = [(None, 25), ("ready", 10), ("waiting", 20), ("accepted", 25), ("consent", 20)]
EARLY_REASONS = {
    None: [("withdrawn", 50), ("moved", 20), ("no_longer_needed", 20), ("other", 10)],
    "ready": [("withdrawn", 60), ("moved", 20), ("custody", 10), ("other", 10)],
    "waiting": [("withdrawn", 40), ("no_longer_needed", 30), ("moved", 20), ("custody", 10)],
    "accepted": [("consent_withdrawn", 45), ("withdrawn", 30), ("moved", 15), ("other", 10)],
    "consent": [("consent_withdrawn", 35), ("disengaged", 35), ("custody", 15), ("moved", 15)],
}
# An episode that ended before its formulation meeting is not closed: it was not carried
# forward to ECM (its reason as the product records it, and the detail an "other" needs), or
# the child refused consent while it waited for it (issue 16's endings).
NOT_CARRIED_FORWARD = {
    "withdrawn": ("declined", ""),
    "disengaged": ("declined", ""),
    "consent_withdrawn": ("declined", ""),  # consent given, then withdrawn before the meeting
    "no_longer_needed": ("needs_met_elsewhere", ""),
    "moved": ("other", "Moved out of area."),
    "custody": ("other", "Remanded in custody."),
    "other": ("other", "Referral taken back by the YOT."),
}
LATE_REASONS = [
    ("order_completed", 42),
    ("no_longer_needed", 12),
    ("transition", 12),
    ("custody", 7),
    ("moved", 6),
    ("disengaged", 11),
    ("consent_withdrawn", 5),
    ("other", 5),
]
# Age at referral.
AGE_WEIGHTS = {10: 2, 11: 3, 12: 5, 13: 9, 14: 14, 15: 20, 16: 24, 17: 23}
GENDERS = [("male", 78), ("female", 19), ("other", 1.5), ("not_known", 1.5)]
ETHNICITIES = [
    ("white_british", 62),
    ("white_irish", 1),
    ("white_gypsy_traveller", 2),
    ("white_roma", 0.5),
    ("white_other", 4),
    ("mixed_white_black_caribbean", 6),
    ("mixed_white_black_african", 2),
    ("mixed_white_asian", 1.5),
    ("mixed_other", 2.5),
    ("black_african", 4),
    ("black_caribbean", 3),
    ("black_other", 1.5),
    ("asian_pakistani", 3),
    ("asian_bangladeshi", 1.5),
    ("asian_indian", 1),
    ("asian_chinese", 0.3),
    ("asian_other", 1),
    ("other_arab", 0.7),
    ("other_any", 1),
    ("not_stated", 1.5),
]
DISPOSALS = [
    ("referral_order", 28),
    ("yro", 30),
    ("dto_licence", 9),
    ("youth_conditional_caution", 6),
    ("youth_caution", 4),
    ("community_resolution", 3),
    ("prevention", 6),
    ("pre_sentence", 7),
    ("custody", 4),
    ("other", 3),
]
OFFENCE_TYPES = [
    ("Common assault", 3),
    ("Assault occasioning actual bodily harm", 5),
    ("Possession of a bladed article", 5),
    ("Robbery", 6),
    ("Burglary (dwelling)", 5),
    ("Theft from a shop", 2),
    ("Criminal damage", 2),
    ("Possession with intent to supply (class A)", 6),
    ("Possession of cannabis", 2),
    ("Public order offence", 3),
    ("Taking a vehicle without consent", 4),
    ("Breach of a court order", 3),
    ("Sexual offence", 7),
    ("Arson", 6),
]
OFFENCE_WEIGHTS = [18, 10, 10, 8, 6, 10, 9, 7, 6, 9, 5, 6, 1, 1]
# Complexity and ACE grids: the chance of "yes" (or "current"/"previous") and of "don't know".
YND_RATES = {
    "cx_substance_drugs": (0.55, 0.06),
    "cx_substance_alcohol": (0.25, 0.08),
    "cx_emotional_mental_health": (0.62, 0.06),
    "cx_brain_injury": (0.12, 0.22),
    "cx_learning_difficulties": (0.55, 0.08),
    "cx_slcn": (0.45, 0.15),
    "cx_exploitation": (0.35, 0.14),
    "cx_accommodation_instability": (0.30, 0.04),
    "cx_serious_youth_violence": (0.30, 0.08),
    "cx_emotional_abuse": (0.42, 0.16),
    "ace_verbal_abuse": (0.45, 0.14),
    "ace_physical_abuse": (0.35, 0.15),
    "ace_sexual_abuse": (0.12, 0.25),
    "ace_neglect": (0.38, 0.12),
    "ace_parental_separation": (0.72, 0.03),
    "ace_domestic_abuse": (0.52, 0.10),
    "ace_mental_illness": (0.42, 0.12),
    "ace_alcohol_abuse": (0.30, 0.12),
    "ace_drug_abuse": (0.33, 0.12),
    "ace_incarceration": (0.32, 0.08),
    "ace_bereavement": (0.36, 0.06),
}
CPN_RATES = {  # (current, previous)
    "cx_child_protection_plan": (0.15, 0.30),
    "cx_local_authority_care": (0.20, 0.15),
    "cx_other_social_care": (0.35, 0.30),
    "cx_camhs": (0.30, 0.30),
}
NOT_MET_REASONS = [
    (NotMetReason.COMPLEX_NEEDS, 25),
    (NotMetReason.DISPOSAL, 15),
    (NotMetReason.PRE_SENTENCE, 8),
    (NotMetReason.PREVENTION, 6),
    (NotMetReason.CUSTODY, 5),
    (NotMetReason.INVOLVEMENT, 20),
    (NotMetReason.OFFENCES, 12),
    (NotMetReason.AGE, 4),
    (NotMetReason.OTHER, 5),
]
AGENCIES = [
    ("education", 20),
    ("social_services", 22),
    ("camhs", 12),
    ("health", 8),
    ("police", 6),
    ("yot", 14),
    ("foster_carer", 4),
    ("residential", 4),
    ("housing", 3),
    ("substance_misuse", 4),
    ("probation", 1),
    ("other", 2),
]
INVITATION_OUTCOMES = [("attended", 64), ("apologies", 20), ("declined", 10), ("invited", 6)]
INTERVENTIONS = [
    "One consistent worker to build a trusting relationship before offence-focused work",
    "Speech and language assessment; adapt written materials and session length",
    "Referral to CAMHS for assessment of low mood and sleep",
    "Education: explore a reduced timetable and a mentor at school",
    "Family work with mother and step-father on boundaries and routine",
    "Substance misuse worker to offer harm-reduction sessions",
    "Safety planning with police and social care around exploitation",
    "Support to apply for college (mechanics) and a work taster",
    "Regular activity in the community: boxing club membership",
    "Life story work with the psychologist and case manager",
    "Housing: support the family's application for a move",
    "Professionals' consultation on responding to missed appointments",
]
TIMELINE_TITLES = {
    "family": ["Parents separated", "Moved in with nan", "New baby sister born", "Father left"],
    "education": ["Started secondary school", "Fixed-term exclusion", "Moved to a PRU", "Left"],
    "health": ["Admitted to hospital", "ADHD assessment", "Head injury", "CAMHS referral"],
    "social_care": ["Child protection plan", "Became looked after", "Placement move", "Plan"],
    "offending": ["First arrest", "Youth caution", "Referral order", "Court appearance"],
    "accommodation": ["House move", "Placed in a children's home", "Temporary accommodation"],
    "relationships": ["Joined an older peer group", "First girlfriend/boyfriend", "Fell out"],
    "loss": ["Grandfather died", "Friend died", "Lost contact with father", "Pet died"],
    "interventions": ["Started YOT order", "Mentoring started", "Anger management course"],
    "other": ["Started boxing", "Holiday with family", "Got a part-time job", "Birthday"],
}
TIMELINE_CATEGORIES = [
    ("family", 22),
    ("education", 18),
    ("health", 8),
    ("social_care", 10),
    ("offending", 14),
    ("accommodation", 8),
    ("relationships", 6),
    ("loss", 5),
    ("interventions", 6),
    ("other", 3),
]
FAMILY = [
    ("mother", "female", 95),
    ("father", "male", 80),
    ("step_parent", "male", 30),
    ("sibling", None, 70),
    ("sibling", None, 40),
    ("half_sibling", None, 35),
    ("grandparent", "female", 50),
    ("grandparent", "male", 25),
    ("aunt_uncle", None, 30),
    ("cousin", None, 15),
    ("carer", None, 10),
]
SECTION_TEXTS = {
    "summary": "Summary of the information presented at the formulation meeting.",
    "needs": "Needs: safety, belonging and a predictable adult. Strengths: humour, sport.",
    "development": "Socially and emotionally younger than his years.",
    "trm": "Placed at the stage shown, from the presentation and underlying need.",
    "formulation": "Early losses and instability; offending serves safety and belonging.",
    "voice": "Wants one worker who keeps turning up.",
    "plan": "Relationship first; education and family work; review in three months.",
}


class Pick:
    """A weighted choice with precomputed cumulative weights."""

    def __init__(self, pairs):
        self.values = [v for v, _w in pairs]
        self.cum = list(itertools.accumulate(w for _v, w in pairs))

    def __call__(self, rng: random.Random):
        return self.values[bisect(self.cum, rng.random() * self.cum[-1])]


@dataclass(slots=True)
class Ep:
    """The plan of one ECM episode, before anything is written."""

    child: int
    team: Team
    status: str
    opened: dt.date
    cm: User | None = None
    at: dict = field(default_factory=dict)  # milestone -> date
    via_waiting: bool = False
    scheduled: dt.date | None = None  # preparation: the formulation meeting to come
    closed: dt.date | None = None
    reason: str = ""
    not_carried: str = ""  # why not carried forward to ECM (status NOT_CARRIED_FORWARD)
    detail: str = ""  # the ending's detail (an "other" reason, a refusal's words)
    decision: str = ""  # the final eligibility decision
    previous: Ep | None = None
    case: Case | None = None
    meeting: Meeting | None = None
    placement_stage: int = 0
    recs: list = field(default_factory=list)
    reviews: list = field(default_factory=list)
    plan: list = field(default_factory=list)  # progress status of each recommendation

    @property
    def formulated(self) -> bool:
        return "meeting" in self.at


class Command(BaseCommand):
    help = "Generate a large realistic dataset for load tests (refused in production)."

    def add_arguments(self, parser):
        parser.add_argument("--teams", type=int, default=20, help="YOT teams (default 20)")
        parser.add_argument("--children", type=int, default=20000, help="children (20000)")
        parser.add_argument("--reviews", type=int, default=100000, help="reviews, about (100000)")
        parser.add_argument(
            "--timeline", type=int, default=500000, help="timeline events, about (500000)"
        )
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument("--batch", type=int, default=5000, help="bulk_create batch size")

    def handle(self, *args, **opts):
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError("generate_data refuses to run under production settings.")
        if opts["teams"] < 1 or opts["children"] < 1:
            raise CommandError("--teams and --children must be at least 1.")
        self.seed = opts["seed"]
        if Team.objects.filter(code__startswith=f"gen{self.seed}-").exists():
            raise CommandError(
                f"Data for --seed {self.seed} is already in the database: use another seed "
                "or an empty database."
            )
        self.rng = random.Random(self.seed)
        self.batch = opts["batch"]
        self.tz = timezone.get_current_timezone()
        self.today = timezone.localdate()
        self.counts: dict[str, int] = {}
        t0 = time.perf_counter()
        steps = [
            ("reference", self.reference_data),
            ("teams", lambda: self.teams_and_users(opts["teams"])),
            ("plan", lambda: self.plan_episodes(opts["children"])),
            ("cases", self.children_and_cases),
            ("referrals", self.referrals),
            ("formulation", self.formulation),
            ("reviews", lambda: self.reviews(opts["reviews"])),
            ("closures", self.closures),
            ("timeline", lambda: self.timeline(opts["timeline"])),
            ("supervision", self.supervision),
        ]
        took = []
        with transaction.atomic():
            for name, step in steps:
                t1 = time.perf_counter()
                step()
                took.append(f"{name} {time.perf_counter() - t1:.1f}")
        built = time.perf_counter() - t0
        tidy = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        if connection.vendor == "postgresql":
            # A maintenance command, which the ORM does not express: SQL is the statement.
            with connection.cursor() as cursor:
                cursor.execute(tidy)
        elapsed = time.perf_counter() - t0
        width = max(len(k) for k in self.counts)
        self.stdout.write(f"Generated (seed {self.seed}, today {self.today}):")
        for key, n in self.counts.items():
            self.stdout.write(f"  {key:<{width}} {n:>9,}")
        self.stdout.write(f"  {'rows in all':<{width}} {sum(self.counts.values()):>9,}")
        self.stdout.write(f"Seconds per step: {', '.join(took)}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Done in {elapsed:.1f} s ({built:.1f} s writing, {elapsed - built:.1f} s {tidy})."
            )
        )

    # --- helpers ---------------------------------------------------------------------------

    def create(self, model, objs, label: str | None = None):
        objs = model.objects.bulk_create(objs, batch_size=self.batch)
        key = label or str(model._meta.verbose_name_plural)
        self.counts[key] = self.counts.get(key, 0) + len(objs)
        return objs

    def at(self, day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=self.tz)

    def days_ago(self, low: int, high: int, mode: int | None = None) -> dt.date:
        if mode is None:
            n = self.rng.randint(low, high)
        else:
            n = round(self.rng.triangular(low, high, mode))
        return self.today - n * DAY

    def between(self, a: dt.date, b: dt.date) -> dt.date:
        if b <= a:
            return a
        return a + self.rng.randint(0, (b - a).days) * DAY

    # --- reference data, teams, users --------------------------------------------------------

    def reference_data(self):
        self.framework = TRMFramework.objects.filter(code="practice-stages").first()
        if self.framework is None:
            raise CommandError("No TRM framework: run `manage.py migrate` first.")
        self.stages = {s.number: s for s in self.framework.stages.order_by("number")}
        self.rule_set = RuleSet.objects.filter(code="yjb-2020", is_active=True).first()
        if self.rule_set is None:
            raise CommandError("No eligibility rule set: run `manage.py migrate` first.")
        self.pick_status = Pick(STATUS_WEIGHTS.items())
        self.pick_age = Pick(AGE_WEIGHTS.items())
        self.pick_gender = Pick(GENDERS)
        self.pick_ethnicity = Pick(ETHNICITIES)
        self.pick_disposal = Pick(DISPOSALS)
        self.pick_offence = Pick(list(zip(OFFENCE_TYPES, OFFENCE_WEIGHTS, strict=True)))
        self.pick_not_met = Pick(NOT_MET_REASONS)
        self.pick_agency = Pick(AGENCIES)
        self.pick_attendance = Pick(INVITATION_OUTCOMES)
        self.pick_category = Pick(TIMELINE_CATEGORIES)
        self.pick_early = Pick(CLOSED_EARLY)
        self.pick_early_reason = {k: Pick(v) for k, v in EARLY_REASONS.items()}
        self.pick_late_reason = Pick(LATE_REASONS)
        self.pick_placement = Pick([(1, 14), (2, 30), (3, 28), (4, 16), (5, 8), (6, 4)])

    def teams_and_users(self, n_teams: int):
        rng, seed = self.rng, self.seed
        taken = set(Team.objects.values_list("name", flat=True))

        def name_for(name: str) -> str:
            return name if name not in taken else f"{name} (seed {seed})"

        centrals = self.create(
            Team,
            [
                Team(
                    name=name_for(f"{region} Central ECM Team"),
                    code=f"gen{seed}-{region.lower()}-central",
                    kind=Team.Kind.CENTRAL,
                    phone=f"01632 96{k:04d}",
                )
                for k, region in enumerate(["North", "South"])
            ],
            "teams",
        )
        yots = []
        for i in range(n_teams):
            place = PLACES[i % len(PLACES)] + (
                f" {i // len(PLACES) + 1}" if i >= len(PLACES) else ""
            )
            yots.append(
                Team(
                    name=name_for(f"{place} YOT"),
                    code=f"gen{seed}-{slugify(place)}-yot",
                    kind=Team.Kind.YOT,
                    central_team=centrals[0] if i < (n_teams + 1) // 2 else centrals[1],
                    phone=f"01632 97{i:04d}",
                )
            )
        self.yots = self.create(Team, yots, "teams")
        self.centrals = centrals
        # Bigger and smaller teams.
        self.team_weight = Pick([(t, rng.uniform(0.5, 1.6)) for t in self.yots])

        password = make_password(None)  # nobody signs in as a generated user
        users, memberships = [], []
        self.cms: dict[int, list[User]] = {}
        self.seniors: dict[int, list[User]] = {}
        self.psychologists: dict[int, list[User]] = {}
        self.managers: dict[int, list[User]] = {}

        def person(team: Team, role: str, k: int, title: str) -> User:
            first, last = rng.choice(STAFF_FIRST), rng.choice(SURNAMES)
            username = f"gen{seed}-{team.code.removeprefix(f'gen{seed}-')}-{role}{k}"
            user = User(
                username=username[:150],
                first_name=first,
                last_name=last,
                email=f"{username}@ecm.invalid",
                job_title=title,
                password=password,
            )
            users.append((user, team, role))
            return user

        roster = [
            (Role.CASE_MANAGER, "YOT case manager", self.cms),
            (Role.SENIOR_PRACTITIONER, "Senior practitioner", self.seniors),
            (Role.PSYCHOLOGIST, "Clinical psychologist", self.psychologists),
            (Role.MANAGER, "YOT operational manager", self.managers),
        ]
        for team in self.yots:
            sizes = {Role.CASE_MANAGER: rng.randint(5, 9)}
            for role, title, into in roster:
                into[team.pk] = [person(team, role, k, title) for k in range(sizes.get(role, 1))]
        for team in centrals:
            sizes = {Role.SENIOR_PRACTITIONER: 2, Role.PSYCHOLOGIST: 3, Role.MANAGER: 1}
            for role, title, into in roster[1:]:
                into[team.pk] = [person(team, role, k, title) for k in range(sizes[role])]
        self.create(User, [u for u, _t, _r in users], "users")
        for user, team, role in users:
            # Approved by the system (approved_by empty): generated staff are in force.
            memberships.append(
                Membership(user=user, team=team, role=role, approved_at=timezone.now())
            )
        self.create(Membership, memberships, "memberships")

        everyone = self.yots + centrals
        self.create(
            TeamFormulationSettings,
            [TeamFormulationSettings(team=t, framework=self.framework) for t in everyone],
            "team settings",
        )
        self.create(
            TeamReferralSettings,
            [
                TeamReferralSettings(
                    team=t, rule_set=self.rule_set, formulations_per_month=rng.randint(2, 6)
                )
                for t in everyone
            ],
            "team settings",
        )
        self.create(
            SupervisionSettings,
            [
                SupervisionSettings(team=t, interval_months=rng.choice([1, 2, 2, 2]))
                for t in everyone
            ],
            "team settings",
        )
        professionals = []
        for team in self.yots:
            for k in range(15):
                agency = self.pick_agency(rng)
                name = f"{rng.choice(STAFF_FIRST)} {rng.choice(SURNAMES)}"
                professionals.append(
                    Professional(
                        team=team,
                        name=name,
                        role="Practitioner",
                        agency=agency,
                        organisation=f"{team.name.removesuffix(' YOT')} {agency}",
                        email=f"pro{k}.{team.code}@partner.invalid",
                    )
                )
        professionals = self.create(Professional, professionals, "partner professionals")
        self.professionals: dict[int, list[Professional]] = {}
        for p in professionals:
            self.professionals.setdefault(p.team_id, []).append(p)

    # --- the plan ----------------------------------------------------------------------------

    def milestones(self, ep: Ep, reach: str | None, limit: dt.date, waiting: bool):
        """Dates of the episode's milestones up to `reach`, squeezed to end by `limit`."""
        if reach is None:
            return
        names = MILESTONES[: MILESTONES.index(reach) + 1]
        gaps = []
        for name in names:
            if name == "accepted" and not waiting:
                gaps.append(0)
            else:
                gaps.append(self.rng.randint(*GAPS[name]))
        room = max((limit - ep.opened).days, 0)
        total = sum(gaps)
        if total > room:
            gaps = [g * room // total for g in gaps]
        day = ep.opened
        for name, gap in zip(names, gaps, strict=True):
            day += gap * DAY
            ep.at[name] = day
        ep.via_waiting = waiting

    def plan_episode(self, ep: Ep, early: str | None = "auto", last_day: dt.date | None = None):
        """Fill in an episode's milestones, closure and decision from its status. `early`
        says how far a closed episode got: "formulated", or the milestone it stopped after
        (None: closed while still potential); "auto" picks one."""
        rng = self.rng
        today = last_day or self.today
        status = ep.status
        waiting = rng.random() < 0.25
        if status == S.POTENTIAL:
            return
        if status == S.READY:
            self.milestones(ep, "ready", today, False)
        elif status == S.REFERRED:
            self.milestones(ep, "submitted", today, False)
        elif status == S.WAITING:
            self.milestones(ep, "decided", today, True)
            ep.decision = Decision.PRIORITY
        elif status == S.AWAITING_CONSENT:
            self.milestones(ep, "accepted", today, waiting)
        elif status == S.PREPARATION:
            self.milestones(ep, "consent", today, waiting)
            ep.scheduled = today + rng.randint(2, 35) * DAY
        elif status == S.ACTIVE:
            self.milestones(ep, "meeting", today - 7 * DAY, waiting)
        elif status == S.NOT_ACCEPTED:
            self.milestones(ep, "decided", today, False)
            ep.decision = Decision.NOT_MET if rng.random() < 0.85 else Decision.NOT_VIABLE
        elif status == S.CLOSED:
            if early == "auto":
                early = "formulated" if rng.random() < 0.8 else self.pick_early(rng)
            if early == "formulated":
                self.milestones(ep, "meeting", today - 30 * DAY, waiting)
                length = round(rng.triangular(45, 720, 270))
                ep.closed = min(ep.at["meeting"] + length * DAY, today - DAY)
                ep.reason = self.pick_late_reason(rng)
            else:
                reach = {"waiting": "decided"}.get(early, early)
                self.milestones(ep, reach, today - 20 * DAY, early == "waiting")
                if early == "waiting":
                    ep.decision = Decision.PRIORITY
                last = max(ep.at.values(), default=ep.opened)
                ep.closed = min(last + rng.randint(5, 75) * DAY, today - DAY)
                ep.reason = self.pick_early_reason[early](rng)
                # Not closed: it ended before ECM.
                if early == "accepted" and ep.reason == "consent_withdrawn":
                    ep.status = S.CONSENT_REFUSED
                    ep.detail = "The child did not want to take part."
                else:
                    ep.status = S.NOT_CARRIED_FORWARD
                    ep.not_carried, ep.detail = NOT_CARRIED_FORWARD[ep.reason]
            ep.closed = max(ep.closed, ep.opened)
        if "accepted" in ep.at:
            ep.decision = Decision.ACCEPTED

    def plan_episodes(self, n_children: int):
        rng = self.rng
        self.eps: list[Ep] = []
        self.latest: list[Ep] = []
        self.child_dob: list[dt.date] = []
        first_day = self.today - HORIZON * DAY
        for i in range(n_children):
            team = self.team_weight(rng)
            status = self.pick_status(rng)
            ep = Ep(child=i, team=team, status=status, opened=self.days_ago(*OPENED_AGO[status]))
            ep.cm = (
                None
                if status == S.POTENTIAL and rng.random() < 0.1
                else rng.choice(self.cms[team.pk])
            )
            self.plan_episode(ep)
            # Some children come back: an earlier episode closed before this one opened.
            if rng.random() < 0.08 and (ep.opened - first_day).days > 150:
                closed = ep.opened - rng.randint(20, 300) * DAY
                opened = max(closed - round(rng.triangular(40, 500, 200)) * DAY, first_day)
                if (closed - opened).days >= 40:
                    prev = Ep(
                        child=i,
                        team=team,
                        status=S.CLOSED,
                        opened=opened,
                        cm=rng.choice(self.cms[team.pk]),
                    )
                    early = "formulated" if rng.random() < 0.7 else self.pick_early(rng)
                    self.plan_episode(prev, early, last_day=closed)
                    prev.closed = min(prev.closed or closed, closed)
                    if prev.formulated and prev.closed < prev.at["meeting"]:
                        prev.closed = prev.at["meeting"]
                    if prev.formulated and rng.random() < 0.5:
                        prev.reason = rng.choice(["disengaged", "custody", "order_completed"])
                    ep.previous = prev
                    self.eps.append(prev)
            self.eps.append(ep)
            self.latest.append(ep)
            # Age at referral, 10 to 17, and no older than 18 by the end of the last episode.
            first = ep.previous.opened if ep.previous else ep.opened
            years = ((ep.closed or self.today) - first).days // 365
            age = self.pick_age(rng)
            while age + years > 17 and age > 10:
                age = self.pick_age(rng) if rng.random() < 0.5 else age - 1
            self.child_dob.append(
                first - dt.timedelta(days=365 * age + age // 4 + rng.randint(0, 364))
            )

    # --- children, cases, audit trail ------------------------------------------------------

    def children_and_cases(self):
        rng = self.rng
        children = []
        for ep, dob in zip(self.latest, self.child_dob, strict=True):
            gender = self.pick_gender(rng)
            first = rng.choice(
                MALE if gender == "male" else FEMALE if gender == "female" else OTHER_FIRST
            )
            pnc = ""
            if rng.random() < 0.75:
                pnc = (
                    f"{rng.randint(15, 24)}/{rng.randint(1, 9999999)}{chr(65 + rng.randint(0, 25))}"
                )
            children.append(
                Child(
                    first_name=first,
                    last_name=rng.choice(SURNAMES),
                    preferred_name=rng.choice(["", "", "", "", first[:3]]),
                    date_of_birth=dob,
                    gender=gender,
                    ethnicity=self.pick_ethnicity(rng),
                    yot_reference=f"{ep.team.code.split('-')[1][:3].upper()}-{ep.child + 1:06d}",
                    pnc_number=pnc,
                )
            )
        self.children = self.create(Child, children, "children")

        def case_for(ep: Ep) -> Case:
            team = ep.team
            referred = "submitted" in ep.at
            last = max([ep.opened, *ep.at.values(), ep.closed or ep.opened])
            return Case(
                child=self.children[ep.child],
                team=team,
                referred_to=team.central_team if referred else None,
                case_manager=ep.cm,
                status=ep.status,
                status_changed_at=self.at(last, 9 + rng.randint(0, 8), rng.randint(0, 59)),
                opened_on=ep.opened,
                closed_on=ep.closed,
                closure_reason=ep.reason if ep.status == S.CLOSED else "",
                not_carried_forward_reason=ep.not_carried,
                ending_detail=ep.detail,
                previous_case=ep.previous.case if ep.previous else None,
                version=1 + len(ep.at) + (ep.closed is not None),
            )

        previous = [ep.previous for ep in self.latest if ep.previous]
        for ep, case in zip(
            previous, self.create(Case, [case_for(ep) for ep in previous], "cases"), strict=True
        ):
            ep.case = case
        for ep, case in zip(
            self.latest,
            self.create(Case, [case_for(ep) for ep in self.latest], "cases"),
            strict=True,
        ):
            ep.case = case

        # The status trail the case page shows (created, then each move).
        events = []
        for ep in self.eps:
            case = ep.case
            trail = [(ep.opened, "create", "", S.POTENTIAL, ep.cm)]
            status = S.POTENTIAL
            senior = self.seniors[ep.team.central_team_id][0]
            moves = [
                ("ready", S.READY, ep.cm),
                ("submitted", S.REFERRED, ep.cm),
            ]
            if ep.via_waiting and "decided" in ep.at:
                moves.append(("decided", S.WAITING, senior))
            if ep.decision == Decision.ACCEPTED:
                moves.append(("accepted", S.AWAITING_CONSENT, senior))
            elif ep.decision in (Decision.NOT_MET, Decision.NOT_VIABLE):
                moves.append(("decided", S.NOT_ACCEPTED, senior))
            moves += [("consent", S.PREPARATION, ep.cm), ("meeting", S.ACTIVE, senior)]
            for key, target, actor in moves:
                if key in ep.at:
                    trail.append((ep.at[key], "transition", status, target, actor))
                    status = target
            if ep.closed:
                trail.append((ep.closed, "transition", status, ep.status, ep.cm))
            for k, (day, action, source, target, actor) in enumerate(trail):
                events.append(
                    AuditEvent(
                        at=self.at(day, 9 + k % 8, rng.randint(0, 59)),
                        actor=actor,
                        actor_username=actor.username if actor else "",
                        action=AuditEvent.Action.CREATE
                        if action == "create"
                        else AuditEvent.Action.TRANSITION,
                        object_type="ecm.case",
                        object_id=str(case.pk),
                        object_label=case.reference,
                        child_id=case.child_id,
                        team_id=case.team_id,
                        changed_fields=["child", "team", "case_manager", "status", "opened_on"]
                        if action == "create"
                        else ["status", "status_changed_at"],
                        detail="" if action == "create" else f"{source} → {target}",
                    )
                )
        # Chained like every audit row (ecm.audit), in the order bulk_create inserts them.
        self.create(AuditEvent, audit_chain_seal(events), "audit events (case status trail)")

    # --- referrals, offences, checks, consents ---------------------------------------------

    def grid(self, complexity: float, partial: bool) -> dict:
        rng = self.rng
        out = {}
        for name, _label in COMPLEXITY_CPN:
            if partial and rng.random() < 0.5:
                out[name] = ""
                continue
            current, previous = CPN_RATES[name]
            x = rng.random()
            out[name] = (
                "current"
                if x < current * complexity
                else "previous"
                if x < (current + previous) * complexity
                else "never"
            )
        for name, _label in COMPLEXITY_YND + ACE_MALTREATMENT + ACE_HOUSEHOLD:
            if partial and rng.random() < 0.5:
                out[name] = ""
                continue
            yes, dont_know = YND_RATES[name]
            x = rng.random()
            out[name] = (
                "dont_know"
                if x < dont_know
                else "yes"
                if x < dont_know + yes * complexity
                else "no"
            )
        return out

    def referrals(self):
        rng = self.rng
        referrals, offences, checks, consents = [], [], [], []
        for ep in self.eps:
            case = ep.case
            submitted = ep.at.get("submitted")
            if ep.status == S.POTENTIAL and rng.random() < 0.5 and not ep.closed:
                continue
            if "ready" not in ep.at and ep.closed and rng.random() < 0.6:
                continue  # closed before anyone started the form
            if submitted:
                status = (
                    ReferralStatus.SUBMITTED if ep.status == S.REFERRED else ReferralStatus.DECIDED
                )
            elif ep.status == S.READY and rng.random() < 0.25:
                status = ReferralStatus.RETURNED
            else:
                status = ReferralStatus.DRAFT
            complexity = rng.uniform(0.6, 1.35)
            disposal = self.pick_disposal(rng)
            decided = ep.at.get("decided")
            referral = Referral(
                case=case,
                status=status,
                referrer=ep.cm,
                contact_number=f"01632 {rng.randint(100000, 999999)}",
                referral_date=submitted,
                reason="Repeated offending with older peers; school placement breaking down.",
                why_ecm="Previous interventions have not engaged; needs a shared understanding.",
                disposal=disposal,
                order_start_date=ep.opened - rng.randint(0, 120) * DAY
                if disposal in ("referral_order", "yro", "dto_licence")
                else None,
                order_length_months=rng.choice([3, 6, 9, 12, 12, 18, 24])
                if disposal in ("referral_order", "yro", "dto_licence")
                else None,
                voluntary_months_agreed=rng.choice([0, 0, 0, 3, 6]),
                previous_interventions=rng.choices(range(7), [10, 25, 25, 18, 10, 7, 5])[0],
                repeat_offender=rng.random() < 0.6,
                risk_reoffending=rng.choice([1, 2, 2, 3, 3]),  # AssetPlus 1-3
                risk_harm_self=rng.choice([1, 2, 2, 3, 4]),  # vulnerability 1-4
                risk_harm_others=rng.choice([1, 2, 2, 3]),  # serious harm 1-4
                significant_concern=rng.random() < 0.1,
                submitted_at=self.at(submitted, 9 + rng.randint(0, 8), rng.randint(0, 59))
                if submitted
                else None,
                decided_at=self.at(decided, 15) if decided else None,
                waiting_since=self.at(decided, 15) if decided and ep.via_waiting else None,
                version=rng.randint(1, 6),
                **self.grid(complexity, partial=status in ("draft", "returned")),
            )
            if referral.significant_concern:
                referral.significant_concern_note = "Exploitation concerns raised by police."
            referrals.append(referral)
            # Offences known at referral, before the episode opened.
            dob = self.child_dob[ep.child]
            earliest = max(dob + 365 * 10 * DAY, ep.opened - 900 * DAY)
            for _k in range(rng.choices([1, 2, 3, 4, 5], [30, 28, 20, 13, 9])[0]):
                offence_type, gravity = self.pick_offence(rng)
                offences.append(
                    Offence(
                        case=case,
                        date=self.between(earliest, ep.opened - DAY),
                        offence_type=offence_type,
                        disposal=str(Disposal(disposal).label)[:120],
                        gravity=min(8, max(1, gravity + rng.randint(-1, 1))),
                    )
                )
            # Eligibility checks.
            if decided:
                checker = rng.choice(self.seniors[ep.team.central_team_id])
                if rng.random() < 0.05:
                    checks.append(
                        EligibilityCheck(
                            referral=referral,
                            rule_set=self.rule_set,
                            checked_by=checker,
                            checked_at=self.at(decided - rng.randint(3, 14) * DAY, 11),
                            decision=Decision.MORE_INFO,
                            reasons="Please send the AssetPlus and the school report.",
                        )
                    )
                if ep.via_waiting:
                    checks.append(
                        EligibilityCheck(
                            referral=referral,
                            rule_set=self.rule_set,
                            checked_by=checker,
                            checked_at=self.at(decided, 14),
                            decision=Decision.PRIORITY,
                            reasons="Criteria met; no capacity this month.",
                        )
                    )
                final = ep.decision
                if final and not (final == Decision.PRIORITY and ep.via_waiting):
                    when = ep.at.get("accepted", decided)
                    reasons = []
                    if final == Decision.NOT_MET:
                        k = rng.choices([1, 2, 3], [60, 30, 10])[0]
                        reasons = sorted({self.pick_not_met(rng) for _ in range(k)})
                    override = final == Decision.ACCEPTED and rng.random() < 0.03
                    checks.append(
                        EligibilityCheck(
                            referral=referral,
                            rule_set=self.rule_set,
                            checked_by=checker,
                            checked_at=self.at(when, 14, 30),
                            decision=final,
                            not_met_reasons=[str(r) for r in reasons],
                            reasons="Discussed at the referral panel.",
                            exceptional_override=override,
                            override_reason="Exceptional risk; panel agreed." if override else "",
                        )
                    )
            # Consent.
            if "consent" in ep.at:
                signed = ep.at["consent"]
                withdrawn = ep.reason == "consent_withdrawn" and ep.closed
                kinds = [Consent.Kind.ECM_CHILD, Consent.Kind.PARENT_GENERAL]
                if rng.random() < 0.6:
                    kinds.append(Consent.Kind.EVALUATION)
                for kind in kinds:
                    consents.append(
                        Consent(
                            case=case,
                            kind=kind,
                            date=signed,
                            explained_by=ep.cm,
                            signatory_name=""
                            if kind == Consent.Kind.ECM_CHILD
                            else f"{rng.choice(STAFF_FIRST)} {case.child.last_name}",
                            signatory_relationship=""
                            if kind == Consent.Kind.ECM_CHILD
                            else rng.choice(["Mother", "Father", "Grandmother", "Foster carer"]),
                            leaflet_version=LEAFLET_VERSION,
                            recorded_by=ep.cm,
                            recorded_at=self.at(signed, 16),
                            withdrawn_on=ep.closed
                            if withdrawn and kind == Consent.Kind.ECM_CHILD
                            else None,
                            withdrawal_reason="No longer wishes to take part."
                            if withdrawn and kind == Consent.Kind.ECM_CHILD
                            else "",
                        )
                    )
        self.create(Referral, referrals, "referrals")
        self.create(Offence, offences, "offences")
        self.create(EligibilityCheck, checks, "eligibility checks")
        self.create(Consent, consents, "consents")

    # --- formulation ------------------------------------------------------------------------

    def formulation(self):
        rng = self.rng
        meetings, cancelled = [], []
        for ep in self.eps:
            central = ep.team.central_team_id
            psychologist = rng.choice(self.psychologists[central])
            chair = rng.choice(self.seniors[ep.team.pk] + self.seniors[central])
            if ep.formulated:
                day = ep.at["meeting"]
                start = self.at(day, rng.choice([9, 10, 13]), rng.choice([0, 30]))
                ep.meeting = Meeting(
                    case=ep.case,
                    status=Meeting.Status.HELD,
                    starts_at=start,
                    duration_minutes=rng.choice([120, 150, 180, 180]),
                    location=f"{ep.team.name} office, meeting room {rng.randint(1, 4)}",
                    chair=chair,
                    psychologist=psychologist,
                    created_by=ep.cm,
                    minutes_purpose="Purpose agreed; ground rules.",
                    minutes_case_history="Case history presented by the case manager.",
                    review_at=self.at(day + rng.randint(42, 90) * DAY, 10),
                    held_at=start + dt.timedelta(hours=3),
                )
                meetings.append(ep.meeting)
                if rng.random() < 0.08:
                    cancelled.append(
                        Meeting(
                            case=ep.case,
                            status=Meeting.Status.CANCELLED,
                            starts_at=start - rng.randint(7, 28) * DAY,
                            chair=chair,
                            psychologist=psychologist,
                            created_by=ep.cm,
                        )
                    )
            elif ep.scheduled and rng.random() < 0.75:
                ep.meeting = Meeting(
                    case=ep.case,
                    starts_at=self.at(ep.scheduled, 10),
                    location=f"{ep.team.name} office",
                    chair=chair,
                    psychologist=psychologist,
                    created_by=ep.cm,
                )
                meetings.append(ep.meeting)
        self.create(Meeting, meetings + cancelled, "formulation meetings")
        # The read model the services keep: each case's ECM start, from its held meeting.
        cases_store_ecm_start(Case.objects.filter(team__code__startswith=f"gen{self.seed}-"))

        invitations, placements, recs, reports, risk, surveys = [], [], [], [], [], []
        report_versions = []
        for ep in self.eps:
            m = ep.meeting
            if m is None:
                continue
            held = m.status == Meeting.Status.HELD
            pros = rng.sample(self.professionals[ep.team.pk], rng.randint(3, 7))
            for p in pros:
                if held:
                    status = self.pick_attendance(rng)
                else:
                    status = rng.choice(["invited", "accepted", "accepted", "declined"])
                invitations.append(
                    Invitation(
                        meeting=m,
                        professional=p if rng.random() < 0.7 else None,
                        name=p.name,
                        role=p.role,
                        agency=p.agency,
                        email=p.email,
                        status=status,
                        delivery=Invitation.Delivery.SENT,
                        send_attempts=1,
                        sent_at=m.starts_at - rng.randint(7, 21) * DAY,
                    )
                )
            if not held:
                continue
            day = ep.at["meeting"]
            stage = self.pick_placement(rng)
            ep.placement_stage = stage
            placements.append(
                TRMPlacement(
                    meeting=m,
                    stage=self.stages[stage],
                    presentation="Hostile to new adults; misses appointments.",
                    underlying_need="Safety and a predictable relationship.",
                    intervention_recommendation="Relationship-based work with one worker.",
                    placed_by=m.psychologist,
                    placed_at=m.held_at,
                )
            )
            for seq, text in enumerate(rng.sample(INTERVENTIONS, rng.randint(3, 6)), start=1):
                rec = Recommendation(
                    meeting=m,
                    case=ep.case,
                    intervention=text,
                    owner_user=ep.cm if rng.random() < 0.5 else None,
                    owner_agency=self.pick_agency(rng),
                    sequence=seq,
                    trm_stage=self.stages[min(6, max(1, stage + rng.choice([0, 0, 1, -1])))],
                    priority=rng.choice(["high", "medium", "medium", "low"]),
                    created_by=m.psychologist,
                )
                recs.append(rec)
                ep.recs.append(rec)
            # The report: most final within the month, some late, a few never.
            x = rng.random()
            delay = (
                rng.randint(7, 31)
                if x < 0.62
                else rng.randint(32, 62)
                if x < 0.85
                else rng.randint(63, 160)
                if x < 0.95
                else None
            )
            final_on = day + delay * DAY if delay is not None else None
            if final_on and final_on >= self.today:
                final_on = None
            report = Report(
                case=ep.case,
                meeting=m,
                psychologist=m.psychologist,
                status=Report.Status.FINAL
                if final_on
                else rng.choice([Report.Status.DRAFT, Report.Status.CHECKING]),
                due_on=day + 28 * DAY,
                finalised_at=self.at(final_on, 16) if final_on else None,
                updated_by=m.psychologist,
                **SECTION_TEXTS,
            )
            reports.append(report)
            if final_on:
                versions = [final_on]
                if rng.random() < 0.1:
                    amended = final_on + rng.randint(30, 200) * DAY
                    if amended < self.today:
                        versions.append(amended)
                report.number = len(versions)
                for number, on in enumerate(versions, start=1):
                    report_versions.append(
                        ReportVersion(
                            report=report,
                            number=number,
                            sections=SECTION_TEXTS,
                            recommendations=[
                                {"sequence": r.sequence, "intervention": r.intervention}
                                for r in ep.recs
                            ],
                            reason="" if number == 1 else "New information from school.",
                            approved_by=ep.cm.get_full_name() if ep.cm else "",
                            finalised_by=m.psychologist,
                            finalised_at=self.at(on, 16),
                        )
                    )
            risk.append(
                RiskRating(
                    case=ep.case,
                    point=RiskRating.Point.START,
                    reoffending=rng.choices([1, 2, 3], [15, 45, 40])[0],
                    serious_harm=rng.choices([1, 2, 3, 4], [15, 40, 35, 10])[0],
                    vulnerability=rng.choices([1, 2, 3, 4], [5, 30, 45, 20])[0],
                    recorded_on=day,
                    recorded_by=ep.cm,
                )
            )
            if rng.random() < 0.7:
                surveys.append(
                    (
                        OutcomeSurvey(
                            case=ep.case,
                            point=OutcomeSurvey.Point.BASELINE,
                            completed_on=day,
                            completed_by=ep.cm,
                        ),
                        False,
                    )
                )
        self.create(Invitation, invitations, "invitations")
        self.create(TRMPlacement, placements, "TRM placements")
        self.create(Recommendation, recs, "recommendations")
        self.create(Report, reports, "formulation reports")
        self.create(ReportVersion, report_versions, "report versions (final)")
        self.pending_risk = risk
        self.pending_surveys = surveys

        # Genograms of the children who reached formulation.
        done, family, names = set(), [], STAFF_FIRST + MALE + FEMALE
        for ep in self.eps:
            if not ep.formulated or ep.child in done:
                continue
            done.add(ep.child)
            child = self.children[ep.child]
            family.append(
                FamilyMember(
                    child=child,
                    name=child.full_name,
                    relationship="self",
                    sex={"male": "male", "female": "female"}.get(child.gender, "unknown"),
                    date_of_birth=child.date_of_birth,
                    lives_with_child=True,
                )
            )
            for relationship, sex, chance in FAMILY:
                if rng.random() * 100 >= chance:
                    continue
                family.append(
                    FamilyMember(
                        child=child,
                        name=f"{rng.choice(names)} {child.last_name}",
                        relationship=relationship,
                        sex=sex or rng.choice(["male", "female"]),
                        year_of_birth=child.date_of_birth.year
                        + {"mother": -26, "father": -29, "grandparent": -52}.get(
                            relationship, rng.randint(-8, 8)
                        ),
                        lives_with_child=rng.random() < 0.5,
                        mental_health=rng.random() < 0.2,
                        substance_misuse=rng.random() < 0.15,
                        imprisonment=rng.random() < 0.1,
                        domestic_abuse=rng.random() < 0.12,
                    )
                )
        self.create(FamilyMember, family, "family members")

    # --- reviews and the work that follows ----------------------------------------------------

    def reviews(self, target: int):
        rng = self.rng
        formulated = [ep for ep in self.eps if ep.formulated]
        closures = sum(1 for ep in formulated if ep.closed)
        spans = {}
        for ep in formulated:
            end = ep.closed or self.today
            spans[id(ep)] = (end - ep.at["meeting"]).days * rng.uniform(0.6, 1.4)
        regular = max(target - closures, 0)
        interval = sum(spans.values()) / regular if regular else float("inf")

        reviews, offences, records, progress, actions, contacts, decisions = (
            [],
            [],
            [],
            [],
            [],
            [],
            [],
        )
        for ep in formulated:
            meeting_day = ep.at["meeting"]
            end = ep.closed or self.today
            span = (end - meeting_day).days
            expected = spans[id(ep)] / interval if interval != float("inf") else 0
            k = int(expected) + (rng.random() < expected - int(expected))
            step = span / (k + 0.5) if k else span
            days = sorted(
                min(
                    max(round(step * (i + 1) + rng.uniform(-0.15, 0.15) * step), 1),
                    max(span - 1, 1),
                )
                for i in range(k)
            )
            chairs = self.seniors[ep.team.pk] + self.seniors[ep.team.central_team_id]
            stage = ep.placement_stage
            previous_day = meeting_day
            # Each review's due date: agreed at the meeting, then at the review before it.
            review_at = getattr(ep.meeting, "review_at", None)
            due = timezone.localdate(review_at) if review_at else None
            for i, offset in enumerate(days):
                held = meeting_day + offset * DAY
                if ep.closed and held >= ep.closed:
                    held = ep.closed - DAY
                    if held <= meeting_day:
                        continue
                review = self._review(ep, held, previous_day, step, chairs, offences)
                review.kind = Review.Kind.AD_HOC if rng.random() < 0.08 else "scheduled"
                is_last = i == len(days) - 1
                if is_last and not ep.closed:
                    review.next_review_on = held + max(1, round(step * rng.uniform(0.8, 1.2))) * DAY
                review.due_on = due
                due = review.next_review_on or due
                reviews.append(review)
                ep.reviews.append(review)
                previous_day = held
            if ep.closed:
                review = self._review(ep, ep.closed, previous_day, step, chairs, offences)
                review.kind = Review.Kind.CLOSURE
                review.next_review_on = None
                review.due_on = due
                reviews.append(review)
                ep.reviews.append(review)
            # The TRM stage at most reviews: mostly same or up, sometimes down.
            for review in ep.reviews:
                if rng.random() < 0.65:
                    stage = min(6, max(1, stage + rng.choices([1, 0, -1], [35, 48, 17])[0]))
                    records.append(
                        TRMStageRecord(
                            case=ep.case,
                            review=review,
                            stage=self.stages[stage],
                            recorded_on=review.held_on,
                            explanation="Settled placement; engaging with the worker."
                            if rng.random() < 0.5
                            else "",
                            recorded_by=review.chair,
                        )
                    )
            # Progress on each recommendation at the latest review: mostly done by closure.
            if ep.reviews:
                last = ep.reviews[-1]
                weights = [3, 12, 70, 15] if ep.closed else [20, 45, 25, 10]
                for rec in ep.recs:
                    status = rng.choices(
                        ["not_started", "in_progress", "done", "dropped"], weights
                    )[0]
                    ep.plan.append(status)
                    progress.append(
                        RecommendationProgress(review=last, recommendation=rec, status=status)
                    )
            # Actions: most done; some open ones overdue on active cases.
            for _a in range(rng.randint(2, 6)):
                rec = rng.choice(ep.recs) if ep.recs and rng.random() < 0.6 else None
                due = self.between(meeting_day + 7 * DAY, end + 45 * DAY)
                if ep.closed:
                    status = rng.choices(["done", "dropped"], [82, 18])[0]
                elif due < self.today:
                    status = rng.choices(["done", "open", "dropped"], [70, 22, 8])[0]
                else:
                    status = rng.choices(["open", "done"], [85, 15])[0]
                completed = None
                if status == "done":
                    completed = min(due + rng.randint(-10, 10) * DAY, end, self.today)
                    completed = max(completed, meeting_day)
                actions.append(
                    Action(
                        case=ep.case,
                        recommendation=rec,
                        description=(rec.intervention if rec else "Arrange a home visit")[:300],
                        owner_user=ep.cm if rng.random() < 0.7 else None,
                        owner_agency=self.pick_agency(rng) if rng.random() < 0.3 else "",
                        due_on=due,
                        status=status,
                        completed_on=completed,
                        created_by=ep.cm,
                    )
                )
            # Contacts, some missed; a decision after repeated missed appointments.
            n_contacts = min(12, max(1, span // 45 + rng.randint(0, 2)))
            for _c in range(n_contacts):
                missed = rng.random() < 0.14
                contacts.append(
                    Contact(
                        case=ep.case,
                        date=self.between(meeting_day, end),
                        kind="missed"
                        if missed
                        else rng.choices(["face_to_face", "phone", "online"], [70, 20, 10])[0],
                        purpose="Planned session" if not missed else "Planned session (missed)",
                        trm_stage=self.stages[ep.placement_stage] if rng.random() < 0.4 else None,
                        recorded_by=ep.cm,
                    )
                )
            if rng.random() < 0.12 and span > 30:
                for _d in range(rng.choice([1, 1, 2])):
                    decisions.append(
                        MissedAppointmentDecision(
                            case=ep.case,
                            decided_on=self.between(meeting_day + 21 * DAY, end),
                            missed_count=rng.randint(4, 7),
                            decision=rng.choices(["warning", "breach", "no_action"], [50, 20, 30])[
                                0
                            ],
                            decided_by=rng.choice(
                                self.seniors[ep.team.pk] + self.managers[ep.team.pk]
                            ),
                            psychologist=ep.meeting.psychologist,
                            psychologist_advice="Missed sessions fit the stage; try home visits.",
                        )
                    )
        self.create(Offence, offences, "offences")
        self.create(Review, reviews, "reviews")
        links = [
            ReviewOffence(review=r, offence=r.new_offence)
            for r in reviews
            if hasattr(r, "new_offence")
        ]
        self.create(ReviewOffence, links, "review offences")
        self.create(TRMStageRecord, records, "TRM stage records")
        self.create(RecommendationProgress, progress, "recommendation progress")
        self.create(Action, actions, "actions")
        self.create(Contact, contacts, "contacts")
        self.create(MissedAppointmentDecision, decisions, "missed appointment decisions")

    def _review(self, ep: Ep, held, previous_day, step, chairs, offences) -> Review:
        rng = self.rng
        x = rng.random()
        reoffended = True if x < 0.07 else None if x > 0.93 else False
        review = Review(
            case=ep.case,
            held_on=held,
            chair=rng.choice(chairs),
            present_others="Case manager; social worker; teacher",
            discussion="Progress against the plan discussed.",
            reoffended=reoffended,
            breach=True if rng.random() < 0.04 else (None if rng.random() < 0.1 else False),
            next_review_on=held + max(1, round(step * rng.uniform(0.85, 1.15))) * DAY,
            created_by=ep.cm,
        )
        if reoffended:
            offence_type, gravity = self.pick_offence(rng)
            offence = Offence(
                case=ep.case,
                date=self.between(previous_day, held),
                offence_type=offence_type,
                disposal=rng.choice(["", "Referral order extended", "YRO", "Out of court"]),
                gravity=gravity,
            )
            offences.append(offence)
            review.new_offence = offence  # linked once both rows exist
        if review.breach:
            review.breach_details = "Failed to attend three appointments; breach proceedings."
        return review

    # --- closure -----------------------------------------------------------------------------

    def closures(self):
        rng = self.rng
        closures, transitions, risk, surveys = [], [], list(self.pending_risk), []
        surveys.extend(self.pending_surveys)
        offences = []
        start_risk = {id(r.case): r for r in self.pending_risk}
        for ep in self.eps:
            if ep.status != S.CLOSED:
                continue  # open, or ended before ECM (no closure record)
            review = ep.reviews[-1] if ep.reviews and ep.reviews[-1].kind == "closure" else None
            closure = Closure(
                case=ep.case,
                review=review,
                reason=ep.reason,
                closed_on=ep.closed,
                next_steps="Handed back to the YOT case manager; plan shared with school.",
                voluntary_until=ep.closed + rng.randint(30, 120) * DAY
                if rng.random() < 0.1
                else None,
                plan_completed=(
                    all(s in ("done", "dropped") for s in ep.plan) and "done" in ep.plan
                    if ep.plan
                    else (False if ep.recs else None)  # no progress recorded, or no plan
                ),
                recorded_by=ep.cm,
            )
            closures.append(closure)
            destinations = []
            if ep.reason == "transition":
                destinations = rng.sample(
                    ["adult_social_care", "mental_health", "probation"], rng.randint(1, 2)
                )
            elif ep.reason == "custody":
                destinations = ["custody"]
            elif rng.random() < 0.08:
                destinations = [rng.choice(["housing", "mental_health", "adult_social_care"])]
            for d in destinations:
                transitions.append(
                    Transition(
                        closure=closure,
                        destination=d,
                        sections=["summary", "formulation", "recommendations"],
                    )
                )
            if ep.formulated:
                start = start_risk.get(id(ep.case))
                better = 1 if ep.reason in ("order_completed", "no_longer_needed") else 0
                risk.append(
                    RiskRating(
                        case=ep.case,
                        point=RiskRating.Point.CLOSURE,
                        reoffending=max(1, start.reoffending - better * rng.randint(0, 1)),
                        serious_harm=max(1, start.serious_harm - better * rng.randint(0, 1)),
                        vulnerability=max(1, start.vulnerability - rng.randint(0, 1)),
                        recorded_on=ep.closed,
                        recorded_by=ep.cm,
                    )
                )
                if rng.random() < 0.85:
                    surveys.append(
                        (
                            OutcomeSurvey(
                                case=ep.case,
                                point=OutcomeSurvey.Point.CLOSURE,
                                completed_on=ep.closed,
                                completed_by=ep.cm,
                            ),
                            True,
                        )
                    )
            # Offending after ECM closed (the re-opened episodes carry theirs at referral).
            if rng.random() < 0.12 and ep.closed < self.today - 30 * DAY:
                offence_type, gravity = self.pick_offence(rng)
                offences.append(
                    Offence(
                        case=ep.case,
                        date=self.between(ep.closed + DAY, self.today - DAY),
                        offence_type=offence_type,
                        gravity=gravity,
                    )
                )
        self.create(Closure, closures, "closures")
        self.create(Transition, transitions, "transitions")
        self.create(RiskRating, risk, "risk ratings")
        self.create(Offence, offences, "offences")
        made = self.create(OutcomeSurvey, [s for s, _c in surveys], "outcome surveys")
        ratings = []
        change_weights = {
            "improved": 50,
            "no_change": 36,
            "worse": 14,
        }
        for survey, (_s, at_closure) in zip(made, surveys, strict=True):
            bias = rng.uniform(-15, 15)
            for domain in OutcomeDomain.values:
                change = ""
                if at_closure:
                    change = rng.choices(
                        list(change_weights),
                        [
                            change_weights["improved"] + bias,
                            change_weights["no_change"],
                            max(change_weights["worse"] - bias / 2, 2),
                        ],
                    )[0]
                ratings.append(
                    OutcomeRating(
                        survey=survey,
                        domain=domain,
                        change=change,
                        concern=rng.choices(["none", "low", "medium", "high"], [15, 30, 35, 20])[0],
                    )
                )
        self.create(OutcomeRating, ratings, "outcome ratings")

    # --- timelines ---------------------------------------------------------------------------

    def timeline(self, target: int):
        rng = self.rng
        weights = []
        formulated = {ep.child for ep in self.eps if ep.formulated}
        for i in range(len(self.children)):
            base = 3.0 if i in formulated else 0.4
            weights.append(base * rng.uniform(0.3, 1.7))
        scale = target / sum(weights)
        made = 0
        pending = []
        for i, child in enumerate(self.children):
            expected = weights[i] * scale
            k = int(expected) + (rng.random() < expected - int(expected))
            dob = child.date_of_birth
            creator = self.latest[i].cm
            span = max((self.today - dob).days, 1)
            for _e in range(k):
                category = self.pick_category(rng)
                # Later years are better documented.
                start = dob + int(span * rng.random() ** 0.6) * DAY
                x = rng.random()
                precision = (
                    "day" if x < 0.6 else "month" if x < 0.85 else "year" if x < 0.95 else "approx"
                )
                end = None
                if rng.random() < 0.15:
                    end = min(start + rng.randint(14, 700) * DAY, self.today)
                pending.append(
                    TimelineEvent(
                        child=child,
                        title=rng.choice(TIMELINE_TITLES[category]),
                        category=category,
                        start_date=start,
                        precision=precision,
                        end_date=end,
                        shared_by=rng.choice(["", "", "Mother", "Social worker", "School"]),
                        sensitive=rng.random() < 0.1,
                        created_by=creator,
                    )
                )
            if len(pending) >= self.batch * 10:
                made += len(self.create(TimelineEvent, pending, "timeline events"))
                pending = []
        if pending:
            made += len(self.create(TimelineEvent, pending, "timeline events"))

    # --- clinical supervision ----------------------------------------------------------------

    def supervision(self):
        rng = self.rng
        sessions, attendance, offers = [], [], []
        first_day = self.today - HORIZON * DAY
        for team in self.yots:
            psychologists = self.psychologists[team.central_team_id] + self.psychologists[team.pk]
            for cm in self.cms[team.pk]:
                if rng.random() < 0.1:
                    offers.append(
                        Offer(
                            practitioner=cm,
                            psychologist=psychologists[0],
                            offered_on=self.between(first_day, self.today),
                            response=Offer.Response.DECLINED,
                        )
                    )
                    continue
                day = first_day + rng.randint(0, 60) * DAY
                while day < self.today:
                    start = self.at(day, rng.choice([10, 14]))
                    sessions.append(
                        Session(
                            psychologist=rng.choice(psychologists),
                            team=team,
                            starts_at=start,
                            ends_at=start + dt.timedelta(minutes=rng.choice([60, 60, 90])),
                            format=Session.Format.INDIVIDUAL,
                            mode=rng.choice(["in_person", "online"]),
                            theme_approach=True,
                            theme_feelings=rng.random() < 0.5,
                            notes="Confidential notes.",
                        )
                    )
                    attendance.append(cm)
                    day += rng.randint(40, 90) * DAY
        sessions = self.create(Session, sessions, "supervision sessions")
        self.create(
            Supervisee,
            [Supervisee(session=s, user=u) for s, u in zip(sessions, attendance, strict=True)],
            "supervisees",
        )
        self.create(Offer, offers, "supervision offers")
