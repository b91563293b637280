"""The demo page answers only its own page: no cross-site form posts, no DNS-rebound host names."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from tests.demo.conftest import DemoClient

SEND = {"phone": "citizen", "kind": "text", "text": "帮助"}


async def _post(client: DemoClient, body: str, headers: dict[str, str]) -> int:
    async with client.http.post(client.url + "api/send", data=body.encode(), headers=headers) as resp:
        return resp.status


async def test_cross_site_and_non_json_posts_are_refused(demo_client: DemoClient) -> None:
    own = f"http://{urlsplit(demo_client.url).netloc}"
    body = json.dumps(SEND)
    # What a hostile page can send without a preflight: a "simple" text/plain or form post.
    assert await _post(demo_client, body, {"Content-Type": "text/plain"}) == 415
    assert await _post(demo_client, body, {"Content-Type": "application/x-www-form-urlencoded"}) == 415
    assert await _post(demo_client, body, {"Content-Type": "application/json", "Origin": "http://evil.example"}) == 403
    assert await _post(demo_client, body, {"Content-Type": "application/json", "Origin": "null"}) == 403
    assert await _post(demo_client, body, {"Content-Type": "application/json",
                                           "Sec-Fetch-Site": "cross-site"}) == 403
    assert await demo_client.phone("citizen") == []
    assert await _post(demo_client, body, {"Content-Type": "application/json", "Origin": own}) == 200
    assert await demo_client.bot_texts("citizen")


async def test_requests_naming_another_host_are_refused(demo_client: DemoClient) -> None:
    port = urlsplit(demo_client.url).port
    async with demo_client.http.get(demo_client.url + "api/info", headers={"Host": f"evil.example:{port}"}) as resp:
        assert resp.status == 421
    async with demo_client.http.get(demo_client.url + "api/info", headers={"Host": f"localhost:{port}"}) as resp:
        assert resp.status == 200
