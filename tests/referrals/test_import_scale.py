"""The import at scale: a realistic export, written with bulk inserts (a constant number of
queries whatever its size), validated row by row all the same. The full 5,000 children and
20,000 offences are timed by scripts/bench_import.py (the README's figure); the suite runs a
tenth of it."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from ecm.audit import audit_chain_verify
from ecm.models import AuditEvent, Child
from referrals.imports import services
from referrals.models import Offence
from tests.referrals.import_data import realistic_csv


def test_a_realistic_export_is_imported_in_a_constant_number_of_queries(world):
    data = realistic_csv(500, 2000)
    known = Child.objects.filter(cases__team=world.yot_a).distinct().count()
    plan = services.import_plan(team=world.yot_a, data=data)
    assert plan.counts()["rows_with_errors"] == 0, plan.errors[:3]
    assert plan.counts()["children_created"] == 500 and plan.new_offences == 2000
    with CaptureQueriesContext(connection) as small:
        services.import_apply(
            actor=world.senior, team=world.yot_a, data=realistic_csv(50, 200, seed=7, prefix="SML")
        )
    with CaptureQueriesContext(connection) as large:
        counts = services.import_apply(
            actor=world.senior, team=world.yot_a, data=data, expected=plan.counts()
        )
    assert counts == plan.counts()
    # Batches of 2,000: a few more inserts for the larger file, never one per row.
    assert len(large.captured_queries) <= len(small.captured_queries) + 20
    assert len(large.captured_queries) < 60
    assert Child.objects.filter(cases__team=world.yot_a).distinct().count() == known + 550
    assert Offence.objects.filter(case__team=world.yot_a).count() == 2200
    assert AuditEvent.objects.filter(detail="bulk import").count() == 2 * 550 + 2200
    assert audit_chain_verify().ok
    again = services.import_apply(actor=world.senior, team=world.yot_a, data=data)
    assert again["offences_added"] == 0 and again["children_unchanged"] == 500
