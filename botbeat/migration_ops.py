"""Migration operations for PostgreSQL-only database objects.

The models declare these objects (so Django's migration state and `makemigrations --check`
know them), but SQLite cannot build them: there the operation changes the state only.
"""

from django.db.migrations.operations import AddIndex


class AddIndexPostgres(AddIndex):
    """`AddIndex` that creates the index on PostgreSQL and skips it elsewhere (a GIN index)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
