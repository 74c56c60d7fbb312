"""Reports: scores of the stored responses, of one configuration version or of all."""

from __future__ import annotations

from datetime import datetime
from typing import Callable

import pandas as pd
from sqlalchemy.orm import Session

from core.db.repositories import ConfigVersionRepository, ResponseRepository
from core.operations.base import NotFound, NothingToUse
from core.operations.configuration import config_of, config_version
from core.scoring import ScoringInputError, score
from core.scoring.compatibility import incompatibility

# ``version=all``: the responses of every version, pooled.
ALL_VERSIONS = "all"


def report(
    session: Session,
    tenant_id: int,
    version: int | str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    by: tuple[str, ...] = (),
    period: str | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> dict:
    """Scores of the responses collected under one configuration version (default: the
    latest), or under every version (``version="all"``).

    The answer says what was scored: ``version`` (the number, or ``"all"``) and
    ``versions`` (the numbers whose responses were scored). A version or time window
    without responses is an answer too: ``n`` 0 and null scores, never an error.

    ``"all"`` pools the responses of every version that holds some, scored against the
    latest version's tree, when each of those versions scores answers exactly as the
    latest does (core.scoring.compatibility); otherwise ScoringInputError (422) says how
    they differ. Without any configuration there is nothing to report on: NotFound (404),
    as for a version that does not exist; reading asks for something absent, where ingest
    (409) asks for a prerequisite the tenant can still upload. ``on_stage`` is told when
    each stage starts ("loading responses", then "scoring"), for a progress display.
    """
    stage = on_stage or (lambda _text: None)
    pooled = version == ALL_VERSIONS
    try:
        stored = config_version(session, tenant_id, None if pooled else version)
    except NothingToUse as exc:
        raise NotFound(str(exc)) from exc
    iset = config_of(session, stored).indicator_set
    responses = ResponseRepository(session)
    numbers = [stored.version]
    if pooled:
        numbers = sorted(set(responses.versions_with_data(tenant_id)) | {stored.version})
        _check_poolable(session, tenant_id, numbers, stored.version)
    stage("loading responses")
    frames = [responses.load_frame(tenant_id, number, start, end) for number in numbers]
    filled = [f for f in frames if len(f)]  # (pandas warns about concatenating empty frames)
    frame = filled[0] if len(filled) == 1 else pd.concat(filled, ignore_index=True) if filled else frames[-1]
    stage("scoring")
    result = score(frame, iset, by=by, period=period, canonical=True).to_dict()
    return {"version": ALL_VERSIONS if pooled else stored.version, "versions": numbers, **result}


def _check_poolable(session: Session, tenant_id: int, numbers: list[int], latest: int) -> None:
    """Refuse to pool versions whose trees score differently (422 naming the differences)."""
    stored = {v.version: v for v in ConfigVersionRepository(session).list(tenant_id) if v.version in numbers}
    trees = {number: config_of(session, v).indicator_set for number, v in stored.items()}
    reason = incompatibility(trees, latest)
    if reason is not None:
        raise ScoringInputError(reason, "version")
