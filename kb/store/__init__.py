"""Storage: tickets and help-session events in SQLAlchemy (SQLite by default, PostgreSQL by URL)."""
