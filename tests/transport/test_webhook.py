"""The /wechat endpoint over real HTTP: verification, both modes, signatures, limits, hostile XML, retries."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.pool import NullPool

from bot.clock import FakeClock
from bot.wechat import protocol
from storage.engine import make_engine
from storage.models import InboundMessage
from tests.harness import Service, running_service


async def _inbound_count(service: Service) -> int:
    async with service.rt.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(InboundMessage)) or 0)


async def test_verification_get_echoes_echostr(service: Service) -> None:
    result = await service.user("o-citizen").verify_url("1234567890")
    assert result.status == 200
    assert result.text == "1234567890"


async def test_verification_get_with_forged_signature_is_403(service: Service) -> None:
    result = await service.user("o-citizen").verify_url("42", bad_signature=True)
    assert result.status == 403


async def test_aes_text_message_gets_decryptable_signed_reply(service: Service) -> None:
    result = await service.user("o-aes").text("帮助")
    assert result.status == 200
    # The fake platform verified msg_signature and decrypted the reply before parsing it.
    assert result.reply is not None
    assert result.reply["ToUserName"] == "o-aes"
    assert result.reply_text


async def test_plaintext_text_message_gets_reply(db_url: str, clock: FakeClock, tmp_path: Path) -> None:
    async with running_service(db_url, clock, tmp_path, wechat_aes_key="") as service:
        result = await service.user("o-plain", safe=False).text("帮助")
        assert result.status == 200
        assert "<xml>" in result.text and "o-plain" in result.text
        assert result.reply_text


async def test_forged_signature_is_403_and_nothing_stored(service: Service) -> None:
    user = service.user("o-forger")
    assert (await user.text("你好", bad_signature=True)).status == 403
    assert (await user.text("你好", bad_msg_signature=True)).status == 403
    assert await _inbound_count(service) == 0


async def test_old_timestamp_is_rejected_as_replay(service: Service) -> None:
    old = int(service.clock.now().timestamp()) - 3600
    result = await service.user("o-replay").text("你好", timestamp=old)
    assert result.status == 403
    assert await _inbound_count(service) == 0


async def test_one_mebibyte_body_is_413(service: Service) -> None:
    query = service.user("o-big").sender.sign_query()
    async with aiohttp.ClientSession() as http:
        async with http.post(service.url, params=query, data=b"<xml>" + b"a" * (1024 * 1024) + b"</xml>") as resp:
            assert resp.status == 413


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<xml><ToUserName>gh</ToUserName><FromUserName>o-x</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&lol9;</Content><MsgId>1</MsgId></xml>"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xml><ToUserName>gh</ToUserName><FromUserName>o-x</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&xxe;</Content><MsgId>2</MsgId></xml>"""


async def _post_raw(service: Service, body: bytes, *, safe: bool) -> tuple[int, float]:
    user = service.user("o-hostile", safe=safe)
    query = user.sender.sign_query()
    if safe:
        # Safe mode: the hostile XML is the outer envelope (signed over an Encrypt we pretend to carry).
        encrypt = "AAAA"
        query.update({"encrypt_type": "aes",
                      "msg_signature": protocol.sha1_signature(service.settings.wechat_token, query["timestamp"],
                                                               query["nonce"], encrypt)})
    started = time.monotonic()
    async with aiohttp.ClientSession() as http:
        async with http.post(service.url, params=query, data=body) as resp:
            await resp.read()
            return resp.status, time.monotonic() - started


async def test_billion_laughs_and_xxe_are_400_quickly(db_url: str, clock: FakeClock, tmp_path: Path) -> None:
    # Compatible mode: both the plaintext and the safe-mode parser are reachable.
    async with running_service(db_url, clock, tmp_path, wechat_compat_mode=True) as service:
        for body in (BILLION_LAUGHS, XXE):
            for safe in (False, True):
                status, elapsed = await _post_raw(service, body.encode(), safe=safe)
                assert status == 400
                assert elapsed < 1.0
        assert await _inbound_count(service) == 0


