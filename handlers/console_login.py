"""``登录``: a bound officer asks for a one-time link to the office web console (spec §3.2).

Filtered to staff and above, so a citizen's ``登录`` falls through to the citizen router.
"""

from __future__ import annotations

from bot.dispatch import Context, Router, command, staff_or_above
from bot.services import console_auth
from handlers.texts import console as texts

router = Router("console-login")


@router.handle(staff_or_above(), command("登录"))
async def login_link(ctx: Context) -> str | None:
    assert ctx.person is not None  # the role filter guarantees a bound person
    url = await console_auth.issue_login_link(ctx.session, ctx.rt, ctx.person)
    return texts.LOGIN_LINK.format(url=url) if url else texts.LOGIN_UNAVAILABLE
