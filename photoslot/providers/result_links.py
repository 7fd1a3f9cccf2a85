"""Which links a provider's answer may make the gateway fetch.

A provider names where its result lies; a hostile or intercepted answer could name an internal
address instead (cloud metadata, the database, an admin port). A link is fetched only when its
scheme is http(s), its host is the provider's configured host (same port) or one of the allowed
result hosts (their default port unless one is named), and none of its addresses is private,
loopback, link-local or otherwise special — unless the configured base URL is such an address
itself (a local fake or an on-premises proxy), in which case the configured hosts are trusted.

Names are resolved here and again by the HTTP client: a DNS answer that changes in between
(rebinding) is not caught. The host allow-list is the main wall; this check keeps the allowed
names from pointing inside.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from photoslot.providers.base import ProviderError

Resolver = Callable[[str, int], list[str]]
_DEFAULT_PORTS = {"http": 80, "https": 443}


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (empty when it does not resolve)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return [str(info[4][0]) for info in infos]


def is_special_address(address: str) -> bool:
    """True for private, loopback, link-local, multicast, reserved or unspecified addresses."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
            or ip.is_reserved or ip.is_unspecified)


class ResultLinkPolicy:
    """Decides whether a result link named by a provider may be fetched."""

    def __init__(self, base_url: str, extra_hosts: Iterable[tuple[str, int | None]] = (),
                 resolver: Resolver = resolve):
        """``extra_hosts``: (host, port or None = ports 80 and 443) where results may also be."""
        base = urlsplit(base_url)
        self._resolver = resolver
        self._base_host = (base.hostname or "").lower()
        self._base_port = base.port or _DEFAULT_PORTS.get(base.scheme, 80)
        self._allowed = {(self._base_host, self._base_port)}
        for host, port in extra_hosts:
            self._allowed.update((host, p) for p in ([port] if port else _DEFAULT_PORTS.values()))
        self._trust_special: bool | None = None

    def check(self, url: str) -> None:
        """Return if ``url`` may be fetched; ProviderError ``provider_bad_response`` if not."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        try:
            port = parts.port or _DEFAULT_PORTS.get(parts.scheme, 0)
        except ValueError:
            port = 0
        if parts.scheme not in _DEFAULT_PORTS or not host or not port:
            raise _refused("not an http(s) link", url)
        if (host, port) not in self._allowed:
            raise _refused("a host other than the provider's", url)
        if parts.username or parts.password:
            raise _refused("credentials in the link", url)
        if not self._trusts_special_addresses() and self._is_special(host, port):
            raise _refused("a private or loopback address", url)

    def _trusts_special_addresses(self) -> bool:
        if self._trust_special is None:
            self._trust_special = self._is_special(self._base_host, self._base_port)
        return self._trust_special

    def _is_special(self, host: str, port: int) -> bool:
        if host == "localhost" or host.endswith(".localhost"):
            return True
        addresses = [host] if _is_ip(host) else self._resolver(host, port)
        return any(is_special_address(address) for address in addresses)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _refused(why: str, url: str) -> ProviderError:
    host = urlsplit(url).netloc[:200]
    return ProviderError("provider_bad_response", "the provider named a result link the gateway "
                         "does not fetch", {"reason": "result_link_refused"},
                         internal=f"result link refused ({why}): host {host!r}")
