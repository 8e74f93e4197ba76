"""The one settings object. Every value can be set in the environment or in `.env`.

See `.env.example` for the list with comments.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = ROOT / "var"
SHARED_DIR = ROOT.parent / "shared"
MIN_SECRET_LENGTH = 32


def normalise_url(url: str) -> str:
    """A database URL as SQLAlchemy takes it: `postgres://` (Heroku-style) and `postgresql://` both
    mean psycopg 3 (`postgresql+psycopg://`); any other URL unchanged. The one place this is done: the
    dashboard's database (`db.engine`) and the verifier's job store (`verifier.store`) both call it."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def private_file(path: Path) -> Path:
    """Create `path` (and its folder) readable by its owner only (0600) unless it exists already.

    SQLite files (the database, its -wal and -shm files take the same mode) and key files hold
    names and ID numbers or signing keys: no other account on the machine may read them.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    return path


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # --- database -----------------------------------------------------------------------
    database_url: str = Field(
        default=f"sqlite:///{VAR_DIR / 'anpei.db'}",
        validation_alias="DATABASE_URL",
        description="SQLAlchemy URL; SQLite file under var/ by default, postgresql://… in a deployment",
    )
    sql_echo: bool = Field(default=False, validation_alias="ANPEI_SQL_ECHO")

    # --- verifier ------------------------------------------------------------------------
    platform_url: str = Field(default="http://cx.mem.gov.cn", validation_alias="ANPEI_PLATFORM_URL")
    verifier_url: str = Field(default="http://127.0.0.1:8601", validation_alias="ANPEI_VERIFIER_URL")
    verifier_host: str = Field(default="127.0.0.1", validation_alias="ANPEI_VERIFIER_HOST")
    verifier_port: int = Field(default=8601, validation_alias="ANPEI_VERIFIER_PORT")
    verifier_token: str | None = Field(default=None, validation_alias="ANPEI_VERIFIER_TOKEN")
    verifier_database_url: str = Field(
        default=f"sqlite:///{VAR_DIR / 'verifier.db'}",
        validation_alias="ANPEI_VERIFIER_DATABASE_URL",
        description="the verifier's own job store (it never shares tables with the dashboard)",
    )
    min_interval_s: float = Field(default=3.0, validation_alias="ANPEI_MIN_INTERVAL")
    connect_timeout_s: float = Field(default=5.0, validation_alias="ANPEI_CONNECT_TIMEOUT")
    read_timeout_s: float = Field(default=15.0, validation_alias="ANPEI_READ_TIMEOUT")
    call_deadline_s: float = Field(
        default=30.0,
        gt=0,
        validation_alias="ANPEI_CALL_DEADLINE",
        description="seconds a whole platform call may take, however slowly the bytes trickle in",
    )
    max_attempts: int = Field(default=3, ge=3, validation_alias="ANPEI_MAX_ATTEMPTS")
    backoff_base_s: float = Field(default=1.0, ge=0, validation_alias="ANPEI_BACKOFF_BASE")
    contact: str = Field(
        default="",
        validation_alias="ANPEI_CONTACT",
        description="who runs this client (e-mail or phone of the bureau), sent in the User-Agent",
    )
    cache_ttl_days: float = Field(default=30.0, validation_alias="ANPEI_CACHE_TTL_DAYS")
    key_map_file: Path | None = Field(default=None, validation_alias="ANPEI_KEY_MAP_FILE")
    max_upload_mb: int = Field(default=20, validation_alias="ANPEI_MAX_UPLOAD_MB")
    # Training-archive audit (training-audit.md): caps per archive, all sheets together.
    audit_max_rows: int = Field(default=2_000_000, gt=0, validation_alias="ANPEI_AUDIT_MAX_ROWS")
    audit_max_unpacked_mb: int = Field(default=500, gt=0, validation_alias="ANPEI_AUDIT_MAX_UNPACKED_MB")

    # --- files and personal data -------------------------------------------------------
    upload_dir: Path = Field(
        default=VAR_DIR / "uploads",
        validation_alias="ANPEI_UPLOAD_DIR",
        description="stamped scans, summary reports and other attachments",
    )
    timezone: str = Field(default="Asia/Shanghai", validation_alias="ANPEI_TIMEZONE")
    raw_response_days: int = Field(
        default=180,
        validation_alias="ANPEI_RAW_RESPONSE_DAYS",
        description="how long raw platform responses are kept as evidence",
    )
    secret_key: str = Field(
        default="",
        validation_alias="ANPEI_SECRET_KEY",
        description="signs login cookies; set a long random value in a deployment",
    )

    scoring_rules_file: Path | None = Field(
        default=None,
        validation_alias="ANPEI_SCORING_RULES",
        description="the quarterly assessment's rule file (TOML); the shipped db/rules/scoring_rules.default.toml when unset",
    )

    demo: bool = Field(
        default=False,
        validation_alias="ANPEI_DEMO",
        description="set by `anpei demo` only: the sample county, demo accounts, a verifier without a token",
    )

    @field_validator("secret_key", "verifier_token")
    @classmethod
    def _long_enough(cls, value: str | None, info: object) -> str | None:
        if value and len(value) < MIN_SECRET_LENGTH:
            name = {"secret_key": "ANPEI_SECRET_KEY", "verifier_token": "ANPEI_VERIFIER_TOKEN"}[
                getattr(info, "field_name", "")
            ]
            raise ValueError(
                f"{name} 太短（{len(value)} 个字符）：至少需要 {MIN_SECRET_LENGTH} 个字符，"
                "可用 `python -c 'import secrets; print(secrets.token_urlsafe(32))'` 生成"
            )
        return value

    # --- dashboard -----------------------------------------------------------------------
    dashboard_host: str = Field(default="127.0.0.1", validation_alias="ANPEI_DASHBOARD_HOST")
    dashboard_port: int = Field(default=8501, validation_alias="ANPEI_DASHBOARD_PORT")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings: the one way every package reads them, built once per process (`.env` and the
    environment are read then). The tests, which change the environment, forget it through
    `get_settings.cache_clear()` (their `monkeypatch` fixture does it on every setenv/delenv)."""
    return Settings()
