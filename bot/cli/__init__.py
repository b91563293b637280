"""The ``xinfang`` command line: serve, db, and the admin commands each defined in its own module.

Subcommands are imported when they run (click's lazy-group pattern): a process such as
``xinfang console`` starts without loading Alembic, the campaign tools or the demo it never uses.
"""

from __future__ import annotations

import importlib

import click

# name -> "module:attribute"
COMMANDS = {
    "serve": "bot.cli.serve:serve",
    "db": "bot.cli.db:db",
    "export": "bot.cli.export:export",
    "report": "bot.cli.report:report",
    "people": "bot.cli.people:people",
    "dept": "bot.cli.dept:dept",
    "outbox": "bot.cli.outbox:outbox",
    "demo": "bot.cli.demo:demo",
    "chat": "bot.cli.demo:chat",
    "menu": "bot.cli.menu:menu",
    "reception": "bot.cli.reception:reception",
    "campaign": "bot.cli.campaign:campaign",
    "rules": "bot.cli.rules:rules",
    "media": "bot.cli.media:media",
    "console": "bot.cli.console:console",
    "holidays": "bot.cli.holidays:holidays",
}


class LazyGroup(click.Group):
    """A group whose subcommands in ``COMMANDS`` load on first use; ``add_command`` still works."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in COMMANDS:
            module, _, attribute = COMMANDS[cmd_name].partition(":")
            command = getattr(importlib.import_module(module), attribute)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """信访服务号（大接访/大下访）命令行工具。"""
