"""Compile a tenant's CEL expression once, evaluate it on one record or many.

``compile_expression`` refuses, with the column, what a version must not store: text over
the length cap, a syntax error, an unknown variable, field or function, a wrong type, a
result of the wrong type (see ``core.rules.syntax`` and ``core.rules.checker``). What it
returns is immutable and thread-safe, so it lives in the compiled configuration and
serves every request. The runtime (``common-expression-language``, Rust) sees only the
variables the expression reads and the plugin functions it calls: nothing else of
Python is reachable from an expression.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable, Mapping, Sequence

import cel
import numpy as np
import pandas as pd

from core.model import ExpressionFunction
from core.rules.checker import MACROS, Checker
from core.rules.errors import EvaluationError, ExpressionError
from core.rules.syntax import parse, walk
from core.rules.types import CelType, TypeDecl, as_type, assignable
from core.rules.vector import Columns, plan

MAX_LENGTH = 2000  # characters: far beyond a real rule, small enough to keep every check cheap
MAX_ITEMS = 1000  # items of a list (or map) an expression with a comprehension may read

_PYTHON = {  # what a result of each kind is in Python, for results typed dyn at compile time
    "bool": (bool,),
    "int": (int,),
    "uint": (int,),
    "double": (float,),
    "string": (str,),
    "bytes": (bytes,),
    "timestamp": (datetime,),
    "duration": (timedelta,),
    "list": (list,),
    "map": (dict,),
    "record": (dict,),
    "null": (type(None),),
}
_DTYPES = {"bool": np.bool_, "double": np.float64}


def _function_map(functions: Mapping[str, ExpressionFunction] | Iterable[ExpressionFunction] | None) -> dict[str, ExpressionFunction]:
    if functions is None:
        return {}
    if isinstance(functions, Mapping):
        items = list(functions.values())
    else:
        items = list(functions)
    out = {}
    for fn in items:
        fn = getattr(fn, "item", fn)  # a core.registrations.Registered, or the function itself
        if not isinstance(fn, ExpressionFunction):
            raise TypeError(f"expected ExpressionFunction, got {type(fn).__name__}")
        out[fn.name] = fn
    return out


def _guarded(fn: ExpressionFunction) -> Callable[..., Any]:
    """The plugin function as the runtime calls it: any exception it raises becomes one
    the runtime reports as an evaluation error naming the function."""

    def call(*args):
        try:
            return fn.function(*args)
        except Exception as exc:  # a plugin's bug or refusal is the record's error, not ours
            raise ValueError(f"{fn.name}(): {exc}") from None

    call.__name__ = fn.name
    return call


@dataclass(frozen=True, eq=False)
class Expression:
    """A checked, compiled expression: ``text``, its result ``type``, the declared
    variables it ``reads`` and the plugin ``functions`` it calls."""

    text: str
    type: CelType
    reads: frozenset[str]
    functions: frozenset[str]
    returns: tuple[CelType, ...] = ()
    iterates: bool = False  # has a comprehension: the lists it reads are capped at MAX_ITEMS
    _program: Any = field(default=None, repr=False)
    _callables: Mapping[str, Callable[..., Any]] = field(default_factory=dict, repr=False)
    _columns: Callable[[Columns], tuple[np.ndarray, np.ndarray]] | None = field(default=None, repr=False)

    def evaluate(self, activation: Mapping[str, Any]) -> Any:
        """The value on one record: ``activation`` maps each variable the expression reads
        to a plain value (dict, list, str, int, float, bool, None, datetime, timedelta).
        EvaluationError when the record does not allow it."""
        try:
            variables = {name: activation[name] for name in self.reads}
        except KeyError as exc:
            raise EvaluationError(f"variable {exc.args[0]!r} is not given") from None
        return self._run(variables)

    def _vector(self, batch: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray] | None:
        missing = self.reads.difference(batch)
        if missing:
            raise EvaluationError(f"variable {sorted(missing)[0]!r} is not given")
        lengths = {len(batch[name]) for name in self.reads}
        if len(lengths) != 1:
            return None  # let _rows name the mismatch
        return self._columns(Columns(batch, lengths.pop()))

    def _run(self, variables: dict[str, Any]) -> Any:
        if self.iterates:
            _check_sizes(variables)
        try:
            context = cel.Context(variables, self._callables) if self._callables else variables
            value = self._program.execute(context)
        except Exception as exc:  # the runtime's errors: no such key, overflow, division by zero...
            raise EvaluationError(_runtime_message(exc)) from None
        if self.returns and self.type.is_dyn and not _is_one_of(value, self.returns):
            raise EvaluationError(f"the expression gave a {type(value).__name__}, not a {' or '.join(map(str, self.returns))}")
        return value

    def evaluate_many(self, batch: Mapping[str, Any] | Sequence[Mapping[str, Any]], *, errors: dict[int, str] | None = None) -> np.ndarray:
        """The values on many records, in order, as an array (bool or float64 when the
        type says so, objects otherwise).

        ``batch`` is either a sequence of activations, or a mapping of variable → its
        values for every record: a DataFrame for a record variable (a column per field;
        a missing value is an absent field, so has() is false), or a sequence. Without ``errors``, the first record that
        fails raises EvaluationError with its ``index``; with a dict, failures are
        recorded there (index → message) and their slot holds None (NaN for doubles).
        """
        kind = self.type.kind if not self.type.is_dyn else (self.returns[0].kind if len(self.returns) == 1 else "dyn")
        vector = self._vector(batch) if isinstance(batch, Mapping) and self._columns is not None else None
        if vector is not None:
            values, unsure = vector
            if not unsure.any():
                return values
            out = values.astype(object)
            indexes = np.flatnonzero(unsure)
            rows = _rows({name: _take(batch[name], indexes) for name in self.reads}, self.reads)
        else:
            rows = _rows(batch, self.reads)
            out = np.empty(len(rows), dtype=object)
            indexes = range(len(rows))
        failed = False
        for i, variables in zip(indexes, rows):
            try:
                out[i] = self._run(variables)
            except EvaluationError as exc:
                if errors is None:
                    raise EvaluationError(exc.message, i) from None
                errors[i] = exc.message
                out[i] = None
                failed = True
        dtype = _DTYPES.get(kind)
        if dtype is np.float64:
            return np.array([math.nan if v is None else v for v in out], dtype=np.float64) if failed else out.astype(np.float64)
        if dtype is np.bool_ and not failed:
            return out.astype(np.bool_)
        return out


def _check_sizes(variables: Mapping[str, Any]) -> None:
    """EvaluationError when a list or map the expression reads has over MAX_ITEMS items."""
    stack = list(variables.items())
    while stack:
        name, value = stack.pop()
        if isinstance(value, (list, tuple, dict)):
            if len(value) > MAX_ITEMS:
                raise EvaluationError(f"{name} has {len(value)} items; a comprehension runs over at most {MAX_ITEMS}")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            stack.extend((f"{name}.{k}" if isinstance(value, dict) else f"{name}[{k}]", v) for k, v in items if isinstance(v, (list, tuple, dict)))


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _take(values: Any, indexes: np.ndarray) -> Any:
    if isinstance(values, (pd.DataFrame, pd.Series)):
        return values.iloc[indexes]
    if isinstance(values, np.ndarray):
        return values[indexes]
    values = list(values)
    return [values[i] for i in indexes]


def _is_one_of(value: Any, types: tuple[CelType, ...]) -> bool:
    for t in types:
        if t.is_dyn:
            return True
        py = _PYTHON.get(t.kind, ())
        if isinstance(value, py) and not (t.kind in ("int", "uint", "double") and isinstance(value, bool)):
            return True
    return False


def _runtime_message(exc: Exception) -> str:
    text = str(exc).split("\n")[0]
    if isinstance(exc, KeyError):
        return f"no such key: {text}"
    return text or type(exc).__name__


def _rows(batch: Mapping[str, Any] | Sequence[Mapping[str, Any]], reads: frozenset[str]) -> list[dict[str, Any]]:
    if not isinstance(batch, Mapping):
        out = []
        for i, activation in enumerate(batch):
            missing = reads.difference(activation)
            if missing:
                raise EvaluationError(f"variable {sorted(missing)[0]!r} is not given", i)
            out.append({name: activation[name] for name in reads})
        return out
    columns: dict[str, list] = {}
    length = None
    for name in reads:
        if name not in batch:
            raise EvaluationError(f"variable {name!r} is not given")
        values = batch[name]
        if isinstance(values, pd.DataFrame):  # a missing value is an absent field: has() is false
            records = values.astype(object).to_dict("records")
            values = [{k: v for k, v in r.items() if not _missing(v)} for r in records]
        else:
            values = list(values)
        if length is not None and len(values) != length:
            raise EvaluationError(f"variable {name!r} has {len(values)} values, the others {length}")
        length = len(values)
        columns[name] = values
    if length is None:  # a constant expression: one record per row of whatever was given
        length = max((len(v) for v in batch.values()), default=0)
    return [{name: values[i] for name, values in columns.items()} for i in range(length)]


def compile_expression(
    text: str,
    variables: Mapping[str, TypeDecl],
    functions: Mapping[str, ExpressionFunction] | Iterable[ExpressionFunction] | None = None,
    *,
    returns: TypeDecl | Sequence[TypeDecl] | None = None,
    max_length: int = MAX_LENGTH,
) -> Expression:
    """Check and compile ``text`` against the declared ``variables`` (name → CelType or
    type name) and the plugin ``functions`` it may call; ``returns`` (one type or several)
    is what its result must be. ExpressionError (with the column) when refused."""
    if not isinstance(text, str):
        raise ExpressionError(f"an expression is a string, not a {type(text).__name__}")
    if len(text) > max_length:
        raise ExpressionError(f"an expression has at most {max_length} characters (this one has {len(text)})")
    declared = {name: as_type(t) for name, t in variables.items()}
    fns = _function_map(functions)
    tree = parse(text)
    checker = Checker(declared, fns)
    result = checker.check(tree)
    wanted = () if returns is None else tuple(as_type(t) for t in (returns if isinstance(returns, (tuple, list)) else (returns,)))
    if wanted and not any(assignable(result, t) for t in wanted):
        raise ExpressionError(f"the expression gives a {result}; a {' or '.join(map(str, wanted))} is needed here")
    try:
        program = cel.compile(text)
    except Exception as exc:  # what our parser let through and the runtime's does not
        raise ExpressionError("syntax error: " + _runtime_message(exc).removeprefix(f"Failed to parse expression '{text}': ")) from None
    for node in checker.regex_literals:
        try:
            cel.evaluate(f'"".matches({node.text})')
        except Exception as exc:
            raise ExpressionError(f"invalid regular expression: {_runtime_message(exc)}", node.pos + 1) from None
    reads = frozenset(n.value for n in walk(tree) if n.kind == "ident" and n.value in declared)
    called = frozenset(n.value for n in walk(tree) if n.kind in ("call", "method") and n.value in fns)
    record_vars = frozenset(name for name, t in declared.items() if t.kind == "record")
    columns = None if called else plan(tree, lambda node: checker.types[id(node)], record_vars)
    return Expression(
        text=text,
        type=result,
        reads=reads,
        functions=called,
        returns=wanted,
        iterates=any(n.kind == "method" and n.value in MACROS for n in walk(tree)),
        _program=program,
        _callables={name: _guarded(fns[name]) for name in called},
        _columns=columns,
    )
