"""Configuration from environment variables (and an optional .env file).

Keys are `SecretStr` so they never show up in a repr, a log line or a result.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal, Self

import platformdirs
from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from wan_video_mcp.redaction import Redactor

ProviderName = Literal["dashscope", "apiyi", "modellix", "aimlapi"]
PROVIDER_NAMES: tuple[ProviderName, ...] = ("dashscope", "apiyi", "modellix", "aimlapi")
DashScopeRegion = Literal["intl", "cn", "us"]

APP_NAME = "wan-video-mcp"
API_PATH_SUFFIXES = ("/api/v1", "/wan", "/v1", "/v2")
MIN_RETENTION_DAYS = 32


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def _default_output_dir() -> Path:
    return Path(platformdirs.user_videos_dir()) / APP_NAME


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class Settings(BaseSettings):
    """Every knob a deployment can turn; see README.md "Configuration"."""

    # env_ignore_empty: client configs carry "KEY": "" placeholders; blank means "not set".
    model_config = SettingsConfigDict(
        extra="ignore", populate_by_name=True, frozen=True, env_ignore_empty=True
    )

    dashscope_api_key: SecretStr | None = Field(None, validation_alias=_env("DASHSCOPE_API_KEY"))
    dashscope_region: DashScopeRegion = Field("intl", validation_alias=_env("DASHSCOPE_REGION"))
    dashscope_base_url: str | None = Field(None, validation_alias=_env("DASHSCOPE_BASE_URL"))
    apiyi_api_key: SecretStr | None = Field(None, validation_alias=_env("APIYI_API_KEY"))
    apiyi_base_url: str = Field("https://api.apiyi.com", validation_alias=_env("APIYI_BASE_URL"))
    apiyi_enable_vace: bool = Field(False, validation_alias=_env("APIYI_ENABLE_VACE"))
    modellix_api_key: SecretStr | None = Field(None, validation_alias=_env("MODELLIX_API_KEY"))
    modellix_base_url: str = Field("https://api.modellix.ai", validation_alias=_env("MODELLIX_BASE_URL"))
    aimlapi_api_key: SecretStr | None = Field(None, validation_alias=_env("AIMLAPI_API_KEY"))
    aimlapi_base_url: str = Field("https://api.aimlapi.com", validation_alias=_env("AIMLAPI_BASE_URL"))

    provider: ProviderName | None = Field(None, validation_alias=_env("WAN_MCP_PROVIDER"))
    # None: chosen per client (see callers.py): 50 s, or 3 s for clients that give up at 5 s.
    wait_seconds: float | None = Field(None, ge=0, le=3600, validation_alias=_env("WAN_MCP_WAIT_SECONDS"))
    poll_first_seconds: float = Field(2.0, gt=0, validation_alias=_env("WAN_MCP_POLL_FIRST_SECONDS"))
    poll_max_seconds: float | None = Field(None, gt=0, validation_alias=_env("WAN_MCP_POLL_MAX_SECONDS"))
    # How long a job still running when its call returns is polled on (lingering.py); 0: not.
    linger_seconds: float = Field(30.0, ge=0, le=600, validation_alias=_env("WAN_MCP_LINGER_SECONDS"))
    http_timeout_seconds: float = Field(30.0, gt=0, validation_alias=_env("WAN_MCP_HTTP_TIMEOUT_SECONDS"))
    # Serving over HTTP: a request must arrive whole within this time; idle connections
    # close after the keep-alive time; connections beyond the cap are closed on arrival.
    http_read_timeout_seconds: float = Field(
        10.0, gt=0, le=300, validation_alias=_env("WAN_MCP_HTTP_READ_TIMEOUT_SECONDS")
    )
    http_keepalive_seconds: float = Field(
        5.0, ge=1, le=300, validation_alias=_env("WAN_MCP_HTTP_KEEPALIVE_SECONDS")
    )
    http_max_connections: int = Field(256, ge=1, validation_alias=_env("WAN_MCP_HTTP_MAX_CONNECTIONS"))

    data_dir: Path = Field(default_factory=_default_data_dir, validation_alias=_env("WAN_MCP_DATA_DIR"))
    output_dir: Path = Field(default_factory=_default_output_dir, validation_alias=_env("WAN_MCP_OUTPUT_DIR"))
    download: bool = Field(True, validation_alias=_env("WAN_MCP_DOWNLOAD"))
    max_download_mb: float = Field(512.0, gt=0, validation_alias=_env("WAN_MCP_MAX_DOWNLOAD_MB"))
    max_resource_mb: float = Field(32.0, gt=0, validation_alias=_env("WAN_MCP_MAX_RESOURCE_MB"))
    download_timeout_seconds: float = Field(
        900.0, gt=0, validation_alias=_env("WAN_MCP_DOWNLOAD_TIMEOUT_SECONDS")
    )
    dedupe_window_seconds: float = Field(3600.0, ge=0, validation_alias=_env("WAN_MCP_DEDUPE_WINDOW_SECONDS"))
    # The contact sheet of a finished video: frames in it (0 = none), width and size caps.
    sheet_frames: int = Field(4, ge=0, le=12, validation_alias=_env("WAN_MCP_SHEET_FRAMES"))
    sheet_width: int = Field(1024, ge=256, le=2048, validation_alias=_env("WAN_MCP_SHEET_WIDTH"))
    sheet_max_kb: int = Field(120, ge=20, le=1024, validation_alias=_env("WAN_MCP_SHEET_MAX_KB"))
    # Spending caps per UTC day and calendar month, in the price table's currency (unset: none),
    # and a price file that replaces or extends the shipped table.
    daily_budget: float | None = Field(None, ge=0, validation_alias=_env("WAN_MCP_DAILY_BUDGET"))
    monthly_budget: float | None = Field(None, ge=0, validation_alias=_env("WAN_MCP_MONTHLY_BUDGET"))
    prices_file: Path | None = Field(None, validation_alias=_env("WAN_MCP_PRICES_FILE"))
    # The inline player (MCP Apps) hosts render beside results, and extra origins its videos
    # may come from (comma-separated, e.g. a CDN in front of a gateway).
    player: bool = Field(True, validation_alias=_env("WAN_MCP_PLAYER"))
    player_media_origins: str | None = Field(None, validation_alias=_env("WAN_MCP_PLAYER_MEDIA_ORIGINS"))
    # Local input files: which folders they may come from (os.pathsep-separated; unset: any
    # file this process can read), and the bucket that makes them reachable for every provider.
    input_roots: str | None = Field(None, validation_alias=_env("WAN_MCP_INPUT_ROOTS"))
    s3_bucket: str | None = Field(None, validation_alias=_env("WAN_MCP_S3_BUCKET"))
    s3_endpoint_url: str | None = Field(None, validation_alias=_env("WAN_MCP_S3_ENDPOINT_URL"))
    s3_prefix: str = Field("wan-video-mcp/", validation_alias=_env("WAN_MCP_S3_PREFIX"))
    # A presigned URL must outlive the job's queue; SigV4 allows at most 7 days.
    s3_url_ttl_seconds: float = Field(
        86400.0, ge=3600, le=604800, validation_alias=_env("WAN_MCP_S3_URL_TTL_SECONDS")
    )
    # The usual AWS credentials, also from --env-file (boto3 alone reads only the process
    # environment and ~/.aws); unset: boto3's own chain. Secrets are redacted like API keys.
    aws_access_key_id: str | None = Field(None, validation_alias=_env("AWS_ACCESS_KEY_ID"))
    aws_region: str | None = Field(None, validation_alias=_env("AWS_REGION", "AWS_DEFAULT_REGION"))
    aws_secret_access_key: SecretStr | None = Field(None, validation_alias=_env("AWS_SECRET_ACCESS_KEY"))
    aws_session_token: SecretStr | None = Field(None, validation_alias=_env("AWS_SESSION_TOKEN"))
    # Shared deployments: the journal in PostgreSQL (unset: SQLite in WAN_MCP_DATA_DIR), whether
    # authenticated callers see each other's tasks, and new paid jobs per minute per caller.
    database_url: SecretStr | None = Field(None, validation_alias=_env("WAN_MCP_DATABASE_URL"))
    share_tasks: bool = Field(False, validation_alias=_env("WAN_MCP_SHARE_TASKS"))
    submits_per_minute: int | None = Field(None, ge=1, validation_alias=_env("WAN_MCP_SUBMITS_PER_MINUTE"))
    # Finished tasks without a saved video are deleted from the journal this many days after
    # their last change (0: never). At least a month: budgets and the spending report read back.
    journal_retention_days: float = Field(
        90.0, ge=0, le=36500, allow_inf_nan=False, validation_alias=_env("WAN_MCP_JOURNAL_RETENTION_DAYS")
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", validation_alias=_env("WAN_MCP_LOG_LEVEL")
    )

    @field_validator(
        "dashscope_api_key", "apiyi_api_key", "modellix_api_key", "aimlapi_api_key", mode="before"
    )
    @classmethod
    def _blank_key_is_unset(cls, value: object) -> object:
        # Client configs often carry "KEY": "" placeholders; that means "not set", not "empty key".
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator(
        "dashscope_base_url", "apiyi_base_url", "modellix_base_url", "aimlapi_base_url", mode="before"
    )
    @classmethod
    def _trim_base_url(cls, value: object) -> object:
        # A base URL is often written with the API's version path (the official DashScope
        # SDK's form is ".../api/v1"); the adapters add their own paths, so drop it.
        if isinstance(value, str):
            url = value.strip().rstrip("/")
            for suffix in API_PATH_SUFFIXES:
                url = url.removesuffix(suffix)
            return url or None
        return value

    @field_validator("input_roots")
    @classmethod
    def _roots_are_folders(cls, value: str | None) -> str | None:
        # A relative root would depend on the working folder desktop apps start servers in
        # (often /), and a missing one would silently refuse everything: say so at start.
        parts = [part.strip() for part in (value or "").split(os.pathsep) if part.strip()]
        for part in parts:
            path = Path(part).expanduser()
            if not path.is_absolute():
                raise ValueError(f"WAN_MCP_INPUT_ROOTS entry {part!r} is not an absolute path")
            if not path.is_dir():
                raise ValueError(f"WAN_MCP_INPUT_ROOTS entry {part!r} is not an existing folder")
        return os.pathsep.join(parts) or None

    @field_validator("player_media_origins")
    @classmethod
    def _origins_are_origins(cls, value: str | None) -> str | None:
        # A path or a typo would be dropped by the host's CSP without a word: say so at start.
        parts = [part.strip().rstrip("/") for part in (value or "").split(",") if part.strip()]
        for part in parts:
            if not re.fullmatch(r"https?://(\*\.)?[A-Za-z0-9.-]+(:\d+)?", part):
                raise ValueError(
                    f"WAN_MCP_PLAYER_MEDIA_ORIGINS entry {part!r} is not an origin like https://cdn.example.com"
                )
        return ",".join(parts) or None

    @field_validator("database_url")
    @classmethod
    def _postgres_only(cls, value: SecretStr | None) -> SecretStr | None:
        # Any other database would fail only after a long connect timeout: say so at start.
        if value is not None and not value.get_secret_value().startswith(("postgresql://", "postgres://")):
            raise ValueError(
                "WAN_MCP_DATABASE_URL must be a postgresql:// URL (unset: SQLite in WAN_MCP_DATA_DIR)"
            )
        return value

    @field_validator("journal_retention_days")
    @classmethod
    def _retention_covers_a_month(cls, value: float) -> float:
        if 0 < value < MIN_RETENTION_DAYS:
            raise ValueError(
                "WAN_MCP_JOURNAL_RETENTION_DAYS must be 0 (keep everything) or at least "
                f"{MIN_RETENTION_DAYS}: the monthly budget and the spending report read a month back"
            )
        return value

    @model_validator(mode="after")
    def _retention_outlives_dedupe(self) -> Self:
        # A task deleted while identical calls would still be handed it would be paid for again.
        days = self.journal_retention_days
        if days and self.dedupe_window_seconds > days * 86400:
            raise ValueError(
                "WAN_MCP_DEDUPE_WINDOW_SECONDS is longer than WAN_MCP_JOURNAL_RETENTION_DAYS keeps tasks; "
                "shorten the window or keep tasks longer"
            )
        return self

    @field_validator("provider", mode="before")
    @classmethod
    def _blank_provider_is_unset(cls, value: object) -> object:
        if isinstance(value, str):
            return value.strip().lower() or None
        return value

    def api_key(self, provider: ProviderName) -> SecretStr | None:
        keys: dict[ProviderName, SecretStr | None] = {
            "dashscope": self.dashscope_api_key,
            "apiyi": self.apiyi_api_key,
            "modellix": self.modellix_api_key,
            "aimlapi": self.aimlapi_api_key,
        }
        return keys[provider]

    def secrets(self) -> list[str]:
        """Every configured key, for redaction."""
        keys = [self.api_key(name) for name in PROVIDER_NAMES]
        keys += [self.aws_secret_access_key, self.aws_session_token, self.database_url]
        return [key.get_secret_value() for key in keys if key is not None]

    @property
    def input_root_paths(self) -> list[Path]:
        """The folders local inputs may come from, symlinks resolved (empty: anywhere)."""
        parts = (self.input_roots or "").split(os.pathsep)
        return [Path(part).expanduser().resolve() for part in parts if part.strip()]

    def redactor(self) -> Redactor:
        return Redactor(self.secrets())

    @property
    def http_total_seconds(self) -> float:
        """The longest one provider request may take from start to end (each phase has its own
        timeout; a slow trickle could otherwise go on far longer)."""
        return 2 * self.http_timeout_seconds

    @property
    def journal_path(self) -> Path:
        return self.data_dir / "journal.sqlite3"

    @property
    def max_download_bytes(self) -> int:
        return int(self.max_download_mb * 1024 * 1024)

    @property
    def max_resource_bytes(self) -> int:
        return int(self.max_resource_mb * 1024 * 1024)


def load_settings(env_file: str | None = None) -> Settings:
    """Settings from the environment, plus `env_file` when given (environment wins)."""
    # pyright cannot see that BaseSettings fills every field from the environment.
    if env_file is None:
        return Settings()  # pyright: ignore[reportCallIssue]
    return Settings(_env_file=env_file)  # pyright: ignore[reportCallIssue]
