"""Evaluating a checked expression over whole columns with numpy, as CEL would row by row.

Calling the runtime once per record costs about 10 µs, most of it converting the record;
grading 100,000 customers or testing 100,000 cases against a condition should not. For
the part of CEL that conditions and score formulas are made of (literals, fields of
record variables, arithmetic, comparisons, ``!``, ``&&``, ``||``, ``?:``, ``in`` a
literal list or a list field, ``double()``, ``int()``), ``plan`` turns the checked tree
into column operations. Each operation also marks the rows whose value it cannot vouch
for exactly (a missing field, an integer overflow, a division by zero, an integer beyond
2^53 compared with a double); those rows, and only those, are evaluated by the runtime,
which gives their value or their error. ``&&`` and ``||`` follow CEL: a definite
``false`` (``true``) on either side decides, whatever the other side does. An
expression outside this part is evaluated by the runtime on every row (``plan`` gives None).
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import cel
import numpy as np
import pandas as pd

from core.rules.syntax import Node
from core.rules.types import CelType

# A column operation: (columns) -> (values, unsure); ``unsure`` marks rows to leave to the runtime.
Op = Callable[[Mapping[str, Any]], tuple[np.ndarray, np.ndarray]]

INT_EXACT = 2**53
_INT_MIN, _INT_MAX = np.iinfo(np.int64).min, np.iinfo(np.int64).max
_SCALARS = frozenset({"bool", "int", "double", "string"})


class Unsupported(Exception):
    """The tree uses something only the runtime evaluates."""


class Columns:
    """The batch as columns: ``length`` rows; ``field(var, name)`` a field of a record
    variable given as a DataFrame, ``values(var)`` a scalar variable's column."""

    def __init__(self, batch: Mapping[str, Any], length: int):
        self.batch = batch
        self.length = length

    def column(self, var: str, name: str | None) -> tuple[np.ndarray, np.ndarray]:
        value = self.batch[var]
        if name is None:
            if isinstance(value, pd.DataFrame):
                raise Unsupported(var)
            series = pd.Series(list(value) if not isinstance(value, (pd.Series, np.ndarray)) else value)
        else:
            if not isinstance(value, pd.DataFrame):
                raise Unsupported(var)
            if name not in value.columns:
                return np.zeros(self.length, dtype=object), np.ones(self.length, dtype=bool)
            series = value[name]
        missing = series.isna().to_numpy()
        return series.to_numpy(), missing


def _typed(values: np.ndarray, t: CelType) -> np.ndarray:
    if t.kind == "double":
        return values.astype(np.float64)
    if t.kind == "int":
        return values.astype(np.int64)
    if t.kind == "bool":
        return values.astype(np.bool_)
    return values.astype(object)


def plan(tree: Node, types: Callable[[Node], CelType], record_vars: frozenset[str]) -> Callable[[Columns], tuple[np.ndarray, np.ndarray]] | None:
    """The column evaluation of ``tree`` (``types`` gives each node's checked type), or None."""
    try:
        return _plan(tree, types, record_vars)
    except Unsupported:
        return None


def _plan(node: Node, types, record_vars):
    t = types(node)
    if t.kind not in _SCALARS and not (node.kind == "list" or (node.kind == "select" and t.kind == "list")):
        raise Unsupported(node.kind)
    kind = node.kind
    if kind == "lit":
        value = _literal(node)

        def lit(cols):
            full = np.empty(cols.length, dtype=object) if isinstance(value, str) else None
            if full is not None:
                full[:] = value
                return full, np.zeros(cols.length, dtype=bool)
            return np.full(cols.length, value), np.zeros(cols.length, dtype=bool)

        return lit
    if kind == "select" and node.args[0].kind == "ident" and node.args[0].value in record_vars:
        var, name = node.args[0].value, node.value

        def select(cols):
            values, missing = cols.column(var, name)
            if missing.any():
                values = values.copy()
                values[missing] = _filler(t)
            return (_typed(values, t) if t.kind != "list" else values), missing

        return select
    if kind == "ident" and t.kind in _SCALARS:
        var = node.value

        def ident(cols):
            values, missing = cols.column(var, None)
            if missing.any():
                values = values.copy()
                values[missing] = _filler(t)
            return _typed(values, t), missing

        return ident
    if kind == "unary":
        inner = _plan(node.args[0], types, record_vars)
        if node.value == "!":
            return lambda cols: _not(inner(cols))
        return lambda cols: _negate(inner(cols), t)
    if kind == "binary":
        return _binary(node, t, types, record_vars)
    if kind == "cond":
        c, a, b = (_plan(n, types, record_vars) for n in node.args)

        def cond(cols):
            cv, cu = c(cols)
            av, au = a(cols)
            bv, bu = b(cols)
            cv = cv.astype(bool)
            return np.where(cv, av, bv), cu | np.where(cv, au, bu)

        return cond
    if kind == "call" and node.value == "has":
        (selection,) = node.args
        operand = selection.args[0]
        if operand.kind != "ident" or operand.value not in record_vars:
            raise Unsupported("has")
        var, name = operand.value, selection.value

        def has(cols):
            _, missing = cols.column(var, name)
            return ~missing, np.zeros(cols.length, dtype=bool)

        return has
    if kind == "call" and node.value in ("double", "int") and len(node.args) == 1:
        arg_type = types(node.args[0])
        if arg_type.kind not in ("int", "double"):
            raise Unsupported("conversion")
        inner = _plan(node.args[0], types, record_vars)
        if node.value == "double":
            return lambda cols: (lambda v, u: (v.astype(np.float64), u))(*inner(cols))

        def to_int(cols):
            v, u = inner(cols)
            if arg_type.kind == "int":
                return v, u
            bad = ~np.isfinite(v) | (np.abs(v) >= 2.0**63)
            return np.trunc(np.where(bad, 0.0, v)).astype(np.int64), u | bad

        return to_int
    raise Unsupported(kind)


