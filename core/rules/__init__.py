"""Sandboxed tenant expressions (CEL): checked and compiled once, evaluated per record.

Tenants write conditions and formulas in CEL (https://cel.dev), evaluated by the
``common-expression-language`` runtime (Rust). Nothing is ever ``eval``-ed: an expression
reaches only the variables its section declares and the functions plugins register.

The API, for sections and the code that runs their rules::

    from core.rules import compile_expression, types as T

    score = compile_expression(
        "0.5 * customer.contribution + 0.3 * customer.compliance",
        variables={"customer": T.record(contribution=T.DOUBLE, compliance=T.DOUBLE)},
        functions=context.functions,      # name -> ExpressionFunction (the tenant's plugins)
        returns=T.DOUBLE,                 # or a tuple of acceptable types
    )
    score.evaluate({"customer": {"contribution": 90.0, "compliance": 80.0}})   # 69.0
    score.evaluate_many({"customer": frame})   # one value per row: np.ndarray
    score.evaluate_many([activation, ...], errors=failed)   # failed: {index: message}

- ``compile_expression(text, variables, functions=None, *, returns=None,
  max_length=MAX_LENGTH) -> Expression``. ``variables`` maps a name to a
  :class:`~core.rules.types.CelType` or a type name (``double``, ``string``, ``list``...);
  ``record(...)``, ``list_of(...)``, ``map_of(...)`` build structured ones. Raises
  :class:`ExpressionError` (``message``, 1-based ``column``) for text over the cap, a
  syntax error, an unknown variable, field or function, a wrong type, or a result not of
  ``returns``. Section builders report it at the expression's YAML path with
  ``core.config.sections.expressions.compile_at``.
- ``Expression``: immutable and thread-safe; ``text``, ``type`` (the checked result type),
  ``reads`` (variables it uses), ``functions`` (plugin functions it calls),
  ``evaluate(activation)`` and ``evaluate_many(batch, errors=None)``. Both raise
  :class:`EvaluationError` (``message``; ``index`` in a batch) when a record does not
  allow evaluation (a division by zero, a missing key, a plugin function refusing).
- Activations hold plain values: dict, list, str, int, float, bool, None, tz-aware
  datetime (CEL ``timestamp``), timedelta (``duration``). CEL does not coerce: an ``int``
  attribute and a ``double`` literal do not mix in arithmetic, which the checker reports.

Bounds that make any accepted expression safe to evaluate: ``MAX_LENGTH`` characters,
``syntax.MAX_DEPTH`` levels of nesting, ``syntax.MAX_NODES`` parts, literals of at most
``checker.MAX_LITERAL_ITEMS`` items, comprehensions nested at most
``checker.MAX_COMPREHENSIONS`` deep; regular expressions are the runtime's (linear time).
"""

from core.rules import types
from core.rules.errors import EvaluationError, ExpressionError
from core.rules.expression import MAX_LENGTH, Expression, compile_expression

__all__ = ["MAX_LENGTH", "EvaluationError", "Expression", "ExpressionError", "compile_expression", "types"]
