"""The ``xinfang`` command line: serve, db, and the admin commands each defined in its own module."""

from __future__ import annotations

import click

from bot.cli.campaign import campaign
from bot.cli.db import db
from bot.cli.demo import chat, demo
from bot.cli.dept import dept
from bot.cli.export import export
from bot.cli.media import media
from bot.cli.menu import menu
from bot.cli.outbox import outbox
from bot.cli.people import people
from bot.cli.reception import reception
from bot.cli.report import report
from bot.cli.rules import rules
from bot.cli.serve import serve


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """信访服务号（大接访/大下访）命令行工具。"""


main.add_command(serve)
main.add_command(db)
main.add_command(export)
main.add_command(report)
main.add_command(people)
main.add_command(dept)
main.add_command(outbox)
main.add_command(demo)
main.add_command(chat)
main.add_command(menu)
main.add_command(reception)
main.add_command(campaign)
main.add_command(rules)
main.add_command(media)
