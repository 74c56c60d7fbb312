"""Type checking of a parsed expression against the variables and functions a section declares.

The runtime does not coerce (``0.5 * 3`` is an error there: ``3`` is an int) and finds an
undeclared name only when a record reaches it, so every rule is checked here once, when a
version is accepted: each name must be declared (a variable, a comprehension's own
variable, a built-in or a plugin's function), each field of a record must exist, and each
operator and function must apply to the types it is given. The rules follow the CEL
specification as the runtime implements it (numbers of different types compare but do
not mix in arithmetic). ``dyn`` (a value whose type is only known at run time, e.g. a
plugin parameter of type ``any``) passes the check and is checked when evaluated.

Comprehensions (``all``, ``exists``, ``exists_one``, ``map``, ``filter``) nest at most
``MAX_COMPREHENSIONS`` deep, so the work one evaluation does is bounded by the product of
at most two list sizes; list and map literals have at most ``MAX_LITERAL_ITEMS`` items.
The runtime builds the result of ``map`` and ``filter`` by copying it at every step
(measured: a ``map`` inside a ``map`` over 1,000 items runs for minutes), so those two
never run inside another comprehension and ``map`` never makes lists or maps; the lists
a comprehension reads are capped when it runs (``core.rules.expression.MAX_ITEMS``).
"""

from __future__ import annotations

from typing import Mapping

from core.model import ExpressionFunction
from core.rules.errors import ExpressionError
from core.rules.syntax import Node
from core.rules.types import (
    BOOL,
    BYTES,
    DOUBLE,
    DURATION,
    DYN,
    INT,
    NULL,
    STRING,
    TIMESTAMP,
    TYPE,
    UINT,
    CelType,
    as_type,
    assignable,
    join,
    list_of,
    map_of,
)

MAX_COMPREHENSIONS = 2
MAX_LITERAL_ITEMS = 256

MACROS = frozenset({"all", "exists", "exists_one", "map", "filter"})
_CONVERSIONS = {  # name -> (result, the argument kinds it accepts)
    "int": (INT, {"int", "uint", "double", "string"}),
    "uint": (UINT, {"int", "uint", "double", "string"}),
    "double": (DOUBLE, {"int", "uint", "double", "string"}),
    "string": (STRING, {"int", "uint", "double", "string", "bool", "bytes", "timestamp", "duration"}),
    "bytes": (BYTES, {"string", "bytes"}),
    "timestamp": (TIMESTAMP, {"string", "timestamp"}),
    "duration": (DURATION, {"string", "duration"}),
}
_STRING_METHODS = {"contains": BOOL, "startsWith": BOOL, "endsWith": BOOL, "matches": BOOL}
_TIMESTAMP_METHODS = frozenset(
    {"getFullYear", "getMonth", "getDate", "getDayOfMonth", "getDayOfWeek", "getDayOfYear", "getHours", "getMinutes", "getSeconds", "getMilliseconds"}
)
_DURATION_METHODS = frozenset({"getHours", "getMinutes", "getSeconds", "getMilliseconds"})
_TYPE_NAMES = frozenset({"int", "uint", "double", "string", "bool", "bytes", "list", "map", "null_type", "type", "timestamp", "duration"})
_ORDERED = frozenset({"string", "bytes", "bool", "timestamp", "duration"})
BUILTIN_FUNCTIONS = frozenset({"size", "has", "dyn", "type", "matches", *_CONVERSIONS})

_LITERALS = {"bool": BOOL, "int": INT, "uint": UINT, "double": DOUBLE, "string": STRING, "bytes": BYTES, "null": NULL}


class ExpressionTypeError(ExpressionError):
    """The expression does not type-check; ``column`` is 1-based."""


def _a(t: CelType) -> str:
    """``a double``, ``an int``: the type with its article."""
    text = str(t)
    return ("an " if text.startswith("int") else "a ") + text


def _numeric_hint(a: CelType, b: CelType) -> str:
    if a.numeric and b.numeric:
        return f": {a} and {b} do not mix in CEL; write a double literal with a point (2.0) or convert with double(...)/int(...)"
    return ""


