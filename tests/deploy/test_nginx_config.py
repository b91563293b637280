"""The shipped nginx config passes ``nginx -t`` on Debian's nginx and keeps /wechat's query out of logs.

The config is tested as shipped, inside a throwaway prefix: only what belongs to a machine is
swapped (the compose service name for 127.0.0.1, the certificate for a self-signed one made here
with openssl, /var/log/nginx for the temporary directory). CI installs nginx (.ci/system-packages);
a developer machine without it skips.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

CONF = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "xinfang.conf"


def _nginx() -> str:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx")
                                           if os.access(p, os.X_OK)), None)
    if found is None:
        if os.environ.get("CI") or os.environ.get("REQUIRE_POSTGRES"):  # .ci/run sets the latter
            pytest.fail("nginx missing in CI: .ci/system-packages installs it")
        pytest.skip("nginx not installed (CI installs Debian's nginx)")
    return found


def test_shipped_config_passes_nginx_t(tmp_path: Path) -> None:
    nginx = _nginx()
    openssl = shutil.which("openssl")
    assert openssl, "openssl is needed for the throwaway certificate"
    cert, key = tmp_path / "fullchain.pem", tmp_path / "privkey.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True, timeout=60)
    site = CONF.read_text()
    assert "server webhook:8080;" in site and "/etc/nginx/certs/" in site
    site = (site.replace("server webhook:8080;", "server 127.0.0.1:8080;")
            .replace("/etc/nginx/certs/", f"{tmp_path}/").replace("/var/log/nginx/", f"{tmp_path}/"))
    (tmp_path / "xinfang.conf").write_text(site)
    temp = {name: tmp_path / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for directory in temp.values():
        directory.mkdir()
    (tmp_path / "nginx.conf").write_text(f"""
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
events {{}}
http {{
    access_log {tmp_path}/access.log;
    client_body_temp_path {temp['body']};
    proxy_temp_path {temp['proxy']};
    fastcgi_temp_path {temp['fastcgi']};
    uwsgi_temp_path {temp['uwsgi']};
    scgi_temp_path {temp['scgi']};
    include {tmp_path}/xinfang.conf;
}}
""")
    result = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"),
                             "-e", str(tmp_path / "error.log")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr and "[warn]" not in result.stderr, result.stderr


def test_wechat_requests_are_logged_without_their_query() -> None:
    site = CONF.read_text()
    formats = dict(re.findall(r"log_format\s+(\S+)\s+((?:'[^']*'\s*)+);", site))
    assert formats, "a log format of our own"
    for name, fmt in formats.items():
        for leaky in ("$request ", "$request\"", "$request'", "$request_uri", "$args", "$query_string", "$arg_"):
            assert leaky not in fmt, (name, leaky)
    wechat = site[site.index("location = /wechat"):]
    wechat = wechat[:wechat.index("}")]
    assert re.search(r"access_log\s+\S+\s+(" + "|".join(formats) + r");", wechat)
    assert re.search(r"error_log\s+\S+\s+crit;", wechat)
    assert "http2 on;" not in site and re.search(r"listen\s+443\s+ssl\s+http2;", site)
