"""Load generator for the ``/wechat`` webhook: speaks WeChat's push protocol and prints one JSON line.

Every request is built (signed, and in safe mode AES-encrypted) before the clock starts, as raw
HTTP/1.1 bytes, so the timed loop only writes bytes, reads the answer and checks it. The client is
a minimal keep-alive HTTP/1.1 client on asyncio streams rather than aiohttp's: the load generator
shares a 2-core machine with the server, and the cheaper the client, the more of the machine the
server under test gets (its own CPU share is reported as ``client_cpu``).

Scenarios:
  start  every request is the first message of a fresh citizen (starts a report)
  mix    ~1,000 citizens walk through reports: complaint, place (typed, location or 跳过), phone,
         确认, 查询, plus subscribe / menu-click events and exact retries of earlier requests

A citizen's messages are sent in order: a request waits until the one before it (same openid)
has been answered. Retries are byte-identical to the original and must get the same reply text.

Closed loop (``--concurrency N``): N connections, each sends the next request when the previous
answer arrives. Open loop (``--rate R``): requests are due at fixed times whatever the server
does, and latency counts from the due time, so a stalled server cannot hide its queue.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import os
import random
import resource
import secrets
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

from wechatpy.crypto import PrpCrypto

HERE = Path(__file__).resolve().parent
SORRY_PREFIX = "抱歉，系统暂时繁忙"
REQUEST_TIMEOUT = 10.0
ACCOUNT = "gh_benchaccount"

ADDRESSES = [
    "城关镇解放路18号", "东关街道幸福里小区5栋", "城南新村八栋二单元", "西河乡李家村三组", "工业园区创业大道66号",
    "北街社区菜市场旁", "河口镇中心小学对面", "县人民医院北门", "滨河路与建设路交叉口", "青山村委会西侧",
]
QUERY_TEXTS = ["查询", "查询", "我要查询"]


def sha1_signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def load_texts(path: Path = HERE / "texts.txt") -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


@dataclass(slots=True)
class Req:
    raw: bytes
    openid: str
    kind: str
    prev: int = -1  # index of the same citizen's previous request (wait for its answer)
    retry_of: int = -1  # index of the request this one repeats byte for byte
    expect_reply: bool = False  # a text message must never be answered with silence


class Builder:
    """Turns message fields into signed (and optionally encrypted) HTTP requests."""

    def __init__(self, *, token: str, appid: str, aes_key: str, mode: str, host: str, path: str) -> None:
        self.token = token
        self.appid = appid
        self.mode = mode
        self.host = host
        self.path = path
        self.crypto = PrpCrypto(base64.b64decode(aes_key + "=")) if mode == "aes" else None
        self.timestamp = str(int(time.time()))
        self.msg_id = int(time.time() * 1000) * 1000 + random.randrange(1000)
        self.create_time = int(time.time())

    def next_msg_id(self) -> int:
        self.msg_id += 1
        return self.msg_id

    def message(self, openid: str, msg_type: str, **fields: object) -> bytes:
        self.create_time += 1  # events are de-duplicated on FromUserName + CreateTime: keep them distinct
        parts = [f"<xml><ToUserName>{cdata(ACCOUNT)}</ToUserName><FromUserName>{cdata(openid)}</FromUserName>"
                 f"<CreateTime>{self.create_time}</CreateTime><MsgType>{cdata(msg_type)}</MsgType>"]
        for name, value in fields.items():
            body = str(value) if isinstance(value, int | float) else cdata(str(value))
            parts.append(f"<{name}>{body}</{name}>")
        if msg_type != "event":
            parts.append(f"<MsgId>{self.next_msg_id()}</MsgId>")
        parts.append("</xml>")
        return self.request(openid, "".join(parts))

    def request(self, openid: str, xml: str) -> bytes:
        nonce = secrets.token_hex(5)
        query = {"signature": sha1_signature(self.token, self.timestamp, nonce), "timestamp": self.timestamp,
                 "nonce": nonce, "openid": openid}
        if self.crypto is not None:
            encrypt = self.crypto.encrypt(xml, self.appid)
            encrypt = encrypt.decode() if isinstance(encrypt, bytes) else encrypt
            query["encrypt_type"] = "aes"
            query["msg_signature"] = sha1_signature(self.token, self.timestamp, nonce, encrypt)
            body = (f"<xml><ToUserName>{cdata(ACCOUNT)}</ToUserName>"
                    f"<Encrypt>{cdata(encrypt)}</Encrypt></xml>").encode()
        else:
            body = xml.encode("utf-8")
        qs = "&".join(f"{k}={quote(v)}" for k, v in query.items())
        head = (f"POST {self.path}?{qs} HTTP/1.1\r\nHost: {self.host}\r\nUser-Agent: Mozilla/4.0\r\n"
                f"Content-Type: text/xml\r\nContent-Length: {len(body)}\r\n\r\n")
        return head.encode("ascii") + body


def build_start(b: Builder, texts: list[str], count: int, prefix: str) -> list[Req]:
    reqs = []
    for i in range(count):
        openid = f"o{prefix}s{i:07d}"
        reqs.append(Req(b.message(openid, "text", Content=texts[i % len(texts)]), openid, "start",
                        expect_reply=True))
    return reqs


def _walk(rng: random.Random, texts: list[str]) -> list[tuple[str, str, dict[str, object]]]:
    """One citizen's visit: (kind, msg_type, fields) in the order they would send them."""
    steps: list[tuple[str, str, dict[str, object]]] = []
    if rng.random() < 0.15:
        steps.append(("event", "event", {"Event": "subscribe", "EventKey": ""}))
    steps.append(("start", "text", {"Content": rng.choice(texts)}))
    r = rng.random()
    if r < 0.6:
        steps.append(("followup", "text", {"Content": rng.choice(ADDRESSES)}))
    elif r < 0.8:
        steps.append(("followup", "location", {"Location_X": round(rng.uniform(30.5, 30.7), 6),
                                                "Location_Y": round(rng.uniform(114.2, 114.4), 6),
                                                "Scale": 15, "Label": rng.choice(ADDRESSES)}))
    else:
        steps.append(("followup", "text", {"Content": "跳过"}))
    steps.append(("followup", "text", {"Content": f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
                                       if rng.random() < 0.5 else "跳过"}))
    if rng.random() < 0.9:
        steps.append(("followup", "text", {"Content": "确认"}))
    else:
        steps.append(("followup", "text", {"Content": "取消"}))
    if rng.random() < 0.5:
        steps.append(("query", "text", {"Content": rng.choice(QUERY_TEXTS)}))
    if rng.random() < 0.1:
        steps.append(("event", "event", {"Event": "CLICK", "EventKey": "MENU_HELP"}))
    return steps


