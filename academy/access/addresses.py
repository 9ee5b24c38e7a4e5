"""The client's address, as far as this deployment can trust it."""
from __future__ import annotations

import ipaddress

from django.conf import settings

UNKNOWN = "unknown"


def client_address(request) -> str:
    """Return the caller's address: REMOTE_ADDR, or the X-Forwarded-For entry our proxies vouch for.

    With TRUSTED_PROXY_COUNT = N, the last N hops are our proxies, each appending the address it
    saw: the entry N from the right is the client as seen by the outermost one. Entries further
    left are whatever the client sent, so they are never used. IPv6 addresses are cut to their
    /64: one subscriber holds a whole /64, and a limit per single address would not hold them.
    """
    count = settings.TRUSTED_PROXY_COUNT
    raw = request.META.get("REMOTE_ADDR", "")
    if count > 0:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= count:
            raw = hops[-count]
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return UNKNOWN
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address) + "/64"
    return str(address)


def address_allowed(address: str, networks: list[str]) -> bool:
    """Tell whether an address from client_address() lies in one of the networks (CIDR strings)."""
    if address == UNKNOWN or not networks:
        return False
    try:
        ip = ipaddress.ip_address(address.split("/")[0])
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(net, strict=False) for net in networks)
