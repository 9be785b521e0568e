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

import contextlib
import ipaddress
import socket
import unicodedata
from urllib.parse import unquote

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# IPv6 ranges that carry an IPv4 address in their last 32 bits (RFC 6052 NAT64, RFC 4291
# IPv4-compatible); 6to4, Teredo and IPv4-mapped are read by the ipaddress module itself.
NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
# Dots that IDNA treats as a full stop.
DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})

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
    """True for globally routable unicast addresses (not loopback, private, link-local...),
    including the IPv4 address an IPv6 one may carry (::ffff:127.0.0.1, 64:ff9b::7f00:1...)."""
    inner = embedded_ipv4(address)
    if inner is not None and not is_public(inner):
        return False
    if inner is not None and address in IPV4_COMPATIBLE:
        return True  # ::a.b.c.d is deprecated and reserved, but means the public a.b.c.d
    site_local = isinstance(address, ipaddress.IPv6Address) and address.is_site_local
    return address.is_global and not address.is_multicast and not site_local


def embedded_ipv4(address: IpAddress) -> ipaddress.IPv4Address | None:
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None or address.sixtofour is not None:
        return address.ipv4_mapped or address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if any(address in prefix for prefix in NAT64) or (address in IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(address.packed[12:])
    return None


def normal_host(host: str) -> str:
    """`host` as a URL parser reaches it: percent-decoded, Unicode-normalised (full-width and
    circled characters become ASCII), lower-case, without the root's trailing dot."""
    text = unicodedata.normalize("NFKC", unquote(host)).translate(DOTS).strip().rstrip(".")
    with contextlib.suppress(UnicodeError):  # IDNA's mapping drops soft hyphens, zero-width marks
        text = text.encode("idna").decode("ascii")
    return text.lower()


def why_not_public(host: str) -> str | None:
    """Why a provider (or anyone outside this machine's network) cannot reach `host`; None if it can."""
    name = normal_host(host)
    if name in LOCAL_NAMES or name.endswith(LOCAL_SUFFIXES):
        return "a name that only this machine or its local network knows"
    address = ip_literal(name)
    if address is None and name.rpartition(".")[2].isdigit():
        return "not a valid host name or IP address (a name never ends in a number)"
    if address is None and "." not in name:
        return "a single-label name (like a NAS or intranet host) that only a local network knows"
    if address is None or is_public(address):
        return None
    return f"a {_kind(address)} address that only this machine or its local network can reach"


def _kind(address: IpAddress) -> str:
    address = embedded_ipv4(address) or address
    for kind in ("loopback", "link_local", "site_local", "private", "multicast", "unspecified", "reserved"):
        if getattr(address, f"is_{kind}", False):
            return kind.replace("_", "-")
    return "non-public"
