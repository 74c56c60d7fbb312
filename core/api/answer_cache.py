"""Cached score answers and their ``ETag``: ``@cached_answer`` on a read endpoint.

The key of an answer is a SHA-256 over everything it depends on: the database, the tenant, the
endpoint, the query parameters as sent (sorted), the code's cache format (the application
version and the answer store's layout), and the ingest watermark
(``AnswerBlockRepository.watermark``: the newest configuration version number, and the
count, newest id and row total of the answer blocks, of the requested ``version`` or, for
the latest or several versions, of the whole tenant). A new batch adds a block, an
erasure rewrites blocks under new ids and an upload adds a version, so each changes the
key of exactly the answers it can change, and nothing is ever invalidated by hand.

The ``ETag`` is that key: a request whose ``If-None-Match`` names it gets 304 with no
body after only the watermark queries; otherwise the answer's bytes come from the cache
(``core.result_cache``: Redis when configured, else process memory) or from the view,
whose 200 answer is then stored. At most ``SCORE_CONCURRENCY`` answers are computed
at once in a process (``computing``): the memory of a worker is bounded by it, and
identical requests arriving together are computed once. Answers are private to the tenant's keys, so they are
marked ``Cache-Control: private, no-cache`` (a client may keep them but must revalidate).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from contextlib import contextmanager
from copy import deepcopy

from flask import Response, request

from core import __version__
from core.api import headers as headers_doc
from core.api.auth import principal
from core.api.common import MAX_ID
from core.api.context import db, state
from core.db.repositories import AnswerBlockRepository
from core.store import LAYOUT

CACHE_FORMAT = f"2:{__version__}:{LAYOUT}"  # 2: margins, low_n and compare in score answers
CACHE_CONTROL = "private, no-cache"


def answer_key(tenant_id: int) -> str:
    """The key of the current request's answer (see the module docstring)."""
    args = sorted(request.args.items(multi=True))
    version = request.args.get("version", "")
    number = int(version) if re.fullmatch(r"[0-9]{1,12}", version) and int(version) <= MAX_ID else None
    watermark = AnswerBlockRepository(db()).watermark(tenant_id, number)  # not a number: the whole tenant's
    database = state().engine.url.render_as_string(hide_password=True)  # deployments may share a Redis
    material = json.dumps([CACHE_FORMAT, database, tenant_id, request.endpoint, args, watermark], separators=(",", ":"))
    return hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()


@contextmanager
def computing():
    """Hold one of the process's slots for computing an answer (``SCORE_CONCURRENCY``,
    unbounded by default) while the body runs, to bound what cold computations hold at
    once in one worker. Requests beyond the slots wait; a request that waited finds the
    answer in the cache when the one before it asked the same."""
    slots = state().score_slots
    if slots is None:
        yield
        return
    with slots:
        yield


def cached_answer(view):
    """Serve the view's 200 JSON answer from the cache when its key is known, with ETag.

    Goes after ``@tenant_required`` (the tenant is part of the key) and before the
    view's argument parsing: a cached answer was produced by a valid request with the
    same parameters, so it needs no second check.
    """

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        cache = state().answer_cache
        if cache is None:
            with computing():
                return view(*args, **kwargs)
        key = answer_key(principal().tenant_id)
        etag = f'"{key[:40]}"'
        headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
        # A named tag was only ever sent with a 200, so it names a valid request's answer.
        # ``*`` names any answer, and an invalid request has none: it is answered 304 only
        # once the answer is known to exist (cached, or computed now), never for a 422.
        star = request.if_none_match.star_tag
        if not star and request.if_none_match.contains(key[:40]):
            return Response(status=304, headers=headers)
        cache_key = f"csm:answer:{key}"
        body = cache.get(cache_key)
        if body is None:
            with computing():
                body = cache.get(cache_key)  # computed meanwhile by the request we waited for
                response = view(*args, **kwargs) if body is None else None
            if response is not None:
                if getattr(response, "status_code", None) != 200 or response.mimetype != "application/json":
                    return response
                cache.set(cache_key, response.get_data())
                if not star:
                    response.headers.update(headers)
                    return response
        if star:
            return Response(status=304, headers=headers)
        return Response(body, status=200, mimetype="application/json", headers=headers)

    # Documented on the operation (core.api.blueprint reads the marker): If-None-Match,
    # and ETag with Cache-Control on the 200 and on the 304 (declared with the view's
    # other answers).
    wrapper._apidoc = deepcopy(getattr(wrapper, "_apidoc", {}))
    marker = wrapper._apidoc.setdefault("csm_doc", {})
    marker.setdefault("parameters", []).append("IF_NONE_MATCH")
    tagged = {headers_doc.ETAG: "ETAG", **headers_doc.refs(headers_doc.CACHE_CONTROL)}
    marker.setdefault("success_headers", {}).update(tagged)
    marker.setdefault("answer_headers", {}).setdefault(304, {}).update(tagged)
    return wrapper