def build_mix(b: Builder, texts: list[str], count: int, prefix: str, openids: int, seed: int,
              window: int = 128, retry_rate: float = 0.05) -> list[Req]:
    """Citizens from a pool of ``openids`` walk through visits, ``window`` of them at a time.

    The active citizens' steps are interleaved round-robin, so one citizen's next step comes about
    ``window`` requests later (by then the previous one has been answered); when a citizen's visit
    ends the next citizen from the pool takes the slot, and the pool cycles, so a returning citizen
    starts a new report. A window much wider than the run would only ever reach first messages.
    """
    rng = random.Random(seed)
    pool = [f"o{prefix}m{i:05d}" for i in range(openids)]
    next_citizen = 0
    reqs: list[Req] = []
    last: dict[str, int] = {}
    active: list[tuple[str, list[tuple[str, str, dict[str, object]]]]] = []
    while len(reqs) < count:
        while len(active) < min(window, openids):
            openid = pool[next_citizen % len(pool)]
            next_citizen += 1
            active.append((openid, _walk(rng, texts)))
        still: list[tuple[str, list[tuple[str, str, dict[str, object]]]]] = []
        for openid, steps in active:
            kind, msg_type, fields = steps.pop(0)
            raw = b.message(openid, msg_type, **fields)
            reqs.append(Req(raw, openid, kind, prev=last.get(openid, -1), expect_reply=msg_type != "event"))
            last[openid] = len(reqs) - 1
            if rng.random() < retry_rate:
                original = len(reqs) - 1
                reqs.append(Req(raw, openid, "retry", prev=original, retry_of=original,
                                expect_reply=reqs[original].expect_reply))
                last[openid] = len(reqs) - 1
            if steps:
                still.append((openid, steps))
            if len(reqs) >= count:
                break
        active = still
    return reqs


