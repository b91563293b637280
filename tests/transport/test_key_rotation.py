"""EncodingAESKey rotation: the previous key keeps working, and replies use the key that decrypted."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from bot.app import create_app
from bot.clock import FakeClock
from bot.simulator import FakeWeChat, new_aes_key
from tests.harness import make_settings


async def test_previous_aes_key_still_accepted_and_used_for_reply(db_url: str, clock: FakeClock, tmp_path: Path) -> None:
    old_key, new_key = new_aes_key(), new_aes_key()
    async with FakeWeChat.running(clock=clock) as wx:
        settings = make_settings(db_url, wx, tmp_path, wechat_aes_key=new_key, wechat_aes_key_previous=old_key)
        runner = web.AppRunner(create_app(settings, clock, components={"webhook"}), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        url = f"http://{host}:{port}/wechat"
        try:
            for key in (new_key, old_key):
                result = await wx.user("o-rotate", url, settings.wechat_token, key).text("帮助")
                assert result.status == 200
                # The pusher decrypts the reply with the key it used: it must match.
                assert result.reply_text
            stranger = await wx.user("o-rotate", url, settings.wechat_token, new_aes_key()).text("帮助")
            assert stranger.status == 400
        finally:
            await runner.cleanup()
