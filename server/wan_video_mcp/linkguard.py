"""Where a result link may take this server: public addresses only, a few redirects at most.

A provider's answer names the URL this server downloads, and that URL may redirect.
Followed blindly, a hostile or compromised answer would make the server fetch from
`127.0.0.1`, the cloud metadata address `169.254.169.254` or the user's network.
Every hop is resolved here and the connection is pinned to the address that was
checked (TLS still verifies the real host name), so a name cannot resolve one way
for the check and another for the fetch. The providers' own configured origins are
trusted as they are (the emulator, a company gateway). No hop carries a key: the
download client has none to send.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx2

from wan_video_mcp.addresses import IpAddress, ip_literal, is_public
from wan_video_mcp.errors import DownloadError

MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class Hop:
    """One request to make: the URL to connect to, and how to present the real host."""

    url: str
    headers: dict[str, str] = field(default_factory=dict[str, str])
    extensions: dict[str, Any] = field(default_factory=dict[str, Any])


class LinkGuard:
    def __init__(self, trusted_origins: Iterable[str] = ()) -> None:
        self._trusted = {_origin(httpx2.URL(url)) for url in trusted_origins}

    async def hop(self, url: str) -> Hop:
        """How to fetch `url`, or `DownloadError` when it leads somewhere it must not."""
        parsed = httpx2.URL(url)
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise DownloadError(f"The video link is not an http(s) URL ({url[:80]!r}); it was not fetched.")
        if parsed.userinfo:
            raise DownloadError("The video link carries a user name or password; it was not fetched.")
        if _origin(parsed) in self._trusted:
            return Hop(url)
        address = await self._public_address(parsed.host, parsed.port or _default_port(parsed))
        pinned = parsed.copy_with(host=str(address))
        return Hop(str(pinned), {"Host": parsed.netloc.decode()}, {"sni_hostname": parsed.host})

    def next_url(self, current: str, location: str) -> str:
        """Where a redirect points, refusing a step down from https to http."""
        target = httpx2.URL(current).join(location)
        if httpx2.URL(current).scheme == "https" and target.scheme != "https":
            raise DownloadError("The video link redirected from https to plain http; it was not followed.")
        return str(target)

    async def _public_address(self, host: str, port: int) -> IpAddress:
        literal = ip_literal(host)
        addresses = [literal] if literal is not None else await _resolve(host, port)
        private = [address for address in addresses if not is_public(address)]
        if private or not addresses:
            shown = private[0] if private else "nothing"
            raise DownloadError(
                f"The video link's host {host} resolves to {shown}, which is not a public address; it was "
                "not fetched (a provider's links are public)."
            )
        return addresses[0]


async def _resolve(host: str, port: int) -> list[IpAddress]:
    try:
        infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise DownloadError(f"Cannot resolve the video link's host {host} ({exc}).") from None
    found = [ip_literal(str(info[4][0]).partition("%")[0]) for info in infos]
    return [address for address in found if address is not None]


def _origin(url: httpx2.URL) -> tuple[str, str, int]:
    return url.scheme, url.host.lower(), url.port or _default_port(url)


def _default_port(url: httpx2.URL) -> int:
    return 443 if url.scheme == "https" else 80
