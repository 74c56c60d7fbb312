"""Blocks as bytes: one ``AnswerColumns`` per database row, decoded column by column.

Layout (``LAYOUT`` 2): ``CSMA``, the layout number (one byte), the header length (uint32,
little-endian), the header (UTF-8 JSON: row count, row-id runs, the touchpoint and
attribute dictionaries, option codes, and each section's dtype, offset and size), padding
to 8 bytes, then each section's raw little-endian array bytes, optionally
zlib-compressed; the customer ids' dictionary is a section of its own (UTF-8 JSON). A
reader parses the header and touches only the sections it needs: scoring never decodes
``customer_id`` or its dictionary unless it groups by it, and never the row ids (which
only erasure reads). ``np.frombuffer`` over the payload makes an uncompressed column a
view, not a copy. Layout 1 kept the customer dictionary in the header, so every read
parsed it: 95 of a block's 97 kB of header at 10,000 responses, 0.22 s of CPU per million
responses of a 0.77 s score by segment and month; layout-1 blocks are still read.

Row ids are kept as runs ``[first, count]``: a batch's ids are consecutive unless
concurrent writers interleaved, so a block of 10,000 rows usually needs one pair.

Compression is off: measured on 100 blocks of 10,000 rows × 20 questions (figures in the
README, "Storage and performance"), zlib (level 1) halved the bytes but decoding cost
more time than reading the extra bytes from either database.
"""

from __future__ import annotations

import json
import struct
import zlib
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from core.store.columns import AnswerColumns, KeyColumn, QuestionColumn

MAGIC = b"CSMA"
LAYOUT = 2
READABLE = (1, 2)  # layouts ``decode`` reads (blocks written before layout 2 stay valid)
CUSTOMERS = "dict:customer_id"  # layout 2: the customer ids' dictionary, a section
COMPRESS = False
_HEAD = struct.Struct("<4sBI")


class CorruptBlock(ValueError):
    """A payload that is not a block this code can read."""


def encode(columns: AnswerColumns, compress: bool = COMPRESS) -> bytes:
    if columns.ids is None:
        raise ValueError("a block is written once its rows have ids")
    arrays: list[tuple[str, np.ndarray]] = [("collected_at", columns.collected_at)]
    arrays.append(("key:touchpoint", columns.touchpoint.codes))
    arrays.append(("key:customer_id", columns.customer_id.codes))
    arrays += [(f"attr:{name}", col.codes) for name, col in columns.attributes.items()]
    arrays += [(f"q:{code}", col.data) for code, col in columns.questions.items()]
    customers = json.dumps(list(columns.customer_id.values), ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")
    arrays.append((CUSTOMERS, np.frombuffer(customers, dtype=np.uint8)))
    sections, chunks, offset = [], [], 0
    for name, array in arrays:
        raw = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
        stored = zlib.compress(raw, 1) if compress else raw
        sections.append([name, array.dtype.newbyteorder("<").str, offset, len(stored), len(raw) if compress else 0])
        chunks.append(stored + b"\0" * (-len(stored) % 8))
        offset += len(chunks[-1])
    header = {
        "n": columns.n,
        "ids": id_runs(columns.ids),
        "touchpoint": list(columns.touchpoint.values),
        "attributes": {name: list(col.values) for name, col in columns.attributes.items()},
        "questions": {code: {"kind": col.kind, "options": list(col.options)} for code, col in columns.questions.items()},
        "sections": sections,
    }
    text = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    text += b" " * (-(_HEAD.size + len(text)) % 8)
    return _HEAD.pack(MAGIC, LAYOUT, len(text)) + text + b"".join(chunks)


def id_runs(ids: np.ndarray) -> list[list[int]]:
    """Consecutive ids as ``[first, count]`` pairs, in order."""
    ids = np.asarray(ids, dtype=np.int64)
    if not len(ids):
        return []
    breaks = np.flatnonzero(np.diff(ids) != 1) + 1
    starts = np.concatenate([[0], breaks])
    counts = np.diff(np.concatenate([starts, [len(ids)]]))
    return [[int(ids[s]), int(c)] for s, c in zip(starts, counts)]


@dataclass
class BlockView:
    """A decoded header over the payload; columns are read when asked for."""

    payload: bytes
    header: dict
    body: int

    @property
    def n(self) -> int:
        return self.header["n"]

    @cached_property
    def _sections(self) -> dict[str, list]:
        return {s[0]: s for s in self.header["sections"]}

    def array(self, name: str) -> np.ndarray:
        _name, dtype, offset, size, raw = self._sections[name]
        start = self.body + offset
        if raw:
            return np.frombuffer(zlib.decompress(self.payload[start : start + size]), dtype=np.dtype(dtype))
        return np.frombuffer(self.payload, dtype=np.dtype(dtype), count=size // np.dtype(dtype).itemsize, offset=start)

    @property
    def ids(self) -> np.ndarray:
        runs = self.header["ids"]
        if not runs:
            return np.empty(0, dtype=np.int64)
        return np.concatenate([np.arange(first, first + count, dtype=np.int64) for first, count in runs])

    @property
    def attribute_names(self) -> list[str]:
        return list(self.header["attributes"])

    def key(self, name: str) -> KeyColumn:
        """``touchpoint``, ``customer_id`` or an attribute's column."""
        if name == "customer_id" and name not in self.header:  # layout 2: parsed only when asked for
            values = json.loads(self.array(CUSTOMERS).tobytes().decode("utf-8", "surrogatepass"))
            return KeyColumn(self.array(f"key:{name}"), tuple(values))
        if name in ("touchpoint", "customer_id"):
            return KeyColumn(self.array(f"key:{name}"), tuple(self.header[name]))
        return KeyColumn(self.array(f"attr:{name}"), tuple(self.header["attributes"][name]))

    def question(self, code: str) -> QuestionColumn | None:
        meta = self.header["questions"].get(code)
        if meta is None:
            return None
        return QuestionColumn(meta["kind"], self.array(f"q:{code}"), tuple(meta["options"]))

    def columns(self) -> AnswerColumns:
        """Every column (erasure rewrites a block through this)."""
        return AnswerColumns(
            self.n,
            self.array("collected_at"),
            self.key("touchpoint"),
            self.key("customer_id"),
            {name: self.key(name) for name in self.attribute_names},
            {code: self.question(code) for code in self.header["questions"]},
            self.ids,
        )


def decode(payload: bytes) -> BlockView:
    payload = bytes(payload) if not isinstance(payload, bytes) else payload
    if len(payload) < _HEAD.size:
        raise CorruptBlock("payload shorter than a block header")
    magic, layout, length = _HEAD.unpack_from(payload)
    if magic != MAGIC or layout not in READABLE:
        raise CorruptBlock(f"not an answer block of layout {' or '.join(map(str, READABLE))} (magic {magic!r}, layout {layout})")
    header = json.loads(payload[_HEAD.size : _HEAD.size + length])
    return BlockView(payload, header, _HEAD.size + length)
