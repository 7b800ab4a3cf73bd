# The audit is append-only in the database too: on PostgreSQL a trigger refuses UPDATE and DELETE
# of its rows, whoever asks (the admin already offers neither).

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION support_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'support_auditentry is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER support_audit_append_only BEFORE UPDATE OR DELETE ON support_auditentry
    FOR EACH ROW EXECUTE FUNCTION support_audit_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS support_audit_append_only ON support_auditentry;
DROP FUNCTION IF EXISTS support_audit_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ("support", "0001_audit"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
