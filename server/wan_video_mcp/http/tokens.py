"""Static bearer tokens: the simplest way to let a team's agents in and keep others out.

Only each token's SHA-256 is held; a presented token is hashed and compared with every
known hash in constant time, so neither timing nor a memory dump gives a token away.
Rotation is listing the new token beside the old one, then removing the old one. A token
may carry a name (`alice=…`), which becomes the caller's identity in the journal; an
unnamed token is known by a short prefix of its hash. Tokens are read at start: adding or
rotating one takes a restart (replica by replica, so the service stays up).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from pathlib import Path

from mcp.server.auth.provider import AccessToken

from wan_video_mcp.errors import ConfigurationError

# Shorter than this is guessable; the error says how to make a good one.
MIN_TOKEN_LENGTH = 16
# A token's name: what the journal records as the caller (no ':', which OAuth identities use).
NAME = re.compile(r"[A-Za-z0-9_.@-]{1,64}")
TOKEN_HINT = "make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"  # noqa: S105  (advice, not a secret)


@dataclass(frozen=True)
class KnownToken:
    name: str
    digest: bytes


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def parse_token(entry: str, origin: str) -> KnownToken:
    """`name=token` or a bare token (which may itself contain '=', as base64 does), checked for
    length."""
    name, _, token = (part.strip() for part in entry.strip().partition("="))
    if not (NAME.fullmatch(name) and len(token) >= MIN_TOKEN_LENGTH):
        name, token = "", entry.strip()
    if len(token) < MIN_TOKEN_LENGTH:
        raise ConfigurationError(
            f"A token in {origin} is shorter than {MIN_TOKEN_LENGTH} characters; {TOKEN_HINT}."
        )
    digest = _digest(token)
    return KnownToken(name or f"token-{digest.hex()[:8]}", digest)


def read_tokens(listed: str | None, file: Path | None) -> list[KnownToken]:
    """Tokens from WAN_MCP_AUTH_TOKENS (comma-separated) and WAN_MCP_AUTH_TOKENS_FILE
    (one per line; blank lines and `#` comments skipped)."""
    entries = [(part, "WAN_MCP_AUTH_TOKENS") for part in (listed or "").split(",") if part.strip()]
    if file is not None:
        entries += [(line, f"WAN_MCP_AUTH_TOKENS_FILE ({file})") for line in _file_lines(file)]
    return [parse_token(entry, origin) for entry, origin in entries]


def _file_lines(file: Path) -> list[str]:
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"Cannot read WAN_MCP_AUTH_TOKENS_FILE {file} ({exc.strerror}).") from None
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


class StaticTokenVerifier:
    """The SDK's `TokenVerifier` for a fixed list of tokens."""

    def __init__(self, tokens: list[KnownToken]) -> None:
        self._tokens = tokens

    async def verify_token(self, token: str) -> AccessToken | None:
        presented = _digest(token)
        match = None
        for known in self._tokens:  # every entry compared: the time says nothing about which
            if hmac.compare_digest(known.digest, presented):
                match = known
        if match is None:
            return None
        return AccessToken(token="", client_id=match.name, scopes=[], subject=match.name)
