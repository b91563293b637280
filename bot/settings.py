"""The one typed settings object: environment variables ``XINFANG_*`` plus an optional TOML file.

Everything configurable lives here and is passed in explicitly; nothing else reads ``os.environ``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DEFAULT_API_BASE = "https://api.weixin.qq.com"
CONFIG_ENV = "XINFANG_CONFIG"
DEFAULT_CONFIG_FILE = "xinfang.toml"


class Settings(BaseSettings):
    """Service configuration. Field ``x`` is read from ``XINFANG_X`` or key ``x`` in the TOML file."""

    model_config = SettingsConfigDict(env_prefix="XINFANG_", extra="ignore", env_nested_delimiter="__")

    # WeChat official account credentials; empty means "no account configured" (simulator mode).
    wechat_token: str = ""
    wechat_appid: str = ""
    wechat_secret: str = ""
    wechat_aes_key: str = ""
    # The previous EncodingAESKey, accepted during a key rotation.
    wechat_aes_key_previous: str = ""
    # With an AES key set, plaintext POSTs are refused (403) unless this allows WeChat's
    # compatible mode (plaintext and ciphertext both accepted) while switching to safe mode.
    wechat_compat_mode: bool = False
    wechat_api_base: str = DEFAULT_API_BASE
    api_timeout_seconds: float = 5.0
    # How long an outbox sender's claim on a message lasts without renewal (renewed while it works).
    outbox_lease_seconds: float = 300.0
    # Per-openid limits (0 = none): cases filed per hour, attachments waiting in an unfiled report.
    max_cases_per_hour: int = 5
    max_draft_attachments: int = 20

    database_url: str = "sqlite+aiosqlite:///./xinfang.db"
    timezone: str = "Asia/Shanghai"
    rules_file: Path | None = None
    media_dir: Path = Path("./media")
    # Where attachment bytes go: "local" (media_dir, one host) or "database" (any host can read them).
    media_store: Literal["local", "database"] = "local"
    # Message kind -> WeChat template id, used for outbound messages outside the 48-hour window.
    template_ids: dict[str, str] = Field(default_factory=dict)
    log_level: str = "INFO"
    # "text" for a terminal; "json" for one JSON object per line (log collectors), access log included.
    log_format: Literal["text", "json"] = "text"

    host: str = "127.0.0.1"
    port: int = 8080
    replay_window_seconds: int = 300
    max_body_bytes: int = 64 * 1024
    # Raw inbound bodies (message text, passive replies) are reduced to metadata after this many days.
    inbound_retention_days: int = 180
    # Deadlines in working days (skipping weekends and public holidays) instead of calendar days.
    working_days: bool = False
    # Extra holidays / make-up workdays, ISO dates; they override the built-in calendar.
    extra_holidays: list[str] = Field(default_factory=list)
    extra_workdays: list[str] = Field(default_factory=list)
    # The operator's holidays file (one "date kind" per line, see bot/holidays.py) for the years the
    # chinese-calendar package does not know yet.
    holidays_file: Path | None = None

    @field_validator("holidays_file", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        # env.example ships "XINFANG_HOLIDAYS_FILE=" (no file): that is None, not the directory ".".
        return None if isinstance(value, str) and not value.strip() else value

    # The office web console (``xinfang console``): the address staff reach it at (chat's 登录 links
    # point there) and the key that signs its cookies (empty: a random key each time it starts).
    console_url: str = "http://127.0.0.1:8090"
    console_secret: str = ""

    # The Word reports (docx): 发文机关署名 at the end, an optional 附注 line (联系人、电话), and the fonts
    # the document names (keys title/body/heading/subheading/latin; see bot.services.official_docx.Fonts).
    report_issuer: str = "信访工作办公室"
    report_contact: str = ""
    report_fonts: dict[str, str] = Field(default_factory=dict)

    # Recurring and one-off reception sessions from the config file (see the reception service).
    reception: list[dict[str, Any]] = Field(default_factory=list)

    @field_validator("rules_file", mode="before")
    @classmethod
    def _empty_rules_file_is_default(cls, value: Any) -> Any:
        # env.example's "XINFANG_RULES_FILE=" means the packaged rules, not Path("") (the directory ".").
        return None if isinstance(value, str) and not value.strip() else value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        from bot.settings_sources import SecretFilesSource

        config_file = Path(os.environ.get(CONFIG_ENV, DEFAULT_CONFIG_FILE))
        # Secret files (XINFANG_<NAME>_FILE, secrets directories) rank below plain variables.
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings, SecretFilesSource(settings_cls)]
        if config_file.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config_file))
        return tuple(sources)

    @property
    def has_credentials(self) -> bool:
        return bool(self.wechat_appid and self.wechat_secret and self.wechat_token)

    @property
    def safe_mode(self) -> bool:
        return bool(self.wechat_aes_key)

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")
