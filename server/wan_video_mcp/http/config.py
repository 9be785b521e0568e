"""The settings only HTTP serving reads: who may call (tokens, OAuth), from which host
names and web origins, and how sessions work. Read when `serve --transport http` starts,
so stdio servers neither need nor check them."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class HttpSettings(BaseSettings):
    model_config = SettingsConfigDict(
        extra="ignore", populate_by_name=True, frozen=True, env_ignore_empty=True
    )

    # Static bearer tokens, `name=token` or bare, comma-separated and/or one per line in a file.
    auth_tokens: SecretStr | None = Field(None, validation_alias=AliasChoices("WAN_MCP_AUTH_TOKENS"))
    auth_tokens_file: Path | None = Field(None, validation_alias=AliasChoices("WAN_MCP_AUTH_TOKENS_FILE"))
    # OAuth resource server: the authorization server that issues access tokens (JWTs) for this
    # server, where its signing keys are, and this server's public MCP URL (the tokens' audience).
    oauth_issuer: str | None = Field(None, validation_alias=AliasChoices("WAN_MCP_OAUTH_ISSUER"))
    oauth_jwks_url: str | None = Field(None, validation_alias=AliasChoices("WAN_MCP_OAUTH_JWKS_URL"))
    oauth_scopes: str | None = Field(None, validation_alias=AliasChoices("WAN_MCP_OAUTH_SCOPES"))
    resource_url: str | None = Field(None, validation_alias=AliasChoices("WAN_MCP_RESOURCE_URL"))
    # Serving off loopback with no authentication at all: only behind a proxy that authenticates.
    insecure_no_auth: bool = Field(False, validation_alias=AliasChoices("WAN_MCP_INSECURE_NO_AUTH"))
    # Host names (with :port, or :* for any port) and web origins requests may carry, beyond the
    # loopback names and the bind address that are always allowed (comma-separated).
    allowed_hosts: str | None = Field(None, validation_alias=AliasChoices("WAN_MCP_ALLOWED_HOSTS"))
    allowed_origins: str | None = Field(None, validation_alias=AliasChoices("WAN_MCP_ALLOWED_ORIGINS"))
    # No sessions: every request may go to any replica (no server-to-client requests, no resumption).
    stateless: bool = Field(False, validation_alias=AliasChoices("WAN_MCP_HTTP_STATELESS"))

    @property
    def required_scopes(self) -> list[str]:
        return (self.oauth_scopes or "").replace(",", " ").split()


def load_http_settings(env_file: str | None) -> HttpSettings:
    if env_file is None:
        return HttpSettings()  # pyright: ignore[reportCallIssue]
    return HttpSettings(_env_file=env_file)  # pyright: ignore[reportCallIssue]
