"""A parser for the CEL that tenants write, so it can be checked before it is run.

The runtime (``common-expression-language``) parses too, but it neither reports the
types an expression uses nor bounds how deep it nests (a few thousand nested operators
overflow its stack and end the process). This parser reads CEL's grammar
(https://github.com/google/cel-spec/blob/master/doc/langdef.md) into a small tree that
``core.rules.checker`` types, and refuses, with the column, what a tenant expression never
needs and an attacker might: nesting deeper than ``MAX_DEPTH``, more than ``MAX_NODES``
nodes, integer literals outside 64 bits, message construction (``T{...}``), the optional
syntax (``.?``, ``[?``), leading-dot names, and any character outside printable ASCII
outside a string literal (homoglyph identifiers such as a Cyrillic ``а``). Text direction
and zero-width characters are refused everywhere, string literals included (the
"Trojan Source" trick: text that displays differently from what runs); a string that
needs one writes it as an escape (``\\u202e``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from core.rules.errors import ExpressionError

MAX_DEPTH = 100  # the tree's height: deeper than any real condition, far below the runtime's stack
MAX_NODES = 1000

RESERVED = frozenset(
    "as break const continue else for function if import let loop package namespace return var void while".split()
)
KEYWORDS = frozenset({"true", "false", "null", "in"})
INT64 = (-(2**63), 2**63 - 1)
UINT64 = 2**64 - 1


class ExpressionSyntaxError(ExpressionError):
    """The text is not an expression this parser accepts; ``column`` is 1-based."""


@dataclass(frozen=True)
class Node:
    """One node of the tree: ``kind`` is lit, ident, select, index, call, method, list,
    map, unary, binary or cond; ``value`` the literal's type, the name, the field, the
    function or the operator; ``args`` the operands. ``pos`` is the 0-based offset."""

    kind: str
    pos: int
    value: object = None
    args: tuple["Node", ...] = ()
    height: int = field(default=1, compare=False)
    text: str | None = field(default=None, compare=False)  # a literal as written
    start: int = field(default=0, compare=False)  # where the node's text begins


_TOKEN = re.compile(
    r"""
    (?P<ws>[ \t\r\n]+)
  | (?P<comment>//[^\n]*)
  | (?P<string>(?:[bB][rR]?|[rR][bB]?)?(?:\"\"\"(?:\\.|[^\\])*?\"\"\"|'''(?:\\.|[^\\])*?'''|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'))
  | (?P<double>(?:[0-9]+\.[0-9]+(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+))
  | (?P<int>(?:0[xX][0-9a-fA-F]+|[0-9]+)[uU]?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\|\||&&|==|!=|<=|>=|\.\?|\[\?|[<>!+\-*/%?:.,()\[\]{}])
    """,
    re.VERBOSE | re.DOTALL,
)

# Characters that change how text is displayed without being seen: bidirectional
# controls, zero-width characters, the byte-order mark.
_INVISIBLE = frozenset("\u061c\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2066\u2067\u2068\u2069\ufeff")


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    pos: int


def tokenize(text: str) -> list[Token]:
    for i, ch in enumerate(text):
        if ch in _INVISIBLE or (unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") and ch not in "\t\r\n"):
            raise ExpressionSyntaxError(f"character U+{ord(ch):04X} is not allowed in an expression (write it as an escape inside a string)", i + 1)
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            ch = text[pos]
            hint = " (identifiers are ASCII letters, digits and '_')" if ord(ch) > 127 else ""
            raise ExpressionSyntaxError(f"unexpected character {ch!r}{hint}", pos + 1)
        kind = m.lastgroup
        if kind not in ("ws", "comment"):
            tokens.append(Token(kind, m.group(), pos))
        pos = m.end()
    tokens.append(Token("eof", "", len(text)))
    return tokens


_BINARY = {  # operator -> precedence (higher binds tighter)
    "||": 1,
    "&&": 2,
    "==": 3, "!=": 3, "<": 3, "<=": 3, ">": 3, ">=": 3, "in": 3,
    "+": 4, "-": 4,
    "*": 5, "/": 5, "%": 5,
}


class _Parser:
    def __init__(self, text: str):
        self.tokens = tokenize(text)
        self.i = 0
        self.nodes = 0
        self.depth = 0  # how deep the descent is: refused before Python's own stack is at risk

    # --- helpers ------------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def at(self, text: str) -> bool:
        return self.tok.kind in ("op", "ident") and self.tok.text == text

    def expect(self, text: str) -> Token:
        if not self.at(text):
            self.fail(f"expected {text!r}")
        return self.advance()

    def fail(self, message: str, tok: Token | None = None):
        tok = tok or self.tok
        found = "the end of the expression" if tok.kind == "eof" else repr(tok.text)
        raise ExpressionSyntaxError(f"{message}, found {found}", tok.pos + 1)

    def node(self, kind: str, pos: int, value=None, args: tuple = (), text: str | None = None) -> Node:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ExpressionSyntaxError(f"an expression has at most {MAX_NODES} parts", pos + 1)
        height = 1 + max((a.height for a in args), default=0)
        if height > MAX_DEPTH:
            raise ExpressionSyntaxError(f"an expression nests at most {MAX_DEPTH} levels deep", pos + 1)
        start = min([pos, *(a.start for a in args)])
        return Node(kind, pos, value, tuple(args), height, text, start)

    # --- grammar ------------------------------------------------------------------------
    def parse(self) -> Node:
        if self.tok.kind == "eof":
            raise ExpressionSyntaxError("the expression is empty", 1)
        tree = self.expr()
        if self.tok.kind != "eof":
            self.fail("expected an operator or the end of the expression")
        return tree

    def descend(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionSyntaxError(f"an expression nests at most {MAX_DEPTH} levels deep", self.tok.pos + 1)

    def expr(self) -> Node:
        self.descend()
        try:
            return self.conditional()
        finally:
            self.depth -= 1

    def conditional(self) -> Node:
        cond = self.binary(1)
        if self.at("?"):
            pos = self.advance().pos
            yes = self.binary(1)
            self.expect(":")
            no = self.expr()
            return self.node("cond", pos, "?:", (cond, yes, no))
        return cond

    def binary(self, min_prec: int) -> Node:
        left = self.unary()
        while True:
            tok = self.tok
            prec = _BINARY.get(tok.text) if tok.kind in ("op", "ident") else None
            if prec is None or prec < min_prec:
                return left
            self.advance()
            right = self.binary(prec + 1)
            left = self.node("binary", tok.pos, tok.text, (left, right))

    def unary(self) -> Node:
        if self.at("!") or self.at("-"):
            tok = self.advance()
            self.descend()
            try:
                operand = self.unary()
            finally:
                self.depth -= 1
            if tok.text == "-" and operand.kind == "lit" and operand.value in ("int", "double"):
                return self.node("lit", tok.pos, operand.value, (), text="-" + operand.text)
            return self.node("unary", tok.pos, tok.text, (operand,))
        return self.member()

    def member(self) -> Node:
        node = self.primary()
        while True:
            if self.at(".?") or self.at("[?"):
                self.fail("optional field selection is not supported")
            if self.at("."):
                self.advance()
                name = self.advance()
                if name.kind != "ident" or name.text in KEYWORDS:
                    self.fail("expected a field name after '.'", name)
                if self.at("("):
                    args = self.call_args()
                    node = self.node("method", name.pos, name.text, (node, *args))
                else:
                    node = self.node("select", name.pos, name.text, (node,))
            elif self.at("["):
                pos = self.advance().pos
                index = self.expr()
                self.expect("]")
                node = self.node("index", pos, None, (node, index))
            elif self.at("{"):
                self.fail("message construction is not supported")
            else:
                return node

    def call_args(self) -> list[Node]:
        self.expect("(")
        args: list[Node] = []
        if not self.at(")"):
            args.append(self.expr())
            while self.at(","):
                self.advance()
                args.append(self.expr())
        self.expect(")")
        return args

    def primary(self) -> Node:
        tok = self.tok
        if tok.kind == "int":
            self.advance()
            return self.int_literal(tok)
        if tok.kind == "double":
            self.advance()
            if float(tok.text) == float("inf"):
                self.fail("a number too large for a double", tok)
            return self.node("lit", tok.pos, "double", text=tok.text)
        if tok.kind == "string":
            self.advance()
            kind = "bytes" if tok.text[:2].lower() in ("b'", 'b"', "br", "rb") else "string"
            return self.node("lit", tok.pos, kind, text=tok.text)
        if tok.kind == "ident":
            self.advance()
            if tok.text in ("true", "false"):
                return self.node("lit", tok.pos, "bool", text=tok.text)
            if tok.text == "null":
                return self.node("lit", tok.pos, "null")
            if tok.text in RESERVED or tok.text == "in":
                self.fail(f"{tok.text!r} is a reserved word", tok)
            if self.at("("):
                return self.node("call", tok.pos, tok.text, tuple(self.call_args()))
            return self.node("ident", tok.pos, tok.text)
        if tok.kind == "op":
            if tok.text == "(":
                self.advance()
                inner = self.expr()
                self.expect(")")
                return inner
            if tok.text == "[":
                self.advance()
                items = self.items("]")
                return self.node("list", tok.pos, None, tuple(items))
            if tok.text == "{":
                self.advance()
                entries: list[Node] = []
                while not self.at("}"):
                    entries.append(self.expr())
                    self.expect(":")
                    entries.append(self.expr())
                    if not self.at(","):
                        break
                    self.advance()
                self.expect("}")
                return self.node("map", tok.pos, None, tuple(entries))
            if tok.text == ".":
                self.fail("a leading '.' (root namespace) is not supported", tok)
        self.fail("expected a value, a name or '('", tok)

    def items(self, close: str) -> list[Node]:
        items: list[Node] = []
        while not self.at(close):
            items.append(self.expr())
            if not self.at(","):
                break
            self.advance()
        self.expect(close)
        return items

    def int_literal(self, tok: Token) -> Node:
        text = tok.text
        unsigned = text[-1] in "uU"
        digits = text[:-1] if unsigned else text
        value = int(digits, 16) if digits[:2].lower() == "0x" else int(digits)
        # A negative literal is folded in unary(); its magnitude may be 2**63.
        negated = self.i >= 2 and self.tokens[self.i - 2].text == "-" and not unsigned
        limit = UINT64 if unsigned else (INT64[1] + (1 if negated else 0))
        if value > limit:
            self.fail(f"integer literal out of range ({'0..2^64-1' if unsigned else '-2^63..2^63-1'})", tok)
        return self.node("lit", tok.pos, "uint" if unsigned else "int", text=text)


def parse(text: str) -> Node:
    """The tree of ``text``; ExpressionSyntaxError (with its column) when refused."""
    return _Parser(text).parse()


def walk(node: Node):
    """Every node of the tree, parents first (iteratively: the tree's height is bounded,
    but callers need not rely on it)."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.args))
