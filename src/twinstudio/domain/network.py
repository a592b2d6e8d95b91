"""Which network addresses outbound requests may reach (webhooks now, monitoring later).

A request a tenant can aim (a webhook URL) must not reach the server's own network:
loopback, private ranges, link-local (cloud metadata at 169.254.169.254), carrier-grade
NAT, multicast, reserved and unspecified addresses are refused, for every address the
name resolves to, unless an allow-list entry (a host name, an address or a network in CIDR
form, from configuration) names it. Pure: the resolving is the adapter's.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
MAX_URL = 2000


@dataclass(frozen=True)
class AllowList:
    """Hosts, addresses and networks that outbound requests may reach although they are
    private (e.g. a receiver on the same machine in tests, an internal gateway)."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> AllowList:
        """``entries``: host names (``hooks.internal``), addresses (``127.0.0.1``) or
        networks (``10.0.0.0/8``); a malformed address or network is refused."""
        hosts, networks = set(), []
        for raw in entries:
            entry = raw.strip().lower()
            if not entry:
                continue
            if any(ch.isdigit() for ch in entry) and ("/" in entry or _is_address(entry)):
                try:
                    networks.append(ipaddress.ip_network(entry, strict=False))
                except ValueError:
                    raise ValueError(f"allow-list entry {entry!r} is not an address or "
                                     "a network such as 10.0.0.0/8") from None
            else:
                hosts.add(entry.rstrip("."))
        return cls(frozenset(hosts), tuple(networks))

    def names(self, host: str, address: IPAddress | None = None) -> bool:
        if host.lower().rstrip(".") in self.hosts:
            return True
        return address is not None and any(address in n for n in self.networks
                                           if n.version == address.version)


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def address_problem(address: IPAddress) -> str | None:
    """Why ``address`` is not on the public internet (None: it is)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address_problem(address.ipv4_mapped)
    checks = (("unspecified", address.is_unspecified), ("loopback", address.is_loopback),
              ("link-local", address.is_link_local),
              ("private", address.is_private), ("multicast", address.is_multicast),
              ("reserved", address.is_reserved),
              ("carrier-grade NAT", isinstance(address, ipaddress.IPv4Address)
               and address in _CGNAT))
    for name, hit in checks:
        if hit:
            return name
    return None


def forbidden_reason(host: str, addresses: Iterable[IPAddress], allow: AllowList
                     ) -> str | None:
    """Why a request to ``host`` (resolved to ``addresses``) is refused, or None. Every
    address counts: a name with one private answer among public ones is refused."""
    for address in addresses:
        problem = address_problem(address)
        if problem and not allow.names(host, address):
            return (f"{host} resolves to {address}, a {problem} address; outbound requests "
                    "reach only public addresses unless the allow-list names them")
    return None


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be an outbound target (None: it can be tried)."""
    if len(url) > MAX_URL:
        return f"the URL has {len(url)} characters, more than {MAX_URL}"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        return f"the URL cannot be read ({error})"
    if parts.scheme not in ("http", "https"):
        return f"the URL must start with https:// or http://, not {parts.scheme or '(none)'}:"
    if not parts.hostname:
        return "the URL has no host"
    if parts.username or parts.password:
        return "the URL must not carry a user name or password"
    if parts.fragment:
        return "the URL must not have a #fragment"
    if port == 0:
        return "the URL's port 0 is not a port"
    if any(ord(ch) < 33 or ord(ch) == 127 for ch in url):
        return "the URL contains spaces or control characters"
    return None