class Checker:
    """Validates replies the way WeChat would: signature, decryption, XML, addressee."""

    def __init__(self, *, token: str, appid: str, aes_key: str, mode: str, allow_silence: bool = False) -> None:
        self.allow_silence = allow_silence
        self.token = token
        self.appid = appid
        self.crypto = PrpCrypto(base64.b64decode(aes_key + "=")) if mode == "aes" else None

    def content(self, req: Req, body: bytes) -> str | None:
        """The reply text ("" for "success"); raises ValueError when WeChat would drop the reply."""
        if body in (b"success", b""):
            if req.expect_reply and not self.allow_silence:
                raise ValueError("text message answered with silence")
            return ""
        root = ET.fromstring(body)
        if root.tag != "xml":
            raise ValueError("reply root is not <xml>")
        if self.crypto is not None:
            encrypt = root.findtext("Encrypt") or ""
            signature = root.findtext("MsgSignature") or ""
            expected = sha1_signature(self.token, root.findtext("TimeStamp") or "", root.findtext("Nonce") or "",
                                      encrypt)
            if signature != expected:
                raise ValueError("bad reply MsgSignature")
            plain = self.crypto.decrypt(encrypt, self.appid)
            root = ET.fromstring(plain)
        if root.findtext("ToUserName") != req.openid:
            raise ValueError("reply addressed to someone else")
        if root.findtext("FromUserName") != ACCOUNT:
            raise ValueError("reply not from the account")
        msg_type = root.findtext("MsgType")
        if msg_type == "text":
            text = root.findtext("Content") or ""
            if not text.strip():
                raise ValueError("empty text reply")
            if text.startswith(SORRY_PREFIX):
                raise ValueError("handler failed (apology reply)")
            return text
        if not msg_type:
            raise ValueError("reply without MsgType")
        return f"<{msg_type}>"


class Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, host: str, port: int) -> Conn:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    async def roundtrip(self, raw: bytes) -> tuple[int, bytes]:
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        lower = head.lower()
        pos = lower.find(b"\r\ncontent-length:")
        if pos >= 0:
            end = lower.index(b"\r\n", pos + 2)
            body = await self.reader.readexactly(int(lower[pos + 17:end]))
        elif b"transfer-encoding: chunked" in lower:
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                parts.append(chunk[:-2])
            body = b"".join(parts)
        else:
            raise ValueError("response without length")
        return status, body

    def close(self) -> None:
        self.writer.close()


