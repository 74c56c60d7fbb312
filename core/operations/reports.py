"""Reports: scores of the stored responses."""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from sqlalchemy.orm import Session

from core.db.repositories import AnswerBlockRepository
from core.operations.base import NotFound, NothingToUse
from core.operations.configuration import config_of, config_version
from core.store import score_blocks


def report(
    session: Session,
    tenant_id: int,
    version: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    by: tuple[str, ...] = (),
    period: str | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> dict:
    """Scores of the responses collected under one configuration version (default: latest).

    Without any configuration there is nothing to report on: NotFound (404), as for a
    version that does not exist; reading asks for something absent, where ingest (409)
    asks for a prerequisite the tenant can still upload. ``on_stage`` is told when each
    stage starts ("loading responses", then "scoring"), for a progress display.

    Scores are read from the answer store (``core.store``): the blocks of the version whose
    time bounds meet ``[start, end)``, streamed and gathered as small-int arrays.
    """
    stage = on_stage or (lambda _text: None)
    try:
        stored = config_version(session, tenant_id, version)
    except NothingToUse as exc:
        raise NotFound(str(exc)) from exc
    iset = config_of(session, stored).indicator_set
    stage("loading responses")
    blocks = AnswerBlockRepository(session).payloads(tenant_id, stored.version, start, end)
    stage("scoring")
    result = score_blocks(blocks, iset, by=by, period=period, start=start, end=end).to_dict()
    return {"version": stored.version, **result}
