"""One webhook POST, to an address that passed ``core.webhooks.addresses``.

The connection goes to the checked address itself (the URL's host is only the Host header
and, for https, the TLS server name and certificate check), so a name that resolves
elsewhere between the check and the connection cannot redirect the request. Redirects are
not followed: a 3xx is a failed attempt, as Standard Webhooks recommends, since following
one would send the signed body to an address nobody checked. The answer body is read only
up to a few kilobytes and kept in the delivery log cut short.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from dataclasses import dataclass

from core.webhooks.addresses import Target

READ_LIMIT = 4096
USER_AGENT = "csm-webhooks/1"


@dataclass(frozen=True)
class Outcome:
    status_code: int | None  # None: no HTTP answer (refused, timed out, TLS...)
    error: str | None  # None: a 2xx
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.error is None


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to a fixed address, verifying the certificate for the URL's host."""

    def __init__(self, address: str, host: str, port: int, timeout: float, context: ssl.SSLContext):
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(target: Target, body: bytes, headers: dict[str, str], timeout: float) -> Outcome:
    """POST ``body`` to the target's first address; never raises for network trouble."""
    started = time.monotonic()
    address = target.addresses[0]
    if target.scheme == "https":
        connection: http.client.HTTPConnection = _PinnedHTTPS(address, target.host, target.port, timeout, ssl.create_default_context())
    else:
        connection = http.client.HTTPConnection(address, target.port, timeout=timeout)
    host_header = target.host if target.port in (80, 443) else f"{target.host}:{target.port}"
    if ":" in target.host:  # an IPv6 literal
        host_header = f"[{target.host}]" + ("" if target.port in (80, 443) else f":{target.port}")
    try:
        connection.request(
            "POST",
            target.path,
            body=body,
            headers={"Host": host_header, "Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
        )
        response = connection.getresponse()
        response.read(READ_LIMIT)
        status = response.status
    except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
        return Outcome(None, f"{type(exc).__name__}: {exc}"[:500], _ms(started))
    finally:
        connection.close()
    if 200 <= status < 300:
        return Outcome(status, None, _ms(started))
    if 300 <= status < 400:
        return Outcome(status, f"HTTP {status}: redirects are not followed", _ms(started))
    return Outcome(status, f"HTTP {status}", _ms(started))


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
