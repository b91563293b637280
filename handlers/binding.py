"""Binding a WeChat openid to a staff / leader / supervisor account with a one-time code.

Two ways in: ``绑定 <code>`` typed in chat, or scanning a QR code whose scene value is the code
(``SCAN`` for followers, ``subscribe`` with ``qrscene_<code>`` for new followers).
"""

from __future__ import annotations

from bot.case_policy import ROLE_LABELS
from bot.dispatch import Context, command, event
from bot.services import people
from handlers.commands import EVERYONE, audience_router
from handlers.texts import common
from handlers.texts import staff as texts

router = audience_router("binding", EVERYONE)


def _scene(ctx: Context) -> str:
    key = ctx.event_key
    return key.removeprefix("qrscene_")


def _bind_scene(ctx: Context) -> bool:
    return people.looks_like_code(_scene(ctx))


async def _bind(ctx: Context, code: str) -> str:
    result = await people.bind(ctx.session, ctx.rt, ctx.openid, code)
    person = result.person
    if result.reason == "rate_limited":
        return texts.BIND_RATE_LIMITED
    if result.reason == "openid_taken" and person is not None:
        return texts.BIND_OPENID_TAKEN.format(name=person.name)
    if not result.ok or person is None:
        return texts.BIND_FAILED
    dept = person.department.name if person.department else ""
    role = ROLE_LABELS.get(person.role, person.role)
    if result.reason == "already_bound":
        return texts.BIND_ALREADY.format(dept=dept, name=person.name, role=role)
    # The webhook loaded ctx.person before binding; later messages see the new role.
    ctx.person = person
    return texts.BIND_OK.format(dept=dept, title=person.title or "", name=person.name, role=role)


@router.handle(command("绑定"))
async def bind_by_text(ctx: Context) -> str | None:
    if not ctx.args:
        return texts.BIND_USAGE
    return await _bind(ctx, "".join(ctx.args))


@router.handle(event("scan", "subscribe", "subscribe_scan"), _bind_scene)
async def bind_by_scan(ctx: Context) -> str | None:
    reply = await _bind(ctx, _scene(ctx))
    if ctx.event in ("subscribe", "subscribe_scan"):
        return common.WELCOME + "\n\n" + reply
    return reply
