"""Import children and their offences from a CSV export of the YOT's system, as the import
page does (docs/notes-import.md):

    manage.py import_children caseload.csv --team alpha [--dry-run] [--valid-rows-only]
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from ecm.models import Team
from referrals.imports import services


class Command(BaseCommand):
    help = "Import children and their offences from a CSV export of the YOT's own system."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The CSV file.")
        parser.add_argument("--team", required=True, help="The code of the YOT to import into.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Show what would be done; write nothing."
        )
        parser.add_argument(
            "--valid-rows-only",
            action="store_true",
            help="Import the rows without errors (otherwise one row error stops the import).",
        )

    def handle(self, *args, file: Path, team: str, dry_run: bool, valid_rows_only: bool, **opts):
        try:
            the_team = Team.objects.get(code=team, is_active=True)
        except Team.DoesNotExist:
            raise CommandError(f"No active team with the code {team!r}.") from None
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}.") from None
        try:
            plan = services.import_plan(team=the_team, data=data)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        for notice in plan.notices:
            self.stderr.write(notice)
        for error in plan.errors:
            self.stderr.write(error)
        self._counts(plan.counts(), "Would import" if dry_run else "Importing")
        if dry_run:
            return
        try:
            services.import_apply(
                actor=None, team=the_team, data=data, skip_invalid=valid_rows_only
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(self.style.SUCCESS("Imported."))

    def _counts(self, counts: dict[str, int], heading: str) -> None:
        self.stdout.write(f"{heading}:")
        for name, value in counts.items():
            self.stdout.write(f"  {name.replace('_', ' ')}: {value}")
