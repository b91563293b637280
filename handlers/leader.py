"""Handlers for leader (filled in by its issue)."""

from __future__ import annotations

from bot.dispatch import Router

router = Router("leader")
