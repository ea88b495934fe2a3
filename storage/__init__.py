"""Every store the gateway owns, on one SQLAlchemy engine (SQLite file by default, PostgreSQL by URL), with its
schema under Alembic migrations (`storage/migrations`)."""
