"""The indicator tree (顾客满意指标体系): groups with weights down to scored questions.

A node either has ``children`` (a group) or a ``scale`` (a question). Sibling weights sum
to 1; the score of a group is the weighted mean of the children that have data, weights
renormalised over those children, and the index (CSI) is the score of the root.
Open questions (``text`` scale) are part of the questionnaire but carry no weight; a
question of weight 0 is asked and analysed but adds nothing to its group's score.

What the analyses read from the tree besides its weights: ``role: overall`` marks the
overall-satisfaction question (the drivers' default target, peak-end's observed score),
``expectation_of: <question>`` pairs an expectation question with its experience question
(the expectation gap), and ``peak_end: peak | end`` on a group marks a stage of the
journey for the peak-end analysis (the stages compared are that group and its sibling
groups; several peaks are averaged, there is one end).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterator

from core.model.errors import ModelError, ModelErrors
from core.model.scale import Scale

WEIGHT_TOLERANCE = 1e-6
MAX_DEPTH = 20
ROLES = ("overall",)
PEAK_END = ("peak", "end")


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
    role: str | None = None
    expectation_of: str | None = None
    peak_end: str | None = None

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
        if self.role is not None and (self.role not in ROLES or self.children):
            raise ModelError(f"role must be one of {', '.join(ROLES)}, on a question", ("role",))
        if self.expectation_of is not None and self.children:
            raise ModelError("only a question can be the expectation of another", ("expectation_of",))
        if self.peak_end is not None and (self.peak_end not in PEAK_END or not self.children):
            raise ModelError("peak_end is peak or end, on a group (a stage of the journey)", ("peak_end",))

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
        paths: dict[str, tuple] = {}
        self._check(self.children, ("children",), index, 1, problems, paths)
        if not problems and not any(n.is_question and self.scales[n.scale].scored for n in index.values()):
            problems.append(ModelError("an indicator set needs at least one scored question", ("children",)))
        if not problems:
            problems += analysis_marks(self.children, index, self.scales, paths)
        if problems:
            raise problems[0] if len(problems) == 1 else ModelErrors(problems)
        object.__setattr__(self, "_index", index)

    def _check(self, nodes, path, index, depth, problems: list[ModelError], paths: dict) -> None:
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
                paths[node.code] = here
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
                self._check(node.children, here + ("children",), index, depth + 1, problems, paths)
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

    @property
    def overall(self) -> str | None:
        """The code of the question marked ``role: overall``, if any."""
        return next((q.code for q in self.questions if q.role == "overall"), None)

    @property
    def expectation_pairs(self) -> dict[str, str]:
        """Experience question → its expectation question (``expectation_of``), tree order."""
        return {q.expectation_of: q.code for q in self.questions if q.expectation_of is not None}

    def peak_end_stages(self) -> tuple[dict[str, list[str]], list[str], str | None]:
        """(stage → its scored questions, the peak stages, the end stage) from ``peak_end``:
        the stages are the marked groups and their weighted sibling groups (a group of
        weight 0 is asked but is no part of the journey, e.g. the overall and loyalty
        questions); a stage's questions are its scored questions beneath, less the overall
        and expectation questions."""
        marked = [(n, parent) for n, parent in self.walk() if n.peak_end is not None]
        if not marked:
            return {}, [], None
        parent = marked[0][1]
        siblings = self.children if parent is None else parent.children
        skip = {self.overall, *self.expectation_pairs.values()}
        stages = {}
        for group in siblings:
            if group.is_question or (not group.weight and group.peak_end is None):
                continue
            codes = [n.code for n in _beneath(group) if n.is_question and self.scales[n.scale].scored and n.code not in skip]
            if codes:
                stages[group.code] = codes
        peaks = [n.code for n, _ in marked if n.peak_end == "peak"]
        end = next((n.code for n, _ in marked if n.peak_end == "end"), None)
        return stages, peaks, end

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


def _beneath(node: Indicator) -> Iterator[Indicator]:
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children))


def analysis_marks(children, index: dict[str, Indicator], scales: dict[str, Scale], paths: dict[str, tuple]) -> list[ModelError]:
    """The checks of ``role``, ``expectation_of`` and ``peak_end`` across the tree, each
    problem at the path of the node that carries the mark."""
    problems: list[ModelError] = []
    overall = [n for n in index.values() if n.role == "overall"]
    for extra in overall[1:]:
        problems.append(ModelError(f"only one question can be the overall question; {overall[0].code!r} already is", paths[extra.code] + ("role",)))
    for n in overall:
        if not scales[n.scale].scored:
            problems.append(ModelError("the overall question must be scored (not an open question)", paths[n.code] + ("role",)))
    expected: dict[str, str] = {}
    for n in index.values():
        target = n.expectation_of
        if target is None:
            continue
        at = paths[n.code] + ("expectation_of",)
        other = index.get(target)
        if target == n.code:
            problems.append(ModelError("a question cannot be the expectation of itself", at))
        elif other is None:
            problems.append(ModelError(f"unknown question {target!r}", at))
        elif not other.is_question:
            problems.append(ModelError(f"{target!r} is a group; name the experience question", at))
        elif other.expectation_of is not None:
            problems.append(ModelError(f"{target!r} is itself an expectation question; name the experience question", at))
        elif not (scales[n.scale].scored and scales[other.scale].scored):
            problems.append(ModelError("both questions of an expectation pair must be scored", at))
        elif target in expected:
            problems.append(ModelError(f"{target!r} already has the expectation question {expected[target]!r}", at))
        else:
            expected[target] = n.code
    marked = [n for n in index.values() if n.peak_end is not None]
    if marked:
        parent_of = {c.code: p.code for p in index.values() for c in p.children}
        first = parent_of.get(marked[0].code)
        ends = [n for n in marked if n.peak_end == "end"]
        for n in ends[1:]:
            problems.append(ModelError(f"only one stage can be the end; {ends[0].code!r} already is", paths[n.code] + ("peak_end",)))
        for n in marked[1:]:
            if parent_of.get(n.code) != first:
                problems.append(ModelError(f"the peak and end stages must be sibling groups; {marked[0].code!r} is not a sibling of this one", paths[n.code] + ("peak_end",)))
        kinds = {n.peak_end for n in marked}
        for missing in ("peak", "end"):
            if missing not in kinds:
                problems.append(ModelError(f"a stage is marked peak_end but no stage is marked `peak_end: {missing}`", paths[marked[0].code] + ("peak_end",)))
    return problems
