"""Storage: SQLAlchemy 2 models, sessions and repositories (SQLite embedded, PostgreSQL by URL)."""
