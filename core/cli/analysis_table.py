"""``csm analyze --format table``: an analysis answer for reading, whatever the method.

Every figure of the JSON is shown, laid out by its shape rather than per method, so a
plugin's method prints as well as the core's: top-level scalars on one header line each;
a list of records (the drivers) or a mapping of records (KANO features, gap indicators,
loyalty cells) as a table with a row per record and a column per figure (a nested mapping
of scalars, such as KANO's counts, spread over columns ``counts.A`` ...); anything deeper
as ``path: value`` lines. Numbers are rounded to 4 decimals; "-" is null.
"""

from __future__ import annotations

SCALARS = (str, int, float, bool, type(None))


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".") if abs(value) < 1e12 else f"{value:g}"
    if isinstance(value, (list, tuple)):
        return ",".join(_cell(v) for v in value) or "-"
    return str(value)


def _shallow(value) -> bool:
    return isinstance(value, SCALARS) or _is_scalar_list(value) or (
        isinstance(value, dict) and all(isinstance(v, SCALARS) or _is_scalar_list(v) for v in value.values()))


def _flat(record: dict) -> tuple[dict, dict]:
    """A record's figures one level deep (``counts.A``), and its deeper parts apart."""
    out, deep = {}, {}
    for key, value in record.items():
        if isinstance(value, dict) and _shallow(value):
            out.update({f"{key}.{k}": v for k, v in value.items()})
        elif _shallow(value):
            out[key] = value
        else:
            deep[key] = value
    return out, deep


def _is_scalar_list(value) -> bool:
    return isinstance(value, list) and all(isinstance(v, SCALARS) for v in value)


def _table(label: str, rows: list[tuple[str, dict]]) -> list[str]:
    columns: list[str] = []
    for _, row in rows:
        columns += [c for c in row if c not in columns]
    grid = [[label, *columns]] + [[name, *(_cell(row.get(c)) for c in columns)] for name, row in rows]
    widths = [max(len(r[i]) for r in grid) for i in range(len(grid[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in grid]


def _records(path: str, label: str, records: list[tuple[str, dict]]) -> list[str]:
    flat = [(name, *_flat(r)) for name, r in records]
    out = ["", f"{path}:", *_table(label, [(name, row) for name, row, _ in flat])]
    for name, _, deep in flat:
        for key, value in deep.items():
            out += _lines(f"{path}.{name}.{key}", value)
    return out


def _lines(path: str, value) -> list[str]:
    if isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values()):
        return _records(path, "", [(str(k), v) for k, v in value.items()])
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return _records(path, "#", [(str(i + 1), v) for i, v in enumerate(value)])
    if isinstance(value, dict) and _shallow(value):
        return [f"{path}: " + (", ".join(f"{k} {_cell(v)}" for k, v in value.items()) or "-")]
    if _shallow(value):
        return [f"{path}: {_cell(value)}"]
    out = []
    for key, sub in value.items() if isinstance(value, dict) else enumerate(value):
        out += _lines(f"{path}.{key}", sub)
    return out


def analysis_lines(result: dict) -> list[str]:
    head = [k for k, v in result.items() if isinstance(v, SCALARS) or _is_scalar_list(v)]
    out = [f"{k}: {_cell(result[k])}" for k in head]
    for key, value in result.items():
        if key not in head:
            out += _lines(key, value)
    return out
