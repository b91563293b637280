"""The office web console (``xinfang console``): server-rendered pages for the desk side of 信访 work.

Its own aiohttp process, meant for the office network behind nginx and never on the public
``/wechat`` host. Pages are Jinja2 templates (``templates/``) that work without JavaScript; only
the dashboard's charts need it (Apache ECharts, vendored in ``static/``). Login is a one-time link
from chat; visibility and rights come from the same service functions chat uses. The routes call
``bot.services`` only — an import-linter contract keeps ``storage`` out of this package.
"""

from bot.console.app import create_console_app

__all__ = ["create_console_app"]
