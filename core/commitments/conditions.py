"""What commitment conditions see, and how the engine calls them.

Conditions are CEL expressions compiled by ``core.rules`` (checked against the variables
declared here, with the plugins' functions). Two scopes:

- ``CASE_VARIABLES`` for ``applies_to`` and a ladder step's ``when``: ``case`` (``id``,
  ``type``, ``touchpoint``, ``customer_id``, ``attributes``, ``events``: the types of the
  events recorded so far) and ``customer`` (its fields, ``grade`` among them);
- ``EVENT_VARIABLES`` for a clock role's ``when``: the same plus ``event`` (``type``,
  ``at``, ``attributes``).

Attributes and customer fields are maps of values the log holds (text from a CSV), read
as ``case.attributes.channel``; a condition that cannot be evaluated on a case (a key it
lacks, a type that does not fit) does not hold for it.

``Condition`` wraps a compiled expression for the engine: called with an activation it
gives a bool, and ``reads`` names the fields its result depends on, so that
``core.commitments.log.holds`` evaluates it once per distinct combination of them.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from core.rules import EvaluationError, Expression
from core.rules import types as T

ATTRIBUTES = T.map_of(T.STRING, T.DYN)
CASE = T.record(id=T.STRING, type=T.STRING, touchpoint=T.STRING, customer_id=T.STRING, attributes=ATTRIBUTES, events=T.list_of(T.STRING))
EVENT = T.record(type=T.STRING, at=T.TIMESTAMP, attributes=ATTRIBUTES)
CASE_VARIABLES = {"case": CASE, "customer": T.map_of(T.STRING, T.DYN)}
EVENT_VARIABLES = {**CASE_VARIABLES, "event": EVENT}

_FIELD = re.compile(r"\b(case|customer|event)\s*\.\s*([A-Za-z_]\w*)")
_VARIABLE = re.compile(r"\b(case|customer|event)\b")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')


class Condition:
    """A compiled boolean expression as the engine calls it."""

    def __init__(self, expression: Expression):
        self.expression = expression
        self.source = expression.text
        self.reads = fields_read(expression.text)

    def __call__(self, activation: Mapping[str, Any]) -> bool:
        try:
            return self.expression.evaluate(activation) is True
        except EvaluationError:
            return False

    def __repr__(self) -> str:
        return f"Condition({self.source!r})"


def fields_read(source: str) -> frozenset[tuple[str, str]] | None:
    """The (variable, field) pairs an expression reads, e.g. {("case", "type")}, found in
    its text outside string literals; None when a variable is used other than as
    ``variable.field`` (indexed, passed whole), so any field may matter."""
    code = _STRING.sub('""', source)
    pairs = _FIELD.findall(code)
    if len(_VARIABLE.findall(code)) != len(pairs):
        return None
    return frozenset(pairs)


def codes_named(commitments) -> frozenset[str]:
    """Every event or case type the commitments name: in a clock role or a ``delivered``,
    or as a string in a condition (``case.type == "dine_in"``, ``"complained" in
    case.events``). Ingest reports the types of a batch outside it (a typo shows at once)."""
    names: set[str] = set()
    conditions = []
    for commitment in commitments or ():
        conditions.append(commitment.applies_to)
        triggers = [commitment.clock.role(role) for role in ("start", "stop", "pause", "resume", "cancel", "reset")]
        for step in commitment.ladder:
            triggers.append(step.delivered)
            conditions.append(step.when)
        for trigger in filter(None, triggers):
            names.update(trigger.types)
            conditions.append(trigger.condition)
    for condition in filter(None, conditions):
        names.update(literal[1:-1] for literal in _STRING.findall(condition.source))
    return frozenset(names)
