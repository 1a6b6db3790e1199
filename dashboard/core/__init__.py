"""What every wing stands on: settings, the DuckDB file and its schema, the query loader, the audit log, backups and UI text."""
