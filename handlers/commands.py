"""The command registry: every command word a router answers, by audience.

Audience routers (``handlers.staff``, ``leader``, ``campaign``…) and flows are built with
``COMMANDS``; each route that answers a command word records it here as it is registered. The
citizen router's last text route asks ``COMMANDS.command_of(...)`` so a citizen typing a staff word
is answered as such and never starts a petition draft: adding a staff command is one route and one
text, with nothing else to remember.
"""

from __future__ import annotations

from bot.dispatch import CommandRegistry, Filter, Router

COMMANDS = CommandRegistry()

CITIZEN = "citizen"
STAFF = "staff"  # bound officers of every role (the router filters by role)
EVERYONE = "everyone"  # answered whoever asks (绑定, 接访安排)


def audience_router(name: str, audience: str, *filters: Filter) -> Router:
    """A router whose command words go into ``COMMANDS`` under ``audience``; ``filters`` (the role
    filter) apply to every route."""
    return Router(name, *filters, audience=audience, registry=COMMANDS)


def officer_command() -> Filter:
    """A text whose first word is a command for officers (staff, leaders, 督查室)."""
    return COMMANDS.command_of(STAFF)
