"""Reception tests share the timed-work fixtures: a runtime on the test database and a seeded office."""

from tests.jobs.conftest import office, rt  # noqa: F401  (fixtures)
