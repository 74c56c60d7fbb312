"""`csm weights ahp`: Saaty's drinks example (as in tests/test_analysis_ahp.py) from a file,
and bad files exiting 2 with file:line: path: reason."""

import json

import yaml
from click.testing import CliRunner

from core.cli import main

# Saaty's relative consumption of drinks (Saaty 2008, Int. J. Services Sciences 1(1)), the
# same judgements as tests/test_analysis_ahp.py: published weights and CR 0.022.
DRINKS = ["coffee", "wine", "tea", "beer", "soda", "milk", "water"]
JUDGEMENTS = [
    ["coffee", "wine", 9], ["coffee", "tea", 5], ["coffee", "beer", 2], ["coffee", "soda", 1], ["coffee", "milk", 1],
    ["coffee", "water", "1/2"], ["wine", "tea", "1/3"], ["wine", "beer", "1/9"], ["wine", "soda", "1/9"],
    ["wine", "milk", "1/9"], ["wine", "water", "1/9"], ["tea", "beer", "1/3"], ["tea", "soda", "1/4"],
    ["tea", "milk", "1/3"], ["tea", "water", "1/9"], ["beer", "soda", "1/2"], ["beer", "milk", 1],
    ["beer", "water", "1/3"], ["soda", "milk", 2], ["soda", "water", "1/2"], ["milk", "water", "1/3"],
]


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def write(tmp_path, text):
    path = tmp_path / "panel.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_saaty_drinks_json_and_table(tmp_path):
    path = write(tmp_path, yaml.safe_dump({"criteria": DRINKS, "judgements": JUDGEMENTS}))
    result = run("weights", "ahp", path, "--format", "json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    published = {"coffee": 0.177, "wine": 0.019, "tea": 0.042, "beer": 0.116, "soda": 0.190, "milk": 0.129, "water": 0.327}
    assert {k: round(v, 3) for k, v in out["weights"].items()} == published
    assert round(out["cr"], 3) == 0.022 and out["consistent"] is True
    assert out["ci"] == (out["lambda_max"] - 7) / 6
    table = run("weights", "ahp", path).output
    assert "water      0.3268" in table and "CR 0.0223: consistent" in table


def test_experts_and_an_inconsistent_panel_is_shown_not_refused(tmp_path):
    """Experts a/b = 2 and 8: geometric mean 4, weights 0.8 / 0.2."""
    out = json.loads(run("weights", "ahp", write(tmp_path, "criteria: [a, b]\nexperts: [[[a, b, 2]], [[a, b, 8]]]\n"), "--format", "json").output)
    assert abs(out["weights"]["a"] - 0.8) < 1e-12 and abs(out["weights"]["b"] - 0.2) < 1e-12
    text = "criteria: [a, b, c, d]\njudgements: [[a, b, 2], [b, c, 2], [c, d, 2], [a, c, 4], [b, d, 4], [d, a, 8]]\n"
    out = json.loads(run("weights", "ahp", write(tmp_path, text), "--format", "json").output)
    assert out["consistent"] is False and out["most_inconsistent"]["pair"] == ["a", "d"]


def test_bad_files_exit_2_with_line_and_path(tmp_path):
    cases = {
        "criteria: [a, b]\njudgements:\n  - [a, c, 3]\n": "panel.yaml:3: judgements.0: unknown criterion 'c'; criteria: a, b",
        "criteria: [a, b, c]\njudgements:\n  - [a, b, 3]\n": "panel.yaml:3: judgements: pairs not judged: a/c, b/c",
        "criteria: [a, b]\njudgements:\n  - [a, b, 10]\n": "panel.yaml:3: judgements.0: 10 is outside Saaty's scale 1/9 .. 9",
        "criteria: [a, b]\n": "panel.yaml:1: judgements: give `judgements` (one expert) or `experts` (several), not both",
        "judgements: [[a, b, 2]]\n": "panel.yaml:1: criteria: required field is missing",
        "criteria: [a, b]\njudgements: [[a, b, 2]]\nweights: 1\n": "panel.yaml:3: weights: unknown field",
        "criteria: [a, b\n": "panel.yaml:2: (document): invalid YAML",
    }
    for text, expected in cases.items():
        result = run("weights", "ahp", write(tmp_path, text))
        assert result.exit_code == 2, text
        assert expected in result.stderr, (text, result.stderr)
