"""Printing a scoring result: ``--format json`` (the API's shape) or ``--format table``,
which shows the figures of the JSON: per node its weight, score ± margin of error, n,
satisfaction rate, NPS and answer distribution (nodes of weight 0 marked), the
touchpoints, per group its CSI, margin of error, n and node scores, and with
``--compare`` each group's differences (CSI and nodes) with margin, p and significance.
An n below the minimum is marked ``*`` (low_n). Cells are separated by at least two
spaces; "-" is a figure that is missing or does not apply."""

from __future__ import annotations

import json

import click

WEIGHT_ZERO = "(weight 0)"
LOW_N = "*"
GROUP_COLUMNS = 6  # group columns per node-score table


def print_result(result: dict, fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        click.echo("\n".join(table_lines(result)))


def number(value, decimals: int = 1) -> str:
    return "-" if value is None else f"{value:.{decimals}f}"


def percent(share) -> str:
    return "-" if share is None else f"{share * 100:.1f} %"


def weight(value) -> str:
    return "-" if value is None else f"{value:g}"


def distribution(counts) -> str:
    return " ".join(f"{option}:{n}" for option, n in counts.items()) if counts else "-"


def node_label(code: str, nodes: dict) -> str:
    """The code indented by its depth in the tree, marked when its weight is 0."""
    depth, parent = 0, nodes[code].get("parent")
    while parent is not None and parent in nodes and depth < len(nodes):
        depth, parent = depth + 1, nodes[parent].get("parent")
    mark = f" {WEIGHT_ZERO}" if nodes[code].get("weight") == 0 else ""
    return "  " * depth + code + mark


def table_lines(result: dict) -> list[str]:
    out = []
    if result.get("version") == "all":
        out.append("configuration versions " + ", ".join(map(str, result["versions"])) + " (all, pooled)")
    elif "version" in result:
        out.append(f"configuration version {result['version']}")
    out.append(f"{result['indicator_set']}: CSI {number(result['csi'])} ± {number(result['margin_of_error'])} (95 %), n = {_n(result)}")
    nodes = result["nodes"]
    rows = [
        [node_label(code, nodes), weight(node.get("weight")), number(node["score"]), number(node.get("margin_of_error")), _n(node),
         percent(node.get("satisfaction_rate")), number(node.get("nps")), distribution(node.get("distribution"))]
        for code, node in nodes.items()
    ]
    out += _table(["node", "weight", "score", "± MOE", "n", "sat. rate", "NPS", "distribution"], rows, left={0, 7})
    if any(node.get("weight") == 0 for node in nodes.values()):
        out.append(f"{WEIGHT_ZERO}: scored and shown, but adds nothing to the CSI")
    if result.get("touchpoints"):
        out.append("")
        rows = [[code, number(tp["score"]), number(tp.get("margin_of_error")), _n(tp)] for code, tp in result["touchpoints"].items()]
        out += _table(["touchpoint", "score", "± MOE", "n"], rows, left={0})
    if result.get("group_by"):
        out += _group_lines(result)
    if "min_n" in result:
        out += ["", f"{LOW_N} n below {result['min_n']} (low_n): indicative, not solid"]
    return out


def _n(figure: dict) -> str:
    return f"{figure['n']}{LOW_N if figure.get('low_n') else ''}"


def _group_lines(result: dict) -> list[str]:
    by = " × ".join(result["group_by"])
    groups = result["groups"]
    out = ["", f"by {by}:"]
    rows = [[label, number(g["csi"]), number(g["margin_of_error"]), _n(g)] for label, g in groups.items()]
    out += _table(["group", "CSI", "± MOE", "n"], rows, left={0})
    if result.get("compare"):
        out += _compare_lines(result)
    labels = list(groups)
    for first in range(0, len(labels), GROUP_COLUMNS):
        shown = labels[first : first + GROUP_COLUMNS]
        out += ["", f"node scores by {by} (score / n):"]
        rows = [
            [node_label(code, result["nodes"])] + [_score_n(groups[label]["nodes"].get(code)) for label in shown]
            for code in result["nodes"]
        ]
        out += _table(["node", *shown], rows, left={0})
    return out


def _compare_lines(result: dict) -> list[str]:
    """Per compared group: the CSI's and every node score's difference, margin, p."""
    groups = {label: g for label, g in result["groups"].items() if g.get("compare")}
    out = ["", f"compared with {result['compare']} (difference ± 95 % margin, p; ! significant at 5 %):"]
    if not groups:
        return out + ["  no group has a period to compare with"]
    rows = []
    for label, g in groups.items():
        c = g["compare"]
        rows.append([f"{label} vs {c['with']}", "CSI", _difference(c["csi"])])
        rows += [["", node_label(code, result["nodes"]), _difference(d["score"])] for code, d in c["nodes"].items()]
    return out + _table(["group", "figure", "difference"], rows, left={0, 1, 2})


def _difference(test: dict) -> str:
    if test["difference"] is None:
        return "-"
    mark = " !" if test["significant"] else ""
    return f"{test['difference']:+.1f} ± {number(test['margin_of_error'])}, p {number(test['p_value'], 3)}{mark}"


def _score_n(value) -> str:
    return "-" if value is None else f"{number(value['score'])} / {value['n']}"


def table(header: list[str], rows: list[list[str]], left: set[int]) -> list[str]:
    """Rows of cells under a header, columns padded (left-aligned where ``left`` says)."""
    return _table(header, rows, left)


def _table(header: list[str], rows: list[list[str]], left: set[int]) -> list[str]:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    lines = []
    for row in [header, *rows]:
        cells = [cell.ljust(w) if i in left else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells).rstrip())
    return lines
