"""Alerts: what a case's clocks or a service check raise, and the interface that finds them.

Pure (no Flask, no SQL). ``model`` holds the records every part shares; storing and
raising them is ``core.operations.alerts.raise_alerts``; who decides which alerts a case
deserves is a ``CaseEvaluator`` (``core.alerts.evaluation``); the default one is backed by
the commitments engine (``core.alerts.commitments.commitment_alerts``).
"""

from core.alerts.evaluation import CaseEvaluator, Customers, Deadline, Evaluation, no_commitments
from core.alerts.model import ALERT_KINDS, AlertCandidate, CaseEvent, CaseSnapshot

__all__ = ["ALERT_KINDS", "AlertCandidate", "CaseEvaluator", "CaseEvent", "Customers", "CaseSnapshot", "Deadline", "Evaluation", "no_commitments"]
