"""Reports: scores of the stored responses."""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from sqlalchemy.orm import Session

from core.db.repositories import ResponseRepository
from core.operations.base import NotFound, NothingToUse
from core.operations.configuration import config_of, config_version
from core.scoring import score


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
    """
    stage = on_stage or (lambda _text: None)
    try:
        stored = config_version(session, tenant_id, version)
    except NothingToUse as exc:
        raise NotFound(str(exc)) from exc
    iset = config_of(session, stored).indicator_set
    stage("loading responses")
    frame = ResponseRepository(session).load_frame(tenant_id, stored.version, start, end)
    stage("scoring")
    result = score(frame, iset, by=by, period=period, canonical=True).to_dict()
    return {"version": stored.version, **result}