class Run:
    def __init__(self, reqs: list[Req], checker: Checker, targets: list[tuple[str, int]]) -> None:
        self.reqs = reqs
        self.checker = checker
        self.targets = targets
        n = len(reqs)
        self.latency = [0.0] * n
        self.state = bytearray(n)  # 0 pending, 1 ok, 2 error, 3 invalid
        self.contents: list[str | None] = [None] * n
        self.done = bytearray(n)
        self.waiters: dict[int, asyncio.Future[None]] = {}
        self.invalid_samples: list[str] = []
        self.error_samples: list[str] = []
        self.next = 0

    async def wait_for(self, index: int) -> None:
        if index < 0 or self.done[index]:
            return
        fut = self.waiters.get(index)
        if fut is None:
            fut = self.waiters[index] = asyncio.get_running_loop().create_future()
        await asyncio.wait_for(asyncio.shield(fut), REQUEST_TIMEOUT * 2)

    def finish(self, index: int) -> None:
        self.done[index] = 1
        fut = self.waiters.pop(index, None)
        if fut is not None and not fut.done():
            fut.set_result(None)

    async def send(self, conn: Conn, index: int, started: float) -> bool:
        """Send one request; returns False when the connection is no longer usable."""
        req = self.reqs[index]
        try:
            status, body = await asyncio.wait_for(conn.roundtrip(req.raw), REQUEST_TIMEOUT)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            self.latency[index] = time.perf_counter() - started
            self.state[index] = 2
            if len(self.error_samples) < 5:
                self.error_samples.append(f"{req.kind}: {type(exc).__name__} {exc}"[:200])
            self.finish(index)
            return False
        self.latency[index] = time.perf_counter() - started
        if status != 200:
            self.state[index] = 2
            if len(self.error_samples) < 5:
                self.error_samples.append(f"{req.kind}: HTTP {status} {body[:120]!r}")
        else:
            try:
                text = self.checker.content(req, body)
                if req.retry_of >= 0 and self.state[req.retry_of] == 1 and text != self.contents[req.retry_of]:
                    raise ValueError("retry got a different reply than the original")
                self.contents[index] = text
                self.state[index] = 1
            except Exception as exc:  # any malformed reply counts, whatever the parser raised
                self.state[index] = 3
                if len(self.invalid_samples) < 5:
                    self.invalid_samples.append(f"{req.kind}: {exc} | {body[:160].decode('utf-8', 'replace')}")
        self.finish(index)
        return True

    async def closed_loop(self, concurrency: int, deadline: float) -> None:
        async def worker(k: int) -> None:
            host, port = self.targets[k % len(self.targets)]
            conn = await Conn.open(host, port)
            try:
                while self.next < len(self.reqs) and time.perf_counter() < deadline:
                    index = self.next
                    self.next += 1
                    await self.wait_for(self.reqs[index].prev)
                    if not await self.send(conn, index, time.perf_counter()):
                        conn.close()
                        conn = await Conn.open(host, port)
            finally:
                conn.close()

        await asyncio.gather(*(worker(k) for k in range(concurrency)))

    async def open_loop(self, rate: float, deadline: float, max_conns: int) -> None:
        idle: list[Conn] = []
        opened = 0
        tasks: set[asyncio.Task[None]] = set()
        counter = [0]

        async def one(index: int, due: float) -> None:
            nonlocal opened
            await self.wait_for(self.reqs[index].prev)
            if idle:
                conn = idle.pop()
            else:
                opened += 1
                host, port = self.targets[counter[0] % len(self.targets)]
                counter[0] += 1
                conn = await Conn.open(host, port)
            if await self.send(conn, index, due):
                idle.append(conn)
            else:
                conn.close()

        start = time.perf_counter()
        for index in range(len(self.reqs)):
            due = start + index / rate
            now = time.perf_counter()
            if due >= deadline:
                break
            if due > now:
                await asyncio.sleep(due - now)
            if len(tasks) >= max_conns:  # the server is far behind: stop rather than pile up forever
                self.error_samples.append(f"open loop gave up: {len(tasks)} requests outstanding")
                break
            self.next = index + 1
            task = asyncio.create_task(one(index, due))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.wait(tasks, timeout=REQUEST_TIMEOUT * 2)
        for conn in idle:
            conn.close()

    def report(self, elapsed: float) -> dict[str, object]:
        sent = [i for i in range(self.next) if self.done[i]]
        lat = sorted(self.latency[i] for i in sent)
        by_kind: dict[str, dict[str, object]] = {}
        for kind in sorted({self.reqs[i].kind for i in sent}):
            ks = sorted(self.latency[i] for i in sent if self.reqs[i].kind == kind)
            by_kind[kind] = {"n": len(ks), "p50_ms": _ms(_pct(ks, 50)), "p99_ms": _ms(_pct(ks, 99)),
                             "invalid": sum(1 for i in sent if self.reqs[i].kind == kind and self.state[i] == 3)}
        replies: dict[str, dict[str, int]] = {}
        for i in sent:
            if self.state[i] == 1:
                first = (self.contents[i] or "success").split("\n", 1)[0][:18]
                bucket = replies.setdefault(self.reqs[i].kind, {})
                bucket[first] = bucket.get(first, 0) + 1
        replies = {k: dict(sorted(v.items(), key=lambda kv: -kv[1])[:4]) for k, v in replies.items()}
        return {
            "requests": len(sent),
            "ok": sum(1 for i in sent if self.state[i] == 1),
            "errors": sum(1 for i in sent if self.state[i] == 2),
            "invalid": sum(1 for i in sent if self.state[i] == 3),
            "duration_s": round(elapsed, 3),
            "throughput_rps": round(len(sent) / elapsed, 1) if elapsed else 0.0,
            "latency_ms": {"p50": _ms(_pct(lat, 50)), "p90": _ms(_pct(lat, 90)), "p99": _ms(_pct(lat, 99)),
                           "max": _ms(lat[-1] if lat else 0.0),
                           "mean": _ms(sum(lat) / len(lat) if lat else 0.0)},
            "by_kind": by_kind,
            "replies": replies,
            "error_samples": self.error_samples,
            "invalid_samples": self.invalid_samples,
        }


def proc_cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of the given local processes (the servers under test)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            pass
    return total


