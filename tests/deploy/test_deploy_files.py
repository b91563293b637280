"""Deployment files are consistent with the code: Dockerfile lints, compose and units run real commands."""

from __future__ import annotations

import configparser
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from bot.cli import main
from bot.settings import Settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _cli_accepts(argv: list[str]) -> None:
    """The command line parses (``--help`` appended so nothing runs)."""
    result = CliRunner().invoke(main, [*argv, "--help"])
    assert result.exit_code == 0, (argv, result.output)
    for flag in [a for a in argv if a.startswith("--")]:
        assert flag in result.output, (flag, argv)


def test_dockerfile_passes_hadolint() -> None:
    # The dev extra installs hadolint next to the interpreter running the tests.
    hadolint = str(Path(sys.executable).parent / "hadolint")
    if not Path(hadolint).exists():
        hadolint = shutil.which("hadolint") or hadolint
    if not Path(hadolint).exists():
        pytest.skip("hadolint not installed (it comes with the dev extra)")
    result = subprocess.run([hadolint, str(DEPLOY / "Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_topology_and_commands() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "migrate", "webhook", "scheduler", "sender", "nginx"} <= set(services)
    assert services["webhook"]["deploy"]["replicas"] >= 2
    assert "replicas" not in services["scheduler"].get("deploy", {})
    for name in ("migrate", "webhook", "scheduler", "sender"):
        _cli_accepts(services[name]["command"])
    assert "--only" in services["webhook"]["command"] and "webhook" in services["webhook"]["command"]


def test_nginx_limits_and_timeouts_fit_wechat() -> None:
    conf = (DEPLOY / "nginx" / "xinfang.conf").read_text()
    assert "location = /wechat" in conf
    assert re.search(r"client_max_body_size\s+\d+k;", conf)
    for directive in ("proxy_read_timeout", "proxy_send_timeout", "proxy_connect_timeout"):
        seconds = int(re.search(rf"{directive}\s+(\d+)s;", conf).group(1))  # type: ignore[union-attr]
        assert seconds < 5, directive


def test_systemd_units_run_valid_commands() -> None:
    units = sorted((DEPLOY / "systemd").glob("*.service"))
    assert len(units) >= 4
    for unit in units:
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        parser.read(unit)
        exec_start = parser["Service"]["ExecStart"].replace("%i", "1")
        argv = shlex.split(exec_start)
        assert argv[0].endswith("/xinfang"), unit
        _cli_accepts(argv[1:])


def test_env_example_documents_every_setting() -> None:
    documented = set(re.findall(r"^(XINFANG_[A-Z_]+)=", (DEPLOY / "env.example").read_text(), re.M))
    expected = {f"XINFANG_{name.upper()}" for name in Settings.model_fields if name != "reception"}
    assert expected <= documented, sorted(expected - documented)
