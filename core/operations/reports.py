"""Reports: scores of the stored responses, of one configuration version or of all."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Callable

from sqlalchemy.orm import Session

from core.analysis.significance import DEFAULT_MIN_N
from core.db.repositories import AnswerBlockRepository, ConfigVersionRepository, ResponseRepository
from core.operations.base import NotFound, NothingToUse
from core.operations.configuration import config_of, config_version
from core.scoring import ScoringInputError
from core.scoring.compare import check_compare
from core.scoring.compatibility import incompatibility
from core.store import score_blocks

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
    min_n: int | None = None,
    compare: str | None = None,
) -> dict:
    """Scores of the responses collected under one configuration version (default: the
    latest), or under every version (``version="all"``).

    The answer says what was scored: ``version`` (the number, or ``"all"``) and
    ``versions`` (the numbers whose responses were scored). A version or time window
    without responses is an answer too: ``n`` 0 and null scores, never an error.

    Scores are read from the answer store (``core.store``): the blocks of the version
    whose time bounds meet ``[start, end)``, streamed and gathered as small-int arrays.
    ``"all"`` pools the responses of every version that holds some, scored against the
    latest version's tree, when each of those versions scores answers exactly as the
    latest does (core.scoring.compatibility); otherwise ScoringInputError (422) says how
    they differ. Pooling reads every version's blocks in turn: a block's option codes
    are positions in its own version's scale, mapped to the latest's by option code as
    they are gathered (compatible versions have the same option codes). Without any configuration there is
    nothing to report on: NotFound (404), as for a version that does not exist; reading
    asks for something absent, where ingest (409) asks for a prerequisite the tenant can
    still upload. ``on_stage`` is told when each stage starts ("loading responses", then
    "scoring"), for a progress display. ``min_n`` (default: the ``analysis`` section's,
    else 30) flags figures resting on fewer responses; ``compare`` (``previous`` or a
    period label, with ``period`` among ``by``) tests each period against another.
    """
    stage = on_stage or (lambda _text: None)
    pooled = version == ALL_VERSIONS
    try:
        stored = config_version(session, tenant_id, None if pooled else version)
    except NothingToUse as exc:
        raise NotFound(str(exc)) from exc
    config = config_of(session, stored)
    iset = config.indicator_set
    if min_n is None:
        analysis = config.section("analysis")
        min_n = analysis.min_n if analysis is not None else DEFAULT_MIN_N
    check_compare(compare, by, period)
    responses = ResponseRepository(session)
    numbers = [stored.version]
    if pooled:
        numbers = sorted(set(responses.versions_with_data(tenant_id)) | {stored.version})
        _check_poolable(session, tenant_id, numbers, stored.version)
    stage("loading responses")
    store = AnswerBlockRepository(session)
    blocks = itertools.chain.from_iterable(store.payloads(tenant_id, number, start, end) for number in numbers)
    stage("scoring")  # (the blocks are read as they are scored)
    result = score_blocks(blocks, iset, by=by, period=period, start=start, end=end, min_n=min_n, compare=compare).to_dict()
    return {"version": ALL_VERSIONS if pooled else stored.version, "versions": numbers, **result}


def _check_poolable(session: Session, tenant_id: int, numbers: list[int], latest: int) -> None:
    """Refuse to pool versions whose trees score differently (422 naming the differences)."""
    stored = {v.version: v for v in ConfigVersionRepository(session).list(tenant_id) if v.version in numbers}
    trees = {number: config_of(session, v).indicator_set for number, v in stored.items()}
    reason = incompatibility(trees, latest)
    if reason is not None:
        raise ScoringInputError(reason, "version")
