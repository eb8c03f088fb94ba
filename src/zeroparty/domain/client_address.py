"""Which address a request comes from, when a reverse proxy may stand in front.

The peer (the TCP connection's address) is the client unless it is one of the trusted proxies;
only then is `X-Forwarded-For` read, from its right end (what the nearest proxy appended) leftwards,
passing over further trusted proxies: the first address that is not one is the client. Anything a
client wrote at the left end of the header is never reached unless every proxy after it is trusted.
A header entry that is not an address stops the walk at the last trusted hop (nothing after it can
be believed). Trusted proxies are written `10.0.0.0/8,127.0.0.1` (addresses or networks), or
`none`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_HOPS = 20  # a longer header is read no further back than this


def parse_trusted(text: str) -> tuple[Network, ...]:
    """`10.0.0.0/8, 127.0.0.1` -> networks (`none`: no proxy is trusted); ValueError naming the
    entry that is not one."""
    if text.strip().lower() == "none":
        return ()
    networks: list[Network] = []
    for part in text.split(","):
        entry = part.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"'{entry}' is not an address or a network such as 10.0.0.0/8") from None
    return tuple(networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    entry = text.strip()
    if entry.startswith("[") and "]" in entry:  # [v6]:port
        entry = entry[1 : entry.index("]")]
    elif entry.count(":") == 1:  # v4:port
        entry = entry.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(entry)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address, trusted: Sequence[Network]) -> bool:
    return any(address.version == n.version and address in n for n in trusted)


def client_address(peer: str | None, forwarded_for: Sequence[str], trusted: Sequence[Network]) -> str | None:
    """The client's address for a request from `peer` carrying these `X-Forwarded-For` header
    values (each may list several addresses), given the trusted proxies."""
    at = _address(peer) if peer else None
    if at is None:
        return peer
    hops = [h for value in forwarded_for for h in value.split(",")][-MAX_HOPS:]
    while _trusted(at, trusted) and hops:
        previous = _address(hops.pop())
        if previous is None:
            break
        at = previous
    return str(at)


def is_trusted(peer: str | None, trusted: Sequence[Network]) -> bool:
    """Whether the connection comes from one of the trusted proxies."""
    at = _address(peer) if peer else None
    return at is not None and _trusted(at, trusted)
