"""The one place commitments compile their conditions (CEL).

``compile_condition(source, scope)`` returns a ``Condition`` (``core.commitments.model``)
for the variables of its scope: ``case`` and ``customer`` for ``applies_to`` and a
step's ``when``; ``event`` besides for a clock role's ``when``.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

import cel

MAX_LENGTH = 2000
SCOPES = {"case": ("case", "customer"), "event": ("event", "case", "customer")}


class ConditionError(ValueError):
    """An expression refused when the configuration is checked."""


class CelCondition:
    """A compiled condition; ``reads`` tells the engine which fields its result depends
    on, so it is evaluated once per distinct combination of them (``log.holds``)."""

    def __init__(self, source: str, program):
        self.source = source
        self.reads = fields_read(source)
        self._program = program

    def __call__(self, activation: Mapping[str, Any]) -> bool:
        try:
            return self._program.execute(dict(activation)) is True
        except Exception:  # a missing key or a type mismatch at run time: the condition does not hold
            return False


def compile_condition(source: str, scope: str) -> CelCondition:
    if len(source) > MAX_LENGTH:
        raise ConditionError(f"the expression is {len(source)} characters long; at most {MAX_LENGTH}")
    try:
        program = cel.compile(source)
    except Exception as exc:
        raise ConditionError(f"not a valid expression: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    unknown = sorted(set(program.variables()) - set(SCOPES[scope]))
    if unknown:
        raise ConditionError(f"unknown variable {unknown[0]!r}; this expression sees {', '.join(SCOPES[scope])}")
    return CelCondition(source, program)


_FIELD = re.compile(r"\b(case|customer|event)\s*\.\s*([A-Za-z_]\w*)")
_VARIABLE = re.compile(r"\b(case|customer|event)\b")


def fields_read(source: str) -> frozenset[tuple[str, str]] | None:
    """The (variable, field) pairs an expression reads, e.g. {("case", "type")}, found in
    its text outside string literals; None when a variable is used other than as
    ``variable.field`` (indexed, passed whole), so every field may matter."""
    code = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', '""', source)
    pairs = _FIELD.findall(code)
    if len(_VARIABLE.findall(code)) != len(pairs):
        return None
    return frozenset(pairs)
