"""Approve a waiting membership from the command line, for the case nobody in the product can:
a new team's first manager. Audited as the system; the user and the team's managers are told.

    manage.py membership_approve <membership id> --reason "first manager of Northgate YOT"
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from ecm.memberships import membership_approve_by_system
from ecm.models import Membership


class Command(BaseCommand):
    help = "Approve a membership waiting for approval (e.g. a new team's first manager)."

    def add_arguments(self, parser):
        parser.add_argument("membership_id", type=int)
        parser.add_argument("--reason", required=True, help="Why (kept in the audit log).")

    def handle(self, *args, membership_id: int, reason: str, **options):
        membership = Membership.objects.filter(pk=membership_id).first()
        if membership is None:
            raise CommandError(f"No membership {membership_id}.")
        try:
            membership_approve_by_system(membership=membership, reason=reason)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(f"Approved: {membership}")
