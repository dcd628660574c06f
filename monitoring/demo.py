"""Demo data of the monitoring app: one completed subject access bundle to look at (issue 20),
for Tyler Rees (NG-1001) of Northgate YOT, made by its manager with a sensitive timeline event
withheld; and the monitoring pages' figures of every default view (`readmodel`), so that the
dashboard opens on figures. Built here in the command, without a worker; idempotent (a second
seed makes no second bundle, and computes the figures again)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from ecm.models import Child

from . import readmodel
from .subject_access import services
from .subject_access.models import RedactionItem, SubjectAccessRequest

DEMO_CHILD = "NG-1001"
WITHHOLD_REASON = (
    "Names a third party who has not consented to its release (DPA 2018 Sch. 2 para 16)"
)


def seed(ctx) -> None:
    _subject_access(ctx)
    # Once the whole seed has committed (the other apps' demo data comes after this one).
    transaction.on_commit(readmodel.compute_defaults)


def _subject_access(ctx) -> None:
    child = Child.objects.filter(yot_reference=DEMO_CHILD).first()
    manager = ctx.users.get("manager")
    if child is None or manager is None:
        return
    done = SubjectAccessRequest.objects.filter(child=child, status=SubjectAccessRequest.Status.DONE)
    if done.exists():
        return
    case = child.cases.order_by("-opened_on", "-pk").first()
    sar = SubjectAccessRequest.objects.filter(child=child).first() or (
        services.subject_access_request(
            actor=manager,
            case=case,
            requester=f"{child.first_name} {child.last_name} (the child), with his mother",
            received_on=timezone.localdate() - dt.timedelta(days=6),
        )
    )
    decisions = {}
    withheld_one = False
    for item in sar.items.all():
        if item.kind == RedactionItem.Kind.TIMELINE_EVENT and not withheld_one:
            decisions[item.pk] = ("withhold", WITHHOLD_REASON)
            withheld_one = True
        else:
            decisions[item.pk] = ("release", "")
    if sar.status == SubjectAccessRequest.Status.REVIEW:
        services.subject_access_decide(actor=manager, sar=sar, decisions=decisions)
        sar.refresh_from_db()
        sar = services.subject_access_release(actor=manager, sar=sar, version=sar.version)
    services.subject_access_build(sar.pk)
