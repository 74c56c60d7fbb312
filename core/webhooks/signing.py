"""Standard Webhooks signatures: ``webhook-signature: v1,<base64 HMAC-SHA256>``.

The signed content is ``{webhook-id}.{webhook-timestamp}.{body}``; the key is the bytes
behind the secret's ``whsec_`` prefix (base64). While a rotated-out secret is still valid
the header carries both signatures, space separated, so a receiver still holding the old
secret keeps verifying until it has switched. Receivers compare in constant time and
refuse timestamps too far from their clock (``verify`` does both), which stops replays.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable

PREFIX = "whsec_"
SECRET_BYTES = 24
TOLERANCE_SECONDS = 300


class InvalidSignature(ValueError):
    """A delivery whose signature, timestamp or headers do not verify."""


def new_secret() -> str:
    """A fresh endpoint secret: ``whsec_`` + base64 of 24 random bytes."""
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _key(secret: str) -> bytes:
    if not secret.startswith(PREFIX):
        raise ValueError("a webhook secret starts with whsec_")
    return base64.b64decode(secret[len(PREFIX):], validate=True)


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<signature>`` of one delivery."""
    content = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(_key(secret), content, hashlib.sha256).digest()).decode()


def headers(secrets_: Iterable[str], message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three ``webhook-*`` headers, signed with each secret (current first)."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(sign(s, message_id, timestamp, body) for s in secrets_),
    }


def verify(secret: str, headers_: dict[str, str], body: bytes, now: int) -> None:
    """What a receiver does (and the tests): raise InvalidSignature unless one of the
    header's ``v1`` signatures matches and the timestamp lies within the tolerance."""
    lower = {k.lower(): v for k, v in headers_.items()}
    try:
        message_id, timestamp = lower["webhook-id"], int(lower["webhook-timestamp"])
        offered = lower["webhook-signature"].split(" ")
    except (KeyError, ValueError):
        raise InvalidSignature("missing or malformed webhook-* headers") from None
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        raise InvalidSignature("timestamp outside the tolerance")
    expected = sign(secret, message_id, timestamp, body)
    if not any(hmac.compare_digest(expected, s) for s in offered):
        raise InvalidSignature("no signature matches")
