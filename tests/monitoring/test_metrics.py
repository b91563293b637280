"""``/metrics``: counters move with real traffic, the text parses, and a database outage never hangs a scrape."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from bot.app import create_app
from bot.jobs.scheduler import JOBS, run_job
from bot.settings import Settings
from storage.repositories.outbox import insert_message
from tests.harness import Service

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(base: str) -> Samples:
    async with aiohttp.ClientSession() as http, http.get(f"{base}/metrics") as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/plain")
        body = await resp.text()
    samples: Samples = {}
    for family in text_string_to_metric_families(body):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_move_with_messages_sends_and_jobs(service: Service) -> None:
    base = service.url.removesuffix("/wechat")
    before = await scrape(base)
    await service.say("o-metrics", "小区门口的路灯坏了一个月，晚上很黑")
    await service.say("o-metrics", "跳过")
    async with service.rt.sessions() as session, session.begin():
        await insert_message(session, openid="o-metrics", kind="reply", text="您好", now=service.clock.now())
    service.wx.fail_next("message/custom/send", 40003)
    await service.deliver_outbox()  # fetches a token, then WeChat refuses the openid
    await run_job(service.rt, JOBS[0])
    after = await scrape(base)

    assert value(after, "xinfang_webhook_requests_total", outcome="ok") - \
        value(before, "xinfang_webhook_requests_total", outcome="ok") == 2
    assert value(after, "xinfang_webhook_seconds_count") - value(before, "xinfang_webhook_seconds_count") == 2
    assert value(after, "xinfang_webhook_seconds_bucket", le="+Inf") == value(after, "xinfang_webhook_seconds_count")
    assert value(after, "xinfang_outbox_send_failures_total", errcode="40003") - \
        value(before, "xinfang_outbox_send_failures_total", errcode="40003") == 1
    assert value(after, "xinfang_token_refreshes_total") - value(before, "xinfang_token_refreshes_total") >= 1
    assert value(after, "xinfang_outbox_messages", status="failed") == 1
    assert value(after, "xinfang_outbox_messages", status="sent") == 0
    assert value(after, "xinfang_job_last_success_timestamp_seconds", job=JOBS[0].name) == \
        service.clock.now().timestamp()
    assert ("xinfang_cases_open", (("overdue", "false"),)) in after
    assert value(after, "xinfang_database_up") == 1
    assert value(after, "xinfang_process_role", role="webhook") == 1

    # A rejected push (bad signature) is counted as such.
    async with aiohttp.ClientSession() as http, http.post(service.url, data=b"<xml/>") as resp:
        assert resp.status in (400, 403)
    assert value(await scrape(base), "xinfang_webhook_requests_total", outcome="rejected") >= 1


@contextlib.asynccontextmanager
async def black_hole() -> AsyncIterator[int]:
    """A TCP port that accepts connections and never answers: a database that hangs."""
    held: list[asyncio.StreamWriter] = []

    async def accept(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        for writer in held:
            writer.close()
        server.close()


async def test_scrape_during_database_outage_answers_quickly_with_database_down() -> None:
    async with black_hole() as port:
        settings = Settings(database_url=f"postgresql+asyncpg://xinfang@127.0.0.1:{port}/xinfang",
                            wechat_api_base="http://127.0.0.1:9")
        runner = web.AppRunner(create_app(settings, components={"webhook"}), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, app_port = runner.addresses[0][:2]
        try:
            start = time.monotonic()
            samples = await asyncio.wait_for(scrape(f"http://{host}:{app_port}"), 10)
            assert time.monotonic() - start < 5
            assert value(samples, "xinfang_database_up") == 0
            assert ("xinfang_webhook_seconds_count", ()) in samples  # the rest of the exposition is there
        finally:
            await runner.cleanup()
