"""The one place commitments compile their conditions (CEL).

``compile_condition(source, scope)`` returns a ``Condition`` (``core.commitments.model``)
for the variables of its scope: ``case`` and ``customer`` for ``applies_to`` and a
step's ``when``; ``event`` besides for a clock role's ``when``.
"""

from __future__ import annotations

from typing import Any, Mapping

import cel

MAX_LENGTH = 2000
SCOPES = {"case": ("case", "customer"), "event": ("event", "case", "customer")}


class ConditionError(ValueError):
    """An expression refused when the configuration is checked."""


class CelCondition:
    def __init__(self, source: str, program):
        self.source = source
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
