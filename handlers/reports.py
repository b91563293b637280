"""Handlers for reports (filled in by its issue)."""

from __future__ import annotations

from bot.dispatch import Router

router = Router("reports")
