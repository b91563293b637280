"""Multi-process tests on PostgreSQL: real ``xinfang serve`` processes, one database, the fake platform."""
