"""``python -m bot.cli`` runs the ``xinfang`` command line."""

from bot.cli import main

main()
