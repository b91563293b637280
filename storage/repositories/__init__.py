"""Queries named for the question they answer; they never commit (the service owns the unit of work)."""
