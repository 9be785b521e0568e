"""Which hosts are public: the one rule for media URLs (fetched by the provider) and for
following a result link's redirects (fetched by this server).

A provider cannot reach the user's machine or network, so a media URL naming
`localhost`, `10.0.0.5` or `169.254.169.254` cannot work -- and a hostile answer
that sends this server there would turn it into a probe of internal services.
Names are judged by what they are (IP literals, including legacy forms such as
`127.1` or `2130706433`, and names reserved for local use); resolved addresses
by the same test when this server connects.
"""

from __future__ import annotations

import ipaddress
import socket

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Names that never leave the machine or the local network (RFC 6761, 6762, 8375).
LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa", ".localdomain")


def ip_literal(host: str) -> IpAddress | None:
    """`host` as an IP address when it is one, in any form a URL parser accepts."""
    text = host.strip("[]")
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    if not text or not all(char in "0123456789abcdefxABCDEFX." for char in text):
        return None
    try:  # inet_aton reads the legacy shapes curl and browsers honour: 127.1, 0x7f000001
        return ipaddress.IPv4Address(socket.inet_aton(text))
    except OSError:
        return None


def is_public(address: IpAddress) -> bool:
    """True for globally routable unicast addresses (not loopback, private, link-local...)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def why_not_public(host: str) -> str | None:
    """Why a provider (or anyone outside this machine's network) cannot reach `host`; None if it can."""
    name = host.strip().rstrip(".").lower()
    if name in LOCAL_NAMES or name.endswith(LOCAL_SUFFIXES):
        return "a name that only this machine or its local network knows"
    address = ip_literal(name)
    if address is None or is_public(address):
        return None
    return f"a {_kind(address)} address that only this machine or its local network can reach"


def _kind(address: IpAddress) -> str:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for kind in ("loopback", "link_local", "private", "multicast", "unspecified", "reserved"):
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    return "non-public"
