"""Where settings come from besides plain ``XINFANG_*`` variables: secret files, and the check for typos.

Secrets (the AppSecret, the database password inside ``XINFANG_DATABASE_URL``, …) should not sit in
the environment, where ``ps e`` and crash reports see them. Any text setting can come from a file:

- ``XINFANG_<NAME>_FILE=/run/secrets/wechat_secret`` — that file's content (one trailing newline
  dropped), the convention of Docker and many images;
- a file named ``XINFANG_<NAME>`` or ``<name>`` in a secrets directory: ``XINFANG_SECRETS_DIR``, or
  systemd's ``$CREDENTIALS_DIRECTORY`` (``LoadCredential=``), or ``/run/secrets`` (Docker/compose).

A plain ``XINFANG_<NAME>`` variable still wins over a file. A ``_FILE`` variable naming a file that
cannot be read stops start-up (fail closed: running without the secret would only fail later).

``unknown_variables`` lists ``XINFANG_*`` variables no setting reads, each with the closest real name,
so a misspelt variable is a start-up warning instead of a silently ignored line.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

PREFIX = "XINFANG_"
SECRETS_DIR_ENV = "XINFANG_SECRETS_DIR"
DEFAULT_SECRETS_DIRS = ("/run/secrets",)
# Variables read by something other than a settings field.
OTHER_VARIABLES = frozenset({"XINFANG_CONFIG", SECRETS_DIR_ENV,
                             # the test suite's database switch (tests/dbs.py), not the service's
                             "XINFANG_TEST_DATABASE_URL"})


class SettingsFileError(ValueError):
    """A secret file that was asked for cannot be read."""


def _read(path: Path, variable: str) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsFileError(f"{variable}：无法读取 {path}（{exc}）") from None
    return text[:-1] if text.endswith("\n") else text


def secrets_dirs(environ: Mapping[str, str]) -> list[Path]:
    dirs = [environ.get(SECRETS_DIR_ENV), environ.get("CREDENTIALS_DIRECTORY"), *DEFAULT_SECRETS_DIRS]
    return [Path(d) for d in dirs if d and Path(d).is_dir()]


class SecretFilesSource(PydanticBaseSettingsSource):
    """Text settings from ``XINFANG_<NAME>_FILE`` or a file in a secrets directory."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str] | None = None) -> None:
        super().__init__(settings_cls)
        self.environ = os.environ if environ is None else environ

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        # Not used: __call__ builds the whole mapping at once.
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        dirs = secrets_dirs(self.environ)
        for name, field in self.settings_cls.model_fields.items():
            if field.annotation is not str:
                continue
            variable = PREFIX + name.upper()
            if self.environ.get(variable + "_FILE"):
                values[name] = _read(Path(self.environ[variable + "_FILE"]), variable + "_FILE")
                continue
            for directory in dirs:
                found = next((directory / n for n in (variable, name) if (directory / n).is_file()), None)
                if found is not None:
                    values[name] = _read(found, variable)
                    break
        return values


def known_variables(settings_cls: type[BaseSettings]) -> set[str]:
    names = {PREFIX + name.upper() for name in settings_cls.model_fields}
    return names | {n + "_FILE" for n in names} | set(OTHER_VARIABLES)


def unknown_variables(environ: Mapping[str, str], settings_cls: type[BaseSettings]) -> list[tuple[str, str | None]]:
    """(variable, closest known name or None) for every ``XINFANG_*`` variable nothing reads."""
    known = known_variables(settings_cls)
    fields = {PREFIX + name.upper() for name in settings_cls.model_fields}
    unknown = []
    for variable in sorted(environ):
        if not variable.startswith(PREFIX) or variable in known:
            continue
        if any(variable.startswith(f + "__") for f in fields):  # nested: XINFANG_TEMPLATE_IDS__REPLY
            continue
        # Compared without the shared prefix, which would make every name look alike.
        suffixes = {k.removeprefix(PREFIX): k for k in known}
        close = difflib.get_close_matches(variable.removeprefix(PREFIX), sorted(suffixes), n=1, cutoff=0.6)
        unknown.append((variable, suffixes[close[0]] if close else None))
    return unknown


def unknown_variable_warnings(environ: Mapping[str, str], settings_cls: type[BaseSettings]) -> list[str]:
    return [f"未知的环境变量 {variable} 已忽略" + (f"，是否应为 {close}？" if close else "（没有相近的配置项）")
            for variable, close in unknown_variables(environ, settings_cls)]
