"""Persistence: SQLAlchemy models, engine/session factory, unit of work, repositories, migrations.

Storage decides nothing about policy: which statuses a query filters on is passed in by the caller
(from ``bot.case_policy``). Nothing here imports ``bot`` or ``handlers``.
"""