def _literal(node: Node):
    """A literal's value, as the runtime reads its text (only a literal's text is read)."""
    if node.value not in _SCALARS or node.text is None:
        raise Unsupported("literal")
    return cel.evaluate(node.text)


def _filler(t: CelType):
    return {"double": 0.0, "int": 0, "bool": False}.get(t.kind, "")


def _not(result):
    v, u = result
    return ~v.astype(bool), u


def _negate(result, t):
    v, u = result
    if t.kind == "int":
        return -np.where(v == _INT_MIN, 0, v), u | (v == _INT_MIN)
    return -v, u


def _binary(node: Node, t: CelType, types, record_vars):
    op = node.value
    left_t, right_t = types(node.args[0]), types(node.args[1])
    a = _plan(node.args[0], types, record_vars)
    b = None if op == "in" and node.args[1].kind == "list" else _plan(node.args[1], types, record_vars)
    if op in ("&&", "||"):
        decisive = op == "||"  # the value that decides whatever the other side is

        def logic(cols):
            av, au = a(cols)
            bv, bu = b(cols)
            av, bv = av.astype(bool), bv.astype(bool)
            decided = (~au & (av == decisive)) | (~bu & (bv == decisive))
            value = (av | bv) if decisive else (av & bv)
            return np.where(decided, decisive, value), (au | bu) & ~decided

        return logic
    if op == "in":
        if right_t.kind != "list" or left_t.kind not in ("string", "int", "bool"):
            raise Unsupported("in")
        if node.args[1].kind == "list":
            items = [_plan(item, types, record_vars) for item in node.args[1].args]

            def in_literal(cols):
                av, au = a(cols)
                out = np.zeros(cols.length, dtype=bool)
                unsure = au.copy()
                for item in items:
                    iv, iu = item(cols)
                    out |= av == iv
                    unsure |= iu
                return out, unsure

            return in_literal
        lists = b

        def in_column(cols):
            av, au = a(cols)
            lv, lu = lists(cols)
            out = np.fromiter((x in items if isinstance(items, (list, tuple)) else False for x, items in zip(av, lv)), dtype=bool, count=cols.length)
            return out, au | lu | ~np.fromiter((isinstance(items, (list, tuple)) for items in lv), dtype=bool, count=cols.length)

        return in_column
    if op in ("==", "!=", "<", "<=", ">", ">="):
        fn = {"==": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}[op]
        mixed = {left_t.kind, right_t.kind} == {"int", "double"}
        if left_t.kind != right_t.kind and not mixed:
            raise Unsupported("comparison")

        def compare(cols):
            av, au = a(cols)
            bv, bu = b(cols)
            unsure = au | bu
            if mixed:  # exact only while the integer fits a double's mantissa
                ints = av if left_t.kind == "int" else bv
                unsure = unsure | (np.abs(ints.astype(np.float64)) > INT_EXACT)
            return fn(av, bv).astype(bool), unsure

        return compare
    if left_t.kind != right_t.kind:
        raise Unsupported("arithmetic")
    if t.kind == "double" and op in ("+", "-", "*", "/"):
        fn = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide}[op]

        def double_op(cols):
            av, au = a(cols)
            bv, bu = b(cols)
            with np.errstate(all="ignore"):  # IEEE, as CEL: 1.0/0.0 is +inf
                return fn(av, bv), au | bu

        return double_op
    if t.kind == "int" and op in ("+", "-", "*"):

        def int_op(cols):
            av, au = a(cols)
            bv, bu = b(cols)
            approx = {"+": np.add, "-": np.subtract, "*": np.multiply}[op](av.astype(np.float64), bv.astype(np.float64))
            overflow = np.abs(approx) >= 2.0**62  # conservative: the runtime decides near the limit
            with np.errstate(all="ignore"):
                value = {"+": np.add, "-": np.subtract, "*": np.multiply}[op](np.where(overflow, 0, av), np.where(overflow, 0, bv))
            return value, au | bu | overflow

        return int_op
    if t.kind == "string" and op == "+":
        return lambda cols: (lambda x, y: (np.add(x[0].astype(object), y[0].astype(object)), x[1] | y[1]))(a(cols), b(cols))
    raise Unsupported(op)
