"""The standard response headers of the API, each described once for the spec and built in
one place: ``Location`` on a 201, ``Link`` (RFC 8288) beside ``X-Pagination`` on a page,
``WWW-Authenticate`` on a 401 (RFC 6750), ``Retry-After`` on 409 and 429, and the rate-limit
headers every answer of an operation carries while rate limiting is on
(core.api.ratelimit sets them). ``ETag`` and ``If-None-Match`` are flask-smorest's
(core.api.blueprint); the cached score answers' ``ETag`` and ``Cache-Control`` are
core.api.answer_cache's, documented with the same components.

The spec refers to the descriptions by name (``#/components/headers/NAME``); they are
registered with the application's spec (``register_header_components``) before any
blueprint is documented.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote, urlencode

from apispec import APISpec

CACHE_CONTROL = "Cache-Control"
ETAG = "ETag"
LINK = "Link"
LOCATION = "Location"
RETRY_AFTER = "Retry-After"
WWW_AUTHENTICATE = "WWW-Authenticate"
RATE_LIMIT_LIMIT = "X-RateLimit-Limit"
RATE_LIMIT_REMAINING = "X-RateLimit-Remaining"
RATE_LIMIT_RESET = "X-RateLimit-Reset"

# The challenge a 401 carries: the API takes bearer tokens (its API keys).
REALM = "csm"

# Header name → (component name, description and schema).
COMPONENTS: dict[str, tuple[str, dict]] = {
    CACHE_CONTROL: (
        "CACHE_CONTROL",
        {"description": "`private, no-cache`: the answer is the tenant's; a client may keep it but must revalidate it (`If-None-Match`) before reuse.", "schema": {"type": "string"}},
    ),
    LINK: (
        "LINK",
        {
            "description": "RFC 8288 links to the `first`, `prev`, `next` and `last` pages (those that exist), as URI references "
            "relative to this request, with the same filters and `page_size`, e.g. "
            '`</api/v1/responses?page=3&page_size=50>; rel="next", </api/v1/responses?page=9&page_size=50>; rel="last"`.',
            "schema": {"type": "string"},
        },
    ),
    LOCATION: ("LOCATION", {"description": "Where the created resource can be read (a path on this server).", "schema": {"type": "string"}}),
    RETRY_AFTER: ("RETRY_AFTER", {"description": "Seconds to wait before retrying.", "schema": {"type": "integer", "minimum": 1}}),
    WWW_AUTHENTICATE: (
        "WWW_AUTHENTICATE",
        {
            "description": f'The bearer challenge (RFC 6750): `Bearer realm="{REALM}"`, with `error="invalid_token"` when a key was sent but is '
            "unknown, revoked or expired.",
            "schema": {"type": "string"},
        },
    ),
    RATE_LIMIT_LIMIT: (
        "RATE_LIMIT_LIMIT",
        {"description": "Requests the key may make in the current window of the budget closest to running out (see `X-RateLimit-Remaining`).", "schema": {"type": "integer"}},
    ),
    RATE_LIMIT_REMAINING: (
        "RATE_LIMIT_REMAINING",
        {"description": "Requests left in that window, this one counted. Sent on every answer of an operation while rate limiting is on.", "schema": {"type": "integer"}},
    ),
    RATE_LIMIT_RESET: ("RATE_LIMIT_RESET", {"description": "When that window ends, in Unix time (seconds).", "schema": {"type": "integer"}}),
}

RATE_LIMIT_HEADERS = (RATE_LIMIT_LIMIT, RATE_LIMIT_REMAINING, RATE_LIMIT_RESET)


def refs(*names: str) -> dict[str, str]:
    """``{header name: component name}`` for a response's ``headers`` in the spec."""
    return {name: COMPONENTS[name][0] for name in names}


def register_header_components(spec: APISpec) -> None:
    for component, description in COMPONENTS.values():
        spec.components.header(component, description, lazy=True)


def bearer_challenge(invalid_token: bool = False) -> str:
    """The ``WWW-Authenticate`` value of a 401: no key sent, or a key that is not valid."""
    return f'Bearer realm="{REALM}"' + (', error="invalid_token"' if invalid_token else "")


# Pagination metadata field → link relation (RFC 8288 registered relations).
PAGE_RELATIONS = (("first", "first_page"), ("prev", "previous_page"), ("next", "next_page"), ("last", "last_page"))


def page_links(path: str, args, page_size: int, metadata: Mapping[str, int]) -> str | None:
    """The ``Link`` value for a page: one link per page ``metadata`` (flask-smorest's
    pagination metadata) names, keeping every other query parameter of ``args``."""
    others = [(k, v) for k, v in args.items(multi=True) if k not in ("page", "page_size")]
    links = [
        f'<{quote(path)}?{urlencode([*others, ("page", metadata[field]), ("page_size", page_size)])}>; rel="{relation}"'
        for relation, field in PAGE_RELATIONS
        if field in metadata
    ]
    return ", ".join(links) or None
