"""``登录``: a bound officer asks for a one-time link to the office web console (spec §3.2).

The router carries the officer filter and records the word in ``handlers.commands``: a citizen's
``登录`` is told it is for staff, never taken as the start of a petition.
"""

from __future__ import annotations

from bot.dispatch import Context, command, staff_or_above
from bot.services import console_auth
from handlers.commands import STAFF, audience_router
from handlers.texts import console as texts

router = audience_router("console-login", STAFF, staff_or_above())


@router.handle(command("登录"))
async def login_link(ctx: Context) -> str | None:
    assert ctx.person is not None  # the role filter guarantees a bound person
    url = await console_auth.issue_login_link(ctx.session, ctx.rt, ctx.person)
    return texts.LOGIN_LINK.format(url=url) if url else texts.LOGIN_UNAVAILABLE