def _pct(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return 0.0
    k = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[k]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def _targets(urls: list[str]) -> tuple[list[tuple[str, int]], str, str]:
    targets = []
    path = "/wechat"
    host_header = ""
    for url in urls:
        parts = urlsplit(url)
        if parts.hostname not in ("127.0.0.1", "localhost"):
            raise SystemExit("the load generator only sends to 127.0.0.1")
        targets.append(("127.0.0.1", parts.port or 80))
        path = parts.path or "/wechat"
        host_header = host_header or parts.netloc
    return targets, path, host_header


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--url", action="append", required=True,
                    help="webhook URL; repeat to split connections across several workers")
    ap.add_argument("--token", required=True)
    ap.add_argument("--appid", required=True)
    ap.add_argument("--aes-key", required=True)
    ap.add_argument("--mode", choices=("plain", "aes"), default="plain")
    ap.add_argument("--scenario", choices=("start", "mix"), default="start")
    ap.add_argument("--concurrency", type=int, default=32, help="closed loop: connections")
    ap.add_argument("--rate", type=float, default=0.0, help="open loop: requests per second (0 = closed loop)")
    ap.add_argument("--max-outstanding", type=int, default=512, help="open loop: give up beyond this backlog")
    ap.add_argument("--duration", type=float, default=10.0, help="seconds of timed load (upper bound)")
    ap.add_argument("--requests", type=int, default=0, help="requests to prebuild (default: enough)")
    ap.add_argument("--openids", type=int, default=1000)
    ap.add_argument("--warmup", type=float, default=1.0, help="seconds of untimed load first")
    ap.add_argument("--prefix", default="", help="openid prefix, unique per run (default: random)")
    ap.add_argument("--seed", type=int, default=20261124)
    ap.add_argument("--label", default="")
    ap.add_argument("--server-pid", type=int, action="append", default=[],
                    help="report this server process's CPU share during the timed window")
    ap.add_argument("--allow-silence", action="store_true",
                    help="accept 'success' for text messages (the floor never replies)")
    args = ap.parse_args(argv)

    targets, path, host_header = _targets(args.url)
    prefix = args.prefix or secrets.token_hex(3)
    texts = load_texts()
    b = Builder(token=args.token, appid=args.appid, aes_key=args.aes_key, mode=args.mode, host=host_header,
                path=path)
    # Prebuilt cap: a generous ceiling on what the duration could consume (bounded memory and time).
    # Running out early is harmless (throughput is requests / elapsed), so the guess stays modest.
    guess = args.rate or (15_000 if args.mode == "plain" else 8_000)
    count = args.requests or int(min(200_000, max(2_000, guess * args.duration * 1.1)))
    t_build = time.perf_counter()
    reqs = (build_start(b, texts, count, prefix) if args.scenario == "start"
            else build_mix(b, texts, count, prefix, args.openids, args.seed))
    warm = build_start(b, texts, int(max(50, 3_000 * args.warmup)), prefix + "w") if args.warmup > 0 else []
    build_s = time.perf_counter() - t_build
    checker = Checker(token=args.token, appid=args.appid, aes_key=args.aes_key, mode=args.mode,
                      allow_silence=args.allow_silence)

    async def go() -> dict[str, object]:
        if warm:
            await Run(warm, checker, targets).closed_loop(min(args.concurrency, 16),
                                                          time.perf_counter() + args.warmup)
        run = Run(reqs, checker, targets)
        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        srv0 = proc_cpu_seconds(args.server_pid)
        t0 = time.perf_counter()
        deadline = t0 + args.duration
        if args.rate > 0:
            await run.open_loop(args.rate, deadline, args.max_outstanding)
        else:
            await run.closed_loop(args.concurrency, deadline)
        elapsed = time.perf_counter() - t0
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
        srv1 = proc_cpu_seconds(args.server_pid)
        out = run.report(elapsed)
        cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
        out["client_cpu"] = round(cpu / elapsed, 3) if elapsed else 0.0
        if args.server_pid:
            out["server_cpu"] = round((srv1 - srv0) / elapsed, 3) if elapsed else 0.0
        return out

    result = asyncio.run(go())
    summary = {"label": args.label, "scenario": args.scenario, "mode": args.mode,
               "loop": "open" if args.rate > 0 else "closed",
               "concurrency": None if args.rate > 0 else args.concurrency,
               "rate_target": args.rate or None, "targets": len(targets), "prebuilt": len(reqs),
               "build_s": round(build_s, 2), **result}
    sys.stdout.write(json.dumps(summary, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
