"""Time the formulation report PDF for a heavy case: 300 timeline events and 40 family members.

    .venv/bin/python scripts/bench_report_pdf.py

Everything it creates (team, users, child, case, meeting, report, audit rows) is made inside
one transaction that is rolled back at the end, so the database is left as it was. Works on
the SQLite demo database (ecm.settings.development by default); the TRM stages come from the
`formulation.0002_trm_frameworks` data migration, so migrate first.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ecm.settings.development")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from pypdf import PdfReader  # noqa: E402

from ecm.models import Case, Child, Membership, Role, Team, User  # noqa: E402
from formulation.models import (  # noqa: E402
    Agency,
    Category,
    FamilyMember,
    Meeting,
    Partnership,
    Precision,
    Recommendation,
    TimelineEvent,
    TRMPlacement,
    TRMStage,
)
from formulation.report import pdf, services  # noqa: E402

RUNS = 3
TIMELINE_EVENTS = 300
FAMILY_MEMBERS = 40
RECOMMENDATIONS = 6

FORMULATION = """\
Jordan's early years were marked by his parents' separation, repeated house moves and the
loss of his grandfather, to whom he was close. Adults in his life have come and gone, and
he has learnt to expect that they will leave.

His current presentation (missed appointments, hostility to new workers, offending with
older peers) makes sense as a way of staying safe: he tests every adult before trusting
them, and the peer group offers belonging and status he has not found at home or school.

The offending is best understood as serving these needs for safety and belonging rather
than as planned or instrumental; work that offers one consistent, predictable adult is
likely to reduce it more than offence-focused work at this stage.
"""

VOICE = """\
Jordan said he wants "one worker who keeps turning up" and does not want to repeat his story
to new people. He would like to go back to college to train as a mechanic.

