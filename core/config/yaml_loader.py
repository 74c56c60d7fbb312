"""Safe YAML reading with line numbers and hard limits.

libyaml (PyYAML's C parser) reads the document; only the safe constructors of plain
scalar types build values, node by node, recording lines. On top of it, this reader refuses what a
hostile or careless document could use to hurt the server or confuse the reader:
documents over ``MAX_BYTES``, nesting deeper than ``MAX_DEPTH``, anchors/aliases (the
"billion laughs" expansion), duplicate mapping keys (YAML would silently keep the last)
and more than one document. It also records the line of every node so later validation
errors can point at it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

import yaml

from core.config.errors import ConfigError, ConfigIssue

MAX_BYTES = 1_000_000
MAX_DEPTH = 50
# Structural limits, checked while the document is composed, so a hostile document is
# refused as soon as it passes one (not after all of it was parsed and validated): items
# of one list or keys of one mapping (every list a configuration has is capped lower by
# its schema, e.g. 500 children per group), and nodes in the whole document.
MAX_ITEMS = 1_000
MAX_NODES = 100_000


@dataclass
class YamlDocument:
    """A parsed document plus the 1-based line where each path starts."""

    data: object
    lines: dict = field(default_factory=dict)
    file: str | None = None

    def line_of(self, path: tuple) -> int | None:
        """The line of ``path`` or of its nearest ancestor that has one."""
        path = tuple(path)
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            path = path[:-1]

    def issue(self, path: tuple, message: str) -> ConfigIssue:
        return ConfigIssue(tuple(path), message, self.line_of(path), self.file)


def _check_structure(text: str) -> None:
    """Walk the document's events (libyaml's parser, in C) and refuse, at the first event
    past it, anything over a limit: aliases, nesting depth, items per list or mapping,
    nodes in all. Runs before anything is composed, so no limit is checked too late and
    the C composer never recurses deeper than MAX_DEPTH."""
    parser = yaml.CSafeLoader(text)
    try:
        counts: list[list] = []  # per open collection: [children so far, is mapping, start line]
        nodes = 0
        while parser.check_event():
            event = parser.get_event()
            kind = type(event)
            if kind is yaml.AliasEvent:
                raise _Refused("anchors and aliases (*name) are not allowed", event.start_mark)
            if kind in (yaml.SequenceEndEvent, yaml.MappingEndEvent):
                counts.pop()
                continue
            if kind not in (yaml.ScalarEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent):
                continue
            nodes += 1
            if nodes > MAX_NODES:
                raise _Refused(f"more than {MAX_NODES} values in the document", event.start_mark)
            if counts:
                parent = counts[-1]
                parent[0] += 1
                items = (parent[0] + 1) // 2 if parent[1] else parent[0]
                if items > MAX_ITEMS:
                    what = "keys in one mapping" if parent[1] else "items in one list"
                    raise _Refused(f"more than {MAX_ITEMS} {what} (starting at line {parent[2]})", event.start_mark)
            if kind is not yaml.ScalarEvent:
                counts.append([0, kind is yaml.MappingStartEvent, event.start_mark.line + 1])
                if len(counts) > MAX_DEPTH:
                    raise _Refused(f"nesting deeper than {MAX_DEPTH} levels", event.start_mark)
    finally:
        parser.dispose()


# What YAML forbids in a stream (PyYAML's reader refuses the same before parsing).
_NOT_PRINTABLE = yaml.reader.Reader.NON_PRINTABLE


class _Refused(Exception):
    def __init__(self, message, mark, path: tuple = ()):
        super().__init__(message)
        self.message = message
        self.mark = mark
        self.path = path


def read_yaml(text: str | bytes, file: str | None = None) -> YamlDocument:
    """Parse one YAML document safely; raise ConfigError with file and line on any problem."""
    if isinstance(text, bytes):
        if len(text) > MAX_BYTES:
            raise ConfigError([ConfigIssue((), f"document is {len(text)} bytes; the limit is {MAX_BYTES}", None, file)])
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigError([ConfigIssue((), f"document is not valid UTF-8 (byte {exc.start})", None, file)]) from None
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise ConfigError([ConfigIssue((), f"document is larger than the limit of {MAX_BYTES} bytes", None, file)])
    bad = _NOT_PRINTABLE.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise ConfigError([ConfigIssue((), f"invalid YAML: the character U+{ord(bad.group()):04X} is not allowed in a YAML document", line, file)])
    loader = yaml.CSafeLoader(text)
    try:
        _check_structure(text)
        node = loader.get_single_node()
        if node is None:
            raise ConfigError([ConfigIssue((), "document is empty", 1, file)])
        doc = YamlDocument(data=None, file=file)
        doc.data = _construct(loader, node, (), doc)
        return doc
    except _Refused as exc:
        raise ConfigError([ConfigIssue(exc.path, exc.message, exc.mark.line + 1, file)]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reason = " ".join(p for p in (exc.context, exc.problem) if p)
        raise ConfigError([ConfigIssue((), f"invalid YAML: {reason}", mark.line + 1 if mark else None, file)]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([ConfigIssue((), f"invalid YAML: {exc}", None, file)]) from None
    finally:
        loader.dispose()


_PLAIN_COLLECTION_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
# The plain scalar types a configuration uses. Any other tag, implicit or explicit
# (``!!binary``, ``!!python/...``, ``!custom``), is refused rather than constructed.
_STR = "tag:yaml.org,2002:str"
_PLAIN_SCALAR_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("null", "bool", "int", "float", "str", "timestamp")}


def _construct(loader: yaml.CSafeLoader, node, path: tuple, doc: YamlDocument):
    """Build plain Python values from the node graph, recording each node's line."""
    doc.lines[path] = node.start_mark.line + 1
    if not isinstance(node, yaml.ScalarNode) and node.tag not in _PLAIN_COLLECTION_TAGS:
        raise _Refused(f"tag {node.tag!r} is not allowed", node.start_mark)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        out: dict = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise _Refused("mapping keys must be plain scalars", key_node.start_mark)
            key = _scalar(loader, key_node, path)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                raise _Refused(f"mapping key {key!r} is not a string", key_node.start_mark)
            key = str(key)
            if key in out:
                raise _Refused(f"duplicate key {key!r}", key_node.start_mark)
            out[key] = _construct(loader, value_node, path + (key,), doc)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(loader, item, path + (i,), doc) for i, item in enumerate(node.value)]
    return _scalar(loader, node, path)


def _scalar(loader: yaml.CSafeLoader, node, path: tuple):
    if node.tag == _STR:
        return node.value
    if node.tag not in _PLAIN_SCALAR_TAGS:
        raise _Refused(f"tag {node.tag!r} is not allowed (only plain strings, numbers, booleans, null and dates)", node.start_mark, path)
    try:
        return loader.yaml_constructors[node.tag](loader, node)
    except yaml.constructor.ConstructorError:
        raise _Refused(f"tag {node.tag!r} is not allowed", node.start_mark) from None
    except (ValueError, OverflowError) as exc:  # e.g. an integer past Python's 4,300-digit limit
        raise _Refused(f"the value cannot be read as {node.tag.rsplit(':', 1)[-1]}: {_first_line(exc)}", node.start_mark, path) from None


def _first_line(exc: Exception) -> str:
    if "integer string conversion" in str(exc):
        return f"an integer of more than {sys.get_int_max_str_digits()} digits"
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
