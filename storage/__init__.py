"""Persistence: SQLAlchemy models, engine/session factory, repositories and Alembic migrations."""
