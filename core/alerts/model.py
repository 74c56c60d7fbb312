"""The records alerts are made of: what an evaluation sees of a case, and what it raises."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

STEP_REACHED = "step_reached"
BREACHED = "breached"
REMEDY_OVERDUE = "remedy_overdue"
ABOVE_GRADE = "above_grade"
ALERT_KINDS = (STEP_REACHED, BREACHED, REMEDY_OVERDUE, ABOVE_GRADE)
# The dedup key is stored as given (core/db/tables.py DEDUP_KEY_LENGTH).
MAX_DEDUP_KEY_LENGTH = 500


@dataclass(frozen=True)
class CaseEvent:
    type: str
    at: datetime  # tz-aware UTC
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CaseSnapshot:
    """A case as its stored log has it now: its own fields and every event, oldest first
    (ties in the order they were stored). Figures are recomputed from this alone."""

    case_id: str
    case_type: str | None
    customer_id: str | None
    touchpoint: str | None
    opened_at: datetime | None
    attributes: dict[str, Any]
    events: tuple[CaseEvent, ...]


@dataclass(frozen=True)
class AlertCandidate:
    """An alert an evaluation (or a service check) wants raised.

    ``dedup_key`` names the fact, not the moment it was noticed (e.g.
    ``step_reached:<case>:<commitment>:<step>:<cycle>``): evaluating the same case again,
    in a second sweep or after a late event, yields the same key, and a key is raised at
    most once per tenant. ``occurred_at`` is when the fact became true (the step's time),
    which can lie well before the sweep that noticed it.
    """

    kind: str
    dedup_key: str
    occurred_at: datetime
    case_id: str | None = None
    customer_id: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        if self.kind not in ALERT_KINDS:
            raise ValueError(f"alert kind {self.kind!r} is not one of {', '.join(ALERT_KINDS)}")
        if not self.dedup_key or len(self.dedup_key) > MAX_DEDUP_KEY_LENGTH:
            raise ValueError(f"an alert's dedup_key must be 1-{MAX_DEDUP_KEY_LENGTH} characters, got {len(self.dedup_key)}")
        if self.occurred_at.tzinfo is None:
            raise ValueError("occurred_at must be tz-aware")
