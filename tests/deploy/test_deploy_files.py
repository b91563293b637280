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
        parser = _unit(unit)
        exec_start = parser["Service"]["ExecStart"].replace("%i", "1")
        argv = shlex.split(exec_start)
        if unit.name == "xinfang-backup.service":
            assert argv == ["/usr/local/bin/xinfang-backup.sh"] and (DEPLOY / "backup" / "xinfang-backup.sh").exists()
            continue
        assert argv[0].endswith("/xinfang"), unit
        _cli_accepts(argv[1:])


def _unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path)
    return parser


def test_backup_timer_compose_service_and_script() -> None:
    timer = _unit(DEPLOY / "systemd" / "xinfang-backup.timer")
    assert timer["Timer"]["OnCalendar"] and timer["Timer"]["Persistent"] == "true"
    services = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    backup = services["backup"]
    assert backup["image"] == services["postgres"]["image"]  # pg_dump's version is the server's
    assert backup["command"] == ["/usr/local/bin/xinfang-backup.sh", "--nightly"]
    assert any(v.startswith("./backup/xinfang-backup.sh:") for v in backup["volumes"])
    script = (DEPLOY / "backup" / "xinfang-backup.sh").read_text()
    assert 'KEEP_DAILY:-7' in script and 'KEEP_WEEKLY:-4' in script
    if shutil.which("sh"):
        assert subprocess.run(["sh", "-n", str(DEPLOY / "backup" / "xinfang-backup.sh")]).returncode == 0


def test_metrics_are_not_published_by_nginx() -> None:
    conf = (DEPLOY / "nginx" / "xinfang.conf").read_text()
    locations = re.findall(r"location\s+(=\s+)?(\S+)\s*\{([^}]*)\}", conf)
    exposed = {path for _eq, path, body in locations if "proxy_pass" in body}
    assert exposed == {"/wechat", "/healthz"}
    metrics = [body for _eq, path, body in locations if path == "/metrics"]
    assert metrics and "proxy_pass" not in metrics[0] and ("deny all" in metrics[0] or "return 404" in metrics[0])


def test_env_example_documents_every_setting() -> None:
    documented = set(re.findall(r"^(XINFANG_[A-Z_]+)=", (DEPLOY / "env.example").read_text(), re.M))
    expected = {f"XINFANG_{name.upper()}" for name in Settings.model_fields if name != "reception"}
    assert expected <= documented, sorted(expected - documented)
