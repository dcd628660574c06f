"""Time the bulk import of a realistic YOT export: CHILDREN children and OFFENCES offences
(5,000 and 20,000 by default): the preview (parse and plan), the import (one transaction),
the same file imported again (nothing to write), and one that
corrects some children's names (updates with their correction history).

    .venv/bin/python scripts/bench_import.py [--children N] [--offences N]

Everything happens inside one transaction rolled back at the end, so the database is left as
it was (the import's own transaction is a savepoint inside it). Use PostgreSQL through
DATABASE_URL (migrated) for the figures the README quotes; the SQLite demo database works too.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ecm.settings.development")

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from ecm.models import AuditEvent, Membership, Role, Team, User  # noqa: E402
from referrals.imports import services  # noqa: E402
from referrals.models import Offence  # noqa: E402
from tests.referrals.import_data import realistic_csv  # noqa: E402


class Rollback(Exception):
    pass


def _timed(label: str, func):
    start = time.perf_counter()
    result = func()
    took = time.perf_counter() - start
    print(f"{label:<40} {took:7.2f} s")
    return result, took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=5000)
    parser.add_argument("--offences", type=int, default=20000)
    args = parser.parse_args()
    data = realistic_csv(args.children, args.offences)
    print(
        f"{connection.vendor}: {args.children} children, {args.offences} offence rows, "
        f"{len(data) / 1e6:.1f} MB"
    )
    try:
        with transaction.atomic():
            team = Team.objects.create(name="Bench import YOT", code="bench-import")
            user = User.objects.create(username="bench-import", password=make_password(None))
            Membership.objects.create(
                user=user, team=team, role=Role.SENIOR_PRACTITIONER, approved_at=timezone.now()
            )
            plan, _t = _timed(
                "preview (parse and plan)", lambda: services.import_plan(team=team, data=data)
            )
            print(f"  {plan.counts()}")
            audit_before = AuditEvent.objects.count()
            counts, _t = _timed(
                "import (one transaction)",
                lambda: services.import_apply(
                    actor=user, team=team, data=data, expected=plan.counts()
                ),
            )
            print(
                f"  offences stored: {Offence.objects.filter(case__team=team).count()}, "
                f"audit rows: {AuditEvent.objects.count() - audit_before}"
            )
            again, _t = _timed(
                "the same file again (idempotent)",
                lambda: services.import_apply(actor=user, team=team, data=data),
            )
            print(f"  {again}")
            # The export a month later: every child's first name corrected in the YOT system.
            changed = data.replace(b",Rhys,", b",Rhydian,").replace(b",Maya,", b",Maia,")
            later, _t = _timed(
                "an export with changed names",
                lambda: services.import_apply(actor=user, team=team, data=changed),
            )
            print(f"  children updated: {later['children_updated']}")
            raise Rollback
    except Rollback:
        print("rolled back: the database is as it was")


if __name__ == "__main__":
    main()
