"""Fixtures of the console tests (see desk.py)."""

from tests.console.desk import desk  # noqa: F401  (fixture)
