"""The SQLite register: schema, migrations, sync columns, change log. All SQL lives here."""
