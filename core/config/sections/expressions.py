"""CEL expressions inside configuration sections: the YAML field, and compiling at a path.

A section that holds conditions or formulas declares them with ``expression_field`` (a
string, at most ``core.rules.MAX_LENGTH`` characters) and compiles each in its builder
with ``compile_at``: the compiled ``Expression`` goes into the section's model object (so
it is compiled once per stored version, with the configuration), and a refusal becomes a
validation issue at the expression's YAML path, with the column.
"""

from __future__ import annotations

from typing import Mapping, Sequence

from marshmallow import fields, validate

from core.config.errors import ConfigIssue
from core.config.sections.base import SectionContext
from core.rules import MAX_LENGTH, Expression, ExpressionError, compile_expression
from core.rules.types import TypeDecl


def expression_field(**kwargs) -> fields.String:
    """A YAML string holding one CEL expression (empty and over-long text refused)."""
    return fields.String(validate=validate.Length(min=1, max=MAX_LENGTH, error="an expression has {min} to {max} characters"), **kwargs)


def compile_at(
    context: SectionContext,
    path: tuple,
    text: str,
    variables: Mapping[str, TypeDecl],
    issues: list[ConfigIssue],
    *,
    returns: TypeDecl | Sequence[TypeDecl] | None = None,
) -> Expression | None:
    """``text`` compiled against ``variables`` and the plugins' functions; None (and an
    issue at ``path`` appended to ``issues``) when refused."""
    try:
        return compile_expression(text, variables, context.functions, returns=returns)
    except ExpressionError as exc:
        issues.append(context.issue(tuple(path), f"expression: {exc}"))
        return None