His mother said she wants him home and is worried about the older boys he spends time with.
His nan said he is "a good lad when he feels safe" and asked to be kept informed.
"""

RELATIONSHIPS = [
    ("mother", "female"),
    ("father", "male"),
    ("step_parent", "male"),
    ("sibling", "female"),
    ("sibling", "male"),
    ("half_sibling", "female"),
    ("half_sibling", "male"),
    ("step_sibling", "unknown"),
    ("grandparent", "female"),
    ("grandparent", "male"),
    ("aunt_uncle", "female"),
    ("aunt_uncle", "male"),
    ("cousin", "female"),
    ("cousin", "male"),
    ("carer", "female"),
    ("other", "other"),
]
FIRST = ["Donna", "Gareth", "Lee", "Kerry", "Bryn", "Sian", "Dai", "Mair", "Tom", "Cerys"]
TITLES = {
    Category.FAMILY: ["Parents separate", "New baby in the family", "Contact with dad stops"],
    Category.EDUCATION: ["Starts a new school", "Fixed-term exclusion", "Reading assessment"],
    Category.HEALTH: ["A&E attendance", "Asthma diagnosis", "CAMHS assessment"],
    Category.SOCIAL_CARE: ["Child in need plan", "Section 47 enquiry", "Early help"],
    Category.OFFENDING: ["Arrest", "Community resolution", "Referral order"],
    Category.ACCOMMODATION: ["Moves house", "Lives with nan", "Temporary accommodation"],
    Category.RELATIONSHIPS: ["New friendship group", "Girlfriend", "Falls out with best friend"],
    Category.LOSS: ["Grandfather dies", "Pet dies", "Uncle goes to prison"],
    Category.INTERVENTIONS: ["Mentoring starts", "Family support worker", "Speech therapy"],
    Category.OTHER: ["Joins boxing club", "Holiday with aunt", "Wins art prize"],
}


def build(rng: random.Random):
    tag = uuid.uuid4().hex[:8]
    team = Team.objects.create(name=f"Bench YOT {tag}", code=f"bench-{tag}")
    psychologist = User.objects.create_user(
        username=f"bench-psy-{tag}", first_name="Rhian", last_name="Bench", password=None
    )
    chair = User.objects.create_user(
        username=f"bench-sp-{tag}", first_name="Owen", last_name="Chair", password=None
    )
    now = timezone.now()
    Membership.objects.create(user=psychologist, team=team, role=Role.PSYCHOLOGIST, approved_at=now)
    Membership.objects.create(user=chair, team=team, role=Role.SENIOR_PRACTITIONER, approved_at=now)
    today = timezone.localdate()
    dob = today - dt.timedelta(days=16 * 365 + 40)
    child = Child.objects.create(
        first_name="Jordan",
        last_name="Benchmark",
        date_of_birth=dob,
        gender="male",
        ethnicity="white_british",
        yot_reference=f"BENCH-{tag}",
    )
    case = Case.objects.create(child=child, team=team, status="active")
    meeting = Meeting.objects.create(
        case=case,
        status=Meeting.Status.HELD,
        starts_at=timezone.now() - dt.timedelta(days=10),
        held_at=timezone.now() - dt.timedelta(days=10),
        chair=chair,
        psychologist=psychologist,
        minutes_case_history="Known to children's services since 2012; four school moves.",
        minutes_additional="School reports good attendance in art and PE.",
        minutes_discussion="Agreed one consistent worker and a weekly routine.",
    )
    stages = list(TRMStage.objects.filter(framework__code="practice-stages").order_by("number"))
    if not stages:
        sys.exit("No TRM stages: run `manage.py migrate` (formulation.0002_trm_frameworks).")
    TRMPlacement.objects.create(
        meeting=meeting,
        stage=stages[0],
        presentation="Chaotic; misses appointments; hostile to new workers.",
        underlying_need="Safety, predictability and one consistent adult.",
        intervention_recommendation="Routine first; offence-focused work later.",
        placed_by=psychologist,
    )
    agencies = [a for a, _label in Agency.choices]
    for n in range(1, RECOMMENDATIONS + 1):
        Recommendation.objects.create(
            meeting=meeting,
            case=case,
            intervention=f"Recommendation {n}: same worker, same time and place, every week.",
            owner_agency=agencies[n % len(agencies)],
            sequence=n,
            trm_stage=stages[(n - 1) % len(stages)],
            priority=("high", "medium", "low")[n % 3],
            created_by=psychologist,
        )

    # 300 timeline events spread from the year before birth to today.
    start = dt.date(dob.year - 1, 6, 1)
    span = (today - start).days
    categories = [c for c, _label in Category.choices]
    precisions = [p for p, _label in Precision.choices]
    events = []
    for n in range(TIMELINE_EVENTS):
        day = start + dt.timedelta(days=span * n // TIMELINE_EVENTS + rng.randint(0, 10))
        day = min(day, today)
        category = categories[n % len(categories)]
        end = None
        if n % 7 == 0:
            end = min(day + dt.timedelta(days=rng.randint(30, 700)), today)
        events.append(
            TimelineEvent(
                child=child,
                title=f"{rng.choice(TITLES[category])} ({n + 1})",
                category=category,
                start_date=day,
                end_date=end,
                precision=precisions[n % len(precisions)] if n % 3 == 0 else Precision.DAY,
                sensitive=n % 11 == 0,
                shared_by="Social worker" if n % 5 == 0 else "",
                created_by=psychologist,
            )
        )
    TimelineEvent.objects.bulk_create(events)

    # 40 family members: the child, parents, and a wider family around them.
    index = FamilyMember.objects.create(
        child=child, name="Jordan", relationship="self", sex="male", date_of_birth=dob
    )
    members = [index]
    parents = {}
    for n in range(FAMILY_MEMBERS - 1):
        relationship, sex = RELATIONSHIPS[n % len(RELATIONSHIPS)]
        generation = FamilyMember.GENERATION[relationship]  # -2 grandparents ... 0 siblings
        m = FamilyMember(
            child=child,
            name=f"{FIRST[n % len(FIRST)]} {n + 1}",
            relationship=relationship,
            sex=sex,
            year_of_birth=dob.year + 28 * generation + rng.randint(-4, 4),
            deceased=n % 13 == 8,
            lives_with_child=relationship in ("mother", "sibling") and n < 16,
            mental_health=n % 6 == 0,
            substance_misuse=n % 9 == 1,
            imprisonment=n % 10 == 2,
            domestic_abuse=n % 12 == 3,
        )
        if relationship in ("sibling", "half_sibling") and parents:
            m.mother = parents.get("mother")
            if relationship == "sibling":
                m.father = parents.get("father")
        m.save()
        members.append(m)
        if relationship in ("mother", "father") and relationship not in parents:
            parents[relationship] = m
    index.mother, index.father = parents.get("mother"), parents.get("father")
    index.save()
    by_rel: dict[str, list[FamilyMember]] = {}
    for m in members:
        by_rel.setdefault(m.relationship, []).append(m)
    pairs = [
        (parents["father"], parents["mother"], "divorced", 2005, 2012),
        (parents["mother"], by_rel["step_parent"][0], "together", 2014, None),
        (by_rel["grandparent"][0], by_rel["grandparent"][1], "ended_by_death", 1975, 2019),
        (by_rel["aunt_uncle"][0], by_rel["aunt_uncle"][1], "separated", 2001, 2016),
    ]
    for a, b, status, start_year, end_year in pairs:
        Partnership.objects.create(
            child=child, a=a, b=b, status=status, start_year=start_year, end_year=end_year
        )
    return case, psychologist


def main() -> None:
    rng = random.Random(20240601)  # noqa: S311 - test data, not security
    before = (Case.objects.count(), TimelineEvent.objects.count(), FamilyMember.objects.count())
    with transaction.atomic():
        case, psychologist = build(rng)
        report = services.report_start(actor=psychologist, case=case)
        report = services.report_save(
            actor=psychologist,
            report=report,
            data={"formulation": FORMULATION, "voice": VOICE},
            expected_revision=report.revision,
        )
        items = pdf.estimated_size(report)
        limit = settings.REPORT_PDF_INLINE_LIMIT
        print(f"Database: {settings.DATABASES['default']['ENGINE']}")
        print(
            f"Report: {TIMELINE_EVENTS} timeline events + {FAMILY_MEMBERS} family members, "
            f"{RECOMMENDATIONS} recommendations, draft v{report.number}"
        )
        print(f"REPORT_PDF_INLINE_LIMIT = {limit}")
        print(
            f"estimated_size = {items}: "
            + (
                f"rendered by the worker ({items} > {limit})"
                if items > limit
                else f"rendered in the request ({items} <= {limit})"
            )
        )
        totals = []
        data = b""
        for run in range(1, RUNS + 1):
            t0 = time.perf_counter()
            doc = pdf.document_for(report, user=psychologist)
            t1 = time.perf_counter()
            data = pdf.render_pdf(doc)
            t2 = time.perf_counter()
            totals.append(t2 - t0)
            print(
                f"run {run}: {t2 - t0:.2f} s "
                f"(document_for {t1 - t0:.2f} s, render_pdf {t2 - t1:.2f} s)"
            )
        pages = len(PdfReader(io.BytesIO(data)).pages)
        print(f"median: {statistics.median(totals):.2f} s")
        print(f"PDF: {len(data):,} bytes ({len(data) / 1024:.0f} KiB), {pages} pages")
        print(f"file name: {doc.filename}")
        transaction.set_rollback(True)
    after = (Case.objects.count(), TimelineEvent.objects.count(), FamilyMember.objects.count())
    assert after == before, (before, after)
    print("Rolled back: nothing was left in the database.")


if __name__ == "__main__":
    main()
