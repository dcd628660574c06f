"""Audit rows become append-only and chained (issue 20, ASVS V7.3; docs/notes-auditlog.md).

1. Chain the rows already there, in id order (before the trigger, which would refuse it).
2. PostgreSQL: `ecm_audit_chain_head(key)` (the chain's lock and head in one query) and
   BEFORE UPDATE OR DELETE triggers that refuse any change to an audit row or checkpoint,
   except the two sanctioned paths `ecm.audit` opens for one statement with a transaction-
   local setting: pseudonymisation (only object_label, detail, personal_salt and
   pseudonymised_at may change, once) and retention (DELETE).
   SQLite (the demo): triggers that refuse the same, the sanctioned paths opened by a row in
   `ecm_audit_unlock` that only exists inside the transaction that uses it.
"""

from django.db import migrations

PG_INSTALL = r"""
CREATE OR REPLACE FUNCTION ecm_audit_chain_head(lock_key bigint) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE head text;
BEGIN
  -- Held until the transaction ends; each statement below then sees what the previous
  -- holder committed (a fresh snapshot per statement in a volatile function).
  PERFORM pg_advisory_xact_lock(lock_key);
  SELECT row_hash INTO head FROM ecm_auditevent ORDER BY id DESC LIMIT 1;
  IF NOT FOUND THEN
    SELECT head_hash INTO head FROM ecm_auditcheckpoint ORDER BY id DESC LIMIT 1;
  END IF;
  RETURN coalesce(head, '');
END $$;

CREATE OR REPLACE FUNCTION ecm_audit_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  personal text[] := ARRAY['object_label', 'detail', 'personal_salt', 'pseudonymised_at'];
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF current_setting('ecm.audit_retention', true) = 'on' THEN
      RETURN OLD;
    END IF;
  ELSIF current_setting('ecm.audit_pseudonymise', true) = 'on'
      AND OLD.pseudonymised_at IS NULL AND NEW.pseudonymised_at IS NOT NULL
      AND (to_jsonb(NEW) - personal) = (to_jsonb(OLD) - personal) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE OR REPLACE FUNCTION ecm_audit_checkpoint_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit checkpoints are append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER ecm_audit_append_only BEFORE UPDATE OR DELETE ON ecm_auditevent
  FOR EACH ROW EXECUTE FUNCTION ecm_audit_guard();
CREATE TRIGGER ecm_audit_checkpoint_append_only BEFORE UPDATE OR DELETE ON ecm_auditcheckpoint
  FOR EACH ROW EXECUTE FUNCTION ecm_audit_checkpoint_guard();
"""

PG_REMOVE = """
DROP TRIGGER IF EXISTS ecm_audit_append_only ON ecm_auditevent;
DROP TRIGGER IF EXISTS ecm_audit_checkpoint_append_only ON ecm_auditcheckpoint;
DROP FUNCTION IF EXISTS ecm_audit_guard();
DROP FUNCTION IF EXISTS ecm_audit_checkpoint_guard();
DROP FUNCTION IF EXISTS ecm_audit_chain_head(bigint);
"""

SQLITE_INSTALL = [
    "CREATE TABLE ecm_audit_unlock (what varchar(20) NOT NULL)",
    """CREATE TRIGGER ecm_audit_no_update BEFORE UPDATE ON ecm_auditevent
    WHEN NOT EXISTS (SELECT 1 FROM ecm_audit_unlock WHERE what = 'pseudonymise')
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only: UPDATE refused'); END""",
    """CREATE TRIGGER ecm_audit_no_delete BEFORE DELETE ON ecm_auditevent
    WHEN NOT EXISTS (SELECT 1 FROM ecm_audit_unlock WHERE what = 'retention')
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only: DELETE refused'); END""",
    """CREATE TRIGGER ecm_audit_checkpoint_no_update BEFORE UPDATE ON ecm_auditcheckpoint
    BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only: UPDATE refused'); END""",
    """CREATE TRIGGER ecm_audit_checkpoint_no_delete BEFORE DELETE ON ecm_auditcheckpoint
    BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only: DELETE refused'); END""",
]

SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS ecm_audit_no_update",
    "DROP TRIGGER IF EXISTS ecm_audit_no_delete",
    "DROP TRIGGER IF EXISTS ecm_audit_checkpoint_no_update",
    "DROP TRIGGER IF EXISTS ecm_audit_checkpoint_no_delete",
    "DROP TABLE IF EXISTS ecm_audit_unlock",
]

BATCH = 2000


def chain_existing(apps, schema_editor):
    """Give the rows already there their salt, digest and place in the chain, oldest id first.
    The serialisation is ecm.audit's (versioned: CHAIN_VERSION), so they verify like new ones."""
    import secrets

    from ecm.audit import CHAINED_FIELDS, personal_digest, row_hash

    AuditEvent = apps.get_model("ecm", "AuditEvent")
    db = schema_editor.connection.alias
    fields = [f for f in CHAINED_FIELDS if f != "personal_digest"]
    prev, last_pk = "", 0
    while True:
        rows = list(
            AuditEvent.objects.using(db)
            .filter(pk__gt=last_pk)
            .order_by("pk")
            .values("pk", "object_label", "detail", *fields)[:BATCH]
        )
        if not rows:
            return
        updates = []
        for row in rows:
            salt = secrets.token_hex(16)
            row["personal_digest"] = personal_digest(
                object_label=row["object_label"], detail=row["detail"], salt=salt
            )
            digest = row_hash(row, prev)
            updates.append(
                AuditEvent(
                    pk=row["pk"],
                    personal_salt=salt,
                    personal_digest=row["personal_digest"],
                    prev_hash=prev,
                    row_hash=digest,
                )
            )
            prev, last_pk = digest, row["pk"]
        AuditEvent.objects.using(db).bulk_update(
            updates, ["personal_salt", "personal_digest", "prev_hash", "row_hash"]
        )


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_INSTALL, params=None)
    elif vendor == "sqlite":
        for sql in SQLITE_INSTALL:
            schema_editor.execute(sql, params=None)


def remove(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_REMOVE, params=None)
    elif vendor == "sqlite":
        for sql in SQLITE_REMOVE:
            schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("ecm", "0015_auditevent_hash_chain")]

    operations = [
        migrations.RunPython(chain_existing, migrations.RunPython.noop),
        migrations.RunPython(install, remove),
    ]