class Checker:
    """Types the nodes of one expression; ``check(tree)`` gives the result type."""

    def __init__(self, variables: Mapping[str, CelType], functions: Mapping[str, ExpressionFunction]):
        self.variables = dict(variables)
        self.functions = dict(functions)
        self.regex_literals: list[Node] = []  # patterns given as literals, checked by the caller
        self.types: dict[int, CelType] = {}  # id(node) -> its type, for core.rules.vector

    def fail(self, node: Node, message: str):
        """Refuse at the node's own position (its operator, field or function name)."""
        raise ExpressionTypeError(message, node.pos + 1)

    def fail_operand(self, node: Node, message: str):
        """Refuse at the beginning of an operand or argument."""
        raise ExpressionTypeError(message, node.start + 1)

    def check(self, node: Node, scope: Mapping[str, CelType] | None = None, nesting: int = 0) -> CelType:
        scope = self.variables if scope is None else scope
        method = getattr(self, "_" + node.kind)
        t = method(node, scope, nesting)
        self.types[id(node)] = t
        return t

    # --- leaves -------------------------------------------------------------------------
    def _lit(self, node, scope, nesting):
        return _LITERALS[node.value]

    def _ident(self, node, scope, nesting):
        name = node.value
        if name in scope:
            return scope[name]
        if name in _TYPE_NAMES:
            return TYPE
        if name in self.functions or name in BUILTIN_FUNCTIONS:
            self.fail(node, f"{name!r} is a function: call it with (...)")
        known = ", ".join(sorted(self.variables)) or "none"
        self.fail(node, f"unknown variable {name!r} (the variables are: {known})")

    # --- access -------------------------------------------------------------------------
    def _select(self, node, scope, nesting):
        (operand,) = node.args
        t = self.check(operand, scope, nesting)
        return self.field_type(node, t, node.value)

    def field_type(self, node: Node, t: CelType, name: str) -> CelType:
        if t.kind == "record":
            if name not in t.fields:
                known = ", ".join(sorted(t.fields)) or "none"
                self.fail(node, f"unknown field {name!r} (the fields are: {known})")
            return t.fields[name]
        if t.kind == "map":
            if not assignable(STRING, t.key):
                self.fail(node, f"{_a(t)} has no field {name!r} (its keys are not strings)")
            return t.elem
        if t.is_dyn:
            return DYN
        self.fail(node, f"{_a(t)} has no field {name!r}")

    def _index(self, node, scope, nesting):
        operand, index = node.args
        t = self.check(operand, scope, nesting)
        i = self.check(index, scope, nesting)
        if t.kind == "list":
            if i.kind not in ("int", "uint", "dyn"):
                self.fail_operand(index, f"a list index is an int, not {_a(i)}")
            return t.elem
        if t.kind == "map":
            if not assignable(i, t.key) and not (i.numeric and t.key.numeric):
                self.fail_operand(index, f"a key of {_a(t)} is {_a(t.key)}, not {_a(i)}")
            return t.elem
        if t.kind == "record":
            if i.kind not in ("string", "dyn"):
                self.fail_operand(index, f"a field name is a string, not {_a(i)}")
            types = list(t.fields.values())
            out = types[0] if types else DYN
            for other in types[1:]:
                out = join(out, other)
            return out
        if t.is_dyn:
            return DYN
        self.fail(node, f"{_a(t)} cannot be indexed")

    # --- operators ----------------------------------------------------------------------
    def _unary(self, node, scope, nesting):
        (operand,) = node.args
        t = self.check(operand, scope, nesting)
        if node.value == "!":
            if t.kind not in ("bool", "dyn"):
                self.fail(node, f"'!' applies to a bool, not {_a(t)}")
            return BOOL
        if t.kind not in ("int", "double", "duration", "dyn"):
            self.fail(node, f"'-' applies to an int, a double or a duration, not {_a(t)}")
        return t

    def _binary(self, node, scope, nesting):
        op = node.value
        left, right = node.args
        a = self.check(left, scope, nesting)
        b = self.check(right, scope, nesting)
        if op in ("&&", "||"):
            for side, t in ((left, a), (right, b)):
                if t.kind not in ("bool", "dyn"):
                    self.fail_operand(side, f"{op!r} joins bools, not {_a(t)}")
            return BOOL
        if op in ("==", "!="):
            if not (a.is_dyn or b.is_dyn or a.kind == "null" or b.kind == "null" or (a.numeric and b.numeric) or assignable(a, b) or assignable(b, a)):
                self.fail(node, f"comparing {_a(a)} with {_a(b)} is always {'false' if op == '==' else 'true'}")
            return BOOL
        if op in ("<", "<=", ">", ">="):
            if not (a.is_dyn or b.is_dyn or (a.numeric and b.numeric) or (a.kind == b.kind and a.kind in _ORDERED)):
                self.fail(node, f"{op!r} does not compare {_a(a)} with {_a(b)}")
            return BOOL
        if op == "in":
            if b.kind == "list":
                ok = assignable(a, b.elem) or (a.numeric and b.elem.numeric)
            elif b.kind == "map":
                ok = assignable(a, b.key) or (a.numeric and b.key.numeric)
            elif b.kind == "record":
                ok = a.kind in ("string", "dyn")
            else:
                ok = b.is_dyn
                if not ok:
                    self.fail_operand(right, f"'in' looks into a list or a map, not {_a(b)}")
            if not ok:
                self.fail(node, f"{_a(a)} is never in {_a(b)}")
            return BOOL
        return self.arithmetic(node, op, a, b)

    def arithmetic(self, node: Node, op: str, a: CelType, b: CelType) -> CelType:
        if a.is_dyn or b.is_dyn:
            return DYN
        kinds = (a.kind, b.kind)
        if op == "+":
            if a.kind == b.kind and a.kind in ("int", "uint", "double", "string", "bytes", "duration"):
                return a
            if kinds == ("list", "list"):
                return list_of(join(a.elem, b.elem))
            if kinds in (("timestamp", "duration"), ("duration", "timestamp")):
                return TIMESTAMP
        elif op == "-":
            if a.kind == b.kind and a.kind in ("int", "uint", "double", "duration"):
                return a
            if kinds == ("timestamp", "timestamp"):
                return DURATION
            if kinds == ("timestamp", "duration"):
                return TIMESTAMP
        elif op in ("*", "/"):
            if a.kind == b.kind and a.numeric:
                return a
        elif op == "%":
            if a.kind == b.kind and a.kind in ("int", "uint"):
                return a
        self.fail(node, f"{op!r} is not defined for {_a(a)} and {_a(b)}{_numeric_hint(a, b)}")

    def _cond(self, node, scope, nesting):
        cond, yes, no = node.args
        c = self.check(cond, scope, nesting)
        if c.kind not in ("bool", "dyn"):
            self.fail_operand(cond, f"the condition before '?' is a bool, not {_a(c)}")
        return join(self.check(yes, scope, nesting), self.check(no, scope, nesting))

    # --- literals of lists and maps -----------------------------------------------------
    def _list(self, node, scope, nesting):
        if len(node.args) > MAX_LITERAL_ITEMS:
            self.fail(node, f"a list literal has at most {MAX_LITERAL_ITEMS} items")
        out = None
        for item in node.args:
            t = self.check(item, scope, nesting)
            out = t if out is None else join(out, t)
        return list_of(out or DYN)

    def _map(self, node, scope, nesting):
        if len(node.args) // 2 > MAX_LITERAL_ITEMS:
            self.fail(node, f"a map literal has at most {MAX_LITERAL_ITEMS} entries")
        key = value = None
        for k_node, v_node in zip(node.args[::2], node.args[1::2]):
            k = self.check(k_node, scope, nesting)
            if k.kind not in ("int", "uint", "bool", "string", "dyn"):
                self.fail_operand(k_node, f"a map key is an int, a uint, a bool or a string, not {_a(k)}")
            v = self.check(v_node, scope, nesting)
            key = k if key is None else join(key, k)
            value = v if value is None else join(value, v)
        return map_of(key or DYN, value or DYN)

    # --- calls --------------------------------------------------------------------------
    def _call(self, node, scope, nesting):
        name, args = node.value, node.args
        if name == "has":
            if len(args) != 1 or args[0].kind != "select":
                self.fail(node, "has() takes one field selection, e.g. has(customer.region)")
            operand = args[0].args[0]
            t = self.check(operand, scope, nesting)
            if t.kind not in ("record", "map", "dyn"):
                self.fail_operand(args[0], f"has() tests a field of a map or a record, not of {_a(t)}")
            return BOOL
        if name in self.functions:
            return self.plugin_call(node, self.functions[name], [self.check(a, scope, nesting) for a in args], args)
        types = [self.check(a, scope, nesting) for a in args]
        if name == "size":
            self.arity(node, name, args, 1)
            return self.size_of(node, types[0])
        if name in ("dyn", "type"):
            self.arity(node, name, args, 1)
            return DYN if name == "dyn" else TYPE
        if name == "matches":
            self.arity(node, name, args, 2)
            return self.string_method(node, "matches", types[0], types[1:], args[1:])
        if name in _CONVERSIONS:
            self.arity(node, name, args, 1)
            result, accepts = _CONVERSIONS[name]
            if not (types[0].is_dyn or types[0].kind in accepts):
                self.fail(node, f"{name}() does not convert {_a(types[0])}")
            return result
        known = ", ".join(sorted(BUILTIN_FUNCTIONS | set(self.functions)))
        self.fail(node, f"unknown function {name!r} (the functions are: {known})")

    def arity(self, node: Node, name: str, args, n: int):
        if len(args) != n:
            self.fail(node, f"{name}() takes {n} argument{'s' if n != 1 else ''}, not {len(args)}")

    def size_of(self, node: Node, t: CelType) -> CelType:
        if t.kind not in ("string", "bytes", "list", "map", "record", "dyn"):
            self.fail(node, f"size() measures a string, bytes, a list or a map, not {_a(t)}")
        return INT

    def plugin_call(self, node: Node, fn: ExpressionFunction, types: list[CelType], args) -> CelType:
        if len(types) != fn.arity:
            self.fail(node, f"{fn.name}() takes {fn.arity} argument{'s' if fn.arity != 1 else ''} ({', '.join(p.name for p in fn.params)}), not {len(types)}")
        for param, t, arg in zip(fn.params, types, args):
            want = as_type(param.type)
            if not (assignable(t, want) or (param.type == "double" and t.kind == "int")):
                self.fail_operand(arg, f"{fn.name}(): {param.name} is {_a(want)}, not {_a(t)}")
        return as_type(fn.returns)

    def _method(self, node, scope, nesting):
        name = node.value
        receiver, *args = node.args
        if name in MACROS:
            return self.comprehension(node, name, receiver, args, scope, nesting)
        t = self.check(receiver, scope, nesting)
        types = [self.check(a, scope, nesting) for a in args]
        if name in self.functions:
            return self.plugin_call(node, self.functions[name], [t, *types], [receiver, *args])
        if name == "size" and not args:
            return self.size_of(node, t)
        if t.is_dyn:
            return DYN
        if t.kind == "string" and name in _STRING_METHODS:
            return self.string_method(node, name, t, types, args)
        if t.kind == "timestamp" and name in _TIMESTAMP_METHODS or t.kind == "duration" and name in _DURATION_METHODS:
            if args:
                self.fail(node, f"{name}() takes no argument here (time zones are not supported)")
            return INT
        self.fail(node, f"{_a(t)} has no method {name!r}")

    def string_method(self, node: Node, name: str, t: CelType, types: list[CelType], args) -> CelType:
        if len(types) != 1:
            self.fail(node, f"{name}() takes 1 argument, not {len(types)}")
        for kind, arg in ((t, None), (types[0], args[0])):
            if kind.kind not in ("string", "dyn"):
                self.fail_operand(arg or node, f"{name}() works on strings, not {_a(kind)}")
        if name == "matches" and args[0].kind == "lit" and args[0].text is not None:
            self.regex_literals.append(args[0])
        return _STRING_METHODS[name]

    def comprehension(self, node: Node, name: str, receiver: Node, args, scope, nesting) -> CelType:
        if nesting >= MAX_COMPREHENSIONS:
            self.fail(node, f"comprehensions ({', '.join(sorted(MACROS))}) nest at most {MAX_COMPREHENSIONS} deep")
        if name in ("map", "filter") and nesting > 0:
            self.fail(node, f"{name}() builds a list: it may not run inside another comprehension")
        t = self.check(receiver, scope, nesting)
        wanted = (2, 3) if name == "map" else (2,)
        if len(args) not in wanted:
            self.fail(node, f"{name}() takes a variable and {'an expression (or a filter and an expression)' if name == 'map' else 'a condition'}")
        var = args[0]
        if var.kind != "ident":
            self.fail_operand(var, f"the first argument of {name}() is a new variable name")
        if var.value.startswith("__"):
            self.fail_operand(var, "names starting with '__' are reserved")
        if var.value in scope or var.value in self.functions or var.value in BUILTIN_FUNCTIONS:
            self.fail_operand(var, f"{var.value!r} is already a name here; choose another for the {name}() variable")
        if t.kind == "list":
            item = t.elem
        elif t.kind == "map":
            item = t.key
        elif t.kind == "record":
            item = STRING
        elif t.is_dyn:
            item = DYN
        else:
            self.fail_operand(receiver, f"{name}() runs over a list or a map, not {_a(t)}")
        inner = {**scope, var.value: item}
        bodies = [self.check(a, inner, nesting + 1) for a in args[1:]]
        for arg, body in zip(args[1:], bodies):
            is_condition = name != "map" or (len(args) == 3 and arg is args[1])
            if is_condition and body.kind not in ("bool", "dyn"):
                self.fail_operand(arg, f"the condition of {name}() is a bool, not {_a(body)}")
        if name == "map":
            if bodies[-1].kind in ("list", "map", "record"):
                self.fail_operand(args[-1], f"map() makes a list of values, not of {_a(bodies[-1])}s")
            return list_of(bodies[-1])
        if name == "filter":
            return list_of(item)
        return BOOL
