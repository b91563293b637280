"""Reproducible builds: the image and CI install exact, hashed versions from the lock files, and the
locks satisfy every range pyproject.toml declares (so `make lock` was run after the last change)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]


def pins(lock: Path) -> dict[str, tuple[Version, int]]:
    """name -> (pinned version, number of hashes) for every entry of a pip-compile lock file."""
    text = lock.read_text(encoding="utf-8")
    entries: dict[str, tuple[Version, int]] = {}
    for match in re.finditer(r"^([A-Za-z0-9_.-]+)==([^\s\\]+)((?:\s*\\\n\s+--hash=sha256:[0-9a-f]{64})*)", text, re.M):
        entries[canonicalize_name(match.group(1))] = (Version(match.group(2)), match.group(3).count("--hash="))
    return entries


def project() -> dict:  # type: ignore[type-arg]
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def check_lock(lock: Path, requirements: list[str]) -> None:
    pinned = pins(lock)
    assert pinned, lock
    assert all(hashes > 0 for _v, hashes in pinned.values()), "every pin carries hashes"
    assert "file:" not in lock.read_text() and "--find-links" not in lock.read_text()  # no machine paths
    for line in requirements:
        req = Requirement(line)
        if req.marker is not None and not req.marker.evaluate():
            continue
        name = canonicalize_name(req.name)
        assert name in pinned, f"{req.name} missing from {lock.name}: run make lock"
        assert req.specifier.contains(pinned[name][0], prereleases=True), \
            f"{lock.name} pins {req.name}=={pinned[name][0]} outside {req.specifier}: run make lock"


def test_runtime_lock_covers_the_project_and_its_postgres_extra() -> None:
    p = project()
    check_lock(ROOT / "requirements.lock", p["dependencies"] + p["optional-dependencies"]["postgres"])


def test_dev_lock_covers_tests_and_ci() -> None:
    p = project()
    check_lock(ROOT / "requirements-dev.lock", p["dependencies"] + p["optional-dependencies"]["postgres"]
               + p["optional-dependencies"]["dev"])


def test_dockerfile_installs_from_the_lock_with_hashes_and_a_mirror_argument() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    assert re.search(r"^COPY requirements\.lock ", dockerfile, re.M)
    assert re.search(r"pip install [^\n]*--require-hashes -r requirements\.lock", dockerfile)
    # The project goes on top without resolving anything else from the index.
    installs = re.findall(r"pip install ([^\n&]*)", dockerfile)
    assert all("requirements.lock" in args or "--no-deps" in args for args in installs), installs
    assert re.search(r"^ARG PIP_INDEX_URL", dockerfile, re.M) and "PIP_INDEX_URL=${PIP_INDEX_URL}" in dockerfile


def test_ci_and_make_install_from_the_dev_lock() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "--require-hashes -r requirements-dev.lock" in makefile and "--no-deps -e ." in makefile
    assert re.search(r"^lock:", makefile, re.M) and "--generate-hashes" in makefile
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_bounds_where_we_rely_on_private_behaviour_or_config() -> None:
    reqs = {canonicalize_name(Requirement(r).name): Requirement(r)
            for r in project()["dependencies"] + project()["optional-dependencies"]["dev"]}
    assert any(s.operator == "<" for s in reqs["aiosqlite"].specifier)  # storage/sqlite_inline.py
    assert any(s.operator == "<" for s in reqs["apscheduler"].specifier)
    # asyncio_default_fixture_loop_scope (pyproject's pytest config) exists from pytest-asyncio 0.24.
    assert not reqs["pytest-asyncio"].specifier.contains("0.23.8")
    assert reqs["pytest-asyncio"].specifier.contains("0.24.0")
