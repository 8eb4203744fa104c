"""SQLAlchemy 2 Core store: SQLite by default, PostgreSQL for scale, same code."""
