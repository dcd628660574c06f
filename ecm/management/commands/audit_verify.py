"""`manage.py audit_verify`: walk the audit log's hash chain and report the first broken link.

Exit status 0 when every row verifies, 1 (with the row and what differs) when one does not.
Run it from cron or by hand; it prints the head's hash: kept outside the database (a log, a
ticket), it proves later that the rows up to there were not rewritten. See
docs/notes-auditlog.md.
"""

from django.core.management.base import BaseCommand, CommandError

from ecm.audit import audit_chain_verify


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; report the first broken link and exit 1."

    def handle(self, *args, **options):
        report = audit_chain_verify()
        if not report.ok:
            raise CommandError(
                f"Audit chain broken after {report.checked} row(s): {report.problem}", returncode=1
            )
        if report.checked:
            self.stdout.write(
                f"Audit chain verified: {report.checked} row(s), #{report.first_id} to "
                f"#{report.last_id}; head hash {report.last_hash}."
            )
        else:
            self.stdout.write("Audit chain verified: no rows.")
