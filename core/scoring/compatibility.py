"""Whether responses collected under different configuration versions may be scored
together, and if not, why.

Each response is scored against the version it was collected under. Responses of several
versions can be pooled into one answer only when every one of those versions would score
any given answer exactly as the others: the same nodes under the same parents, the same
weights, questions on scales that normalise and count alike (kind, range, option codes,
scores and ``satisfied`` marks), the same ``reverse`` flags and touchpoints. Names,
question texts, option labels and the code a scale goes by may differ: they change how a
configuration reads, not a score.
"""

from __future__ import annotations

from core.model import IndicatorSet, Scale

# How many differences a refusal lists (the count of the rest is given).
MAX_LISTED = 10


def _scale_rule(scale: Scale) -> tuple:
    """What of a scale decides a score: its kind, range and options (code, score, satisfied)."""
    return (scale.kind.value, scale.min, scale.max, tuple((o.code, float(o.score), bool(o.satisfied)) for o in scale.options))


def _describe_scale(scale: Scale) -> str:
    if scale.options:
        options = ", ".join(f"{o.code}={o.score:g}{'*' if o.satisfied else ''}" for o in scale.options)
        return f"{scale.code} ({scale.kind.value}: {options})"
    if scale.min is not None:
        return f"{scale.code} ({scale.kind.value} {scale.min:g}..{scale.max:g})"
    return f"{scale.code} ({scale.kind.value})"


def _node_rules(iset: IndicatorSet) -> dict[str, dict[str, tuple[object, str]]]:
    """Node code → rule name → (value compared, value as shown in a refusal)."""
    rules = {}
    for node, parent in iset.walk():
        parent_code = None if parent is None else parent.code
        rule = {
            "parent": (parent_code, repr(parent_code) if parent_code else "(top level)"),
            "kind": ("question" if node.is_question else "group",) * 2,
            "weight": (float(node.weight), f"{node.weight:g}"),
        }
        if node.is_question:
            scale = iset.scales[node.scale]
            rule["scale"] = (_scale_rule(scale), _describe_scale(scale))
            rule["reverse"] = (bool(node.reverse), str(bool(node.reverse)).lower())
            rule["touchpoint"] = (node.touchpoint, repr(node.touchpoint) if node.touchpoint else "none")
        rules[node.code] = rule
    return rules


def scoring_differences(a: IndicatorSet, b: IndicatorSet, a_name: str = "a", b_name: str = "b") -> list[str]:
    """Every way ``a`` and ``b`` would score the same answers differently, in ``a``'s tree
    order then ``b``'s extra nodes; empty when they score alike. ``a_name`` and ``b_name``
    name them in the messages (``version 1``)."""
    ra, rb = _node_rules(a), _node_rules(b)
    out = []
    for code, rules in ra.items():
        if code not in rb:
            out.append(f"{code}: only in {a_name}")
            continue
        for name, (value, shown) in rules.items():
            other = rb[code].get(name)
            if other is None or other[0] != value:
                other_shown = "none" if other is None else other[1]
                out.append(f"{code}: {name} {shown} in {a_name}, {other_shown} in {b_name}")
    out += [f"{code}: only in {b_name}" for code in rb if code not in ra]
    return out


def incompatibility(trees: dict[int, IndicatorSet], reference: int) -> str | None:
    """Why the versions ``trees`` (number → tree) cannot be scored together against
    version ``reference``'s tree, or None when they can."""
    found = []
    for number, tree in sorted(trees.items()):
        if number != reference:
            found += scoring_differences(trees[reference], tree, f"version {reference}", f"version {number}")
    if not found:
        return None
    more = f" (and {len(found) - MAX_LISTED} more)" if len(found) > MAX_LISTED else ""
    return "the versions score differently, so their responses cannot be scored together: " + "; ".join(found[:MAX_LISTED]) + more
