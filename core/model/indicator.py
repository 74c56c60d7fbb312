"""The indicator tree (顾客满意指标体系): groups with weights down to scored questions.

A node either has ``children`` (a group) or a ``scale`` (a question). Sibling weights sum
to 1; the score of a group is the weighted mean of the children that have data, weights
renormalised over those children, and the index (CSI) is the score of the root.
Open questions (``text`` scale) are part of the questionnaire but carry no weight.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterator

from core.model.errors import ModelError, ModelErrors
from core.model.scale import Scale

WEIGHT_TOLERANCE = 1e-6
MAX_DEPTH = 20


@dataclass(frozen=True)
class Indicator:
    """A node of the indicator tree; a leaf with a ``scale`` is a question."""

    code: str
    weight: float = 0.0
    name: str = ""
    name_zh: str = ""
    children: tuple["Indicator", ...] = ()
    scale: str | None = None
    question: str = ""
    question_zh: str = ""
    touchpoint: str | None = None
    reverse: bool = False
    source: str = ""

    def __post_init__(self):
        object.__setattr__(self, "children", tuple(self.children))
        if not isinstance(self.code, str) or not self.code.strip():
            raise ModelError("code must be a non-empty string", ("code",))
        if self.children and self.scale:
            raise ModelError("a node has either children or a scale, not both", ("scale",))
        if not self.children and not self.scale:
            raise ModelError("a node needs children (a group) or a scale (a question)", ("children",))
        if not (isinstance(self.weight, (int, float)) and math.isfinite(self.weight)) or self.weight < 0:
            raise ModelError("weight must be a finite number >= 0", ("weight",))
        if self.reverse and self.children:
            raise ModelError("only questions can be reversed", ("reverse",))

    @property
    def is_question(self) -> bool:
        return bool(self.scale)


# A question is a leaf node; the alias keeps call sites readable.
Question = Indicator


@dataclass(frozen=True)
class IndicatorSet:
    """A validated indicator tree with the scales its questions use.

    The root is implicit: ``children`` are the top-level nodes and the set's score is the
    CSI. Construction checks every structural rule once, so later code can trust it.
    """

    code: str
    children: tuple[Indicator, ...]
    scales: dict[str, Scale]
    name: str = ""
    name_zh: str = ""
    _index: dict = field(default=None, init=False, repr=False, compare=False, hash=False)

    def __post_init__(self):
        object.__setattr__(self, "children", tuple(self.children))
        object.__setattr__(self, "scales", dict(self.scales))
        if not self.children:
            raise ModelError("an indicator set needs at least one child", ("children",))
        index: dict[str, Indicator] = {}
        problems: list[ModelError] = []
        self._check(self.children, ("children",), index, 1, problems)
        if not problems and not any(n.is_question and self.scales[n.scale].scored for n in index.values()):
            problems.append(ModelError("an indicator set needs at least one scored question", ("children",)))
        if problems:
            raise problems[0] if len(problems) == 1 else ModelErrors(problems)
        object.__setattr__(self, "_index", index)

    def _check(self, nodes, path, index, depth, problems: list[ModelError]) -> None:
        """Check one sibling list and what lies beneath, adding every problem to
        ``problems`` (tree order): the checks do not depend on one another, so an unknown
        scale does not hide a duplicate code or a bad weight sum elsewhere."""
        if depth > MAX_DEPTH:
            problems.append(ModelError(f"the tree is deeper than {MAX_DEPTH} levels", path))
            return
        total = 0.0
        weighted = 0
        for i, node in enumerate(nodes):
            here = path + (i,)
            if node.code in index:
                problems.append(ModelError(f"duplicate code {node.code!r}", here + ("code",)))
            else:
                index[node.code] = node
            if node.is_question:
                scale = self.scales.get(node.scale)
                if scale is None:
                    known = ", ".join(sorted(self.scales)) or "none defined"
                    problems.append(ModelError(f"unknown scale {node.scale!r} (known: {known})", here + ("scale",)))
                elif not scale.scored:
                    if node.weight:
                        problems.append(ModelError("an open (text) question is not scored and takes no weight", here + ("weight",)))
                    if node.reverse:
                        problems.append(ModelError("an open (text) question cannot be reversed", here + ("reverse",)))
                    continue
            else:
                self._check(node.children, here + ("children",), index, depth + 1, problems)
                if not self._has_scored(node):
                    problems.append(ModelError("a group needs at least one scored question", here + ("children",)))
            total += node.weight
            weighted += 1
        if weighted and abs(total - 1.0) > WEIGHT_TOLERANCE:
            problems.append(ModelError(f"sibling weights sum to {total:.6g}, not 1", path))

    def _has_scored(self, node: Indicator) -> bool:
        """Whether a scored question lies beneath; a question of an unknown scale counts
        as scored (its scale is reported already, and a second problem would be noise)."""
        if node.is_question:
            scale = self.scales.get(node.scale)
            return scale is None or scale.scored
        return any(self._has_scored(c) for c in node.children)

    # --- navigation -------------------------------------------------------------------
    def walk(self) -> Iterator[tuple[Indicator, Indicator | None]]:
        """Every node depth-first with its parent (None for top-level nodes)."""
        stack = [(n, None) for n in reversed(self.children)]
        while stack:
            node, parent = stack.pop()
            yield node, parent
            stack.extend((c, node) for c in reversed(node.children))

    def node(self, code: str) -> Indicator:
        return self._index[code]

    @property
    def codes(self) -> list[str]:
        return [n.code for n, _ in self.walk()]

    @property
    def questions(self) -> list[Indicator]:
        """All questions, open ones included, in questionnaire order."""
        return [n for n, _ in self.walk() if n.is_question]

    @property
    def scored_questions(self) -> list[Indicator]:
        return [q for q in self.questions if self.scales[q.scale].scored]

    def scored_children(self, node: Indicator | None) -> list[Indicator]:
        """The children of ``node`` (None = root) that take part in scoring."""
        kids = self.children if node is None else node.children
        return [c for c in kids if not (c.is_question and not self.scales[c.scale].scored)]

    def groups_bottom_up(self) -> list[Indicator | None]:
        """Groups ordered so each comes after all of its descendants; None (root) is last."""
        order = [n for n, _ in self.walk() if not n.is_question]
        return list(reversed(order)) + [None]

    def global_weights(self) -> dict[str, float]:
        """Product of weights from the root to each scored question (the source's method)."""
        out: dict[str, float] = {}

        def visit(nodes, acc):
            for n in nodes:
                if n.is_question:
                    if self.scales[n.scale].scored:
                        out[n.code] = acc * n.weight
                else:
                    visit(n.children, acc * n.weight)

        visit(self.children, 1.0)
        return out
