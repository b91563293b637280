"""Timed work (§5) on APScheduler: reception notices, the deadline alert ladder, auto-close, 回头看.

Every job is a function of the runtime that reads "now" from ``rt.now()`` and recomputes what is due
from the database; ``bot.outbox.notify`` with a dedupe key per (kind, target, case or session, due
moment) makes each notification once-only, so restarts, missed runs and a second scheduler change
nothing. ``bot.jobs.scheduler`` only decides when the jobs run. Jobs call services (never the
reverse) and read their numbers and times from ``bot.case_policy``; their notice texts are
``bot.services.notice_texts``.
"""
