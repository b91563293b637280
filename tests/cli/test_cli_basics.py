"""The ``xinfang`` command line as an operator runs it: help, db upgrade, serve without credentials."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=60)


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XINFANG_")}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    env["XINFANG_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    env.update(extra)
    return env


def test_help_lists_commands(tmp_path: Path) -> None:
    result = _run(["--help"], _env(tmp_path), tmp_path)
    assert result.returncode == 0
    for name in ("serve", "db", "rules", "people", "export", "report", "demo", "campaign"):
        assert name in result.stdout, name


def test_db_upgrade_creates_schema(tmp_path: Path) -> None:
    result = _run(["db", "upgrade"], _env(tmp_path), tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "cli.db").exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_without_credentials_says_how_to_try_simulator(tmp_path: Path) -> None:
    # A token but no AppID/AppSecret: the webhook runs (it can verify WeChat), nothing is sent.
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                            env=_env(tmp_path, XINFANG_WECHAT_TOKEN="cli-test-token"), cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        async def wait_ready() -> dict[str, str]:
            deadline = time.monotonic() + 30
            async with aiohttp.ClientSession() as http:
                while time.monotonic() < deadline:
                    try:
                        async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                            return await resp.json()
                    except aiohttp.ClientError:
                        await asyncio.sleep(0.2)
            raise AssertionError("service did not become ready")

        assert asyncio.run(wait_ready())["status"] == "ok"
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert "xinfang demo" in err
    assert proc.returncode == 0, err


def test_serve_refuses_the_webhook_with_an_empty_token(tmp_path: Path) -> None:
    # Anyone can sign with an empty token: the webhook must not start, and say why.
    result = _run(["serve", "--host", "127.0.0.1", "--port", str(_free_port())], _env(tmp_path), tmp_path)
    assert result.returncode != 0
    assert "XINFANG_WECHAT_TOKEN" in result.stderr and "xinfang demo" in result.stderr
    assert not (tmp_path / "cli.db").exists()  # refused before touching anything
