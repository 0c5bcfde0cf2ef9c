"""The client address that sign-in and registration limits are counted by.

X-Forwarded-For is believed only when the direct peer is one of MEDIASI_TRUSTED_PROXIES; then the
client is the right-most address in it that is not itself a trusted proxy (anything left of that
was written by the client and may be forged).
"""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

from flask import Request

Network = IPv4Network | IPv6Network


def trusted_networks(cidrs: Iterable[str]) -> tuple[Network, ...]:
    """The proxies' networks, parsed once."""
    return tuple(ip_network(cidr, strict=False) for cidr in cidrs)


def client_address(request: Request, trusted: tuple[Network, ...]) -> str:
    """The address of the client behind any trusted proxies."""
    peer = request.remote_addr or "?"
    if not _is_trusted(peer, trusted):
        return peer
    hops = [hop.strip() for hop in request.headers.get("X-Forwarded-For", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted):
            return hop[:64]
    return hops[0][:64] if hops else peer


def _is_trusted(address: str, trusted: tuple[Network, ...]) -> bool:
    try:
        parsed = ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in trusted)
