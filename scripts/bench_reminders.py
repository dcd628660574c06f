"""Time the reminder sweep over a large caseload: N active cases plus the meetings, reviews,
reports, actions, referrals and supervision around them.

    .venv/bin/python scripts/bench_reminders.py [--cases N]

Everything it creates is made inside one transaction that is rolled back at the end, so the
database is left as it was. Nothing reaches the Celery broker: the sweep's
`on_commit(_queue_delivery)` never fires because the transaction is rolled back, and
`Task.apply_async` is replaced by a guard that fails loudly if anything tries. Works on the
SQLite demo database (ecm.settings.development by default; `manage.py migrate` first) and on
PostgreSQL when DATABASE_URL points there.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ecm.settings.development")

import django  # noqa: E402

django.setup()

from celery.app.task import Task  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from ecm import reminders  # noqa: E402
from ecm.models import (  # noqa: E402
    Case,
    CaseStatus,
    Child,
    Membership,
    Notification,
    NotificationPreference,
    Reminder,
    Role,
    Team,
    User,
)
from formulation.models import Invitation, Meeting, Report, ReportVersion  # noqa: E402
from referrals.models import Consent, Referral, ReferralStatus  # noqa: E402
from reviews.models import Action, Review  # noqa: E402
from supervision.models import Session, Supervisee  # noqa: E402

BATCH = 2000
CASES_PER_CASE_MANAGER = 25
SENIORS = 4
PSYCHOLOGISTS = 4
REVIEW_EVERY = 84  # days: a review every 12 weeks after the formulation meeting
UNUSABLE = make_password(None)  # nobody signs in as a bench user


def _no_broker(self, *args, **kwargs):
    raise RuntimeError(f"the bench must not queue Celery tasks ({self.name})")


def _users(tag: str, prefix: str, count: int, rng: random.Random) -> list[User]:
    users = [
        User(
            username=f"bench-{tag}-{prefix}{i}",
            first_name=prefix.upper(),
            last_name=str(i),
            # One in ten has no address: their reminders are in-app only.
            email="" if rng.random() < 0.1 else f"{prefix}{i}.{tag}@example.org",
            password=UNUSABLE,
        )
        for i in range(count)
    ]
    return User.objects.bulk_create(users, batch_size=BATCH)


def _children(tag: str, count: int, today: dt.date, rng: random.Random, start: int) -> list[Child]:
    return Child.objects.bulk_create(
        [
            Child(
                first_name="Bench",
                last_name=f"Child{start + i}",
                date_of_birth=today - dt.timedelta(days=rng.randint(12 * 365, 17 * 365)),
                gender=rng.choice(["male", "female"]),
                ethnicity="not_stated",
                yot_reference=f"B{tag}-{start + i}",
            )
            for i in range(count)
        ],
        batch_size=BATCH,
    )


def _cases(children, team, case_managers, status, today, rng) -> list[Case]:
    return Case.objects.bulk_create(
        [
            Case(
                child=child,
                team=team,
                case_manager=case_managers[i % len(case_managers)],
                status=status,
                opened_on=today - dt.timedelta(days=rng.randint(20, 460)),
            )
            for i, child in enumerate(children)
        ],
        batch_size=BATCH,
    )


def build(n: int, rng: random.Random) -> dict:
    """The caseload. Returns counts of what was made."""
    tag = uuid.uuid4().hex[:8]
    tz = timezone.get_current_timezone()
    now = timezone.now()
    today = timezone.localdate()

    def at(day: dt.date, hour: int = 10) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)), tz)

    team = Team.objects.create(name=f"Bench YOT {tag}", code=f"bench-{tag}")
    case_managers = _users(tag, "cm", max(5, n // CASES_PER_CASE_MANAGER), rng)
    seniors = _users(tag, "sp", SENIORS, rng)
    psychologists = _users(tag, "psy", PSYCHOLOGISTS, rng)
    roles = [
        (case_managers, Role.CASE_MANAGER),
        (seniors, Role.SENIOR_PRACTITIONER),
        (psychologists, Role.PSYCHOLOGIST),
    ]
    Membership.objects.bulk_create(
        [
            Membership(user=u, team=team, role=role, approved_at=timezone.now())
            for users, role in roles
            for u in users
        ],
        batch_size=BATCH,
    )
    # Some prefer a daily digest, a few no e-mail at all (the rest: immediate, the default).
    prefs = []
    for u in case_managers + seniors + psychologists:
        x = rng.random()
        if x < 0.15:
            prefs.append(NotificationPreference(user=u, email_mode="digest"))
        elif x < 0.2:
            prefs.append(NotificationPreference(user=u, email_mode="none"))
    NotificationPreference.objects.bulk_create(prefs, batch_size=BATCH)

    # --- N active cases, each formulated at a HELD meeting 10 to 400 days ago.
    children = _children(tag, n, today, rng, 0)
    cases = _cases(children, team, case_managers, CaseStatus.ACTIVE, today, rng)
    ages = [rng.randint(10, 400) for _ in cases]  # days since the formulation meeting
    meetings = Meeting.objects.bulk_create(
        [
            Meeting(
                case=case,
                status=Meeting.Status.HELD,
                starts_at=at(today - dt.timedelta(days=age)),
                held_at=at(today - dt.timedelta(days=age), 13),
                chair=seniors[i % SENIORS],
                psychologist=psychologists[i % PSYCHOLOGISTS],
                review_at=at(today - dt.timedelta(days=age - REVIEW_EVERY)),
            )
            for i, (case, age) in enumerate(zip(cases, ages, strict=True))
        ],
        batch_size=BATCH,
    )

    # Reviews: a case past its first review date has had its latest scheduled review (most
    # on time, 8% missed), which set the next one 12 weeks on. So review_due fires for the
    # ones due within the week and the missed ones.
    reviews = []
    for i, (case, age) in enumerate(zip(cases, ages, strict=True)):
        if age <= REVIEW_EVERY or rng.random() < 0.08:
            continue
        held = today - dt.timedelta(days=age % REVIEW_EVERY)
        reviews.append(
            Review(
                case=case,
                held_on=held,
                chair=seniors[i % SENIORS],
                next_review_on=held + dt.timedelta(days=REVIEW_EVERY + rng.randint(-3, 3)),
            )
        )
    Review.objects.bulk_create(reviews, batch_size=BATCH)

    # Reports: older cases mostly have a final version; some drafts wait for the accuracy
    # check; recent cases have a draft due a month after the meeting, or none started yet.
    report_rows, final_for, checking = [], [], 0
    for i, (case, meeting, age) in enumerate(zip(cases, meetings, ages, strict=True)):
        x = rng.random()
        due = today - dt.timedelta(days=age) + dt.timedelta(days=30)
        if age > 40:
            bands = [(0.85, Report.Status.FINAL), (0.93, Report.Status.CHECKING), (1, None)]
        else:
            bands = [(0.2, Report.Status.CHECKING), (0.8, Report.Status.DRAFT), (1, None)]
        status = next(s for limit, s in bands if x < limit)
        if status is None:
            continue  # not started: report_due counts from the meeting date
        sent = None
        if status == Report.Status.CHECKING:
            sent = now - dt.timedelta(days=rng.randint(0, 10))
            checking += 1
        report_rows.append(
            Report(
                case=case,
                meeting=meeting,
                psychologist=psychologists[i % PSYCHOLOGISTS],
                status=status,
                due_on=due,
                sent_for_check_at=sent,
            )
        )
        if status == Report.Status.FINAL:
            final_for.append(len(report_rows) - 1)
    report_rows = Report.objects.bulk_create(report_rows, batch_size=BATCH)
    ReportVersion.objects.bulk_create(
        [ReportVersion(report=report_rows[j], number=1) for j in final_for], batch_size=BATCH
    )

    # Actions: one to three per case; a fifth of cases have one open and overdue.
    actions = []
    for i, case in enumerate(cases):
        for k in range(rng.randint(1, 3)):
            overdue = k == 0 and rng.random() < 0.2
            due = today + dt.timedelta(days=-rng.randint(1, 60) if overdue else rng.randint(1, 90))
            actions.append(
                Action(
                    case=case,
                    description=f"Action {k + 1}",
                    owner_user=case_managers[i % len(case_managers)],
                    due_on=due,
                    status=Action.Status.OPEN if overdue or rng.random() < 0.7 else "done",
                )
            )
    Action.objects.bulk_create(actions, batch_size=BATCH)

    # --- Cases being prepared: a scheduled meeting in the next two weeks, two invitations
    # each (one declined now and then), ECM consent in place for half.
    n_prep = max(1, n // 20)
    prep = _cases(
        _children(tag, n_prep, today, rng, n),
        team,
        case_managers,
        CaseStatus.PREPARATION,
        today,
        rng,
    )
    scheduled = Meeting.objects.bulk_create(
        [
            Meeting(
                case=case,
                starts_at=at(today + dt.timedelta(days=rng.randint(1, 14))),
                chair=seniors[i % SENIORS],
                psychologist=psychologists[i % PSYCHOLOGISTS],
            )
            for i, case in enumerate(prep)
        ],
        batch_size=BATCH,
    )
    Invitation.objects.bulk_create(
        [
            Invitation(
                meeting=m,
                name=f"Professional {k}",
                agency="education" if k else "social_services",
                email=f"pro{k}.{m.pk}.{tag}@example.org",
                status="declined" if rng.random() < 0.1 else "accepted",
                delivery="sent",
            )
            for m in scheduled
            for k in range(2)
        ],
        batch_size=BATCH,
    )
    consents = []
    for case in prep[::2]:
        signed = today - dt.timedelta(days=10)
        consents.append(Consent(case=case, kind=Consent.Kind.ECM_CHILD, date=signed))
        consents.append(Consent(case=case, kind=Consent.Kind.PARENT_GENERAL, date=signed))
    Consent.objects.bulk_create(consents, batch_size=BATCH)

    # --- Referrals awaiting a decision, submitted up to six weeks ago.
    n_ref = max(1, n // 20)
    referred = _cases(
        _children(tag, n_ref, today, rng, n + n_prep),
        team,
        case_managers,
        CaseStatus.REFERRED,
        today,
        rng,
    )
    Referral.objects.bulk_create(
        [
            Referral(
                case=case,
                status=ReferralStatus.SUBMITTED,
                referrer=case.case_manager,
                submitted_at=now - dt.timedelta(days=rng.randint(0, 42)),
            )
            for case in referred
        ],
        batch_size=BATCH,
    )

    # --- Clinical supervision: each case manager last seen 1 to 70 days ago (a few never).
    sessions, attendance = [], []
    for i, cm in enumerate(case_managers):
        if rng.random() < 0.05:
            continue
        start = at(today - dt.timedelta(days=rng.randint(1, 70)), 14)
        sessions.append(
            Session(
                psychologist=psychologists[i % PSYCHOLOGISTS],
                team=team,
                starts_at=start,
                ends_at=start + dt.timedelta(hours=1),
            )
        )
        attendance.append(cm)
    sessions = Session.objects.bulk_create(sessions, batch_size=BATCH)
    Supervisee.objects.bulk_create(
        [Supervisee(session=s, user=u) for s, u in zip(sessions, attendance, strict=True)],
        batch_size=BATCH,
    )
    return {
        "team": team,
        "users": len(case_managers) + SENIORS + PSYCHOLOGISTS,
        "active": len(cases),
        "prep": len(prep),
        "referred": len(referred),
        "reviews": len(reviews),
        "reports": len(report_rows),
        "checking": checking,
        "actions": len(actions),
        "sessions": len(sessions),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Time the reminder sweep over a large caseload.")
    parser.add_argument("--cases", type=int, default=20000, help="active cases (default 20000)")
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args()
    rng = random.Random(args.seed)  # noqa: S311 - test data, not security
    Task.apply_async = _no_broker  # nothing here may reach the broker
    today = timezone.localdate()
    before = (Case.objects.count(), Reminder.objects.count(), Notification.objects.count())

    with transaction.atomic():
        t0 = time.perf_counter()
        made = build(args.cases, rng)
        t_build = time.perf_counter() - t0
        print(f"Database: {settings.DATABASES['default']['ENGINE']} ({connection.vendor})")
        print(f"Today: {today}")
        print(
            f"Built in {t_build:.1f} s: {made['active']} active cases, {made['prep']} in "
            f"preparation (meeting scheduled), {made['referred']} referred; {made['users']} "
            f"users; {made['reviews']} reviews, {made['reports']} reports "
            f"({made['checking']} in accuracy check), {made['actions']} actions, "
            f"{made['sessions']} supervision sessions"
        )
        print(f"Cases in the database (all teams): {Case.objects.count()}")

        start_rows = Reminder.objects.count()
        t0 = time.perf_counter()
        produced = reminders.sweep(today)
        t_first = time.perf_counter() - t0
        created = Reminder.objects.count() - start_rows
        notifications = Notification.objects.count() - before[2]

        t0 = time.perf_counter()
        produced_again = reminders.sweep(today)
        t_second = time.perf_counter() - t0
        created_again = Reminder.objects.count() - start_rows - created

        print(
            f"sweep 1: {t_first:.2f} s, {produced} rows from the sources, {created} reminders "
            f"created, {notifications} notifications"
        )
        print(
            f"sweep 2: {t_second:.2f} s, {produced_again} rows from the sources, "
            f"{created_again} reminders created (idempotent: {created_again == 0})"
        )
        mine = Reminder.objects.filter(team=made["team"])
        by_kind = {
            r["kind"]: r["n"] for r in mine.values("kind").annotate(n=Count("pk")).order_by("kind")
        }
        by_status = {
            r["email_status"]: r["n"]
            for r in mine.values("email_status").annotate(n=Count("pk")).order_by("email_status")
        }
        print(
            "bench team's reminders by kind: " + ", ".join(f"{k} {v}" for k, v in by_kind.items())
        )
        print("by e-mail status: " + ", ".join(f"{k} {v}" for k, v in sorted(by_status.items())))

        print("per source (list(source(today))):")
        total = 0.0
        for name, kind in reminders.KINDS.items():
            t0 = time.perf_counter()
            dues = list(kind.source(today))
            elapsed = time.perf_counter() - t0
            total += elapsed
            recipients = sum(len(set(d.users)) + len(set(d.emails)) for d in dues)
            print(f"  {name:<18} {elapsed:7.3f} s  {len(dues):6d} due  {recipients:6d} recipients")
        print(f"  {'all sources':<18} {total:7.3f} s")
        transaction.set_rollback(True)

    after = (Case.objects.count(), Reminder.objects.count(), Notification.objects.count())
    assert after == before, (before, after)
    print("Rolled back: nothing was left in the database.")


if __name__ == "__main__":
    main()
