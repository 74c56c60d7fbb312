"""``csm weights ahp FILE.yaml``: weights from an expert panel's pairwise judgements.

The file names the criteria and the judgements (one expert) or ``experts`` (several,
combined by the geometric mean), in the format of ``weights: {method: ahp}`` in an
indicator set (``core.config.sections.ahp_weights``)::

    criteria: [staff, speed, comfort]
    judgements: [[staff, speed, 2], [speed, comfort, 2], [staff, comfort, 4]]

It prints the weights, λmax, CI and CR; a consistency ratio above 0.1 is printed too
(``consistent: false`` with the most inconsistent judgement), since here the point is to
see it. A file that cannot be read exits 2 with ``file:line: path: reason``.
"""

from __future__ import annotations

from pathlib import Path

import click
from marshmallow import ValidationError

from core.cli.common import config_failed
from core.cli.output import number, print_result, table
from core.config.errors import ConfigError
from core.config.schema import flatten_messages
from core.config.sections.ahp_weights import AhpFileSchema, judgement_issues
from core.config.yaml_loader import read_yaml

FORMATS = click.Choice(["json", "table"])
KEYS = ("weights", "lambda_max", "ci", "ri", "cr", "consistent", "most_inconsistent", "experts", "method")


@click.group(short_help="Derive weights (AHP from pairwise judgements).")
def weights():
    """Derive indicator weights."""


@weights.command("ahp", short_help="AHP weights, λmax, CI and CR from a file of judgements.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True, help="json: the figures as JSON; table: for reading.")
def ahp_cmd(file: Path, fmt: str):
    """Principal-eigenvector weights of the criteria in FILE (criteria, judgements or experts)."""
    name = str(file)
    try:
        result = ahp_of_file(file.read_bytes(), name)
    except ConfigError as exc:
        config_failed(exc, name)
    if fmt == "json":
        print_result(result, "json")
        return
    rows = [[code, f"{w:.4f}"] for code, w in result["weights"].items()]
    lines = table(["criterion", "weight"], rows, left={0})
    worst = result["most_inconsistent"]
    verdict = "consistent" if result["consistent"] else "NOT consistent (CR above 0.1)"
    lines += ["", f"λmax {number(result['lambda_max'], 4)}  CI {number(result['ci'], 4)}  CR {number(result['cr'], 4)}: {verdict}",
              f"most inconsistent judgement: {worst['pair'][0]} vs {worst['pair'][1]} (judged {worst['judged']:.4g}, weights imply {worst['implied']:.4g})"]
    click.echo("\n".join(lines))


def ahp_of_file(text: bytes, name: str) -> dict:
    """The AHP figures of a judgements file; ConfigError with lines for a bad file."""
    doc = read_yaml(text, name)
    if not isinstance(doc.data, dict):
        raise ConfigError([doc.issue((), "the file is a mapping with criteria and judgements (or experts)")])
    try:
        spec = AhpFileSchema().load(doc.data)
    except ValidationError as exc:
        raise ConfigError([doc.issue(path, msg) for path, msg in flatten_messages(exc.messages)]) from None
    result, problems = judgement_issues(spec["criteria"], {**spec, "allow_inconsistent": True}, (), doc.issue)
    if problems:
        raise ConfigError(problems)
    return {k: result[k] for k in KEYS}
