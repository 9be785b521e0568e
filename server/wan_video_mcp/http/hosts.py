"""Which Host and Origin headers a request may carry (DNS-rebinding protection), on every
bind address: a page on another site that resolves its name to this server must not reach
it, whether the server listens on loopback or on 0.0.0.0.

Always allowed: the loopback names, the bind address itself, and -- on a wildcard bind --
this machine's host names; everything else a deployment lists (WAN_MCP_ALLOWED_HOSTS,
e.g. the name its reverse proxy forwards, or the machine's IP address). Checked before
authentication, for every path but the health check.
"""

from __future__ import annotations

import logging
import socket

from mcp.server.transport_security import TransportSecurityMiddleware, TransportSecuritySettings
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
WILDCARD_BINDS = ("0.0.0.0", "::", "")  # noqa: S104  (names, not a bind)


def is_loopback(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")


def _names(host: str, listed: str | None) -> list[str]:
    names: list[str] = [*LOOPBACK_NAMES]
    if host in WILDCARD_BINDS:
        names += {socket.gethostname(), socket.getfqdn()}
    else:
        names.append(f"[{host}]" if ":" in host else host)
    names += [name.strip() for name in (listed or "").split(",") if name.strip()]
    return [name.lower() for name in names]


def _host_patterns(name: str) -> list[str]:
    """`name` as written when it has a port (or :*), else that name with any port or none."""
    has_port = name.rsplit(":", 1)[-1].isdigit() or name.endswith(":*")
    return [name] if has_port and not name.endswith("]") else [name, f"{name}:*"]


def security_settings(host: str, hosts: str | None, origins: str | None) -> TransportSecuritySettings:
    names = _names(host, hosts)
    allowed_hosts = [pattern for name in names for pattern in _host_patterns(name)]
    bare = [name.rsplit(":", 1)[0] if not name.endswith("]") else name for name in names]
    default_origins = [
        f"{scheme}://{name}{port}" for name in bare for scheme in ("http", "https") for port in ("", ":*")
    ]
    listed = [origin.strip().rstrip("/").lower() for origin in (origins or "").split(",") if origin.strip()]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=allowed_hosts,
        allowed_origins=default_origins + listed,
    )


class HostGuard:
    """421 for a Host, 403 for an Origin not allowed -- before anything else runs. Host names
    compare without regard to case, as DNS does."""

    def __init__(self, app: ASGIApp, settings: TransportSecuritySettings) -> None:
        self._app = app
        self._checks = TransportSecurityMiddleware(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope = _lowercase_names(scope)
            refusal = await self._checks.validate_request(Request(scope), is_post=False)
            if refusal is not None:
                reason = bytes(refusal.body).decode()
                log.warning("refused: %s (see WAN_MCP_ALLOWED_HOSTS, WAN_MCP_ALLOWED_ORIGINS)", reason)
                await refusal(scope, receive, send)
                return
        await self._app(scope, receive, send)


def _lowercase_names(scope: Scope) -> Scope:
    headers = [
        (name, value.lower() if name in (b"host", b"origin") else value) for name, value in scope["headers"]
    ]
    return {**scope, "headers": headers}