async def test_malformed_bodies_are_400_without_side_effects(db_url: str, clock: FakeClock, tmp_path: Path) -> None:
    async with running_service(db_url, clock, tmp_path, wechat_compat_mode=True) as service:
        bodies = [b"not xml at all", b"<foo><bar/></foo>", b"<xml><MsgType>text</MsgType>",
                  b"\xff\xfe\x00garbage", b"<xml><ToUserName>gh</ToUserName></xml>"]
        for body in bodies:
            status, _ = await _post_raw(service, body, safe=False)
            assert status == 400, body
        user = service.user("o-aes-bad")
        # Correctly signed but undecryptable ciphertext (bad base64, then valid base64 of garbage).
        for encrypt in ("!!!notbase64!!!", "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVowMTIzNDU2Nzg5"):
            result = await user.text("你好", encrypt=encrypt)
            assert result.status == 400
        assert await _inbound_count(service) == 0


async def test_unknown_message_type_gets_success(service: Service) -> None:
    user = service.user("o-odd")
    result = await user.sender.push({"ToUserName": "gh", "FromUserName": "o-odd", "CreateTime": "1",
                                     "MsgType": "shortvideo_unknown_kind", "MsgId": "777"})
    assert result.status == 200
    unknown_event = await user.event("SOME_NEW_EVENT")
    assert unknown_event.status == 200
    assert unknown_event.text == "success"


async def test_retried_msgid_gets_same_reply_and_one_stored_message(service: Service) -> None:
    user = service.user("o-retry")
    first = await user.text("帮助")
    replays = [await user.replay(first) for _ in range(3)]
    assert {r.status for r in replays} == {200}
    assert {r.reply_text for r in replays} == {first.reply_text}
    assert await _inbound_count(service) == 1


async def test_concurrent_retries_of_one_msgid_store_one_message(service: Service) -> None:
    user = service.user("o-concurrent")
    request, plain = user.sender.build_push(
        {"ToUserName": "gh", "FromUserName": "o-concurrent", "CreateTime": str(int(service.clock.now().timestamp())),
         "MsgType": "text", "Content": "帮助", "MsgId": str(user.sender.next_msgid())})
    results = await asyncio.gather(*(user.sender.send(request, message_xml=plain) for _ in range(4)))
    assert {r.status for r in results} == {200}
    assert len({r.reply_text for r in results}) == 1
    assert await _inbound_count(service) == 1


async def test_retried_event_is_deduplicated_by_sender_and_create_time(service: Service) -> None:
    user = service.user("o-event")
    first = await user.subscribe()
    again = await user.replay(first)
    assert again.reply_text == first.reply_text
    assert await _inbound_count(service) == 1


async def test_healthz_reports_database(service: Service) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(service.url.replace("/wechat", "/healthz")) as resp:
            assert resp.status == 200
            assert (await resp.json())["database"] == "ok"


async def test_reply_text_with_cdata_terminator_and_controls_survives() -> None:
    xml = protocol.render_text_reply(to_user="o", from_user="gh", content="a]]>b\x01c", create_time=1)
    fields = protocol.guard_xml(xml)
    assert fields["Content"] == "a]]>bc"


async def test_postgres_restart_costs_no_message(service: Service) -> None:
    """The pool does not ping: connections the server dropped fail on use, are replaced, and the
    message is processed on a fresh one instead of being answered with an error."""
    if service.rt.settings.database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL only: SQLite has no server to restart")
    user = service.user("o-restart")
    assert (await user.text("帮助")).reply_text
    # What a PostgreSQL restart does to every pooled connection of this process (from outside it).
    admin = make_engine(service.rt.settings.database_url, poolclass=NullPool)
    async with admin.connect() as conn:
        dropped = (await conn.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"))).scalar_one()
    await admin.dispose()
    assert dropped >= 1
    result = await user.text("小区门口的路灯坏了一个星期，晚上很黑")
    assert result.status == 200
    assert "地点" in result.reply_text
    assert not service.rt.handler_errors
