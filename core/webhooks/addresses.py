"""Which webhook URLs may be called: server-side request forgery is refused.

A tenant names the URL, the server makes the request; without a check a tenant could make
the server call its own loopback services, the private network behind it, or a cloud
metadata address (169.254.169.254). So a URL is refused unless every address its host
resolves to is a public unicast address: not loopback, private, link-local, multicast,
reserved, unspecified or carrier-grade NAT, IPv4-mapped and NAT64 forms of those
included. The check runs twice: when the endpoint is registered (a precise error) and
before every delivery, on the addresses the request then connects to (a name may resolve
elsewhere later: DNS rebinding), and the connection goes to the address that was checked.
Redirects are never followed (``core.webhooks.sender``).

An operator may allow private addresses (setting ``CSM_WEBHOOK_ALLOW_PRIVATE``) for
receivers on the same network; tenants cannot.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

SCHEMES = ("http", "https")
MAX_URL_LENGTH = 2000
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UnsafeUrl(ValueError):
    """A webhook URL that may not be called; the message says why."""


@dataclass(frozen=True)
class Target:
    """A URL that passed the check, with the addresses it may be connected to."""

    scheme: str
    host: str  # as written (the Host header and TLS server name)
    port: int
    path: str  # path and query
    addresses: tuple[str, ...]


def _embedded_v4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour or (address.teredo[1] if address.teredo else None)


def refusal(address: str) -> str | None:
    """Why ``address`` may not be called (None: a public unicast address)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_v4(ip)
        if inner is not None:
            reason = refusal(str(inner))
            if reason:
                return f"{reason} (embedded in {ip})"
    for test, what in (
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_unspecified", "the unspecified address"),
        ("is_private", "a private address"),
        ("is_reserved", "a reserved address"),
    ):
        if getattr(ip, test):
            return f"{ip} is {what}"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return f"{ip} is a shared (carrier-grade NAT) address"
    if not ip.is_global:
        return f"{ip} is not a public address"
    return None


def parse(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path) of a well-formed http(s) URL, or UnsafeUrl."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        raise UnsafeUrl(f"must be an http or https URL of at most {MAX_URL_LENGTH} characters")
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        raise UnsafeUrl("must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrl(f"is not a valid URL: {exc}") from None
    if parts.scheme not in SCHEMES:
        raise UnsafeUrl(f"must use http or https, not {parts.scheme or 'no scheme'!r}")
    if not parts.hostname:
        raise UnsafeUrl("names no host")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl("must not carry credentials (user:password@); sign with the endpoint secret instead")
    if parts.fragment:
        raise UnsafeUrl("must not have a #fragment")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path


def resolve(host: str, port: int) -> tuple[str, ...]:
    """Every address ``host`` resolves to (an IP literal resolves to itself)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeUrl(f"host {host!r} does not resolve: {exc}") from None
    return tuple(dict.fromkeys(info[4][0] for info in infos))


def check(url: str, allow_private: bool = False) -> Target:
    """The URL as a Target whose addresses may be called, or UnsafeUrl naming the reason.

    Every address the host resolves to must pass (one private answer among public ones is
    how rebinding attacks hide), unless ``allow_private``."""
    scheme, host, port, path = parse(url)
    addresses = resolve(host, port)
    if not allow_private:
        for address in addresses:
            reason = refusal(address)
            if reason:
                shown = "" if host == address else f"{host} resolves to "
                raise UnsafeUrl(f"{shown}{reason}: webhooks are only sent to public addresses")
    return Target(scheme, host, port, path, addresses)
