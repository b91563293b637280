"""``xinfang people login-link`` prints the same one-time link as chat's 登录; ``xinfang console`` serves."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from click.testing import CliRunner

from bot.app import build_runtime
from bot.cli import main
from bot.services import people
from bot.settings import Settings
from storage import migrate
from tests.cli.test_cli_basics import _env

CONSOLE_URL = "https://desk.example.gov.cn"


def _bind(url: str, name: str, code: str) -> None:
    async def body() -> None:
        rt, dispose = build_runtime(Settings(database_url=url))
        async with rt.sessions() as session, session.begin():
            assert (await people.bind(session, rt, f"o-{name}", code)).ok
        await dispose()  # type: ignore[misc]

    asyncio.run(body())


def test_login_link_from_the_terminal_and_the_console_process(tmp_path: Path) -> None:
    env = _env(tmp_path, XINFANG_CONSOLE_URL=CONSOLE_URL)
    migrate.upgrade(env["XINFANG_DATABASE_URL"])
    cli = CliRunner()

    def run(*args: str):  # type: ignore[no-untyped-def]
        return cli.invoke(main, list(args), env={k: v for k, v in env.items() if k.startswith("XINFANG_")})

    added = run("people", "add", "--name", "李明", "--role", "staff", "--dept", "住房和城乡建设局", "--json")
    assert added.exit_code == 0, added.output
    unbound = run("people", "login-link", "李明")
    assert unbound.exit_code != 0 and "未绑定" in unbound.output
    _bind(env["XINFANG_DATABASE_URL"], "liming", json.loads(added.output)["bind_code"])
    link = run("people", "login-link", "李明")
    assert link.exit_code == 0 and link.output.startswith(f"{CONSOLE_URL}/login/"), link.output
    assert run("people", "login-link", "无此人").exit_code != 0

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "console", "--port", str(port)], env=env, cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        token = link.output.strip().rsplit("/", 1)[1]
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/{token}", timeout=2) as response:
                    assert response.status == 200 and "登录" in response.read().decode()
                break
            except OSError:
                assert time.monotonic() < deadline, "console did not start"
                time.sleep(0.1)
    finally:
        proc.terminate()
        proc.wait(10)
